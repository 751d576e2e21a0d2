"""The error-code page lists every code the emulators can answer with, at the right status."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.docs.samples import ROOT

PAGE = ROOT / "docs" / "error-codes.md"
SOURCES = [
    *sorted((ROOT / "core/src/cdnetworks/core/emulator").glob("*.py")),
    *sorted(ROOT.glob("products/*/src/cdnetworks/*/emulator.py")),
]
#: Helpers of the emulators that build an error: (status, code) from their arguments.
HELPERS = {"_denied": 401, "_Refused": 200}
FIXED = {"_bad": (400, "InvalidParameter")}


def emitted(path: Path) -> set[tuple[int, str]]:
    """(status, code) of every error the source builds with a literal code."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if name in FIXED:
            found.add(FIXED[name])
        elif name in HELPERS and args and isinstance(args[0], str):
            found.add((HELPERS[name], args[0]))
        elif name == "refusal" and len(args) >= 3:  # refusal(action, 400, "Code", ...)
            status, code = args[1], args[2]
            if isinstance(status, int) and isinstance(code, str):
                found.add((status, code))
        elif name in ("ServiceError", "error") and len(args) >= 2:
            status, code = args[0], args[1]
            if isinstance(status, int) and isinstance(code, str):
                found.add((status, code))
        elif (  # super().__init__(429, "TooManyRequests", ...)
            name == "__init__"
            and len(args) >= 2
            and isinstance(args[0], int)
            and isinstance(args[1], str)
        ):
            found.add((args[0], args[1]))
    # Business refusals returned as {"code": "X", ...} in a 200 envelope.
    for match in re.finditer(r'\{"code": "(?P<code>[A-Z]\w+)"', path.read_text()):
        found.add((200, match["code"]))
    return found


def documented() -> set[tuple[int, str]]:
    rows = set()
    for line in PAGE.read_text().splitlines():
        match = re.match(r"^\| `(?P<code>\w+)` \| (?P<status>\d{3}) \|", line)
        if match:
            rows.add((int(match["status"]), match["code"]))
    return rows


def test_every_emulated_error_code_is_documented() -> None:
    codes = set().union(*(emitted(p) for p in SOURCES))
    assert (401, "SignatureDoesNotMatch") in codes and (400, "InvalidParameter") in codes
    missing = codes - documented()
    assert not missing, f"add these (status, code) rows to {PAGE.name}: {sorted(missing)}"
