"""``cdnetworks-codegen generate``: every file a product's spec determines, written or checked.

Per product: the package (``models``, ``actions``, ``client``, ``plugin``, ``__init__``,
``_version``, the emulator factory), ``pyproject.toml``, ``README.md``, ``LICENSE``, the
reference page and ``spec/surface.json`` (the public method signatures, compared with the last
generation to report breaking changes). Across products: the blocks between ``>>> codegen``
markers in the root ``pyproject.toml`` and ``mkdocs.yml``, and ``docs/products.md``.

Everything is rendered and formatted in memory first (ruff, with the project's settings), so a
malformed spec writes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .annotations import GENERATED
from .errors import SpecError
from .load import ProductModel, load_product, py_name
from .render_actions import render_actions
from .render_clients import render_client
from .render_docs import render_commands_page, render_index, render_not_covered, render_reference
from .render_models import render_models
from .render_package import (
    core_requirement,
    render_emulator_factory,
    render_init,
    render_plugin,
    render_product,
    render_pyproject,
    render_readme,
    render_version,
)
from .spec import schema
from .writer import dump_json, write_if_changed


def product_folders(root: Path) -> list[Path]:
    return sorted(p.parent.parent for p in (root / "products").glob("*/spec/api.json"))


def _core_version(root: Path) -> str:
    text = (root / "core/src/cdnetworks/core/_version.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    if not found:
        raise SpecError(
            "cannot read the core's version", file="core/src/cdnetworks/core/_version.py"
        )
    return found.group(1)


def surface(model: ProductModel) -> dict[str, object]:
    """The public names and keyword arguments a release promises."""
    methods: dict[str, list[str]] = {}
    for action in model.actions:
        methods[action.method_name] = [py_name(f) for f in action.fields]
        if action.spec.paging:
            methods[action.spec.paging.method] = ["page_size", "limit"] + [
                py_name(f) for f in action.fields if py_name(f) != action.spec.paging.page_size
            ]
    for waiter in model.overrides.waiters:
        methods[waiter.method] = [waiter.subject] + (
            [waiter.keys_param] if waiter.keys_param else []
        )
    return {
        "_generated": "by cdnetworks-codegen from spec/: do not edit by hand",
        "clients": [model.client_class, model.async_client_class],
        "methods": methods,
        "models": sorted(set(model.types) | {a.request_class for a in model.actions}),
    }


def breaking_changes(old: dict[str, object], new: dict[str, object]) -> list[str]:
    """What a user's code written against ``old`` would trip over in ``new``."""
    changes = []
    old_methods = old.get("methods", {})
    new_methods = new.get("methods", {})
    assert isinstance(old_methods, dict)
    assert isinstance(new_methods, dict)
    for method, params in old_methods.items():
        if method not in new_methods:
            changes.append(f"method {method} removed (or renamed)")
            continue
        gone = [p for p in params if p not in new_methods[method]]
        if gone:
            changes.append(f"method {method}: argument(s) {', '.join(gone)} removed (or renamed)")
    for key in ("clients", "models"):
        before, after = old.get(key, []), new.get(key, [])
        assert isinstance(before, list)
        assert isinstance(after, list)
        gone = sorted(set(before) - set(after))
        if gone:
            changes.append(f"{key} removed (or renamed): {', '.join(gone)}")
    return changes


def _product_files(model: ProductModel, root: Path, core_version: str) -> dict[Path, str]:
    pkg = model.folder / "src" / "cdnetworks" / model.name
    files = {
        pkg / "__init__.py": render_init(model),
        pkg / "_version.py": render_version(model),
        pkg / "models.py": render_models(model),
        pkg / "actions.py": render_actions(model),
        pkg / "client.py": render_client(model),
        pkg / "plugin.py": render_plugin(model),
        pkg / "product.py": render_product(model),
        pkg / "py.typed": "",
        model.folder / "pyproject.toml": render_pyproject(model, core_version),
        model.folder / "README.md": render_readme(model),
        model.folder / "LICENSE": (root / "LICENSE").read_text(encoding="utf-8"),
        model.folder / "spec" / "surface.json": dump_json(surface(model)),
        root / "docs" / "reference" / f"{model.name}.md": render_reference(model),
        root / "docs" / "commands" / f"{model.name}.md": render_commands_page(model),
    }
    if not model.overrides.emulator:
        files[pkg / "_emulator.py"] = render_emulator_factory(model)
    return files


MARK = re.compile(
    r"(?P<indent>[ \t]*)# >>> codegen: (?P<name>[\w-]+)\n.*?# <<< codegen: (?P=name)", re.S
)


def replace_blocks(text: str, blocks: dict[str, list[str]], where: str) -> str:
    """Replace each ``# >>> codegen: NAME`` ... ``# <<< codegen: NAME`` block's lines."""
    found = set()

    def fill(match: re.Match[str]) -> str:
        name, indent = match.group("name"), match.group("indent")
        if name not in blocks:
            return match.group(0)
        found.add(name)
        body = "".join(f"{indent}{line}\n" for line in blocks[name])
        return f"{indent}# >>> codegen: {name}\n{body}{indent}# <<< codegen: {name}"

    out = MARK.sub(fill, text)
    missing = sorted(set(blocks) - found)
    if missing:
        raise SpecError(f"no '# >>> codegen: {missing[0]}' block to fill", file=where)
    return out


