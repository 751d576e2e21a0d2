"""Generated examples run: each product's package docstring shows its README's sample (which
``test_samples`` runs against the emulator), and no generated sample calls an action without
the arguments it requires."""

from __future__ import annotations

import ast
import importlib
import re

import msgspec
import pytest

from cdnetworks.core import products
from tests.docs.samples import ROOT, extract

PRODUCTS = sorted(p.parent.name for p in ROOT.glob("products/*/pyproject.toml"))
_FENCE = re.compile(r"```python\n(.*?)```", re.S)


@pytest.mark.parametrize("name", PRODUCTS)
def test_the_package_docstring_shows_the_readme_sample(name: str) -> None:
    doc = importlib.import_module(f"cdnetworks.{name}").__doc__ or ""
    # Compared as code: the README's copy is formatted by ruff, the docstring's is not.
    in_doc = [ast.dump(ast.parse(m)) for m in _FENCE.findall(doc)]
    in_readme = [
        ast.dump(ast.parse(s.code)) for s in extract(ROOT / "products" / name / "README.md")
    ]
    assert in_doc == in_readme[:1]


@pytest.mark.parametrize("name", PRODUCTS)
def test_no_sample_omits_a_required_argument(name: str) -> None:
    actions = {a.method_name: a for a in products()[name].actions}
    for sample in extract(ROOT / "products" / name / "README.md"):
        for node in ast.walk(ast.parse(sample.code)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                action = actions.get(node.func.attr)
                if action is None or node.args:
                    continue
                given = {k.arg for k in node.keywords}
                required = {f.name for f in msgspec.structs.fields(action.request) if f.required}
                assert required <= given, f"{sample.page}:{sample.line} omits {required - given}"


def test_the_home_page_lists_every_product_once() -> None:
    home = (ROOT / "docs" / "index.md").read_text()
    linked = re.findall(r"\]\(reference/([a-z0-9]+)\.md\)", home.split("## Products by family")[1])
    linked = [p for p in linked if p not in ("core", "cli", "sdk")]
    assert sorted(linked) == PRODUCTS
