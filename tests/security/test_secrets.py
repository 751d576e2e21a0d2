"""The secret key never shows: not on the wire, in an exception, a repr, a log line or a hook.

Each scenario runs over real loopback sockets with both clients, the logging plugin at DEBUG
with bodies, and a spy plugin that renders every hook payload it receives. The suite-wide log
check in ``tests/conftest.py`` watches the ``cdnetworks`` logger too; this module also covers
what the caller holds: exceptions (with their chains and tracebacks), reprs and payloads.
"""

from __future__ import annotations

import logging
import os
import pathlib
import subprocess
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from cdnetworks.core import (
    Action,
    CdnetworksError,
    CredentialsError,
    LoggingPlugin,
    RequestModel,
    ResponseModel,
    Timeout,
    hookimpl,
)
from tests.conftest import CANARY_SECRET, Mode
from tests.faults.server import (
    FaultServer,
    ResetMidBody,
    Respond,
    Stall,
    Verified,
    fault_server,
    json_body,
    refused_endpoint,
)

OK = Respond(200, json_body("0", "ok", '{"images":[]}'))


class Spy:
    """Renders every argument of every hook into text, as a careless plugin might log it."""

    name = "test.spy"

    def __init__(self) -> None:
        self.texts: list[str] = []

    def _keep(self, **payload: Any) -> None:
        for value in payload.values():
            self.texts.append(repr(value))
            self.texts.append(str(value))
            for part in ("headers", "content", "url"):
                if hasattr(value, part):
                    self.texts.append(repr(getattr(value, part)))
            if isinstance(value, BaseException):
                self.texts.append("".join(traceback.format_exception(value)))

    @hookimpl
    def cdnetworks_prepare_request(
        self, request: Any, action: str, attempt: int, call_id: str
    ) -> None:
        self._keep(request=request, action=action, attempt=attempt, call_id=call_id)

    @hookimpl
    def cdnetworks_after_response(
        self,
        action: str,
        attempt: int,
        call_id: str,
        request: Any,
        response: Any,
        error: Any,
        duration: float,
        request_id: Any,
    ) -> None:
        self._keep(
            action=action,
            request=request,
            response=response,
            error=error,
            request_id=request_id,
        )

    @hookimpl
    def cdnetworks_on_retry(self, action: str, attempt: int, delay: float, reason: str) -> None:
        self._keep(action=action, reason=reason)

    @hookimpl
    def cdnetworks_call_finished(
        self,
        action: str,
        attempts: int,
        status_code: Any,
        request_id: Any,
        outcome: str,
        error: Any,
    ) -> None:
        self._keep(action=action, outcome=outcome, error=error, request_id=request_id)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    logger = logging.getLogger("cdnetworks")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _exception_texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    texts += [repr(v) for v in vars(exc).values()]
    return texts


class Item(RequestModel):
    image_id: str


class Reply(ResponseModel):
    code: str | None = None


GET_ITEM = Action("GetItem", "GET", "/vmp/images/{imageId}", Item, Reply)

SCENARIOS = {
    "success": (OK,),
    "server-error": (Respond(500, json_body("SYS.Error", "boom")),),
    "business-error": (Respond(200, json_body("IMG.Bad", "refused")),),
    "decode-error": (Respond(200, b"{not json"),),
    "reset": (ResetMidBody(),),
    "stall": (Stall(1.0),),
    "bad-signature": (OK,),
    "clock-skew": (OK,),
}


def _run(mode: Mode, server: FaultServer | None, endpoint: str, scenario: str, spy: Spy) -> Any:
    client = mode.client(
        endpoint=endpoint,
        secret_key=CANARY_SECRET + "-wrong" if scenario == "bad-signature" else CANARY_SECRET,
        plugins=[LoggingPlugin(log_bodies=True), spy],
        timeout=Timeout(connect=1.0, read=0.2, write=1.0, pool=1.0),
    )
    texts = [repr(client), str(client), repr(vars(client)), repr(client.credentials)]
    calls: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = [
        (client.invoke, ("POST", "/vmp/images"), {"json": {"name": "n"}}),
        (client.call, (GET_ITEM,), {"image_id": "img-1"}),
    ]
    for fn, args, kwargs in calls:
        try:
            texts.append(repr(mode.run(fn, *args, **kwargs)))
        except CdnetworksError as exc:
            texts += _exception_texts(exc)
    return texts