def _root_files(root: Path, names: list[str], core_version: str) -> dict[Path, str]:
    requirement = core_requirement(core_version).replace("cdnetworks-core", "{}")
    pyproject = root / "pyproject.toml"
    mkdocs = root / "mkdocs.yml"
    dist = [f"cdnetworks-{n}" for n in names]
    blocks = {
        "extras": [f'{n} = ["{requirement.format(d)}"]' for n, d in zip(names, dist, strict=True)]
        # `cli` and `redis` are extras of the root project written by hand, outside the block.
        + [f'all = ["cdnetworks-sdk[{",".join([*names, "cli", "redis"])}]"]'],
        "sources": [f"{d} = {{ workspace = true }}" for d in dist],
        "members": [f'"products/{n}",' for n in names],
        "mypy-path": [f'"products/{n}/src",' for n in names],
        "mypy-files": [f'"products/{n}/src",' for n in names],
    }
    docs_blocks = {
        "paths": [f"- products/{n}/src" for n in names],
        "reference": [f"- cdnetworks-{n}: reference/{n}.md" for n in names],
        "commands": [f"- cdnetworks {n}: commands/{n}.md" for n in names],
    }
    return {
        pyproject: replace_blocks(pyproject.read_text(encoding="utf-8"), blocks, str(pyproject)),
        mkdocs: replace_blocks(mkdocs.read_text(encoding="utf-8"), docs_blocks, str(mkdocs)),
    }


def format_python(root: Path, files: dict[Path, str]) -> dict[Path, str]:
    """Format the Python files with ruff under the project's own settings, in a scratch tree."""
    # Markdown too: ruff formats the Python samples inside it.
    python = {p: t for p, t in files.items() if p.suffix in (".py", ".md")}
    if not python:
        return files
    with tempfile.TemporaryDirectory(prefix="cdnetworks-codegen-") as scratch:
        base = Path(scratch)
        shutil.copy(root / "pyproject.toml", base / "pyproject.toml")
        for path, text in python.items():
            target = base / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        ruff = [sys.executable, "-m", "ruff"]
        for args in (
            ["check", "--fix-only", "--select", "I,F401,UP,RUF022", "--quiet", "--exit-zero", "."],
            ["format", "--quiet", *sorted(str(p.relative_to(root)) for p in python)],
        ):
            done = subprocess.run(  # noqa: S603 - our own ruff, fixed arguments
                ruff + args, cwd=base, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SpecError(f"ruff {args[0]} failed on generated code: {done.stderr.strip()}")
        out = dict(files)
        for path in python:
            out[path] = (base / path.relative_to(root)).read_text(encoding="utf-8")
    return out


def _orphans(model: ProductModel, files: dict[Path, str]) -> list[Path]:
    """Modules of the product's package that the generator wrote once and writes no more (a
    module renamed, or replaced by a hand-written one): left behind, they would still ship."""
    package = model.folder / "src" / "cdnetworks" / model.name
    found = []
    for path in sorted(package.glob("*.py")):
        if path not in files:
            with path.open(encoding="utf-8") as handle:
                if handle.readline().rstrip("\n") == GENERATED:
                    found.append(path)
    return found


def generate(root: Path, names: Sequence[str] | None, *, check: bool, out: TextIO) -> int:
    folders = product_folders(root)
    known = {f.name: f for f in folders}
    if names:
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise SpecError(
                f"no product {unknown[0]!r} (products with a spec: {', '.join(sorted(known))})"
            )
        selected = [known[n] for n in names]
    else:
        selected = folders
    core_version = _core_version(root)
    models = [load_product(folder) for folder in selected]
    files: dict[Path, str] = {}
    for model in models:
        files.update(_product_files(model, root, core_version))
    # The workspace lists the products generated before and those generated now: a product
    # imported but never generated has no pyproject.toml yet, and uv would refuse it.
    generated = [f for f in folders if (f / "pyproject.toml").is_file() or f in selected]
    files.update(_root_files(root, sorted(f.name for f in generated), core_version))
    all_models = models if not names else [load_product(f) for f in generated]
    files[root / "docs" / "products.md"] = render_index(all_models)
    files[root / "docs" / "not-covered.md"] = render_not_covered(all_models)
    if (root / "codegen").is_dir():
        files[root / "codegen" / "spec.schema.json"] = dump_json(schema())
    files = format_python(root, files)

    reports = []
    for model in models:
        path = model.folder / "spec" / "surface.json"
        if path.is_file():
            old = json.loads(path.read_text(encoding="utf-8"))
            new = json.loads(files[path])
            reports += [f"{model.name}: breaking: {c}" for c in breaking_changes(old, new)]
    stale = [p for p, t in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != t]
    orphans = [p for model in models for p in _orphans(model, files)]
    for line in reports:
        print(line, file=out)
    if check:
        for path in stale:
            print(f"out of date: {path.relative_to(root)}", file=out)
        for path in orphans:
            print(f"no longer generated: {path.relative_to(root)}", file=out)
        if stale or orphans:
            print("run: uv run cdnetworks-codegen generate", file=out)
            return 1
        print(f"{len(models)} product(s) up to date", file=out)
        return 0
    for path in stale:
        write_if_changed(path, files[path])
        print(f"wrote {path.relative_to(root)}", file=out)
    for path in orphans:
        path.unlink()
        print(f"removed {path.relative_to(root)} (no longer generated)", file=out)
    print(
        f"{len(models)} product(s), {sum(len(m.actions) for m in models)} action(s): "
        f"{len(stale)} file(s) written",
        file=out,
    )
    if root / "pyproject.toml" in stale:
        print("the workspace changed: run `uv lock` (then `uv sync --all-packages`)", file=out)
    return 0
