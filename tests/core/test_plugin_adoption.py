"""Issue 19, defect 11: every client reuses the process's one registration of the entry-point
plugins, yet each client's plugin manager stays its own."""

from __future__ import annotations

from typing import Any

import pytest

from cdnetworks.core import Client, hookimpl
from cdnetworks.core.plugins import manager, pluggy_seam

KEYS: dict[str, Any] = {
    "access_key": "AK",
    "secret_key": "SK",
    "endpoint": "https://api.example.com",
}


def _names(client: Client) -> list[str]:
    return [name for name, _ in client.plugin_manager.list_name_plugin()]


def _order(client: Client, hook: str) -> list[str]:
    impls = getattr(client.plugin_manager.hook, hook).get_hookimpls()
    return [str(impl.plugin_name) for impl in impls]


def test_the_seam_holds_on_this_pluggy() -> None:
    assert pluggy_seam.can_adopt()


def test_two_clients_share_no_registration_state() -> None:
    with Client(**KEYS) as first, Client(**KEYS) as second:
        assert "imagemanage" in first.products and "imagemanage" in second.products
        first.plugin_manager.unregister(name="imagemanage")
        assert "imagemanage" not in first.products
        assert "imagemanage" in second.products

        class Mine:
            name = "mine"

            @hookimpl
            def cdnetworks_call_finished(self, action: str) -> None:
                pass

        first.plugin_manager.register(Mine(), name="mine")
        assert "mine" in _names(first) and "mine" not in _names(second)
        with Client(**KEYS) as third:
            assert "mine" not in _names(third)
            assert "imagemanage" in third.products


def test_adopted_order_is_what_pluggy_would_build(monkeypatch: pytest.MonkeyPatch) -> None:
    with Client(**KEYS) as adopted:
        names, specs = _names(adopted), sorted(adopted.plugin_manager.hook.__dict__)
        orders = {hook: _order(adopted, hook) for hook in specs}
    monkeypatch.setattr(pluggy_seam, "can_adopt", lambda: False)
    monkeypatch.setattr(manager, "can_adopt", lambda: False)
    with Client(**KEYS) as registered:
        assert _names(registered) == names
        assert {hook: _order(registered, hook) for hook in specs} == orders
        assert sorted(registered.products) == sorted(Client(**KEYS).products)


def test_disable_and_replace_still_work() -> None:
    class Configured:
        name = "imagemanage"

        @hookimpl
        def cdnetworks_register_products(self, register: Any) -> None:
            pass

    with Client(**KEYS, disable_plugins=["fileprefetch"]) as client:
        assert "fileprefetch" not in client.products and "cacherefresh" in client.products
    with Client(**KEYS, plugins=[Configured()]) as client:
        assert "imagemanage" not in client.products
        assert isinstance(client.plugin_manager.get_plugin("imagemanage"), Configured)
    with Client(**KEYS, load_entry_points=False) as client:
        assert not client.products
