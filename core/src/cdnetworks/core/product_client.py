"""What every product's sync and async client shares; generated product clients subclass these.

A product client owns a core client built from the core's settings, or wraps one given as
``client=`` (what ``core_client.product(name)`` does), which it leaves open. It drives the
sans-I/O walks (`cdnetworks.core.paging`) and waiters (`cdnetworks.core.waiters`) with the
core client's ``call`` and ``time.sleep`` or ``anyio.sleep``: the only sync/async difference.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import httpx

from .client import AsyncClient, Client, async_sleep
from .config import Timeout
from .errors import ConfigurationError
from .options import ClientOptions
from .ratelimit import RateLimiter

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from .jobs.quota import AsyncQuotaLedger, QuotaLedger
    from .jobs.report import JobReport
    from .jobs.spec import JobSpec, JobTarget
    from .paging import Walk
    from .waiters import Waiter

T = TypeVar("T")
CoreT = TypeVar("CoreT", Client, AsyncClient)


def renamed(old: str, new: str) -> None:
    """Warn that generated method ``old`` is a deprecated alias of ``new`` (the caller's line)."""
    warnings.warn(
        f"{old}() is deprecated (renamed {new}(); the old name goes in 1.0)",
        DeprecationWarning,
        stacklevel=3,
    )


def _adopt(
    kind: type[CoreT], client: CoreT | None, settings: Mapping[str, Any], user_agent: str
) -> CoreT:
    """Adopt the given core client, or build one from the core's keyword arguments."""
    if client is None:
        # A client built here names the product and its version in the User-Agent, after the
        # core's; a caller's own suffix follows. (A shared core client is left as it is.)
        suffix = settings.get("user_agent_suffix")
        agent = f"{user_agent} {suffix}" if suffix and user_agent else (suffix or user_agent)
        return kind(**{**settings, "user_agent_suffix": agent or None})
    if settings:
        raise ConfigurationError(
            f"pass client= or client settings ({', '.join(sorted(settings))}), not both"
        )
    if not isinstance(client, kind):
        raise ConfigurationError(
            f"client= must be a cdnetworks.core.{kind.__name__}, got {type(client).__name__}"
        )
    return client


def _view(product: Any, core: Any) -> Any:
    """A product client over ``core`` (a `with_options` view), leaving the shared core open."""
    view = object.__new__(type(product))
    view.__dict__.update(product.__dict__)
    view.core = core
    view._owns_core = False
    return view


def _settings(settings: Mapping[str, Any], **http: Any) -> dict[str, Any]:
    """The options plus whichever of http_client and transport were given (so ``client=``
    with either is refused like any other setting)."""
    return {**settings, **{k: v for k, v in http.items() if v is not None}}


class ProductClient:
    """Base of the synchronous product clients.

    Build it with the core `Client`'s keyword arguments (credentials,
    ``endpoint``, ``timeout``, ``max_attempts``, ``plugins``, ``http_client``, ``transport``,
    ...), then it owns that client and closes it; or wrap an existing one with
    ``client=core_client``, which stays open. Use it as a context manager or call `close`.
    """

    #: ``cdnetworks-<product>/<version>``, appended to the core's User-Agent.
    user_agent: ClassVar[str] = ""
    #: The declared jobs (`cdnetworks.core.jobs.spec.JobSpec`) its ``*_many`` methods run.
    jobs: ClassVar[tuple[Any, ...]] = ()

    def __init__(
        self,
        *,
        client: Client | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **settings: Unpack[ClientOptions],
    ) -> None:
        options = _settings(settings, http_client=http_client, transport=transport)
        self._owns_core = client is None
        #: The core client: use it for ``invoke``, ``metrics`` or ``plugin_manager``.
        self.core: Client = _adopt(Client, client, options, self.user_agent)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.core!r})"

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_attempts: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> Self:
        """This product client over a view of its core client with some settings changed
        (`cdnetworks.core.Client.with_options`): same connections and plugins, nothing
        opened, so ``client.with_options(timeout=60).some_action(...)`` is cheap per call."""
        core = self.core.with_options(
            timeout=timeout,
            max_attempts=max_attempts,
            extra_headers=extra_headers,
            rate_limiter=rate_limiter,
        )
        view: Self = _view(self, core)
        return view

    def close(self) -> None:
        if self._owns_core:
            self.core.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _walk(self, walk: Walk[T]) -> Iterator[T]:
        # The walk's operation is made current only around each page's call: between pages
        # the caller's code runs, and must not find it current.
        from .paging import walk_finished, walk_operation

        operation = walk_operation(self.core, walk).start()
        error: BaseException | None = None
        try:
            while (request := walk.next_request()) is not None:
                with operation.active():
                    page = self.core.call(walk.action, request)
                yield from walk.feed(page)
        except BaseException as exc:
            error = exc
            raise
        finally:
            walk_finished(operation, walk)
            operation.finish(error)

    def _wait(self, waiter: Waiter[T]) -> T:
        # Loaded with the first wait, not with every product client.
        from .waiters import Pause, Progress, poll_attributes, waiter_operation

        try:
            step = waiter.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        polls = 0
        with waiter_operation(self.core, step) as operation:  # type: ignore[arg-type]
            try:
                while True:
                    reply: Any = None
                    if isinstance(step, Pause):
                        time.sleep(step.seconds)
                    elif isinstance(step, Progress):
                        operation.event("poll", **poll_attributes(step))
                    else:
                        polls += 1
                        reply = self.core.call(step.action, step.request)
                    step = waiter.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            finally:
                operation.attributes["cdnetworks.waiter.polls"] = polls

    def _job(
        self,
        spec: JobSpec,
        sources: Mapping[str, Iterable[JobTarget] | None],
        arguments: Mapping[str, Any],
        quota_ledger: QuotaLedger | None,
        **options: Any,
    ) -> JobReport:
        from .jobs.drive import drive  # loaded with the first job, not with the client class
        from .jobs.runner import JobOptions

        extra = {k: v for k, v in arguments.items() if v is not None}
        return drive(self.core, spec, sources, JobOptions(arguments=extra, **options), quota_ledger)


