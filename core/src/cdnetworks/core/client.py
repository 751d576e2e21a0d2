"""``Client`` and ``AsyncClient``: configuration shared, the pipeline driven two ways.

All call logic lives in `cdnetworks.core.pipeline`; a driver only sends what the pipeline
asks to send and sleeps when it asks to sleep.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from .action import IDEMPOTENT_METHODS, Action, Product
from .config import Timeout, check_endpoint, user_agent
from .credentials import Credentials, resolve
from .encoding import build_request_model, encode_json, query_pairs, render
from .errors import CdnetworksError, ClientUsageError, ConfigurationError, ValidationError
from .exchange import aexchange, async_pool, exchange, sync_pool
from .operations import Operation, new_operation
from .options import OPTION_NAMES, ClientOptions
from .pipeline import Acquire, CallEnv, CallSpec, Pause, Send, Sleep, refused, run_call
from .plugins.manager import METRICS_PLUGIN, PluginHost
from .plugins.metrics_plugin import MetricsCollector
from .ratelimit import RateLimiter
from .registry import ProductRegistry
from .response import decode_any, typed_decoder
from .retry import RetryPolicy, RetryQuota
from .signing import AkskAuth, check_header

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")
ReqT = TypeVar("ReqT")
RespT = TypeVar("RespT")
Self = TypeVar("Self", bound="_BaseClient")
#: RFC 3986 path characters, percent-escapes well formed.
_ENCODED_PATH = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")
#: Default bound of a decoded response body: far above the largest listing or report.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
#: Methods that never carry a body; the Go SDK signs them with the empty-body hash.
_BODILESS_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Result:
    """What `Client.invoke` returns: the decoded JSON plus facts about the exchange."""

    data: Any
    request_id: str | None
    status_code: int
    headers: httpx.Headers = field(repr=False)


def _invoke_result(response: httpx.Response) -> Result:
    return Result(
        data=decode_any(response.content),
        request_id=response.headers.get("x-cnc-request-id"),
        status_code=response.status_code,
        headers=response.headers,
    )


class _BaseClient:
    """Configuration common to both clients; no I/O happens here."""

    def __init__(
        self,
        http_client: httpx.Client | httpx.AsyncClient | None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None,
        options: ClientOptions,
    ) -> None:
        unknown = sorted(set(options) - OPTION_NAMES)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s): {', '.join(unknown)}"
            )
        o = options
        if http_client is not None and transport is not None:
            raise ConfigurationError("pass http_client or transport, not both")
        #: Whether close() closes the connection pool (not when the caller lent us theirs).
        self._owns_http = http_client is None
        #: Whether the connections are the caller's (then a forked child cannot replace them).
        self._lent = http_client is not None or transport is not None
        resolved = resolve(
            access_key=o.get("access_key"),
            secret_key=o.get("secret_key"),
            endpoint=o.get("endpoint"),
            profile=o.get("profile"),
            credentials_file=o.get("credentials_file"),
        )
        self.endpoint = str(
            check_endpoint(
                resolved.endpoint, allow_insecure_http=o.get("allow_insecure_http", False)
            )
        )
        self._base_url = httpx.URL(self.endpoint)
        self._auth = AkskAuth.from_credentials(
            resolved.credentials, signed_headers=o.get("signed_headers", ())
        )
        _check_types(http_client, transport, o)
        self.max_response_bytes = _max_response_bytes(o.get("max_response_bytes"))
        #: The process that built the pool: a forked child must not share its connections.
        self._pid = os.getpid()
        self._closed = False
        policy = o.get("retry") or RetryPolicy()
        max_attempts = o.get("max_attempts")
        if max_attempts is not None:
            policy = dataclasses.replace(policy, max_attempts=max_attempts)
        self.retry = policy
        timeout = o.get("timeout")
        if timeout is not None:
            self.timeout = Timeout.coerce(timeout)
        else:
            # A caller's own httpx client brings its timeouts along.
            self.timeout = _timeout_of(http_client) if http_client is not None else Timeout()
        base_headers = {
            "User-Agent": user_agent(o.get("user_agent_suffix")),
            "Accept": "application/json",
        }
        base_headers.update(o.get("headers") or {})
        for name, value in base_headers.items():
            check_header(name, value)
        self._plugins = PluginHost(
            o.get("plugins", ()),
            load_entry_points=o.get("load_entry_points", True),
            disable=o.get("disable_plugins", ()),
        )
        #: The client that owns the connections; a `with_options` view lends them from it.
        self._root: _BaseClient = self
        self._env = CallEnv(
            base_url=self._base_url,
            headers={"Content-Type": "application/json", **base_headers},
            timeout=self.timeout,
            retry=policy,
            quota=policy.quota or RetryQuota.shared(self.endpoint),
            plugins=self._plugins,
            rate_limiter=_rate_limiter(o, self._auth.access_key, self.timeout),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, access_key={self.access_key!r})"

    def with_options(
        self: Self,
        *,
        timeout: Timeout | float | None = None,
        max_attempts: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> Self:
        """A view of this client with some settings changed, for one call or a few.

        The view shares this client's connection pool, plugins, credentials, metrics and retry
        quota (nothing is opened: it is cheap enough to make per call); closing it closes
        nothing, and closing this client closes it too. ``timeout`` and ``max_attempts``
        replace this client's; ``extra_headers`` are added to its headers (replacing one of
        the same name, case ignored); ``rate_limiter`` replaces its limiter. Options left
        ``None`` keep this client's. Views of views compose. Bad values are refused here.
        """
        env = self._env
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = Timeout.coerce(timeout)
        if max_attempts is not None:
            changes["retry"] = dataclasses.replace(env.retry, max_attempts=max_attempts)
        if extra_headers is not None:
            if not isinstance(extra_headers, Mapping):
                raise ConfigurationError(
                    f"extra_headers must be a mapping, not {type(extra_headers).__name__}"
                )
            for name, value in extra_headers.items():
                check_header(name, value)
            lowered = {name.lower() for name in extra_headers}
            kept = {k: v for k, v in env.headers.items() if k.lower() not in lowered}
            changes["headers"] = {**kept, **extra_headers}
        if rate_limiter is not None:
            if not isinstance(rate_limiter, RateLimiter):
                kind = type(rate_limiter).__name__
                raise ConfigurationError(
                    f"rate_limiter must be a {_names(RateLimiter)}, not {kind}"
                )
            changes["rate_limiter"] = rate_limiter
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._env = dataclasses.replace(env, **changes) if changes else env
        view.timeout = view._env.timeout
        view.retry = view._env.retry
        view._owns_http = False
        view._closed = False
        return view

    def __reduce_ex__(self, protocol: object) -> Any:
        # Also what copy.copy and copy.deepcopy use: say why, instead of a TypeError on a lock.
        raise ClientUsageError(
            f"a {type(self).__name__} cannot be pickled or copied: it holds open connections, "
            "locks and the secret key. Build a client where it is needed (in each process) "
            "from the same settings, or share the one client between threads"
        )

    def _check_open(self) -> None:
        if self._closed:
            raise ClientUsageError(
                f"this {type(self).__name__} is closed: a client cannot be used after close() "
                "or after its 'with' block; create a new one"
            )

    def _forked(self) -> bool:
        """Whether this process is a fork of the one that built the pool (checked per call)."""
        if os.getpid() == self._pid:
            return False
        if self._lent:
            raise ClientUsageError(
                f"this {type(self).__name__} was created in process {self._pid} and is used in "
                f"forked process {os.getpid()}; its http_client or transport was lent by you, "
                "so the SDK cannot replace its connections. Create the client after the fork"
            )
        self._pid = os.getpid()
        return True

    @property
    def access_key(self) -> str:
        return self._auth.access_key

    @property
    def credentials(self) -> Credentials:
        return self._auth._credentials

    @property
    def plugin_manager(self) -> Any:
        """The client's ``pluggy.PluginManager``, to register or remove plugins later."""
        return self._plugins.pm

    @property
    def metrics(self) -> MetricsCollector | None:
        """The built-in metrics collector, unless it was disabled or replaced."""
        plugin = self._plugins.get(METRICS_PLUGIN)
        return plugin if isinstance(plugin, MetricsCollector) else None

    def operation(
        self,
        kind: str,
        name: str,
        *,
        product: str = "",
        attributes: Mapping[str, Any] | None = None,
    ) -> Operation:
        """An `Operation` whose block's calls are its calls, for ``cdnetworks_wrap_operation``
        plugins (tracing shows it as their parent): ``with client.operation("job", "purge",
        product="cacherefresh", attributes={"cdnetworks.job.items": 40}) as op: ...``. Entering
        and leaving do no I/O, so plain ``with`` works in async code as well."""
        return new_operation(self._plugins, kind, name, product, attributes)

    @property
    def products(self) -> ProductRegistry:
        """Products registered through ``cdnetworks.products`` entry points or plugins; each is
        imported when it is first looked up."""
        return self._plugins.products

    def _product(self, name: str) -> Product:
        try:
            return self._plugins.products[name]
        except KeyError:
            known = ", ".join(sorted(self._plugins.products)) or "none"
            raise ConfigurationError(
                f"no product {name!r} is installed (installed: {known}); "
                f"pip install cdnetworks-{name}"
            ) from None

    def _call_spec(
        self, action: Action[ReqT, RespT], request: ReqT | None, kwargs: Mapping[str, Any]
    ) -> tuple[CallSpec[RespT], float]:
        """The call's spec and when it was asked for; a refusal of the arguments still reaches
        ``call_finished`` (once, attempts 0) before it is raised."""
        started = time.monotonic()
        try:
            return self._action_spec(action, request, kwargs), started
        except CdnetworksError as exc:
            refused(self._env, action.name, exc, started)
            raise

    def _raw_spec(
        self,
        method: str,
        uri: str,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
        json: Any,
        idempotent: bool | None,
    ) -> tuple[CallSpec[Result], float]:
        started = time.monotonic()
        try:
            return self._invoke_spec(method, uri, params, json, idempotent), started
        except CdnetworksError as exc:
            refused(self._env, f"{method} {uri}", exc, started)
            raise

    def _invoke_spec(
        self,
        method: str,
        uri: str,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
        json: Any,
        idempotent: bool | None,
    ) -> CallSpec[Result]:
        # Every refusal names the call, as errors from the pipeline do.
        try:
            if idempotent is not None and not isinstance(idempotent, bool):
                raise ValidationError(
                    f"idempotent must be True, False or None, not {idempotent!r}",
                    field="idempotent",
                )
            if not isinstance(method, str) or not (method.isascii() and method.isalpha()):
                raise ValidationError(f"{method!r} is not an HTTP method", field="method")
            method = method.upper()
            if not isinstance(uri, str):
                raise ValidationError(f"uri must be a str, not {type(uri).__name__}", field="uri")
            path, _, raw_query = uri.partition("?")
            if raw_query:
                raise ValidationError(
                    "pass query parameters in params=, not in the uri", field="uri"
                )
            if not path.startswith("/"):
                raise ValidationError(f"uri {uri!r} must start with '/'", field="uri")
            if not _ENCODED_PATH.match(path):
                raise ValidationError(
                    f"uri {uri!r} must be an encoded path; encode each segment with path_segment()",
                    field="uri",
                )
            if json is not None and method in _BODILESS_METHODS:
                raise ValidationError(
                    f"a {method} request cannot carry a body; pass these values in params= "
                    "(the API, like the Go SDK, never reads a body on GET or HEAD)",
                    field="json",
                )
            body = None if json is None else encode_json(json, field="json")
            return CallSpec(
                action=f"{method} {path}",
                method=method,
                path=path,
                query=tuple(query_pairs(params)),
                body=body,
                idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
                decode=_invoke_result,
            )
        except ValidationError as exc:
            exc.action = exc.action or f"{method} {uri}"
            raise

    def _action_spec(
        self, action: Action[ReqT, RespT], request: ReqT | None, kwargs: Mapping[str, Any]
    ) -> CallSpec[RespT]:
        model = build_request_model(action.request, request, action.convenient(kwargs), action.name)
        if action.batch is not None:
            action.batch.check(model, action.name)
        path, query, body, headers = render(action, model)
        try:
            for name, value in headers:
                # Checked here, once: the pipeline re-checks headers only after a plugin ran.
                check_header(name, value)
        except ValidationError as exc:
            exc.action = exc.action or action.name
            raise
        return CallSpec(
            action=action.name,
            method=action.method,
            path=path,
            query=tuple(query),
            body=body,
            idempotent=action.is_idempotent,
            decode=typed_decoder(action.response, action.response_body, action.response_headers),
            envelope=action.declared_envelope,
            headers=tuple(headers),
            product=action.product,
        )


