"""The contract between the emulator and a product's service, and the wire types they share.

A product emulates its API by subclassing `EmulatorService`: it lists routes
(`Route`: method + path template -> handler), keeps its state, and seeds it in
`reset`. Handlers receive an `EmulatorRequest` that already passed
the signature check and the throttle, and return JSON-able data (sent as a 200) or a
`Reply`, or raise `ServiceError` for an error answer. Request ids, dates, faults
and serving are the core's job.

Products make their service discoverable under the entry-point group ``cdnetworks.emulators``;
the entry point names a zero-argument factory (usually the service class)::

    [project.entry-points."cdnetworks.emulators"]
    imagemanage = "cdnetworks.imagemanage.emulator:ImageManageService"
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import msgspec

from ..errors import ConfigurationError
from .clock import EmulatorClock

SERVICES_GROUP = "cdnetworks.emulators"


@dataclass
class Reply:
    """An answer before the emulator adds its common headers (request id, date, length)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        return cls(status, msgspec.json.encode(data), [("Content-Type", "application/json")])

    @classmethod
    def error(
        cls, status: int, code: str, message: str, names: tuple[str, str] = ("code", "message")
    ) -> Reply:
        """The API's error body: ``{"code": ..., "message": ...}`` (or the action's names)."""
        return cls.json({names[0]: code, names[1]: message}, status)


class ServiceError(Exception):
    """Raise from a handler to answer ``status`` with ``{"code", "message"}``; ``names`` are
    the field names, for actions whose envelope spells them otherwise (``Code``)."""

    def __init__(
        self, status: int, code: str, message: str, names: tuple[str, str] = ("code", "message")
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.names = names

    def reply(self) -> Reply:
        return Reply.error(self.status, self.code, self.message, self.names)


@dataclass
class EmulatorRequest:
    """One request as it arrived: raw target bytes, headers, body; routing fills the rest."""

    method: str
    #: The request target exactly as sent: percent-encoded path, then ``?query`` if any.
    target: bytes
    headers: httpx.Headers
    body: bytes
    #: Path template placeholders, percent-decoded.
    path_params: dict[str, str] = field(default_factory=dict)
    #: The access key that signed the request (set once the signature checked out).
    account: str = ""
    request_id: str = ""

    @property
    def raw_path(self) -> bytes:
        return self.target.partition(b"?")[0]

    @property
    def raw_query(self) -> bytes:
        return self.target.partition(b"?")[2]

    @property
    def path(self) -> str:
        return unquote(self.raw_path.decode("ascii", "replace"))

    @property
    def query(self) -> dict[str, str]:
        """Decoded query parameters (``+`` is a space, as the service's decoder reads it)."""
        text = self.raw_query.decode("ascii", "replace")
        return dict(parse_qsl(text, keep_blank_values=True))

    def json(self) -> Any:
        """The body decoded as JSON (``None`` when empty); malformed JSON is a 400."""
        if not self.body.strip():
            return None
        try:
            return msgspec.json.decode(self.body)
        except msgspec.DecodeError as exc:
            raise ServiceError(
                400, "InvalidParameter", f"the body is not valid JSON: {exc}"
            ) from None


Handler = Callable[[EmulatorRequest], Any]

#: A placeholder names a wire field, which may hold "-" (``{domain-name}``).
_PLACEHOLDER = re.compile(r"\{([^{}/]+)\}")


class Route:
    """``method`` + path ``template`` (``/vmp/images/{imageId}``) -> ``handler``, and a name."""

    def __init__(self, method: str, template: str, handler: Handler, *, name: str) -> None:
        self.method = method.upper()
        self.template = template
        self.handler = handler
        self.name = name
        parts = _PLACEHOLDER.split(template)
        # split() alternates literal text and placeholder names: escape one, capture the other
        # (in a numbered group: a wire name need not be a regex group name).
        self._names = parts[1::2]
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else "([^/]+)" for i, part in enumerate(parts)
        )
        self._regex = re.compile(f"^{pattern}$")

    def match(self, raw_path: str) -> dict[str, str] | None:
        found = self._regex.match(raw_path)
        if found is None:
            return None
        return {k: unquote(v) for k, v in zip(self._names, found.groups(), strict=True)}

    def __repr__(self) -> str:
        return f"Route({self.method} {self.template} -> {self.name})"


class ServiceContext:
    """What the emulator lends a service: its clock and a random generator seeded per service."""

    def __init__(
        self,
        clock: EmulatorClock,
        seed: int | str,
        service_name: str,
        shared: dict[str, Any] | None = None,
    ) -> None:
        self.clock = clock
        #: State the services of one emulator share, as one account's services do (the
        #: prefetch quota that file prefetch spends and cache refresh reports).
        self.shared: dict[str, Any] = {} if shared is None else shared
        self._seed = f"{seed}:{service_name}"
        self.rng = random.Random(self._seed)

    @property
    def seed(self) -> str:
        """The emulator's seed and this service's name: what makes its data reproducible."""
        return self._seed

    def now(self) -> float:
        return self.clock.now()

    def reseed(self) -> None:
        self.rng.seed(self._seed)


class EmulatorService:
    """Base class of a product's emulated service. Subclasses set ``name`` and define ``routes``.

    State lives on the instance. `reset` (re)builds it from ``self.context.rng``, so the
    same seed always yields the same data; it runs when the service is attached to an emulator
    and again on ``emulator.reset()``.
    """

    name: str = ""

    def __init__(self) -> None:
        self._context: ServiceContext | None = None

    @property
    def context(self) -> ServiceContext:
        if self._context is None:
            raise ConfigurationError(
                f"emulator service {self.name!r} is not attached to an Emulator yet"
            )
        return self._context

    def attach(self, context: ServiceContext) -> None:
        self._context = context
        self.reset()

    def now(self) -> float:
        return self.context.now()

    def routes(self) -> Sequence[Route]:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget all state and seed it again. The default has no state."""


def load_services(names: Iterable[str] | None = None) -> list[EmulatorService]:
    """Instantiate the services registered under ``cdnetworks.emulators`` (all, or ``names``)."""
    wanted = None if names is None else set(names)
    found: list[EmulatorService] = []
    for ep in sorted(entry_points(group=SERVICES_GROUP), key=lambda e: e.name):
        if wanted is not None and ep.name not in wanted:
            continue
        try:
            service = ep.load()()
        except Exception as exc:
            raise ConfigurationError(
                f"cannot load emulator service {ep.name!r} ({ep.value}): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(service, EmulatorService):
            raise ConfigurationError(
                f"emulator entry point {ep.name!r} ({ep.value}) made a "
                f"{type(service).__name__}, not an EmulatorService"
            )
        found.append(service)
        if wanted is not None:
            wanted.discard(ep.name)
    if wanted:
        raise ConfigurationError(
            f"no emulator service named {', '.join(sorted(wanted))} is installed "
            f"(entry-point group {SERVICES_GROUP!r})"
        )
    return found
