"""A sample of every product's actions through the ``cdnetworks`` command, against the emulator.

Three actions of each product (a fixed pseudo-random pick, so a failure reproduces) are run the way
an operator would: ``cdnetworks <product> <action> --cli-input-json FILE`` with a valid request
in the API's own names, answered by the generic emulation of every installed product. The
emulator checks each request's signature, and refuses one that does not fit the spec.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import httpx
import msgspec
import msgspec.inspect as mi
import pytest

from cdnetworks.cli.commands import kebab
from cdnetworks.cli.main import main
from cdnetworks.core import Action, Product, products
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.emulator.spec_service import ProductService

from .test_catalogue import sample_kwargs

# Slow: an action of every product through the CLI.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

PRODUCTS: dict[str, Product] = dict(sorted(products().items()))
#: Every action passes this way (run with a larger number to see: 795 in about a minute);
#: three per product keep the suite quick.
PER_PRODUCT = 3
SAMPLE = [
    (product.name, action)
    for product in PRODUCTS.values()
    for action in random.Random(f"cli:{product.name}").sample(
        product.actions, min(PER_PRODUCT, len(product.actions))
    )
]


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(services=[ProductService(p) for p in PRODUCTS.values()])


def wire_request(action: Action[Any, Any]) -> dict[str, Any]:
    """A valid request of ``action`` keyed by the API's names, as ``--cli-input-json`` reads it."""
    kwargs = sample_kwargs(action)
    info = mi.type_info(action.request)
    assert isinstance(info, mi.StructType)
    wire = {f.name: f.encode_name.partition(":")[2] or f.encode_name for f in info.fields}
    built = action.request(**kwargs)
    return {
        wire[name]: msgspec.to_builtins(getattr(built, name))
        for name in kwargs
        if getattr(built, name) is not None
    }


def test_every_product_is_sampled() -> None:
    assert {name for name, _ in SAMPLE} == set(PRODUCTS)


@pytest.mark.parametrize(("product", "action"), SAMPLE, ids=[f"{p}-{a.name}" for p, a in SAMPLE])
def test_an_action_through_the_cli(
    product: str, action: Action[Any, Any], emulator: Emulator, tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(wire_request(action)), encoding="utf-8")
    sent: list[httpx.Request] = []
    inner = emulator.transport()

    def keep(r: httpx.Request) -> httpx.Response:
        sent.append(r)
        return inner.handle_request(r)

    out, err = io.StringIO(), io.StringIO()
    kwargs = {**emulator.client_kwargs(), "transport": httpx.MockTransport(keep)}
    argv = [product, kebab(action.method_name), "--cli-input-json", str(request)]
    code = main(argv, client_kwargs=kwargs, stdout=out, stderr=err)
    assert code == 0, f"cdnetworks {' '.join(argv)}: {err.getvalue()}"
    assert len(sent) == 1 and sent[0].method == action.method
    assert "CNC-HMAC-SHA256" in sent[0].headers["authorization"]
    if out.getvalue().strip():
        json.loads(out.getvalue())  # the answer is printed as JSON