class Client(_BaseClient):
    """The synchronous client. Use it as a context manager, or call `close`.

    ``http_client`` (your own ``httpx.Client``, left open on close) or ``transport`` (any httpx
    transport, e.g. ``httpx.MockTransport`` or the emulator's) replace the default connection pool.
    """

    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(http_client, transport, options)
        self._transport = transport
        self._http = http_client or self._new_pool()

    def _new_pool(self) -> httpx.Client:
        return sync_pool(self._transport)

    def _pool(self) -> httpx.Client:
        if self._root is not self:
            self._check_open()
            return self._root._pool()  # type: ignore[attr-defined, no-any-return]
        self._check_open()
        if self._forked():
            # The parent's sockets stay untouched (closing them here could disturb the parent):
            # the child simply stops using them and opens its own.
            self._http = self._new_pool()
        return self._http

    def _drive(self, spec: CallSpec[T], started: float) -> T:
        try:
            http = self._pool()
        except CdnetworksError as exc:
            refused(self._env, spec.action, exc, started)
            raise
        pipeline = run_call(spec, self._env)
        reply: Any = None
        booked: tuple[RateLimiter, object] | None = None
        try:
            while True:
                effect = pipeline.send(reply)
                try:
                    if isinstance(effect, Send):
                        if booked is not None:
                            _trace_send(effect.request, *booked)
                            booked = None
                        reply = exchange(
                            http,
                            effect.request,
                            self._auth,
                            self.max_response_bytes,
                            effect.deadline,
                        )
                    elif isinstance(effect, Sleep):
                        time.sleep(effect.seconds)
                        reply = None
                    elif isinstance(effect, Acquire):
                        booking = effect.limiter.acquire(effect.action)
                        booked = None if booking is None else (effect.limiter, booking)
                        reply = None
                    elif isinstance(effect, Pause):
                        effect.limiter.pause(effect.seconds)
                        reply = None
                except BaseException as exc:
                    # Let the pipeline see the interruption (Ctrl-C), so its hooks still finish.
                    pipeline.throw(exc)
                    raise
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def invoke(
        self,
        method: str,
        uri: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Result:
        """Call any API path, like the Go SDK's ``auth.Invoke``; returns the decoded JSON.

        ``uri`` is the encoded path (``/vmp/images``); ``params`` become the query (``None``
        values dropped); ``json`` is encoded as the body. ``idempotent`` overrides the
        method-based retry rule (GET, PUT, DELETE are idempotent; POST is not).
        """
        return self._drive(*self._raw_spec(method, uri, params, json, idempotent))

    def call(
        self, action: Action[ReqT, RespT], request: ReqT | None = None, /, **kwargs: Any
    ) -> RespT:
        """Call a modelled action with a request model or snake_case keyword arguments."""
        return self._drive(*self._call_spec(action, request, kwargs))

    def product(self, name: str) -> Any:
        """The client of an installed product, sharing this client's connections and plugins."""
        product = self._product(name)
        if product.client is None:
            raise ConfigurationError(f"product {name!r} registered no sync client class")
        return product.client(client=self)

    def close(self) -> None:
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self: Self) -> Self:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """The asynchronous client (asyncio or trio, through anyio). Use ``async with``."""

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(http_client, transport, options)
        self._transport = transport
        self._http = http_client or self._new_pool()
        #: The event loop the pool's connections belong to, once a call has run.
        self._loop: object | None = None

    def _new_pool(self) -> httpx.AsyncClient:
        return async_pool(self._transport)

    def _pool(self) -> httpx.AsyncClient:
        if self._root is not self:
            self._check_open()
            return self._root._pool()  # type: ignore[attr-defined, no-any-return]
        self._check_open()
        if self._forked():
            self._http = self._new_pool()
            self._loop = None
        loop = _current_loop()
        if self._loop is None:
            self._loop = loop
        elif loop != self._loop:
            raise ClientUsageError(
                "this AsyncClient was first used in another event loop (another asyncio.run() "
                "or thread), and its connections belong to that loop. Create one AsyncClient "
                "per event loop, e.g. inside the coroutine you pass to asyncio.run()"
            )
        return self._http

    async def _drive(self, spec: CallSpec[T], started: float) -> T:
        try:
            http = self._pool()
        except CdnetworksError as exc:
            refused(self._env, spec.action, exc, started)
            raise
        pipeline = run_call(spec, self._env)
        reply: Any = None
        booked: tuple[RateLimiter, object] | None = None
        try:
            while True:
                effect = pipeline.send(reply)
                try:
                    if isinstance(effect, Send):
                        if booked is not None:
                            _atrace_send(effect.request, *booked)
                            booked = None
                        reply = await aexchange(
                            http,
                            effect.request,
                            self._auth,
                            self.max_response_bytes,
                            effect.deadline,
                        )
                    elif isinstance(effect, Sleep):
                        await async_sleep(effect.seconds)
                        reply = None
                    elif isinstance(effect, Acquire):
                        booking = await effect.limiter.aacquire(effect.action)
                        booked = None if booking is None else (effect.limiter, booking)
                        reply = None
                    elif isinstance(effect, Pause):
                        await effect.limiter.apause(effect.seconds)
                        reply = None
                except BaseException as exc:
                    # A cancelled task: the pipeline finishes its hooks, then re-raises.
                    pipeline.throw(exc)
                    raise
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    async def invoke(
        self,
        method: str,
        uri: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Result:
        """Async twin of `Client.invoke`."""
        return await self._drive(*self._raw_spec(method, uri, params, json, idempotent))

    async def call(
        self, action: Action[ReqT, RespT], request: ReqT | None = None, /, **kwargs: Any
    ) -> RespT:
        """Async twin of `Client.call`."""
        return await self._drive(*self._call_spec(action, request, kwargs))

    def product(self, name: str) -> Any:
        """The async client of an installed product, sharing this client's connections."""
        product = self._product(name)
        if product.async_client is None:
            raise ConfigurationError(f"product {name!r} registered no async client class")
        return product.async_client(client=self)

    async def aclose(self) -> None:
        self._closed = True
        # Connections of another (perhaps closed) event loop cannot be closed from this one.
        if self._loop in (None, _current_loop()):
            if self._owns_http:
                await self._http.aclose()
            # A shared rate limiter's store connections of this loop (reopened when needed).
            close = getattr(self._env.rate_limiter, "aclose", None)
            if close is not None:
                await close()

    async def __aenter__(self: Self) -> Self:
        self._check_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _check_types(http_client: Any, transport: Any, o: ClientOptions) -> None:
    """Refuse settings of the wrong kind here, with their name, not later with an AttributeError."""
    expected: dict[str, tuple[Any, type | tuple[type, ...]]] = {
        "http_client": (http_client, (httpx.Client, httpx.AsyncClient)),
        "transport": (transport, (httpx.BaseTransport, httpx.AsyncBaseTransport)),
        "retry": (o.get("retry"), RetryPolicy),
        "rate_limiter": (o.get("rate_limiter"), RateLimiter),
    }
    for name, (value, kind) in expected.items():
        if value is not None and not isinstance(value, kind):
            raise ConfigurationError(f"{name} must be a {_names(kind)}, not {type(value).__name__}")
    for name in ("plugins", "signed_headers", "disable_plugins"):
        value = o.get(name, ())
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise ConfigurationError(f"{name} must be a list, not {type(value).__name__}")


def _trace_send(request: httpx.Request, limiter: RateLimiter, booking: object) -> None:
    """Tell the limiter when the request's headers really leave (httpcore's trace hook), so a
    shared limiter can move the slot of a send that left late. Transports without httpcore
    (mocks, the in-process emulator) never call it: nothing to move there."""

    def trace(name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_headers.started"):
            limiter.sent(booking)

    request.extensions["trace"] = trace


def _atrace_send(request: httpx.Request, limiter: RateLimiter, booking: object) -> None:
    async def trace(name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_headers.started"):
            await limiter.asent(booking)

    request.extensions["trace"] = trace


def _rate_limiter(o: ClientOptions, access_key: str, timeout: Timeout) -> RateLimiter | None:
    """The limiter given in code, else the one the environment or the profile configures."""
    limiter = o.get("rate_limiter")
    if limiter is None:
        from .fleet.settings import configured_rate_limiter

        limiter = configured_rate_limiter(
            profile=o.get("profile"), credentials_file=o.get("credentials_file")
        )
    if limiter is None:
        return None
    # A shared limiter keys its windows by the account; its store answers within the timeout.
    return limiter._for_client(access_key, timeout.connect)


def _max_response_bytes(value: object) -> int:
    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"max_response_bytes must be a positive int (bytes), not {value!r}"
        )
    return value


def _current_loop() -> object:
    """The running event loop (asyncio), or anyio's token for it (any backend)."""
    # Looked up, not imported: no asyncio loop can run before something imported asyncio,
    # and ``import cdnetworks.core`` stays free of the event loop machinery.
    asyncio = sys.modules.get("asyncio")
    if asyncio is not None:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            pass
    import anyio.lowlevel

    return anyio.lowlevel.current_token()


async def async_sleep(seconds: float) -> None:
    import anyio  # imported by the first async wait, not by ``import cdnetworks.core``

    await anyio.sleep(seconds)


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(f"{k.__module__.split('.')[0]}.{k.__name__}" for k in kinds)


def _timeout_of(http_client: httpx.Client | httpx.AsyncClient) -> Timeout:
    t = http_client.timeout
    return Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
