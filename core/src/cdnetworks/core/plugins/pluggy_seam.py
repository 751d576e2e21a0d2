"""The one place the SDK relies on pluggy beyond its documented API, with its fallback.

Documented and used freely elsewhere: ``HookCaller.get_hookimpls()`` and each ``HookImpl``'s
``function``, ``argnames``, ``plugin_name``, ``wrapper`` and ``hookwrapper`` (read only).

Not documented: replacing ``HookImpl.function`` (pluggy types it ``Final``). The SDK does it so
that pluggy's own dispatch, used when an observer hook has a wrapper or a hook-call monitor,
calls each plain observer through its guard, and one that raises does not stop the others.
Whether pluggy still honours the replacement is checked once per process, by behaviour, on a
throwaway ``PluginManager``; where it does not (a pluggy release made ``HookImpl`` immutable or
copies ``function`` elsewhere), nothing is replaced: the SDK's own dispatch still guards each
observer, and on pluggy's path a raising observer is logged and ends that one hook call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
