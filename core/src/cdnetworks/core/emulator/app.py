"""The emulator itself: check, throttle, dispatch and answer one request, free of I/O.

`Emulator.answer` turns an `EmulatorRequest` into an `Answer` (a reply, or
none for a dropped connection, plus a delay). The httpx transports and the loopback server only
carry bytes to it and carry the answer back, sleeping the delay their own way.

Order for each request: route lookup (no side effects) -> faults that strike before the service
-> signature and timestamp check (401) -> throttle (429) -> the service's handler -> faults that
strike after it -> common headers (``x-cnc-request-id``, ``Date`` from the emulator's clock).
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, TypedDict

import httpx

from ..errors import ConfigurationError
from .auth import TIMESTAMP_WINDOW, ReplayGuard, verify
from .clock import EmulatorClock
from .faults import Drop, FaultInjector, FaultRule, answer_before, spoil
from .services import (
    EmulatorRequest,
    EmulatorService,
    Reply,
    Route,
    ServiceContext,
    ServiceError,
    load_services,
)
from .throttle import Throttle, Throttled, ThrottleLimits

if TYPE_CHECKING:
    from .server import EmulatorServer
    from .transports import AsyncEmulatorTransport, EmulatorTransport

#: The keys an emulator accepts unless told otherwise. Not secrets: they open nothing real.
DEFAULT_ACCESS_KEY = "AKEMULATOR"
DEFAULT_SECRET_KEY = "sk-emulator"  # noqa: S105 - the emulator's documented default
#: The endpoint clients use with the in-process transports. It resolves to this machine
#: (``*.localhost``), so a client that forgot ``transport=`` fails to connect instead of
#: reaching the real API.
IN_PROCESS_ENDPOINT = "http://emulator.localhost"


class ClientKwargs(TypedDict):
    """Keyword arguments for a client (a ``TypedDict``, so ``Client(**kwargs)`` type-checks)."""

    access_key: str
    secret_key: str
    endpoint: str


@dataclass(frozen=True)
class Answer:
    """What to do with one request: ``reply`` (``None``: close the connection) after ``delay`` s."""

    reply: Reply | None
    delay: float = 0.0


@dataclass(frozen=True)
class Exchange:
    """One request the emulator received, for tests to inspect (``emulator.exchanges``)."""

    number: int
    request_id: str
    method: str
    path: str
    action: str | None
    account: str | None
    #: ``None`` when the connection was dropped without an answer.
    status: int | None
    faults: tuple[str, ...]
    #: The emulator's time (`Emulator.now`) when the request arrived: when its limits counted it.
    at: float = 0.0


class Emulator:
    """A stateful, in-memory CDNetworks API that checks signatures like the real gateway.

    ``services``: the product services to emulate; ``None`` loads every one installed (entry-point
    group ``cdnetworks.emulators``). ``throttle``: ``True`` enforces the documented limits (300
    requests / 5 min per account, 30 / 5 min per action), or pass `ThrottleLimits`.
    ``faults``: `FaultRule`\\ s (more can be added with ``emulator.faults.add``). ``seed``
    makes seeded data, ids and random faults reproducible. ``clock`` is the time source
    (``time.time`` by default); ``advance()`` moves the emulator's time forward in either case.
    ``reject_replays`` refuses a signature seen within the window (off by default: two identical
    GETs signed in the same second carry the same signature, which the SDK does legitimately).
    """

    def __init__(
        self,
        *,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        services: Iterable[EmulatorService] | None = None,
        throttle: bool | ThrottleLimits = False,
        faults: Iterable[FaultRule] | None = None,
        seed: int | str = 0,
        clock: Callable[[], float] | None = None,
        reject_replays: bool = False,
        timestamp_window: float = TIMESTAMP_WINDOW,
        history: int = 10_000,
    ) -> None:
        self._keys: dict[str, str] = {}
        self._access_key = access_key
        self.add_account(access_key, secret_key)
        self.seed = seed
        self.clock = EmulatorClock(clock)
        self.timestamp_window = timestamp_window
        self._replays = ReplayGuard(timestamp_window) if reject_replays else None
        limits = ThrottleLimits() if throttle is True else throttle or None
        self.throttle = Throttle(limits) if limits else None
        self.faults = FaultInjector(faults or (), seed=seed)
        self._lock = threading.Lock()
        self._calls = 0
        self._exchanges: deque[Exchange] = deque(maxlen=history)
        chosen = load_services() if services is None else list(services)
        self._services: dict[str, EmulatorService] = {}
        self._shared: dict[str, Any] = {}
        self._routes: list[Route] = []
        for service in chosen:
            self._add_service(service)

    def _add_service(self, service: EmulatorService) -> None:
        if not service.name:
            raise ConfigurationError(f"emulator service {service!r} has no name")
        if service.name in self._services:
            raise ConfigurationError(f"emulator service {service.name!r} given twice")
        taken = {(r.method, r.template) for r in self._routes}
        service.attach(ServiceContext(self.clock, self.seed, service.name, self._shared))
        for route in service.routes():
            if (route.method, route.template) in taken:
                raise ConfigurationError(
                    f"route {route.method} {route.template} of service {service.name!r} "
                    "is already served by another service"
                )
            self._routes.append(route)
        self._services[service.name] = service
        # Static paths win over templates: PUT /vmp/images/preHeating is not an {imageId}.
        self._routes.sort(key=lambda r: r.template.count("{"))

    # -- configuration --------------------------------------------------------------------

    @property
    def access_key(self) -> str:
        return self._access_key

    @property
    def secret_key(self) -> str:
        """The secret the default account signs with (emulator keys guard nothing real)."""
        return self._keys[self._access_key]

    def add_account(self, access_key: str, secret_key: str) -> None:
        """Accept another key pair: a second account, e.g. to test that it cannot see yours."""
        if not access_key or not secret_key:
            raise ConfigurationError("an emulator account needs a non-empty access and secret key")
        self._keys[access_key] = secret_key

    @property
    def services(self) -> Mapping[str, EmulatorService]:
        return dict(self._services)

    def service(self, name: str) -> Any:
        """The service emulating product ``name`` (typed ``Any``: each product has its own API)."""
        try:
            return self._services[name]
        except KeyError:
            known = ", ".join(sorted(self._services)) or "none"
            raise ConfigurationError(
                f"this emulator has no service {name!r} (it has: {known})"
            ) from None

    @property
    def routes(self) -> Sequence[Route]:
        return tuple(self._routes)

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Move the emulator's time forward: builds finish, windows slide, timestamps age."""
        self.clock.advance(seconds)

    def reset(self) -> None:
        """Seed every service afresh and forget history, throttle windows and seen signatures.

        Fault rules stay; ``emulator.faults.clear()`` removes them.
        """
        with self._lock:
            for service in self._services.values():
                service.context.reseed()
                service.reset()
            if self.throttle is not None:
                self.throttle.clear()
            if self._replays is not None:
                self._replays.clear()
            self._exchanges.clear()
            self._calls = 0

    @property
    def calls(self) -> int:
        """Requests received so far (every one, answered or not)."""
        return self._calls

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def __repr__(self) -> str:
        return (
            f"Emulator(access_key={self._access_key!r}, services={sorted(self._services)!r}, "
            f"throttle={self.throttle is not None})"
        )

    # -- the work ---------------------------------------------------------------------------

    def _route(self, request: EmulatorRequest) -> tuple[Route | None, dict[str, str], list[str]]:
        raw_path = request.raw_path.decode("ascii", "replace")
        allowed: list[str] = []
        for route in self._routes:
            params = route.match(raw_path)
            if params is None:
                continue
            if route.method == request.method:
                return route, params, []
            allowed.append(route.method)
        return None, {}, allowed

    def answer(self, request: EmulatorRequest) -> Answer:
        """Process one request; see the module docstring for the order of checks."""
        request.request_id = str(uuid.uuid4())
        route, params, allowed = self._route(request)
        names = (route.name, f"{route.method} {route.template}") if route else ()
        plan = self.faults.plan(names)
        now = self.clock.now()
        reply: Reply | None
        if isinstance(plan.before, Drop):
            reply = None
        elif plan.before is not None:
            reply = answer_before(plan.before)
        else:
            reply = self._process(request, route, params, allowed, now)
            if isinstance(plan.after, Drop):
                reply = None
            elif plan.after is not None:
                reply = spoil(reply)
        if reply is not None:
            reply.headers.extend(
                [
                    ("x-cnc-request-id", request.request_id),
                    ("Date", formatdate(now, usegmt=True)),
                    ("Server", "cdnetworks-emulator"),
                ]
            )
        with self._lock:
            self._calls += 1
            self._exchanges.append(
                Exchange(
                    number=self._calls,
                    request_id=request.request_id,
                    method=request.method,
                    path=request.path,
                    action=route.name if route else None,
                    account=request.account or None,
                    status=None if reply is None else reply.status,
                    faults=tuple(plan.fired),
                    at=now,
                )
            )
        return Answer(reply, plan.delay)

    def _process(
        self,
        request: EmulatorRequest,
        route: Route | None,
        params: dict[str, str],
        allowed: list[str],
        now: float,
    ) -> Reply:
        try:
            request.account = verify(
                request,
                self._keys,
                now,
                window=self.timestamp_window,
                replays=self._replays,
            )
            if self.throttle is not None:
                self.throttle.admit(request.account, route.name if route else None, now)
            if route is None:
                if allowed:
                    reply = Reply.error(
                        405,
                        "MethodNotAllowed",
                        f"{request.method} is not allowed on {request.path}",
                    )
                    reply.headers.append(("Allow", ", ".join(sorted(set(allowed)))))
                    return reply
                raise ServiceError(404, "ApiNotFound", f"no API at {request.method} {request.path}")
            request.path_params = params
            with self._lock:
                result = route.handler(request)
        except Throttled as exc:
            reply = exc.reply()
            reply.headers.append(("Retry-After", str(exc.retry_after)))
            return reply
        except ServiceError as exc:
            return exc.reply()
        except Exception as exc:  # a bug in a service: answer like a failing backend would
            return Reply.error(
                500,
                "InternalError",
                f"the emulated {route.name if route else '?'} failed: {type(exc).__name__}: {exc}",
            )
        return result if isinstance(result, Reply) else Reply.json(result)

    # -- ways in ---------------------------------------------------------------------------

    def transport(self) -> EmulatorTransport:
        """An ``httpx.BaseTransport`` answering from this emulator: ``Client(transport=...)``."""
        from .transports import EmulatorTransport

        return EmulatorTransport(self)

    def async_transport(self) -> AsyncEmulatorTransport:
        """An ``httpx.AsyncBaseTransport`` answering from this emulator."""
        from .transports import AsyncEmulatorTransport

        return AsyncEmulatorTransport(self)

    def client_kwargs(self) -> ClientKwargs:
        """``access_key``, ``secret_key`` and ``endpoint`` for a client using `transport`."""
        return ClientKwargs(
            access_key=self.access_key, secret_key=self.secret_key, endpoint=IN_PROCESS_ENDPOINT
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one httpx request synchronously: a respx ``side_effect`` or a mock handler."""
        from .transports import answer_httpx

        return answer_httpx(self, request)

    def mock(self, router: Any, *, base_url: str = IN_PROCESS_ENDPOINT) -> Any:
        """Route every request under ``base_url`` in a respx router to this emulator.

        ``router`` is a ``respx.MockRouter`` (or ``respx.mock``); returns the respx route.
        """
        return router.route(url__startswith=base_url.rstrip("/") + "/").mock(
            side_effect=self.handle
        )

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
        """A real HTTP server for this emulator on ``host:port`` (0 picks a free port).

        Use it as a context manager (``with emu.serve() as server: server.endpoint``), or call
        ``start()``, ``wait()`` and ``stop()``.
        """
        from .server import EmulatorServer

        return EmulatorServer(self, host, port)
