"""The one place the SDK relies on pluggy beyond its documented API, with its fallback.

Documented and used freely elsewhere: ``HookCaller.get_hookimpls()`` and each ``HookImpl``'s
``function``, ``argnames``, ``plugin_name``, ``wrapper`` and ``hookwrapper`` (read only).

Not documented (1): replacing ``HookImpl.function`` (pluggy types it ``Final``). The SDK does it so
that pluggy's own dispatch, used when an observer hook has a wrapper or a hook-call monitor,
calls each plain observer through its guard, and one that raises does not stop the others.
Whether pluggy still honours the replacement is checked once per process, by behaviour, on a
throwaway ``PluginManager``; where it does not (a pluggy release made ``HookImpl`` immutable or
copies ``function`` elsewhere), nothing is replaced: the SDK's own dispatch still guards each
observer, and on pluggy's path a raising observer is logged and ends that one hook call.

Not documented (2): giving a manager the ``HookImpl`` objects another manager made for the same
plugin (``PluginManager._name2plugin``, ``HookCaller._add_hookimpl``). Every client registers
the same ~75 entry-point plugins, and pluggy's ``register`` inspects each one: about 20 ms a
client. `adopt` reuses one registration per process instead; it is probed once by behaviour,
and where it does not hold, every client registers its plugins through pluggy as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pluggy

_PROBE = "cdnetworks_probe"


@functools.cache
def can_replace_functions() -> bool:
    """Whether assigning ``HookImpl.function`` changes what pluggy calls (probed once)."""
    spec, impl = pluggy.HookspecMarker(_PROBE), pluggy.HookimplMarker(_PROBE)

    class Spec:
        @spec
        def probe(self) -> int:  # type: ignore[empty-body]
            """The probe's hook."""

    class Plugin:
        @impl
        def probe(self) -> int:
            return 1

    try:
        pm = pluggy.PluginManager(_PROBE)
        pm.add_hookspecs(Spec)
        pm.register(Plugin())
        (found,) = pm.hook.probe.get_hookimpls()
        found.function = lambda: 2  # type: ignore[misc]
        return bool(pm.hook.probe() == [2])
    except Exception:
        return False


def replace_function(hook_impl: Any, function: Callable[..., Any]) -> bool:
    """Make pluggy call ``function`` for ``hook_impl``; ``False`` when pluggy cannot be told.

    pluggy reads ``argnames`` from the original when it registers it, so a replacement taking
    the same positional arguments keeps working."""
    if not can_replace_functions():
        return False
    try:
        hook_impl.function = function
    except (AttributeError, TypeError):
        return False
    return True


@functools.cache
def can_adopt() -> bool:
    """Whether `adopt` gives a manager working, ordered, removable copies of registrations made
    on another manager, exactly as registering them there would (probed once)."""
    spec, impl = pluggy.HookspecMarker(_PROBE), pluggy.HookimplMarker(_PROBE)

    class Spec:
        @spec
        def probe(self) -> int:  # type: ignore[empty-body]
            """The probe's hook."""

    def plugin(value: int, tryfirst: bool = False, trylast: bool = False) -> object:
        class Plugin:
            @impl(tryfirst=tryfirst, trylast=trylast)
            def probe(self) -> int:
                return value

        return Plugin()

    try:
        plugins = [plugin(1), plugin(2, tryfirst=True), plugin(3), plugin(4, trylast=True)]
        source, target, expected = (pluggy.PluginManager(_PROBE) for _ in range(3))
        for pm in (source, target, expected):
            pm.add_hookspecs(Spec)
        first = plugin(0)
        target.register(first, name="first")
        expected.register(first, name="first")
        entries = []
        for i, p in enumerate(plugins):
            source.register(p, name=f"p{i}")
            expected.register(p, name=f"p{i}")
            mine = [x for x in source.hook.probe.get_hookimpls() if x.plugin is p]
            entries.append((f"p{i}", p, [("probe", x) for x in mine]))
        adopt(target, entries, lambda name, p: None)
        same = (
            target.hook.probe() == expected.hook.probe() and target.get_plugin("p0") is plugins[0]
        )
        target.unregister(name="p0")
        return bool(same and 1 not in target.hook.probe() and 1 in source.hook.probe())
    except Exception:
        return False


Entry = tuple[str, object, Sequence[tuple[str, Any]]]


def adopt(
    target: pluggy.PluginManager,
    entries: Iterable[Entry],
    register: Callable[[str, object], object],
) -> None:
    """Register each ``(name, plugin, [(hook name, HookImpl), ...])`` on ``target``, in order,
    with the implementations another manager of the same project made for it; ``register``
    (the public way) takes any entry this cannot adopt, in its place in the order.

    pluggy's own insertion (``_add_hookimpl``) scans the hook's list on every call; a plain
    implementation (no wrapper, tryfirst or trylast) added to a list of plain ones goes last,
    so that case is an append, which matters with ~75 plugins on one hook."""
    names = getattr(target, "_name2plugin", None)
    plain: dict[str, bool] = {}  # hook -> every implementation on it now is plain
    for name, plugin, impls in entries:
        callers = [getattr(target.hook, hook_name, None) for hook_name, _ in impls]
        if (
            not isinstance(names, dict)
            or name in names
            or any(
                c is None or not isinstance(getattr(c, "_hookimpls", None), list) for c in callers
            )
        ):
            register(name, plugin)
            plain.clear()
            continue
        names[name] = plugin
        for caller, (hook_name, hook_impl) in zip(callers, impls, strict=True):
            listed: list[Any] = caller._hookimpls  # type: ignore[union-attr]
            if hook_name not in plain:
                plain[hook_name] = all(_plain(x) for x in listed)
            if plain[hook_name] and _plain(hook_impl):
                listed.append(hook_impl)
            else:
                caller._add_hookimpl(hook_impl)  # type: ignore[union-attr]
                plain[hook_name] = plain[hook_name] and _plain(hook_impl)


def _plain(hook_impl: Any) -> bool:
    return not (
        hook_impl.wrapper or hook_impl.hookwrapper or hook_impl.tryfirst or hook_impl.trylast
    )
