"""Every action of every installed product, once: built from sample arguments, signed, and
answered by the in-process emulator through the generic ``Client.call(action, **kwargs)``.

The arguments come from each action's request model (examples where they fit, else plain
values of the right type), so a spec that cannot describe a valid request fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from cdnetworks.core import Action, Client, Product, ValidationError, products
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.emulator.spec_service import ProductService, sample
from cdnetworks.core.encoding import validate

# Slow: every action of every product, built, signed and answered.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

PRODUCTS: dict[str, Product] = dict(sorted(products().items()))
#: Wire values for fields whose checks a plain sample cannot pass (a URL of a given form).
GIVEN: dict[str, dict[str, Any]] = {
    "VMPCreateImage": {"imageSrcUrl": "https://images.example.com/web.qcow2"},
}


def sample_kwargs(action: Action[Any, Any]) -> dict[str, Any]:
    """Keyword arguments (Python names) of a valid request of ``action``.

    Every field gets a sample value; a field a cross-field check refuses (give one of two) is
    left out and the request built again.
    """
    info = mi.type_info(action.request)
    assert isinstance(info, mi.StructType)
    wire = {**sample(info), **GIVEN.get(action.name, {})}
    names = {f.name: f.encode_name for f in info.fields}
    for _ in range(len(names) + 1):
        try:
            model = validate(action.request, wire, action.name)
        except ValidationError as exc:
            if exc.field not in names or names[exc.field] not in wire:
                raise
            del wire[names[exc.field]]
            continue
        top = msgspec.to_builtins(model)
        kwargs = {f.name: top[f.encode_name] for f in info.fields if f.encode_name in top}
        # Batched list fields follow their declared item rules (URLs, directories).
        return action.batch.fit(kwargs) if action.batch is not None else kwargs
    raise AssertionError(f"{action.name}: no sample request")


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    # The generic emulation of each product: a stateful one (imagemanage) would answer a
    # sample request for an image it does not hold with an error.
    emulator = Emulator(services=[ProductService(p) for p in PRODUCTS.values()])
    with Client(**emulator.client_kwargs(), transport=emulator.transport()) as core:
        yield core


def test_the_catalogue_is_installed() -> None:
    assert len(PRODUCTS) >= 72
    assert sum(len(p.actions) for p in PRODUCTS.values()) >= 795


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_every_action_is_built_signed_and_answered(name: str, client: Client) -> None:
    failures = []
    for action in PRODUCTS[name].actions:
        try:
            client.call(action, **sample_kwargs(action))
        except Exception as exc:  # every failing action is listed at once
            failures.append(f"{action.name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
