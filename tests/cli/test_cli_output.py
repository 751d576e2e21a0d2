"""What the command prints in pipes, odd encodings and locales, and the shape of its JSON."""

from __future__ import annotations

import io
import json
import subprocess
from typing import Any

import pytest

from cdnetworks.cli.main import main
from cdnetworks.core.emulator import Emulator
from tests.cli.conftest import CLI, clean_env, cli

CJK_NAME = "画像テスト-镜像"


def run_emulated(argv: list[str], emulator: Emulator | None = None) -> tuple[int, Any, str]:
    emulator = emulator or Emulator()
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {**emulator.client_kwargs(), "transport": emulator.transport()}
    code = main(argv, client_kwargs=kwargs, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_an_empty_listing_keeps_its_list_one_page_or_all() -> None:
    argv = ["imagemanage", "vmp-query-image", "--name", "no-such-image"]
    code, out, _ = run_emulated(argv)
    assert code == 0
    page = json.loads(out)
    assert page["images"] == [] and page["requestId"]
    code, out, _ = run_emulated([*argv, "--paginate"])
    assert code == 0
    assert json.loads(out) == {"images": []}


def test_paginate_prints_the_shape_of_one_page() -> None:
    code, out, _ = run_emulated(
        ["imagemanage", "vmp-query-image", "--type", "COMMON", "--limit", "2"]
    )
    one = json.loads(out)
    code, out, _ = run_emulated(
        ["imagemanage", "vmp-query-image", "--type", "COMMON", "--limit", "5", "--paginate"]
    )
    every = json.loads(out)
    assert code == 0
    assert set(every) <= set(one) and "images" in every
    assert set(every["images"][0]) == set(one["images"][0])
    assert len(every["images"]) == 12


def test_a_reader_that_exits_ends_the_command_quietly(served: dict[str, str]) -> None:
    # `| true` closes the pipe before the listing is written, like `| head -c0`.
    script = (
        f"'{CLI}' imagemanage vmp-query-image --paginate | true; echo \"status ${{PIPESTATUS[0]}}\""
    )
    done = subprocess.run(  # noqa: S603 - bash with our own command
        ["bash", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        env=clean_env(**served),
        timeout=60,
        check=False,
    )
    assert done.stderr == ""  # no BrokenPipeError traceback, no "Exception ignored" line
    assert done.stdout == "status 141\n"  # what `cat` reports when killed by SIGPIPE


def test_cjk_output_survives_a_latin1_stdout(served: dict[str, str]) -> None:
    created = cli(
        "imagemanage",
        "vmp-create-image",
        "--name",
        CJK_NAME,
        "--instance-uuid",
        "vm-1",
        env=clean_env(**served),
    )
    assert created.returncode == 0, created.stderr
    image_id = json.loads(created.stdout)["id"]
    env = clean_env(**served, PYTHONIOENCODING="latin-1")
    listed = cli("imagemanage", "vmp-query-image", "--ids", image_id, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "\\u753b\\u50cf" in listed.stdout  # escaped: the same JSON, in ASCII
    assert json.loads(listed.stdout)["images"][0]["name"] == CJK_NAME
    table = cli("imagemanage", "vmp-query-image", "--ids", image_id, "--output", "table", env=env)
    assert table.returncode == 0, table.stderr
    assert "\\u753b\\u50cf" in table.stdout and image_id in table.stdout


def test_a_locale_that_cannot_decode_an_argument_is_named() -> None:
    env = clean_env(LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    env.pop("LANG", None)
    done = cli(
        "--emulator",
        "imagemanage",
        "vmp-create-image",
        "--name",
        "名前",
        "--instance-uuid",
        "v",
        env=env,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "the value of --name" in done.stderr and "locale" in done.stderr
    assert "LC_ALL=C.UTF-8" in done.stderr and "surrogate" not in done.stderr


def test_table_columns_align_by_display_width() -> None:
    from cdnetworks.cli.output import render_table, width

    data = {"items": [{"name": "画像", "n": 1}, {"name": "ab", "n": 2}, {"name": "😀x", "n": 3}]}
    lines = render_table(data).splitlines()
    body = lines[1:]
    # Every row's second column starts at the same terminal column.
    starts = {width(line[: line.rindex(" ") + 1]) for line in body if line.split()[-1].isdigit()}
    assert len(starts) == 1
    assert width("画像") == 4 and width("😀") == 2 and width("e\u0301") == 1


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("images[].type | [0]", "COMMON"),
        ("length(images)", 2),
        ("images[?size > `0`].id | length(@)", 2),
    ],
)
def test_query_applies_jmespath_to_the_result(expression: str, expected: Any) -> None:
    argv = ["imagemanage", "vmp-query-image", "--type", "COMMON", "--limit", "2"]
    code, out, err = run_emulated([*argv, "--query", expression])
    assert code == 0, err
    assert json.loads(out) == expected


def test_query_syntax_error_names_the_column_and_sends_nothing() -> None:
    emulator = Emulator()
    code, out, err = run_emulated(
        [
            "imagemanage",
            "vmp-create-image",
            "--name",
            "n",
            "--instance-uuid",
            "v",
            "--query",
            "id[.x",
        ],
        emulator,
    )
    assert (code, out) == (2, "")
    assert err == "cdnetworks: error: --query: Expecting: star, got: dot at column 3 of 'id[.x'\n"
    code, out, _ = run_emulated(["imagemanage", "vmp-query-image", "--name", "n"], emulator)
    assert json.loads(out)["images"] == []  # nothing was created


def test_query_works_with_table_output() -> None:
    code, out, _ = run_emulated(
        [
            "--output",
            "table",
            "imagemanage",
            "vmp-query-image",
            "--limit",
            "2",
            "--query",
            "images[].{id: id, size: size}",
        ]
    )
    assert code == 0
    assert out.splitlines()[0].split() == ["id", "size"]
