"""Options a user can act on: every required argument has an option, help says the facts,
old command names still work, mistakes get a suggestion, ``--output text`` feeds the shell."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import msgspec
import pytest

from cdnetworks.cli.main import main
from cdnetworks.cli.options import model_options
from cdnetworks.cli.text_output import render_text
from cdnetworks.core import products


def run(*argv: str) -> tuple[int, str, str]:
    """``cdnetworks --emulator ARGV``: exit status, stdout, stderr (argparse's help and usage
    errors included, which go to the process's streams)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--emulator", *argv], stdout=out, stderr=err, stdin=io.StringIO(""))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_every_required_argument_of_every_action_has_an_option() -> None:
    missing = []
    count = 0
    for name, product in sorted(products().items()):
        for action in product.actions:
            have = {o.dest for o in model_options(action.request)}
            for field in msgspec.structs.fields(action.request):
                if field.required:
                    count += 1
                    if field.name not in have:
                        missing.append(f"{name} {action.name} {field.name}")
    assert missing == []
    assert count > 500  # the catalogue's required arguments were really looked at


def test_a_nested_required_argument_takes_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        "reportbandwidth",
        "query-domain-bandwidth",
        "--domain-list",
        '{"domain-name": ["www.example.com"]}',
        "--date-from",
        "2026-12-01T00:00:00+08:00",
        "--date-to",
        "2026-12-01T01:00:00+08:00",
    )
    assert code == 0, err
    assert "bandwidthReport" in json.loads(out)


def test_a_list_of_objects_takes_repeated_json_or_an_array() -> None:
    item = '{"domain": "www.example.com", "blockPage": {"switch": 1, "responseContent": "no"}}'
    for values in (["--config", item, "--config", item], ["--config", f"[{item}, {item}]"]):
        code, _, err = run("securitypolicy", "update-block-page-setting", *values)
        assert code == 0, err
    code, _, err = run("securitypolicy", "update-block-page-setting", "--config", "{oops")
    assert code == 2 and "--config" in err and "not JSON" in err


def test_help_says_type_limits_default_and_example() -> None:
    code, out, _ = run("fileprefetch", "get-prefetch-status", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "--page-no N Page number, from 1; integer; >= 1" in flat
    assert "{success,failure,wait,run}" in flat or "{failure,run,success,wait}" in flat
    code, out, _ = run("fileprefetch", "prefetch", "--help")
    flat = " ".join(out.split())
    assert "list of text; at least one value (required)" in flat
    code, out, _ = run("reportbandwidth", "query-domain-bandwidth", "--help")
    flat = " ".join(out.split())
    assert '--domain-list JSON JSON object {"domain-name": list of text} (required)' in flat


def test_a_deprecated_command_name_still_runs_and_warns() -> None:
    code, _, err = run("reportbandwidth", "query-p2-p-bandwidth")
    assert code == 0
    assert "query-p2-p-bandwidth is deprecated, use query-p2p-bandwidth" in err
    code, listing, _ = run("reportbandwidth", "--help")
    assert "query-p2p-bandwidth" in listing and "query-p2-p-bandwidth" not in listing


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["reportbandwith", "x"], "did you mean reportbandwidth?"),
        (["reportbandwidth", "query-domain-bandwith"], "did you mean query-domain-bandwidth?"),
    ],
)
def test_a_mistyped_product_or_action_gets_a_suggestion_not_a_wall(
    argv: list[str], suggestion: str
) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert suggestion in err
    assert "choose from" not in err  # the whole catalogue is not dumped


def test_output_text_feeds_shell_variables() -> None:
    code, out, err = run(
        "imagemanage", "vmp-query-image", "--query", "images[0].id", "--output", "text"
    )
    assert code == 0, err
    assert out.startswith("img-") and out.count("\n") == 1
    code, out, _ = run("imagemanage", "vmp-query-image", "--output", "text")
    rows = [line.split("\t") for line in out.splitlines()]
    assert len({len(r) for r in rows[1:]}) == 1  # every image row has the same columns


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("abc", "abc"),
        (None, "None"),
        (["a", "b"], "a\tb"),
        ({"b": 2, "a": "x\ty"}, "x y\t2"),
        ({"items": [{"id": 1, "n": "a"}, {"id": 2}]}, "1\ta\n2\tNone"),
        ({"total": 2, "items": [{"id": 1, "tags": ["p", "q"]}]}, "2\n1\np\tq"),
        ([], ""),
    ],
)
def test_render_text(data: Any, text: str) -> None:
    assert render_text(data) == text
