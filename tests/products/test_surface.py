"""``spec/surface.json`` (the public names a release promises, which ``cdnetworks-codegen``
compares between generations to report breaking changes) says what the generated code does:
the same clients, the same methods with the same keyword arguments, the same models, and the
deprecated names still importable, with a warning that points at their replacement."""

from __future__ import annotations

import importlib
import inspect
import json
import pathlib
import warnings
from typing import Any

import pytest

from cdnetworks.core import products

ROOT = pathlib.Path(__file__).resolve().parents[2]
SURFACES = sorted(ROOT.glob("products/*/spec/surface.json"))
INSTALLED = products()


def _arguments(method: Any) -> list[str]:
    """The arguments a caller names: all but ``self`` and the request model (``request``, taken
    positionally; no field may be called that)."""
    return [
        p.name
        for p in inspect.signature(method).parameters.values()
        if p.name not in ("self", "request") and p.kind is not inspect.Parameter.POSITIONAL_ONLY
    ]


@pytest.mark.parametrize("path", SURFACES, ids=lambda p: p.parent.parent.name)
def test_the_surface_is_the_generated_code(path: pathlib.Path) -> None:
    name = path.parent.parent.name
    surface = json.loads(path.read_text(encoding="utf-8"))
    package = importlib.import_module(f"cdnetworks.{name}")
    product = INSTALLED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the promised names are the current ones: no warning
        clients = [getattr(package, c) for c in surface["clients"]]
        for model in surface["models"]:
            assert isinstance(getattr(package, model), type), model
    assert set(clients) == {product.client, product.async_client}
    waiters = set(product.commands)
    for method, recorded in surface["methods"].items():
        for client in clients:
            actual = _arguments(getattr(client, method))
            if actual == ["args", "kwargs"]:
                continue  # a deprecated old name forwarding to its replacement (checked below)
            if method in waiters:  # the subject (and keys) first; the wait's own knobs follow
                assert actual[: len(recorded)] == recorded, (client.__name__, method)
            else:
                assert actual == recorded, (client.__name__, method)
    assert set(surface["methods"]) >= {a.method_name for a in product.actions}


@pytest.mark.parametrize("path", SURFACES, ids=lambda p: p.parent.parent.name)
def test_deprecated_names_warn_and_lead_to_their_replacement(path: pathlib.Path) -> None:
    name = path.parent.parent.name
    surface = json.loads(path.read_text(encoding="utf-8"))
    package = importlib.import_module(f"cdnetworks.{name}")
    for old, target in surface.get("deprecated", {}).items():
        module, _, new = target.partition(":")
        expected = getattr(importlib.import_module(module, package.__name__), new)
        with pytest.warns(DeprecationWarning, match=f"{old} is deprecated: use {new}"):
            assert getattr(package, old) is expected
        assert old not in package.__all__


def test_the_products_carry_reviewed_names() -> None:
    # The examples, and the three names reviewed before them.
    expected = {
        "cacertificatemanagement": "CaCertificateManagementClient",
        "securitypolicy": "SecurityPolicyClient",
        "ngedgehostname": "CdnProEdgeHostnamesClient",
        "cacherefresh": "CacheRefreshClient",
        "fileprefetch": "FilePrefetchClient",
        "imagemanage": "ImageManageClient",
    }
    for name, expected_class in expected.items():
        client = INSTALLED[name].client
        assert client is not None
        assert client.__name__ == expected_class
    for product in INSTALLED.values():
        assert "Go SDK" not in product.summary, product.name