class AsyncProductClient:
    """Base of the asynchronous product clients (asyncio or trio).

    Built like `ProductClient`, with the core `AsyncClient`'s keyword arguments or
    ``client=``; use ``async with`` or ``await aclose()``.
    """

    user_agent: ClassVar[str] = ""
    jobs: ClassVar[tuple[Any, ...]] = ()

    def __init__(
        self,
        *,
        client: AsyncClient | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **settings: Unpack[ClientOptions],
    ) -> None:
        options = _settings(settings, http_client=http_client, transport=transport)
        self._owns_core = client is None
        #: The core async client: use it for ``invoke``, ``metrics`` or ``plugin_manager``.
        self.core: AsyncClient = _adopt(AsyncClient, client, options, self.user_agent)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.core!r})"

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        max_attempts: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> Self:
        """This product client over a view of its core client with some settings changed
        (`cdnetworks.core.Client.with_options`): same connections and plugins, nothing
        opened, so ``client.with_options(timeout=60).some_action(...)`` is cheap per call."""
        core = self.core.with_options(
            timeout=timeout,
            max_attempts=max_attempts,
            extra_headers=extra_headers,
            rate_limiter=rate_limiter,
        )
        view: Self = _view(self, core)
        return view

    async def aclose(self) -> None:
        if self._owns_core:
            await self.core.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _walk(self, walk: Walk[T]) -> AsyncIterator[T]:
        from .paging import walk_finished, walk_operation

        operation = walk_operation(self.core, walk).start()
        error: BaseException | None = None
        try:
            while (request := walk.next_request()) is not None:
                with operation.active():
                    page = await self.core.call(walk.action, request)
                for item in walk.feed(page):
                    yield item
        except BaseException as exc:
            error = exc
            raise
        finally:
            walk_finished(operation, walk)
            operation.finish(error)

    async def _wait(self, waiter: Waiter[T]) -> T:
        from .waiters import Pause, Progress, poll_attributes, waiter_operation

        try:
            step = waiter.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        polls = 0
        with waiter_operation(self.core, step) as operation:  # type: ignore[arg-type]
            try:
                while True:
                    reply: Any = None
                    if isinstance(step, Pause):
                        await async_sleep(step.seconds)
                    elif isinstance(step, Progress):
                        operation.event("poll", **poll_attributes(step))
                    else:
                        polls += 1
                        reply = await self.core.call(step.action, step.request)
                    step = waiter.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            finally:
                operation.attributes["cdnetworks.waiter.polls"] = polls

    async def _ajob(
        self,
        spec: JobSpec,
        sources: Mapping[str, Iterable[JobTarget] | None],
        arguments: Mapping[str, Any],
        quota_ledger: QuotaLedger | AsyncQuotaLedger | None,
        **options: Any,
    ) -> JobReport:
        from .jobs.drive import adrive
        from .jobs.runner import JobOptions

        extra = {k: v for k, v in arguments.items() if v is not None}
        return await adrive(
            self.core, spec, sources, JobOptions(arguments=extra, **options), quota_ledger
        )
