"""Services are found through the ``cdnetworks.emulators`` entry points: a second product plugs in.

The toy product below is a real distribution as far as ``importlib.metadata`` can tell: a module
and a ``.dist-info`` folder with ``entry_points.txt``, put on ``sys.path`` for one test.
"""

from __future__ import annotations

import pathlib
import textwrap

import httpx
import pytest

from cdnetworks.core import AkskAuth, Client, ConfigurationError
from cdnetworks.core.emulator import SERVICES_GROUP, Emulator, load_services
from cdnetworks.imagemanage.emulator import ImageManageService

TOY_MODULE = """
from cdnetworks.core.emulator import EmulatorService, Route, ServiceError


class ToyService(EmulatorService):
    name = "toy"

    def reset(self):
        self.counter = 0

    def routes(self):
        return [
            Route("GET", "/toy/echo/{word}", self.echo, name="ToyEcho"),
            Route("POST", "/toy/fail", self.fail, name="ToyFail"),
        ]

    def echo(self, request):
        self.counter += 1
        return {"word": request.path_params["word"], "account": request.account,
                "query": request.query, "count": self.counter}

    def fail(self, request):
        raise ServiceError(409, "ToyConflict", "the toy says no")


class Clash(EmulatorService):
    name = "clash"

    def routes(self):
        return [Route("GET", "/vmp/images", lambda request: {}, name="Clash")]


def not_a_service():
    return object()


def broken():
    raise RuntimeError("cannot build")
"""


def _install(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, entries: str) -> None:
    (tmp_path / "toy_emulator.py").write_text(TOY_MODULE)
    dist = tmp_path / "toy_emulator-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-emulator\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{SERVICES_GROUP}]\n{textwrap.dedent(entries)}")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_installed_image_service_is_found() -> None:
    (service,) = load_services(["imagemanage"])
    assert isinstance(service, ImageManageService)


def test_a_second_product_plugs_in(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, monkeypatch, "toy = toy_emulator:ToyService\n")
    emu = Emulator()
    # Every installed product is served, the plugged-in one among them.
    assert {"imagemanage", "toy"} <= set(emu.services)
    with Client(**emu.client_kwargs(), transport=emu.transport(), load_entry_points=False) as c:
        echoed = c.invoke("GET", "/toy/echo/hello%20world", params={"q": "a+b"}).data
        assert c.invoke("GET", "/vmp/images").status_code == 200
    assert echoed == {
        "word": "hello world",
        "account": "AKEMULATOR",
        "query": {"q": "a+b"},
        "count": 1,
    }
    emu.reset()
    assert emu.service("toy").counter == 0


def test_service_errors_and_routes(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, monkeypatch, "toy = toy_emulator:ToyService\n")
    emu = Emulator(services=load_services(["toy"]))
    assert [r.name for r in emu.routes] == ["ToyFail", "ToyEcho"]  # static paths first
    with httpx_client(emu) as http:
        response = http.post("/toy/fail")
    assert response.status_code == 409
    assert response.json() == {"code": "ToyConflict", "message": "the toy says no"}


def httpx_client(emu: Emulator) -> httpx.Client:
    return httpx.Client(
        base_url=emu.client_kwargs()["endpoint"],
        transport=emu.transport(),
        auth=AkskAuth(emu.access_key, emu.secret_key),
    )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("bad = toy_emulator:not_a_service\n", "not an EmulatorService"),
        ("bad = toy_emulator:broken\n", "cannot build"),
        ("bad = toy_emulator:Missing\n", "cannot load emulator service 'bad'"),
        ("clash = toy_emulator:Clash\n", "already served"),
    ],
)
def test_bad_registrations_are_explained(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, entries: str, message: str
) -> None:
    _install(tmp_path, monkeypatch, entries)
    with pytest.raises(ConfigurationError, match=message):
        Emulator()


def test_unknown_names() -> None:
    with pytest.raises(ConfigurationError, match="no emulator service named nope"):
        load_services(["nope"])
    emu = Emulator(services=[])
    with pytest.raises(ConfigurationError, match="has no service 'imagemanage'"):
        emu.service("imagemanage")
    with pytest.raises(ConfigurationError, match="given twice"):
        Emulator(services=[ImageManageService(), ImageManageService()])
    with pytest.raises(ConfigurationError, match="not attached"):
        _ = ImageManageService().context
