"""``Client`` and ``AsyncClient``: configuration shared, the pipeline driven two ways.

All call logic lives in `cdnetworks.core.pipeline`; a driver only sends what the pipeline
asks to send and sleeps when it asks to sleep.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx

from .action import IDEMPOTENT_METHODS, Action, Product
from .config import Timeout, check_endpoint, user_agent
from .credentials import Credentials, resolve
from .encoding import build_request_model, encode_json, query_pairs, render
from .errors import ConfigurationError, ValidationError
from .options import OPTION_NAMES, ClientOptions
from .pipeline import BrokenBody, CallEnv, CallSpec, Pipeline, Send, Sleep, run_call
from .plugins.manager import METRICS_PLUGIN, PluginHost
from .plugins.metrics_plugin import MetricsCollector
from .ratelimit import RateLimiter
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
        self._env = CallEnv(
            base_url=self._base_url,
            headers={"Content-Type": "application/json", **base_headers},
            timeout=self.timeout,
            retry=policy,
            quota=policy.quota or RetryQuota.shared(self.endpoint),
            plugins=self._plugins,
            rate_limiter=o.get("rate_limiter"),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, access_key={self.access_key!r})"

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

    @property
    def products(self) -> Mapping[str, Product]:
        """Products registered through ``cdnetworks.products`` entry points or plugins."""
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
        path, query, body, headers = render(action, model)
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
        self._http = http_client or httpx.Client(
            transport=transport,
            timeout=None,  # noqa: S113 - timeouts are set per request
        )

    def _exchange(self, request: httpx.Request) -> httpx.Response | BrokenBody | Exception:
        """Send; read the body apart from the head, so a body failure keeps status and id."""
        try:
            response = self._http.send(request, auth=self._auth, stream=True)
        except httpx.RequestError as exc:
            return exc
        try:
            response.read()
        except httpx.RequestError as exc:
            return BrokenBody(response, exc)
        finally:
            response.close()
        return response

    def _drive(self, pipeline: Pipeline[T]) -> T:
        reply: Any = None
        try:
            while True:
                effect = pipeline.send(reply)
                if isinstance(effect, Send):
                    reply = self._exchange(effect.request)
                elif isinstance(effect, Sleep):
                    time.sleep(effect.seconds)
                    reply = None
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
        spec = self._invoke_spec(method, uri, params, json, idempotent)
        return self._drive(run_call(spec, self._env))

    def call(
        self, action: Action[ReqT, RespT], request: ReqT | None = None, /, **kwargs: Any
    ) -> RespT:
        """Call a modelled action with a request model or snake_case keyword arguments."""
        return self._drive(run_call(self._action_spec(action, request, kwargs), self._env))

    def product(self, name: str) -> Any:
        """The client of an installed product, sharing this client's connections and plugins."""
        product = self._product(name)
        if product.client is None:
            raise ConfigurationError(f"product {name!r} registered no sync client class")
        return product.client(client=self)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self: Self) -> Self:
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
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=None,  # noqa: S113 - timeouts are set per request
        )

    async def _exchange(self, request: httpx.Request) -> httpx.Response | BrokenBody | Exception:
        """Async twin of `Client._exchange`."""
        try:
            response = await self._http.send(request, auth=self._auth, stream=True)
        except httpx.RequestError as exc:
            return exc
        try:
            await response.aread()
        except httpx.RequestError as exc:
            return BrokenBody(response, exc)
        finally:
            await response.aclose()
        return response

    async def _drive(self, pipeline: Pipeline[T]) -> T:
        reply: Any = None
        try:
            while True:
                effect = pipeline.send(reply)
                if isinstance(effect, Send):
                    reply = await self._exchange(effect.request)
                elif isinstance(effect, Sleep):
                    await anyio.sleep(effect.seconds)
                    reply = None
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
        spec = self._invoke_spec(method, uri, params, json, idempotent)
        return await self._drive(run_call(spec, self._env))

    async def call(
        self, action: Action[ReqT, RespT], request: ReqT | None = None, /, **kwargs: Any
    ) -> RespT:
        """Async twin of `Client.call`."""
        return await self._drive(run_call(self._action_spec(action, request, kwargs), self._env))

    def product(self, name: str) -> Any:
        """The async client of an installed product, sharing this client's connections."""
        product = self._product(name)
        if product.async_client is None:
            raise ConfigurationError(f"product {name!r} registered no async client class")
        return product.async_client(client=self)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: Self) -> Self:
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


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(f"{k.__module__.split('.')[0]}.{k.__name__}" for k in kinds)


def _timeout_of(http_client: httpx.Client | httpx.AsyncClient) -> Timeout:
    t = http_client.timeout
    return Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
