"""The plugin host: one pluggy ``PluginManager`` per client, fed from entry points and arguments."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import pluggy

from ..errors import ConfigurationError, PluginError
from . import hookspecs
from .logging_plugin import LoggingPlugin
from .markers import PROJECT
from .metrics_plugin import MetricsCollector

if TYPE_CHECKING:
    from ..action import Product

PRODUCTS_GROUP = "cdnetworks.products"
PLUGINS_GROUP = "cdnetworks.plugins"
LOGGING_PLUGIN = "cdnetworks.logging"
METRICS_PLUGIN = "cdnetworks.metrics"

log = logging.getLogger("cdnetworks")


@functools.cache
def _entry_point_plugins(group: str) -> tuple[tuple[str, object], ...]:
    """Load a group's entry points once per process (scanning metadata costs milliseconds)."""
    loaded = []
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        try:
            loaded.append((ep.name, ep.load()))
        except Exception as exc:
            raise ConfigurationError(
                f"cannot load plugin {ep.name!r} ({ep.value}) from entry-point group {group!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    return tuple(loaded)


def refresh_entry_points() -> None:
    """Forget cached entry points, so distributions installed since are found."""
    _entry_point_plugins.cache_clear()


class PluginHost:
    """Owns a client's plugins and calls its hooks safely.

    Registration order (later registrations run first, as in pluggy): built-in logging and
    metrics, products, third-party entry-point plugins, then ``plugins`` given to the client.
    A plugin given directly under the same name as a built-in or an entry-point plugin replaces
    it (so a configured instance of an installed plugin does not clash with the default one).
    """

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        load_entry_points: bool = True,
        disable: Iterable[str] = (),
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        given = list(plugins)
        given_names = {getattr(p, "name", None) for p in given}
        if LOGGING_PLUGIN not in given_names:
            self.pm.register(LoggingPlugin(), name=LOGGING_PLUGIN)
        if METRICS_PLUGIN not in given_names:
            self.pm.register(MetricsCollector(), name=METRICS_PLUGIN)
        if load_entry_points:
            for group in (PRODUCTS_GROUP, PLUGINS_GROUP):
                for name, plugin in _entry_point_plugins(group):
                    if name in given_names:
                        continue  # a configured instance given to the client replaces it
                    if self.pm.get_plugin(name) is None and not self.pm.is_registered(plugin):
                        self.pm.register(plugin, name=name)
        for plugin in given:
            given_name = getattr(plugin, "name", None)
            if not self.pm.is_registered(plugin):
                self.pm.register(plugin, name=given_name if isinstance(given_name, str) else None)
        for name in disable:
            if self.pm.get_plugin(name) is None:
                raise ConfigurationError(f"cannot disable plugin {name!r}: no plugin of that name")
            self.pm.unregister(name=name)
        self.products = self._collect_products()

    def get(self, name: str) -> Any:
        return self.pm.get_plugin(name)

    def _collect_products(self) -> Mapping[str, Product]:
        products: dict[str, Product] = {}
        owners: dict[str, str] = {}
        for impl in reversed(self.pm.hook.cdnetworks_register_products.get_hookimpls()):

            def register(product: Product, _owner: str = str(impl.plugin_name)) -> None:
                if product.name in products:
                    raise ConfigurationError(
                        f"product {product.name!r} registered twice: by plugin "
                        f"{owners[product.name]!r} and by plugin {_owner!r}"
                    )
                products[product.name] = product
                owners[product.name] = _owner

            try:
                impl.function(*[{"register": register}[name] for name in impl.argnames])
            except ConfigurationError:
                raise
            except Exception as exc:
                raise ConfigurationError(
                    f"plugin {impl.plugin_name!r} raised in cdnetworks_register_products: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        return products

    def prepare_request(self, **kwargs: Any) -> None:
        """Run every ``cdnetworks_prepare_request``; a failure becomes `PluginError`."""
        hook = self.pm.hook.cdnetworks_prepare_request
        for impl in reversed(hook.get_hookimpls()):
            try:
                impl.function(*[kwargs[name] for name in impl.argnames])
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} raised in cdnetworks_prepare_request: "
                    f"{type(exc).__name__}: {exc}; nothing was sent",
                    plugin=impl.plugin_name,
                    hook="cdnetworks_prepare_request",
                    action=kwargs.get("action"),
                ) from exc

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call an observer hook one implementation at a time; failures are logged, not raised."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in reversed(hook.get_hookimpls()):
            if impl.hookwrapper or impl.wrapper:
                continue
            try:
                impl.function(*[kwargs[name] for name in impl.argnames])
            except Exception as exc:
                log.warning(
                    "plugin %r raised in %s (%s: %s); the call goes on",
                    impl.plugin_name,
                    hook_name,
                    type(exc).__name__,
                    exc,
                )
