"""pluggy's ``wrapper=True`` protocol, split into the half before and the half after.

A call (or an operation) is not one Python function call the SDK could hand to
``pm.hook.<name>(...)``: between its start and its end the pipeline yields to a driver that
sends requests and sleeps, synchronously or on an event loop. So the SDK runs the wrappers of
``cdnetworks_wrap_call`` and ``cdnetworks_wrap_operation`` itself, with pluggy's semantics: in
pluggy's order (the first called is the outermost), each one's code up to its ``yield`` before
the work, and after it, innermost first, the result sent in (or the exception thrown in); what a
wrapper returns becomes the result, what it raises replaces the exception. The only addition: an
exception a wrapper raises of its own becomes a `PluginError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any

from ..errors import CdnetworksError, PluginError

#: One wrapper: its function, the names of the arguments it takes, and its plugin's name.
Impl = tuple[Callable[..., Any], tuple[str, ...], str]
Opened = list[tuple[Generator[None, Any, Any], str]]


class Wrappers:
    """The wrappers of one hook, in pluggy's calling order (outermost first)."""

    __slots__ = ("hook", "impls")

    def __init__(self, hook: str, impls: tuple[Impl, ...]) -> None:
        self.hook = hook
        self.impls = impls

    def enter(self, kwargs: Mapping[str, Any], action: str | None = None) -> Opened:
        """Run each wrapper up to its ``yield``. If one fails, those already entered are
        closed with the `PluginError` (as pluggy does), which is then raised."""
        opened: Opened = []
        for function, argnames, plugin in self.impls:
            try:
                wrapper = function(*[kwargs[name] for name in argnames])
                next(wrapper)
            except StopIteration:
                failure = self._error(plugin, "returned without yielding", action)
            except Exception as exc:
                failure = self._error(plugin, f"raised {type(exc).__name__}: {exc}", action)
                failure.__cause__ = exc
            else:
                opened.append((wrapper, plugin))
                continue
            self.exit(opened, None, failure, action)  # raises
        return opened

    def exit(
        self, opened: Opened, result: Any, error: BaseException | None, action: str | None = None
    ) -> Any:
        """Resume the wrappers innermost first; returns the final result or raises."""
        for wrapper, plugin in reversed(opened):
            try:
                if error is not None:
                    wrapper.throw(error)
                else:
                    wrapper.send(result)
            except StopIteration as stop:
                result, error = stop.value, None
                continue
            except BaseException as exc:
                if (
                    exc is not error
                    and isinstance(exc, Exception)
                    and not isinstance(exc, CdnetworksError)
                ):
                    failure = self._error(plugin, f"raised {type(exc).__name__}: {exc}", action)
                    failure.__cause__ = exc
                    exc = failure
                error = exc
                continue
            wrapper.close()
            error = self._error(plugin, "yielded a second time", action)
        if error is not None:
            raise error
        return result

    def _error(self, plugin: str, what: str, action: str | None) -> PluginError:
        message = f"plugin {plugin!r} {what} in {self.hook}"
        if "yield" in what:
            message += " (a wrapper=True implementation must yield exactly once)"
        return PluginError(message, plugin=plugin, hook=self.hook, action=action)
