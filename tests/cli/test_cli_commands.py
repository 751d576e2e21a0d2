"""--cli-input-json, ``cdnetworks api``, global options anywhere, help texts and start-up."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdnetworks.cli.main import main
from cdnetworks.core.emulator import Emulator
from tests.cli.conftest import cli


def run(argv: list[str], emulator: Emulator | None = None, stdin: str = "") -> tuple[int, str, str]:
    emulator = emulator or Emulator()
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {**emulator.client_kwargs(), "transport": emulator.transport()}
    code = main(argv, client_kwargs=kwargs, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


# --- --cli-input-json ---------------------------------------------------------------------


def test_input_json_from_stdin_with_wire_names_options_override() -> None:
    document = json.dumps({"type": "COMMON", "limit": 5, "sortKey": ["name"], "sortDir": "asc"})
    argv = ["imagemanage", "vmp-query-image", "--cli-input-json", "-", "--limit", "2"]
    code, out, err = run(argv, stdin=document)
    assert code == 0, err
    images = json.loads(out)["images"]
    assert len(images) == 2  # --limit 2 beat the file's 5
    assert [i["name"] for i in images] == sorted(i["name"] for i in images)


def test_input_json_from_a_file_with_option_names(tmp_path: Path) -> None:
    emulator = Emulator()
    path = tmp_path / "create.json"
    path.write_text(json.dumps({"name": "from-file", "instance-uuid": "vm-9"}))
    code, out, err = run(
        ["imagemanage", "vmp-create-image", "--cli-input-json", str(path)], emulator
    )
    assert code == 0, err
    image_id = json.loads(out)["id"]
    code, out, _ = run(["imagemanage", "vmp-query-image", "--ids", image_id], emulator)
    assert json.loads(out)["images"][0]["name"] == "from-file"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('["not", "an object"]', "--cli-input-json: expected a JSON object, got an array"),
        ('{"limit": 2, "colour": "red", "Limit": 1}', "unknown key(s) 'colour', 'Limit'"),
        ("{limit: 2}", "--cli-input-json: stdin is not JSON: Expecting property name"),
        ('{"limit": 0}', "VMPQueryImage: limit: "),
    ],
)
def test_input_json_refusals_are_one_line_and_send_nothing(stdin: str, message: str) -> None:
    emulator = Emulator()
    code, out, err = run(
        ["imagemanage", "vmp-query-image", "--cli-input-json", "-"], emulator, stdin
    )
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1, err


def test_input_json_file_that_does_not_exist() -> None:
    code, _, err = run(["imagemanage", "vmp-query-image", "--cli-input-json", "/no/such.json"])
    assert code == 2
    assert err == (
        "cdnetworks: error: --cli-input-json: cannot read /no/such.json: "
        "No such file or directory\n"
    )


# --- cdnetworks api -------------------------------------------------------------------------


@pytest.mark.slow
def test_api_get_with_query_params_and_query() -> None:
    code, out, err = run(
        ["api", "GET", "/vmp/images", "--query-param", "limit=2", "--query-param", "type=COMMON"]
    )
    assert code == 0, err
    data = json.loads(out)
    assert len(data["images"]) == 2 and data["requestId"]
    code, out, _ = run(
        ["api", "get", "/vmp/images", "--query-param", "limit=3", "--query", "length(images)"]
    )
    assert json.loads(out) == 3


@pytest.mark.slow
def test_api_post_body_from_stdin_and_errors_like_any_command() -> None:
    emulator = Emulator()
    body = json.dumps({"name": "raw", "instanceUuid": "vm-1"})
    code, out, err = run(["api", "POST", "/vmp/images", "--body", "-"], emulator, body)
    assert code == 0, err
    created = json.loads(out)
    code, out, err = run(["api", "DELETE", "/vmp/images/img-nope"], emulator)
    assert code == 1 and out == ""
    assert err.startswith("cdnetworks: error: ") and "HTTP 404" in err and "request id" in err
    assert created


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["api", "POST", "/vmp/image", "--body", "-"], "{oops", "--body: stdin is not JSON"),
        (["api", "GET", "/vmp/images", "--body", "-"], "{}", "a GET request carries no body"),
        (["api", "GET", "vmp/images"], "", "PATH must start with '/'"),
        (["api", "GET", "/vmp/images", "--query-param", "limit"], "", "takes KEY=VALUE"),
    ],
)
def test_api_refusals(argv: list[str], stdin: str, message: str) -> None:
    code, out, err = run(argv, stdin=stdin)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1, err


@pytest.mark.slow
def test_api_against_a_served_emulator(served: dict[str, str]) -> None:
    from tests.cli.conftest import clean_env

    done = cli("api", "GET", "/vmp/images", "--query-param", "limit=1", env=clean_env(**served))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["images"]) == 1


# --- global options anywhere, mistakes, help ---------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [
            "--output",
            "table",
            "--max-attempts",
            "1",
            "imagemanage",
            "vmp-query-image",
            "--limit",
            "1",
        ],
        [
            "imagemanage",
            "--output",
            "table",
            "vmp-query-image",
            "--max-attempts",
            "1",
            "--limit",
            "1",
        ],
        [
            "imagemanage",
            "vmp-query-image",
            "--limit",
            "1",
            "--output",
            "table",
            "--max-attempts",
            "1",
        ],
    ],
)
def test_global_options_before_or_after_the_command(argv: list[str]) -> None:
    code, out, err = run(argv)
    assert code == 0, err
    assert out.splitlines()[0] == "images (1)"


def test_a_global_after_the_command_overrides_one_before() -> None:
    argv = [
        "--output",
        "json",
        "imagemanage",
        "vmp-query-image",
        "--limit",
        "1",
        "--output",
        "table",
    ]
    assert run(argv)[1].startswith("images (1)")


@pytest.mark.slow
def test_debug_and_emulator_after_the_command() -> None:
    done = cli("imagemanage", "vmp-query-image", "--limit", "1", "--emulator", "--debug")
    assert done.returncode == 0, done.stderr
    assert "VMPQueryImage GET" in done.stderr  # the logging plugin's line per attempt


def test_a_mistyped_option_shows_its_command_usage_and_a_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["imagemanage", "vmp-query-image", "--limt", "2"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: cdnetworks imagemanage vmp-query-image ")
    assert err.rstrip().endswith("unrecognized option --limt (did you mean --limit?)")
    with pytest.raises(SystemExit):
        main(["imagemanage", "vmp-qurey-image"])
    assert "(did you mean vmp-query-image?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--outptu", "table", "imagemanage", "vmp-query-image"])
    assert "did you mean --output?" in capsys.readouterr().err


def test_abbreviated_options_work_with_a_deprecation_warning() -> None:
    argv = ["--out", "json", "imagemanage", "vmp-query-image", "--lim", "1", "--out", "json"]
    code, out, err = run([*argv, "--query", "length(images)"])
    assert (code, out) == (0, "1\n")
    assert err.splitlines() == [
        "cdnetworks: warning: --out is an abbreviation of --output; abbreviated options are "
        "deprecated and stop working in 0.2.0",
        "cdnetworks: warning: --lim is an abbreviation of --limit; abbreviated options are "
        "deprecated and stop working in 0.2.0",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "inf", "imagemanage", "vmp-query-image"], "positive, finite number"),
        (["imagemanage", "vmp-query-image", "--timeout", "nan"], "positive, finite number"),
        (["--timeout", "0", "imagemanage", "vmp-query-image"], "positive, finite number"),
        (["--max-attempts", "0", "imagemanage", "vmp-query-image"], "1 or more"),
    ],
)
def test_numeric_globals_are_checked(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_reads_like_a_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert "--profile NAME" in top and "G_PROFILE" not in top
    assert "--timeout SECONDS" in top and "--max-attempts N" in top and "(default: 3)" in top
    assert "imagemanage" in top and "configure" in top and "completion" in top
    with pytest.raises(SystemExit):
        main(["imagemanage", "wait-for-image", "--help"])
    waiter = capsys.readouterr().out
    assert "--timeout SECONDS" in waiter and "(default: 600)" in waiter
    assert "--poll-interval SECONDS" in waiter and "(default: 5)" in waiter
    for python in ("WaitFailedError", "poll_interval", "progress", "``", ":param"):
        assert python not in waiter
    assert "[global options]" in waiter and "--ca-bundle PATH" in waiter


# --- --ca-bundle ------------------------------------------------------------------------------


def test_ca_bundle_refusals_are_configuration_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDNETWORKS_SECRET_KEY", "sk-unused")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    for path, message in ((tmp_path / "none.pem", "does not exist"), (junk, "cannot use")):
        out, err = io.StringIO(), io.StringIO()
        argv = ["--ca-bundle", str(path), "--access-key", "AK", "imagemanage", "vmp-query-image"]
        code = main(argv, stdout=out, stderr=err)
        assert code == 3, err.getvalue()
        assert message in err.getvalue() and err.getvalue().count("\n") == 1


# --- start-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["--output", "table", "-h"]])
def test_help_and_version_import_no_transport_and_no_product(argv: list[str]) -> None:
    program = (
        "import sys\n"
        "from cdnetworks.cli.main import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('httpx', 'anyio', 'pluggy')\n"
        "          or m.startswith(('cdnetworks.core', 'cdnetworks.imagemanage'))]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stderr.strip() == "[]"
    assert done.stdout
