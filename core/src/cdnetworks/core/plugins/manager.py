"""The plugin host: one pluggy ``PluginManager`` per client, fed from entry points and arguments."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pluggy

from ..errors import ConfigurationError, PluginError
from . import hookspecs
from .logging_plugin import LoggingPlugin
from .markers import PROJECT
from .metrics_plugin import MetricsCollector
from .pluggy_seam import replace_function
from .wrapping import Wrappers

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from ..action import Product
    from ..registry import DeferredProduct, ProductRegistry

PRODUCTS_GROUP = "cdnetworks.products"
PLUGINS_GROUP = "cdnetworks.plugins"
LOGGING_PLUGIN = "cdnetworks.logging"
METRICS_PLUGIN = "cdnetworks.metrics"

log = logging.getLogger("cdnetworks")
#: Hooks that only observe: an implementation that raises is logged, and the call goes on.
OBSERVER_HOOKS = frozenset(
    {
        "cdnetworks_after_response",
        "cdnetworks_on_retry",
        "cdnetworks_call_finished",
        "cdnetworks_operation_event",
    }
)
#: Hooks that wrap a call or an operation: ``wrapper=True`` implementations only, run by the
#: SDK in two halves (see `cdnetworks.core.plugins.wrapping`).
WRAP_HOOKS = frozenset({"cdnetworks_wrap_call", "cdnetworks_wrap_operation"})


def _guarded(function: Callable[..., Any], plugin: str, hook: str) -> Callable[..., Any]:
    """``function`` made harmless to its neighbours: an exception is logged, not raised.

    pluggy stops a hook call at the first implementation that raises; observers must not stop
    each other, so each one carries its own guard (wrappers around them still run normally).
    """

    @functools.wraps(function)
    def observe(*args: Any) -> None:
        try:
            function(*args)
        except Exception as exc:
            _log_observer_failure(plugin, hook, exc)

    observe.cdnetworks_guarded = True  # type: ignore[attr-defined]
    return observe


def _log_observer_failure(plugin: str, hook: str, exc: Exception) -> None:
    log.warning(
        "plugin %r raised in %s (%s: %s); the call goes on", plugin, hook, type(exc).__name__, exc
    )


def _culprit(exc: BaseException, impls: Iterable[Any]) -> str:
    """The plugin whose implementation raised ``exc``: the innermost of them in its traceback."""
    codes = {getattr(impl.function, "__code__", None): str(impl.plugin_name) for impl in impls}
    found = "unknown"
    tb = exc.__traceback__
    while tb is not None:
        found = codes.get(tb.tb_frame.f_code, found)
        tb = tb.tb_next
    return found


class HookManager(pluggy.PluginManager):
    """pluggy's ``PluginManager``, so hooks keep pluggy's semantics (order, ``tryfirst`` /
    ``trylast``, ``wrapper=True`` and ``hookwrapper``), with two additions made on every
    registration, including those made later through ``client.plugin_manager``:

    * each non-wrapper implementation of an observer hook is guarded (see `_guarded`);
    * ``generation`` counts registrations, so the client sees products registered later.
    """

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.generation = 0
        #: How many hook-call monitors (``add_hookcall_monitoring``, ``enable_tracing``) are on.
        self.monitors = 0

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        for caller in self.get_hookcallers(plugin) or ():
            if caller.name in WRAP_HOOKS:
                self._check_wrappers(plugin, caller)
            if caller.name not in OBSERVER_HOOKS:
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                    guarded = _guarded(impl.function, str(impl.plugin_name), caller.name)
                    replace_function(impl, guarded)  # see pluggy_seam: may decline
        self.generation += 1
        return registered

    def _check_wrappers(self, plugin: object, caller: Any) -> None:
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and not impl.wrapper:
                plugin_name = str(impl.plugin_name)
                super().unregister(plugin)
                raise ConfigurationError(
                    f"plugin {plugin_name!r} implements {caller.name} without wrapper=True: "
                    "implement it as a generator marked @hookimpl(wrapper=True) that yields "
                    "once (the call or operation runs at the yield)"
                )

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any | None:
        removed = super().unregister(plugin, name)
        self.generation += 1
        return removed

    def add_hookcall_monitoring(
        self, before: Callable[..., None], after: Callable[..., None]
    ) -> Callable[[], None]:
        undo = super().add_hookcall_monitoring(before, after)
        self.monitors += 1
        self.generation += 1

        def undo_monitoring() -> None:
            undo()
            self.monitors -= 1
            self.generation += 1

        return undo_monitoring


def entry_points(group: str) -> Iterable[EntryPoint]:
    """The installed entry points of ``group``."""
    # Imported here: a program whose clients load no entry points never pays for it.
    from importlib.metadata import entry_points as installed

    return installed(group=group)


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


def _guard_of(impl: Any, hook_name: str) -> Callable[..., Any]:
    """The guarded function of a plain observer (guarded at registration where pluggy allowed
    it, see `pluggy_seam`, else here)."""
    function = impl.function
    if getattr(function, "cdnetworks_guarded", False):
        return function  # type: ignore[no-any-return]
    return _guarded(function, str(impl.plugin_name), hook_name)


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
        self.pm = HookManager()
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
        self._products = self._collect_products()
        self._products_generation = self.pm.generation
        self._direct: dict[str, tuple[tuple[Callable[..., Any], tuple[str, ...]], ...] | None] = {}
        self._direct_generation = -1
        self._wrappers: dict[str, Wrappers | None] = {}
        self._wrappers_generation = -1

    @property
    def products(self) -> ProductRegistry:
        """Products of the plugins registered now: collected again after any (un)registration."""
        if self._products_generation != self.pm.generation:
            generation = self.pm.generation
            self._products = self._collect_products()
            self._products_generation = generation
        return self._products

    def get(self, name: str) -> Any:
        return self.pm.get_plugin(name)

    def _direct_calls(
        self, hook_name: str
    ) -> tuple[tuple[Callable[..., Any], tuple[str, ...]], ...] | None:
        """The implementations of an observer hook to call one after the other, in pluggy's
        order, when none is a wrapper and no hook-call monitor is on. Every call of every client
        notifies these hooks (the built-in metrics and logging implement them), and pluggy's
        generic dispatch costs more than their own work; plain implementations return nothing
        and carry their own guard, so calling them in order is what pluggy would do.
        ``None``: call through pluggy."""
        if self._direct_generation != self.pm.generation:
            self._direct.clear()
            self._direct_generation = self.pm.generation
        try:
            return self._direct[hook_name]
        except KeyError:
            pass
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        plain = not self.pm.monitors and not any(impl.wrapper or impl.hookwrapper for impl in impls)
        direct = (
            tuple((_guard_of(impl, hook_name), tuple(impl.argnames)) for impl in reversed(impls))
            if plain
            else None
        )
        self._direct[hook_name] = direct
        return direct

    def _wrappers_of(self, hook_name: str) -> Wrappers | None:
        """The wrappers of a wrapping hook in pluggy's calling order, ``None`` when there are
        none (the usual case: then calls and operations pay nothing for the hook)."""
        if self._wrappers_generation != self.pm.generation:
            self._wrappers.clear()
            self._wrappers_generation = self.pm.generation
        try:
            return self._wrappers[hook_name]
        except KeyError:
            pass
        impls = getattr(self.pm.hook, hook_name).get_hookimpls()
        found = (
            Wrappers(
                hook_name,
                tuple(
                    (impl.function, tuple(impl.argnames), str(impl.plugin_name))
                    for impl in reversed(impls)
                ),
            )
            if impls
            else None
        )
        self._wrappers[hook_name] = found
        return found

    def call_wrappers(self) -> Wrappers | None:
        """The ``cdnetworks_wrap_call`` wrappers, or ``None``."""
        return self._wrappers_of("cdnetworks_wrap_call")

    def operation_wrappers(self) -> Wrappers | None:
        """The ``cdnetworks_wrap_operation`` wrappers, or ``None``."""
        return self._wrappers_of("cdnetworks_wrap_operation")

    def _collect_products(self) -> ProductRegistry:
        from ..action import Product
        from ..registry import DeferredProduct, ProductRegistry

        products: dict[str, Product | DeferredProduct] = {}
        owners: dict[str, str] = {}
        for impl in reversed(self.pm.hook.cdnetworks_register_products.get_hookimpls()):

            def register(
                product: Product | DeferredProduct, _owner: str = str(impl.plugin_name)
            ) -> None:
                if not isinstance(product, Product | DeferredProduct):
                    raise ConfigurationError(
                        f"plugin {_owner!r} registered {type(product).__name__}, "
                        "not a Product or DeferredProduct"
                    )
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
        return ProductRegistry(products)

    def prepare_request(self, **kwargs: Any) -> bool:
        """Call ``cdnetworks_prepare_request``; a failure is `PluginError` naming the plugin.

        Returns whether any implementation ran (and so may have changed the request).
        """
        hook = self.pm.hook.cdnetworks_prepare_request
        if not hook.get_hookimpls():
            return False
        try:
            hook(**kwargs)
        except Exception as exc:
            plugin = _culprit(exc, hook.get_hookimpls())
            raise PluginError(
                f"plugin {plugin!r} raised in cdnetworks_prepare_request: "
                f"{type(exc).__name__}: {exc}; nothing was sent",
                plugin=plugin,
                hook="cdnetworks_prepare_request",
                action=kwargs.get("action"),
            ) from exc
        return True

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call an observer hook; failures are logged, never raised into the call."""
        direct = self._direct_calls(hook_name)
        if direct is not None:
            for function, argnames in direct:
                function(*[kwargs[name] for name in argnames])  # guarded: never raises
            return
        hook = getattr(self.pm.hook, hook_name)
        try:
            hook(**kwargs)
        except Exception as exc:  # a wrapper raised: plain observers are guarded one by one
            _log_observer_failure(_culprit(exc, hook.get_hookimpls()), hook_name, exc)
