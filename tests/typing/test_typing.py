"""User code against generated clients, judged by ``mypy --strict`` and by pyright.

``cases/must_pass.py`` must check clean; in ``cases/must_fail.py`` each statement marked
``# error:`` must draw an error from each checker, and no other statement may. Both checkers
are the pinned dev dependencies; pyright's wheel bundles its code and runs on the installed
node, so neither needs the network.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "cases"
PASS = CASES / "must_pass.py"
FAIL = CASES / "must_fail.py"

pytestmark = pytest.mark.slow  # two checkers over the largest product take ~30 s


def _statements(path: Path) -> list[tuple[int, int, bool]]:
    """(first line, last line, marked) of every statement inside the file's functions."""
    source = path.read_text()
    lines = source.splitlines()
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                    continue  # a docstring
                end = stmt.end_lineno or stmt.lineno
                out.append((stmt.lineno, end, "# error:" in lines[stmt.lineno - 1]))
    return out


def _mypy(paths: list[Path], cache: Path) -> dict[Path, list[int]]:
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
            "--cache-dir", str(cache), *map(str, paths),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found: dict[Path, list[int]] = {p: [] for p in paths}
    for line in done.stdout.splitlines():
        m = re.match(r"^(.+?):(\d+): error: ", line)
        if m:
            found[Path(m.group(1)).resolve()].append(int(m.group(2)))
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return found


def _pyright(paths: list[Path]) -> dict[Path, list[int]]:
    env = {**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}  # no version check online
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable, "-m", "pyright", "--outputjson",
            "--pythonpath", sys.executable, *map(str, paths),
        ],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    found: dict[Path, list[int]] = {p: [] for p in paths}
    for diag in json.loads(done.stdout)["generalDiagnostics"]:
        if diag["severity"] == "error":
            found[Path(diag["file"]).resolve()].append(diag["range"]["start"]["line"] + 1)
    return found


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    # Copies outside the project: neither checker picks up the project's own settings.
    base = tmp_path_factory.mktemp("typing")
    out = []
    for case in (PASS, FAIL):
        shutil.copy(case, base / case.name)
        out.append((base / case.name).resolve())
    return out


def _judge(name: str, found: dict[Path, list[int]], copies: list[Path]) -> None:
    passing, failing = copies
    assert found[passing] == [], f"{name} refused correct calls at lines {found[passing]}"
    problems = []
    for first, last, marked in _statements(FAIL):
        hits = [n for n in found[failing] if first <= n <= last]
        if marked and not hits:
            problems.append(f"line {first}: {name} accepted a call it must refuse")
        if not marked and hits:
            problems.append(f"line {first}: {name} refused a call marked as correct")
    assert not problems, "\n".join(problems)


def test_mypy_strict(copies: list[Path], tmp_path: Path) -> None:
    _judge("mypy --strict", _mypy(copies, tmp_path / "cache"), copies)


def test_pyright(copies: list[Path]) -> None:
    _judge("pyright", _pyright(copies), copies)


def test_every_refusal_is_marked() -> None:
    # The fail file is the contract's list: it holds the three kinds the issue names.
    text = FAIL.read_text()
    for kind in ("missing required argument", "wrong enum literal", "wrong type"):
        assert kind in text
    assert sum(marked for *_, marked in _statements(FAIL)) >= 15
