"""Every installed product's declarations hold together: checked here, not found out by the CLI.

What a product registers (actions, paging, waiters, commands) names client methods and
request fields; a wrong name would only surface when a user ran that command.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from cdnetworks.core import Action, Product, products

INSTALLED = products()
ACTIONS = [
    pytest.param(product, action, id=f"{product.name}.{action.name}")
    for product in INSTALLED.values()
    for action in product.actions
]


def test_the_generated_products_are_installed() -> None:
    assert {"imagemanage", "cacherefresh", "fileprefetch"} <= set(INSTALLED)


@pytest.mark.parametrize(("product", "action"), ACTIONS)
def test_an_action_is_served_by_both_clients_and_its_fields_exist(
    product: Product, action: Action[Any, Any]
) -> None:
    for client in (product.client, product.async_client):
        assert callable(getattr(client, action.method_name))
    wires = {f.encode_name for f in msgspec.structs.fields(action.request)}
    located = [*(action.query or ()), *action.headers, *(action.body or ()), *action.path_params]
    assert set(located) <= wires
    if action.paging is not None:
        names = {f.name for f in msgspec.structs.fields(action.request)}
        assert action.paging.page_size in names
        assert (action.paging.marker or action.paging.page) in names
        for client in (product.client, product.async_client):
            assert callable(getattr(client, action.paging.method))


@pytest.mark.parametrize("product", INSTALLED.values(), ids=list(INSTALLED))
def test_every_command_is_a_method_of_both_clients(product: Product) -> None:
    for name in product.commands:
        for client in (product.client, product.async_client):
            assert callable(getattr(client, name)), f"{product.name}: {name}"


def _item_waiters() -> list[Any]:
    import importlib
    import inspect

    from cdnetworks.core.waiters import WaiterSpec

    found = []
    for product in INSTALLED.values():
        package = product.client.__module__.rpartition(".")[0]
        actions = importlib.import_module(f"{package}.actions")
        for _, spec in inspect.getmembers(actions, lambda v: isinstance(v, WaiterSpec)):
            if spec.returns == "item":
                found.append(pytest.param(product, spec, id=f"{product.name}.{spec.method}"))
    return found


@pytest.mark.parametrize(("product", "spec"), _item_waiters())
def test_every_item_waiter_takes_a_never_seen_grace(product: Product, spec: Any) -> None:
    # Issue 19: an id that is never listed must end the wait early, and the caller can tune it.
    import inspect

    for client in (product.client, product.async_client):
        parameter = inspect.signature(getattr(client, spec.method)).parameters["never_seen_grace"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default == 30.0
