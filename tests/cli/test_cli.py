"""The CLI generated from a product's actions and commands, run in-process."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdnetworks.cli.main import main
from tests.cli.demo_product import DemoPlugin
from tests.conftest import CANARY_SECRET

PAGES = [
    {
        "things": [
            {"id": "t1", "name": "alpha", "sizeGb": 10},
            {"id": "t2", "name": "beta", "sizeGb": "20"},
        ]
    },
    {"things": [{"id": "t3", "name": "gamma"}]},
    {"things": []},
]


class Server:
    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answer(request)


def run(argv: list[str], server: Server | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {
        "access_key": "AKCLI",
        "secret_key": CANARY_SECRET,
        "load_entry_points": False,
    }
    if server is not None:
        kwargs["transport"] = httpx.MockTransport(server)
    code = main(argv, plugins=[DemoPlugin()], client_kwargs=kwargs, stdout=out, stderr=err)
    assert CANARY_SECRET not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def pages(request: httpx.Request) -> httpx.Response:
    marker = request.url.params.get("marker")
    index = {None: 0, "t2": 1, "t3": 2}[marker]
    return httpx.Response(200, json=PAGES[index], headers={"x-cnc-request-id": f"rid-{index}"})


def test_action_options_are_derived_from_the_model() -> None:
    code, out, _ = run(
        ["demo", "list-things", "--state", "ON", "--limit", "5", "--ids", "a", "b"], Server(pages)
    )
    assert code == 0
    data = json.loads(out)
    assert data["things"][0] == {"id": "t1", "name": "alpha", "sizeGb": 10}
    assert data["requestId"] == "rid-0"


def test_query_sent_from_options() -> None:
    server = Server(pages)
    run(["demo", "list-things", "--state", "OFF", "--ids", "a", "b", "--ids", "c"], server)
    assert server.requests[0].url.raw_path == b"/things?ids=a%2Cb%2Cc&state=OFF"


def test_body_and_bool_flag() -> None:
    server = Server(lambda r: httpx.Response(200, json={"id": "new"}))
    code, out, _ = run(["demo", "make-thing", "--name", "x y", "--fast"], server)
    assert code == 0 and json.loads(out)["id"] == "new"
    assert server.requests[0].content == b'{"name":"x y","fast":true}'
    run(["demo", "make-thing", "--name", "z", "--no-fast"], server)
    assert server.requests[1].content == b'{"name":"z","fast":false}'


def test_help_shows_descriptions_choices_and_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "list-things", "--help"], plugins=[DemoPlugin()])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "List your things." in text and "API action ListThings: GET /things" in text
    assert "{OFF,ON}" in text and "Only things in this state" in text
    assert "Page size; integer; > 0, <= 50" in text
    assert "--paginate" in text
    with pytest.raises(SystemExit):
        main(["demo", "make-thing", "--help"], plugins=[DemoPlugin()])
    assert "Name of the new thing" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "list-things", "--state", "MAYBE"], plugins=[DemoPlugin()])
    assert info.value.code == 2
    assert "invalid choice: 'MAYBE'" in capsys.readouterr().err
    # A required option may come from --cli-input-json, so its absence is checked after it.
    assert main(["demo", "make-thing"], plugins=[DemoPlugin()]) == 2
    assert capsys.readouterr().err == (
        "cdnetworks: error: MakeThing: the following arguments are required: --name "
        "(as options or in --cli-input-json)\n"
    )


def test_validation_error_is_one_line_exit_2_and_nothing_sent() -> None:
    server = Server(pages)
    code, out, err = run(["demo", "list-things", "--limit", "500"], server)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("cdnetworks: error: ListThings: limit: Expected `int` <= 50")
    assert "Traceback" not in err
    assert server.requests == []


def test_api_error_line_names_action_status_code_message_request_id() -> None:
    server = Server(
        lambda r: httpx.Response(
            400,
            json={"code": "InvalidName", "message": "name\nis taken"},
            headers={"x-cnc-request-id": "rid-e"},
        )
    )
    code, out, err = run(["demo", "make-thing", "--name", "dup"], server)
    assert code == 1 and out == ""
    assert err == (
        "cdnetworks: error: MakeThing: HTTP 400, code InvalidName: name is taken "
        "(request id rid-e)\n"
    )


def test_retried_failure_counts_attempts() -> None:
    code, _, err = run(
        ["--max-attempts", "2", "demo", "list-things"], Server(lambda r: httpx.Response(503))
    )
    assert code == 1
    assert "HTTP 503" in err and "2 attempts" in err


def test_debug_shows_the_traceback_and_logs() -> None:
    server = Server(lambda r: httpx.Response(503))
    with pytest.raises(Exception, match="HTTP 503"):
        run(["--debug", "--max-attempts", "1", "demo", "list-things"], server)


def test_missing_credentials_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for var in ("CDNETWORKS_ACCESS_KEY", "CDNETWORKS_SECRET_KEY", "CDNETWORKS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CDNETWORKS_CREDENTIALS_FILE", str(tmp_path / "none"))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["demo", "list-things"],
        plugins=[DemoPlugin()],
        stdout=out,
        stderr=err,
        client_kwargs={"load_entry_points": False},
    )
    assert code == 3
    assert "does not exist" in err.getvalue()
    monkeypatch.delenv("CDNETWORKS_CREDENTIALS_FILE")
    monkeypatch.setenv("HOME", str(tmp_path))
    code = main(
        ["--access-key", "AK1", "demo", "list-things"],
        plugins=[DemoPlugin()],
        stdout=out,
        stderr=err,
    )
    assert code == 3
    assert "--access-key needs CDNETWORKS_SECRET_KEY" in err.getvalue()


def test_paginate_walks_every_page() -> None:
    server = Server(pages)
    code, out, _ = run(["demo", "list-things", "--paginate", "--limit", "2"], server)
    assert code == 0
    # The shape of one page, so `jq '.things[]'` reads one page and every page alike.
    assert [t["id"] for t in json.loads(out)["things"]] == ["t1", "t2", "t3"]
    assert len(server.requests) == 3


def test_table_output() -> None:
    code, out, _ = run(["--output", "table", "demo", "list-things"], Server(pages))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "things (2)"
    assert lines[1].split() == ["id", "name", "sizeGb"]
    assert lines[3].split() == ["t1", "alpha", "10"]
    assert ["requestId", "rid-0"] in [line.split() for line in lines]


def test_method_command_with_positional_and_progress_lines() -> None:
    code, out, err = run(["demo", "wait-for-thing", "t9", "--polls", "2"])
    assert code == 0
    assert json.loads(out) == {"id": "t9", "ready": True}
    assert err.splitlines() == ["1 of 2 ready", "2 of 2 ready"]  # not a terminal: plain lines


def test_progress_bar_on_a_terminal_redraws_one_line_that_fits() -> None:
    from cdnetworks.cli.progress import Progress
    from tests.cli.demo_product import Tick

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

        def fileno(self) -> int:
            raise OSError("no terminal behind it")  # the 80-column fallback

    stream = Tty()
    progress = Progress(stream)
    progress(Tick(1, 4))
    progress(Tick(4, 4))
    progress.close()
    text = stream.getvalue()
    assert "\r[#####...............] 1/4 1 of 4 ready\x1b[K" in text
    assert "\r[####################] 4/4 4 of 4 ready\x1b[K" in text and text.endswith("\n")
    assert text.count("\n") == 1  # redrawn in place, one line break at the end


def test_progress_fits_the_terminal_width_in_display_columns() -> None:
    from cdnetworks.cli.output import width
    from cdnetworks.cli.progress import fit

    assert fit("short", 40) == "short"
    cut = fit("画像" * 30, 39)
    assert width(cut) <= 39 and cut.endswith("…")


def test_progress_lines_only_on_state_changes() -> None:
    from dataclasses import dataclass

    from cdnetworks.cli.progress import Progress

    @dataclass
    class Update:
        text: str
        poll: int

        def summary(self) -> str:
            return f"{self.text} (poll {self.poll})"

    stream = io.StringIO()
    progress = Progress(stream)
    for poll, state in enumerate(["BUILDING", "BUILDING", "BUILDING", "ACTIVE"], start=1):
        progress(Update(state, poll))
    progress.close()
    assert stream.getvalue().splitlines() == ["BUILDING (poll 1)", "ACTIVE (poll 4)"]


def test_global_options_do_not_collide_with_command_options() -> None:
    server = Server(lambda r: httpx.Response(503))
    code, _, err = run(["--max-attempts", "1", "--timeout", "9", "demo", "list-things"], server)
    assert code == 1
    assert server.requests[0].extensions["timeout"]["read"] == 9.0
    assert err.startswith(
        "cdnetworks: error: ListThings: HTTP 503 Service Unavailable (empty body)"
    )
    assert "2 attempts" not in err


def test_paginate_keeps_limit_as_the_page_size_for_the_real_product() -> None:
    from cdnetworks.core import RequestDraft, hookimpl
    from cdnetworks.core.emulator import Emulator

    class Queries:
        def __init__(self) -> None:
            self.seen: list[dict[str, str]] = []

        @hookimpl
        def cdnetworks_prepare_request(self, request: RequestDraft) -> None:
            self.seen.append(dict(request.query))

    emulator, queries = Emulator(), Queries()
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {**emulator.client_kwargs(), "transport": emulator.transport()}
    argv = ["imagemanage", "vmp-query-image", "--paginate", "--limit", "5", "--type", "COMMON"]
    code = main(argv, plugins=[queries], client_kwargs=kwargs, stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    images = json.loads(out.getvalue())["images"]
    assert len(images) == 12  # every seeded public image, not just five
    assert [q["limit"] for q in queries.seen] == ["5", "5", "5"]  # pages of 5, 5 and 2
    assert "marker" not in queries.seen[0] and "marker" in queries.seen[1]
