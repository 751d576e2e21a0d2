"""``cdnetworks-codegen import-go``: products' ``spec/api.json`` from the Go SDK's layout.

Every product asked for is read and converted before anything is written, so a malformed
input (a `SpecError`) leaves every ``api.json`` as it was. Problems short of that (rows
without a model, a ``*`` with no path field, ...) are reported and the import goes on: the
generator refuses what an override has not settled yet.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import msgspec

from ..errors import SpecError
from ..spec import Spec
from ..writer import dump_json, write_if_changed
from .convert import Imported, convert
from .diff import changes
from .gosource import parse_models
from .limits import notes as limit_notes
from .readme import parse_readme

__all__ = ["import_products"]

_README = "README_EN.md"
_MODELS = "models.go"
_PRODUCT = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class _Planned:
    imported: Imported
    path: Path
    text: str
    changes: list[str]
    existed: bool
    #: Limit proposals for review (never applied): `limits.notes`.
    limit_notes: list[str] = field(default_factory=list)


def _read(path: Path, product: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read: {exc}", file=str(path), product=product) from exc


def _products(base: Path, wanted: list[str] | None) -> tuple[list[str], list[str]]:
    """The product folders to import, and a line for each folder passed over."""
    if wanted:
        for name in wanted:
            if not _PRODUCT.match(name):
                # The name becomes a folder under products/: no separators, no "..".
                raise SpecError(f"not a product name: {name!r}")
            folder = base / name
            if not (folder / _README).is_file() or not (folder / _MODELS).is_file():
                raise SpecError(f"no {_README} and {_MODELS} here", file=str(folder), product=name)
        return list(dict.fromkeys(wanted)), []
    names: list[str] = []
    passed: list[str] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        missing = [f for f in (_README, _MODELS) if not (folder / f).is_file()]
        if missing:
            passed.append(f"{folder.name}: skipped, no {' or '.join(missing)}")
        elif not _PRODUCT.match(folder.name):
            passed.append(f"{folder.name}: skipped, not a product name")
        else:
            names.append(folder.name)
    return names, passed


def _gone(root: Path, names: set[str]) -> list[str]:
    """Lines for products imported before whose folder the Go SDK no longer has."""
    lines = []
    for path in sorted((root / "products").glob("*/spec/api.json")):
        product = path.parent.parent.name
        if product in names:
            continue
        try:
            imported = msgspec.json.decode(path.read_bytes(), type=Spec).go_package is not None
        except (OSError, msgspec.DecodeError):
            imported = False
        if imported:
            lines.append(f"{product}: breaking: no longer in the Go SDK (its api.json is kept)")
    return lines


class _RowNames(msgspec.Struct):
    """The one key of ``overrides.json`` an import reads (the rest is the generator's)."""

    rows: dict[str, str] = msgspec.field(default_factory=dict)


def _row_names(path: Path, product: str) -> dict[str, str]:
    """The reviewed pairs of README row and model name of a product, from its overrides."""
    if not path.is_file():
        return {}
    try:
        return msgspec.json.decode(path.read_bytes(), type=_RowNames).rows
    except (OSError, msgspec.DecodeError) as exc:
        raise SpecError(f"cannot read its rows: {exc}", file=str(path), product=product) from exc


def _plan(folder: Path, product: str, root: Path) -> _Planned:
    readme, models = folder / _README, folder / _MODELS
    rows = parse_readme(_read(readme, product), str(readme), product)
    models_text = _read(models, product)
    parsed = parse_models(models_text, str(models), product)
    overrides = root / "products" / product / "spec" / "overrides.json"
    names = _row_names(overrides, product)
    imported = convert(product, rows, parsed, str(models), names)
    text = dump_json(msgspec.to_builtins(imported.spec))
    path = root / "products" / product / "spec" / "api.json"
    found: list[str] = []
    existed = path.is_file()
    if existed:
        try:
            old = msgspec.json.decode(path.read_bytes(), type=Spec)
        except (OSError, msgspec.DecodeError) as exc:
            # Not overwritten: it may hold hand-written facts an import cannot restore.
            raise SpecError(f"the existing file is not a spec: {exc}", file=str(path)) from exc
        found = changes(old, imported.spec)
    return _Planned(imported, path, text, found, existed, limit_notes(models_text, overrides))


def import_products(go_sdk_dir: Path, products: list[str] | None, root: Path, out: TextIO) -> int:
    """Import the products (all of them by default) and report on ``out``; the exit code."""
    base = go_sdk_dir / "cdnetworks"
    if not base.is_dir():
        raise SpecError("not a Go SDK work tree (no cdnetworks/ folder)", file=str(go_sdk_dir))
    names, passed = _products(base, products)
    plans = [_plan(base / name, name, root) for name in names]
    if products is None:
        passed += _gone(root, set(names))
    # Reported only now: a failed import prints its one error line and nothing else.
    for line in passed:
        out.write(line + "\n")
    kinds: Counter[str] = Counter()
    problems = 0
    written = imported = skipped = 0
    for plan in plans:
        result = plan.imported
        wrote = write_if_changed(plan.path, plan.text)
        written += wrote
        imported += result.imported
        skipped += len(result.skipped)
        out.write(
            f"{result.product}: {result.imported} actions imported, {len(result.skipped)} skipped\n"
        )
        problems += len(result.problems)
        for problem in (*result.skipped, *result.problems):
            kinds[problem.kind] += 1
            out.write(f"  {problem.kind}: {problem.detail}\n")
        for line in plan.changes:
            out.write(f"  {line}\n")
        for line in plan.limit_notes:
            out.write(f"  {line}\n")
        state = "unchanged" if not wrote else "updated" if plan.existed else "created"
        out.write(f"  {plan.path.relative_to(root).as_posix()}: {state}\n")
    by_kind = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    detail = f"; by kind: {by_kind}" if by_kind else ""
    out.write(
        f"total: {len(plans)} products, {imported} actions imported, {skipped} skipped, "
        f"{problems} problems, {written} files written{detail}\n"
    )
    return 0
