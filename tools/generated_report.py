"""What a reviewer of the generated tree meets: ``uv run python tools/generated_report.py [ROOT]``.

Prints the largest generated modules, the longest class names, and the groups of model classes
whose bodies (fields, defaults, methods; docstrings aside) are identical, per product. The
figures of issue 22 (one class per shape, names by rule, modules by resource group) come from it.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path


def _body_key(node: ast.ClassDef) -> tuple[tuple[str, ...], tuple[str, ...]]:
    body = [
        ast.dump(n)
        for n in node.body
        if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    return tuple(ast.dump(b) for b in node.bases), tuple(body)


def report(root: Path) -> list[str]:
    modules = sorted(
        (len(p.read_text(encoding="utf-8").splitlines()), p.relative_to(root).as_posix())
        for p in root.glob("products/*/src/cdnetworks/*/**/*.py")
    )
    names: list[tuple[int, str, str]] = []
    groups_total = classes_total = 0
    per_product: list[tuple[int, int, str]] = []
    for package in sorted(root.glob("products/*/src/cdnetworks/*")):
        groups: dict[object, list[str]] = defaultdict(list)
        for path in [*package.glob("models.py"), *package.glob("models/*.py")]:
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    names.append((len(node.name), node.name, package.name))
                    groups[_body_key(node)].append(node.name)
        repeated = [g for g in groups.values() if len(g) > 1]
        if repeated:
            count = sum(len(g) for g in repeated)
            per_product.append((len(repeated), count, package.name))
            groups_total += len(repeated)
            classes_total += count
    lines = [f"{len(modules)} generated modules; the largest:"]
    lines += [f"  {n:6} {path}" for n, path in modules[-5:]]
    lines += ["longest class names:"]
    lines += [f"  {n:4} {name} ({product})" for n, name, product in sorted(names)[-5:]]
    lines += [
        f"identical model classes: {groups_total} groups holding {classes_total} classes; most in:"
    ]
    lines += [f"  {g} groups, {c} classes: {p}" for g, c, p in sorted(per_product)[-5:]]
    return lines


if __name__ == "__main__":
    print("\n".join(report(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd())))