@pytest.mark.parametrize("scenario", [*SCENARIOS, "refused"])
def test_secret_never_shows(mode: Mode, scenario: str, log_lines: list[str]) -> None:
    spy = Spy()
    if scenario == "refused":
        with refused_endpoint() as endpoint:
            texts = _run(mode, None, endpoint, scenario, spy)
        seen: list[Any] = []
    else:
        script = [Verified(CANARY_SECRET, step) for step in SCENARIOS[scenario]]
        offset = 3600.0 if scenario == "clock-skew" else 0.0
        with fault_server(*script, clock_offset=offset) as server:
            texts = _run(mode, server, server.endpoint, scenario, spy)
        seen = server.seen
        assert seen, "the scenario sent nothing"
    assert spy.texts, "the spy saw no hook"
    assert log_lines, "nothing was logged at DEBUG"
    wire = [repr(s.headers) + repr(s.body) + s.path + s.query for s in seen]
    for where, items in (
        ("the wire", wire),
        ("an exception or repr", texts),
        ("a hook payload", spy.texts),
        ("a log line", log_lines),
    ):
        leaked = [t for t in items if CANARY_SECRET in t]
        assert not leaked, f"the secret key leaked into {where}: {leaked[0][:300]}"


@pytest.mark.parametrize(
    "text",
    [
        f"secret_key = {CANARY_SECRET}\n",  # no [profile] header
        f"[default]\naccess_key = AK\n{CANARY_SECRET}\n",  # the secret pasted on its own line
        f"[default]\naccess_key = AK\nsecret_key = {CANARY_SECRET} trailing\n",
        f"[default]\naccess_key = AK\nsecret_key = {CANARY_SECRET}\nsecret_key = x\n",
    ],
)
def test_credentials_file_errors_never_quote_the_secret(tmp_path: pathlib.Path, text: str) -> None:
    path = tmp_path / "credentials"
    path.write_text(text)
    with pytest.raises(CredentialsError) as info:
        Mode("sync", None).client(access_key=None, secret_key=None, credentials_file=path)
    for t in _exception_texts(info.value):
        assert CANARY_SECRET not in t
    assert "line" in str(info.value)


CLI_SCENARIOS = {
    "success": (Respond(200, b'{"code":"0","message":"ok","id":"img-9"}'),),
    "server-error": (Respond(500, json_body("SYS.Error", "boom")),),
    "business-error": (Respond(200, json_body("IMG.Bad", "refused")),),
    "reset": (ResetMidBody(),),
    "bad-signature": (OK,),
}


@pytest.mark.slow
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("scenario", list(CLI_SCENARIOS))
def test_cli_output_never_shows_the_secret(
    scenario: str, debug: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cdnetworks`` (the real entry point, in a subprocess) with the secret in the
    environment, ``--debug`` logging and tracebacks: stdout and stderr never show it."""
    secret = CANARY_SECRET + ("-wrong" if scenario == "bad-signature" else "")
    script = [Verified(CANARY_SECRET, step) for step in CLI_SCENARIOS[scenario]]
    with fault_server(*script) as server:
        argv = [
            sys.executable,
            "-m",
            "cdnetworks.cli",
            *(["--debug"] if debug else []),
            "--access-key",
            "AKTEST0001",
            "--endpoint",
            server.endpoint,
            "--max-attempts",
            "2",
            "imagemanage",
            "vmp-create-image",
            "--name",
            "web",
            "--image-src-url",
            "https://example.com/web.qcow2",
            "--ostype",
            "linux",
        ]
        env = {**os.environ, "CDNETWORKS_SECRET_KEY": secret}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    output = done.stdout + done.stderr
    assert server.count() >= 1
    assert (done.returncode == 0) is (scenario == "success"), output
    if debug:
        assert "DEBUG cdnetworks" in output
    assert CANARY_SECRET not in output
