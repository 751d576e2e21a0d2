"""Emulation of any product from its declarations: every action answered, nothing hand-written.

`ProductService` routes each `Action` of a `Product`, rebuilds the request model from the
path, query, headers and body exactly where the action declares them, validates it with the
same model the client uses (types, enumerations, constraints, hand-written checks), and
answers a 400 in the action's error shape when that fails. A valid request gets an answer
built from the response model: examples where the spec has them, values shaped like each field
elsewhere (domains, URLs, parseable times in order, numbers within bounds; the same under the
same emulator seed), and the envelope's success code.

Products with state (a purge that finishes later, quotas that shrink) subclass it and
override `ProductService.answer` for the actions that need it.
"""

from __future__ import annotations

import random
import re
import time
import typing
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import msgspec.inspect as mi

from ..action import DEFAULT_ENVELOPE, INT_TEXT, Action, Envelope, Product
from ..encoding import wire_name
from ..errors import ValidationError
from .services import EmulatorRequest, EmulatorService, Reply, Route, ServiceError

#: Depth at which sample answers stop nesting objects (recursive types end there).
MAX_DEPTH = 6


def refusal(action: Action[Any, Any], status: int, code: str, message: str) -> ServiceError:
    """A `ServiceError` whose body uses the action's envelope field names."""
    envelope = action.envelope if action.envelope and action.envelope.code else DEFAULT_ENVELOPE
    return ServiceError(
        status, code, message, names=(envelope.code or "code", envelope.message or "message")
    )


def _unwrap(t: mi.Type) -> mi.Type:
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [m for m in t.types if not isinstance(m, mi.NoneType)]
            if len(rest) != 1:
                return t
            t = rest[0]
        else:
            return t


def _is_list(t: mi.Type) -> bool:
    return isinstance(_unwrap(t), mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType)


def _examples(t: mi.Type) -> list[Any]:
    found: list[Any] = []
    while isinstance(t, mi.Metadata | mi.UnionType):
        if isinstance(t, mi.Metadata):
            found += list((t.extra_json_schema or {}).get("examples", []))
            t = t.type
        else:
            rest = [m for m in t.types if not isinstance(m, mi.NoneType)]
            if len(rest) != 1:
                break
            t = rest[0]
    return found


def _extra(t: mi.Type, key: str) -> bool:
    """Whether the ``Meta(extra=...)`` of ``t`` (or of its one non-None member) sets ``key``."""
    while isinstance(t, mi.Metadata | mi.UnionType):
        if isinstance(t, mi.Metadata):
            if (t.extra or {}).get(key):
                return True
            t = t.type
        else:
            rest = [m for m in t.types if not isinstance(m, mi.NoneType)]
            if len(rest) != 1:
                return False
            t = rest[0]
    return False


def sample(t: mi.Type, depth: int = 0, *, name: str = "", seed: str = "0") -> Any:
    """A plain value of type ``t`` (wire form) for a field called ``name``.

    From the field's examples where they fit; else shaped like the field (`shaped`: a domain
    for ``domainName``, a parseable time for ``startTime``, a number inside its bounds), and the
    same for the same ``seed``; else a plain value of the type.
    """
    core = _unwrap(t)
    # Examples describe a value, or one item of a list: only scalars (or untyped values) take
    # them as they are, or a text example would stand for a list or an object.
    scalar = _hint(t) is not object or isinstance(core, mi.AnyType)
    for example in _examples(t) if scalar else ():
        # Text examples often list alternatives ("0,1"): the first one is tried first.
        for candidate in (str(example).split(",")[0], example):
            value = _fit(t, candidate)
            if value is not None:
                return value
    if isinstance(core, mi.LiteralType):
        return core.values[0]
    if isinstance(core, mi.EnumType):
        return next(iter(core.cls)).value
    if isinstance(core, mi.BoolType | mi.IntType | mi.FloatType | mi.StrType):
        value = shaped(core, name, seed, int_text=_extra(t, INT_TEXT))
        if value is not None:
            return value
    if isinstance(core, mi.BoolType):
        return False
    if isinstance(core, mi.IntType):
        return max(core.ge or 0, (core.gt + 1) if core.gt is not None else 0)
    if isinstance(core, mi.FloatType):
        return float(core.ge or 0)
    if isinstance(core, mi.StrType):
        if _extra(t, INT_TEXT):
            return "1"
        return "x" * max(core.min_length or 0, 1) if core.pattern is None else ""
    if isinstance(core, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        # Items one level deeper: a recursive type's list ends empty rather than holding an
        # object cut short of its required fields.
        if depth + 1 >= MAX_DEPTH:
            return []
        return [sample(core.item_type, depth + 1, name=name, seed=seed)]
    if isinstance(core, mi.DictType):
        return {}
    if isinstance(core, mi.StructType):
        if depth >= MAX_DEPTH:
            return {}
        return {
            f.encode_name: sample(f.type, depth + 1, name=f.encode_name, seed=seed)
            for f in core.fields
            # A response's request id and status come from the HTTP answer, not its body.
            if f.required or f.name not in ("request_id", "status_code")
        }
    if isinstance(core, mi.UnionType):
        member = next(m for m in core.types if not isinstance(m, mi.NoneType))
        return sample(member, depth, name=name, seed=seed)
    return None


#: 2026-12-01 00:00:00 UTC: the day sample times fall on (a fixed day: answers stay stable).
_SAMPLE_DAY = 1_796_083_200


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _when(words: list[str]) -> int:
    """Seconds after the sample day: ends after starts, so time ranges are in order."""
    if {"end", "to", "finish", "expire", "expired", "stop"} & set(words):
        return 3600
    if {"start", "from", "begin", "create", "created"} & set(words):
        return 0
    return 1800


def shaped(core: mi.Type, name: str, seed: str, *, int_text: bool = False) -> Any:
    """A value shaped like a field called ``name`` within ``core``'s bounds, or ``None``."""
    words = _words(name)
    rng = random.Random(f"{seed}|{name}")
    last = words[-1] if words else ""
    if isinstance(core, mi.BoolType):
        return rng.random() < 0.5 if words else None
    if isinstance(core, mi.IntType | mi.FloatType):
        lo = core.ge if core.ge is not None else (core.gt + 1 if core.gt is not None else 0)
        hi = core.le if core.le is not None else (core.lt - 1 if core.lt is not None else None)
        if {"time", "timestamp"} & set(words) and (hi is None or hi > _SAMPLE_DAY):
            value: float = _SAMPLE_DAY + _when(words)
        elif {"page"} & set(words):
            value = max(lo, 1)
        else:
            top = hi if hi is not None else lo + (100 if isinstance(core, mi.IntType) else 1000)
            value = rng.randint(int(lo), int(max(lo, top)))
        if hi is not None and value > hi:
            return None
        return int(value) if isinstance(core, mi.IntType) else float(value)
    if not isinstance(core, mi.StrType):
        return None
    if int_text:
        return str(rng.randint(1, 100))
    text = _text_for(words, last, rng)
    if text is None:
        return None
    low, high = core.min_length or 0, core.max_length
    if len(text) < low or (high is not None and len(text) > high):
        return None
    if core.pattern is not None and re.search(core.pattern, text) is None:
        return None
    return text


def _text_for(words: list[str], last: str, rng: random.Random) -> str | None:
    at = time.gmtime(_SAMPLE_DAY + _when(words))
    if {"domain", "domains", "host", "hostname", "cname"} & set(words):
        return (
            f"www{rng.randint(1, 9)}.example.com"
            if "cname" not in words
            else ("www.example.com.cdngslb.com")
        )
    if {"url", "uri", "urls"} & set(words):
        return f"https://www.example.com/static/{rng.choice(['app.js', 'logo.png', 'index.html'])}"
    if {"email", "mail"} & set(words):
        return "ops@example.com"
    if last in ("ip", "ips", "ipv4") or "ip" in words[-2:]:
        return f"192.0.2.{rng.randint(1, 254)}"  # the documentation range (RFC 5737)
    if last in ("ipv6",):
        return f"2001:db8::{rng.randint(1, 0xFFFF):x}"
    if {"date", "day"} & set(words) and not {"time", "timestamp"} & set(words):
        return time.strftime("%Y-%m-%d", at)
    if {"time", "timestamp", "date"} & set(words) or last in ("at",):
        return time.strftime("%Y-%m-%d %H:%M:%S", at)
    if last in ("id", "uuid", "key") or last.endswith("id"):
        return f"{rng.getrandbits(48):012x}"
    if last in ("message", "msg", "description", "remark", "comment"):
        return "success" if last in ("message", "msg") else f"sample {' '.join(words)}"
    if last in ("name", "names"):
        return f"example-{'-'.join(words[:-1]) or 'name'}-{rng.randint(1, 99)}"
    if last in ("status", "state"):
        return "success"
    if last == "version":
        return f"1.{rng.randint(0, 9)}"
    if words:
        return f"{'-'.join(words)}-{rng.randint(1, 99)}"
    return None


def _fit(t: mi.Type, value: Any) -> Any:
    """``value`` converted to ``t`` (text read leniently), or ``None`` if it does not fit."""
    hint = _hint(t)
    try:
        return msgspec.to_builtins(msgspec.convert(value, type=hint, strict=False))
    except (msgspec.ValidationError, TypeError):
        return None


_HINTS: dict[int, Any] = {}


def _hint(t: mi.Type) -> Any:
    """A Python type for a scalar ``msgspec.inspect`` type (examples only ever fit those)."""
    core = _unwrap(t)
    if isinstance(core, mi.LiteralType):
        return typing.Literal[core.values]
    for kind, hint in (
        (mi.BoolType, bool),
        (mi.IntType, int),
        (mi.FloatType, float),
        (mi.StrType, str),
    ):
        if isinstance(core, kind):
            return hint
    return object


class ProductService(EmulatorService):
    """The emulated service of one product, answering every action from its declaration."""

    def __init__(self, product: Product) -> None:
        super().__init__()
        self.product = product
        self.name = product.name
        self._types = {a.name: mi.type_info(a.request) for a in product.actions}

    def routes(self) -> Sequence[Route]:
        return [
            Route(action.method, action.path, self._handler(action), name=action.name)
            for action in self.product.actions
        ]

    def _handler(self, action: Action[Any, Any]) -> Callable[[EmulatorRequest], Any]:
        def handle(request: EmulatorRequest) -> Any:
            return self.answer(action, self.parse(action, request), request)

        return handle

    def parse(self, action: Action[Any, Any], request: EmulatorRequest) -> Any:
        """The request model the client sent, or a 400 in the action's error shape."""
        info = self._types[action.name]
        assert isinstance(info, mi.StructType)
        lists = {f.encode_name for f in info.fields if _is_list(f.type)}
        wire: dict[str, Any] = {}
        body_names = action.body
        if action.sends_body:
            body = request.json()
            if body is not None and not isinstance(body, dict):
                raise refusal(action, 400, "InvalidParameter", "the body must be a JSON object")
            body = body or {}
            if body_names is None:
                wire.update(body)
            else:
                unknown = sorted(set(body) - set(body_names))
                if unknown:
                    raise refusal(
                        action,
                        400,
                        "InvalidParameter",
                        f"unknown body field(s): {', '.join(unknown)}",
                    )
                wire.update(body)
        query = request.query
        query_names = (
            action.query
            if action.query is not None
            else (() if action.sends_body else [f.encode_name for f in info.fields])
        )
        for name in query_names:
            sent = wire_name(name)
            if sent in query:
                wire[name] = query[sent].split(",") if name in lists else query[sent]
        for name in action.headers:
            value = request.headers.get(wire_name(name))
            if value is not None:
                wire[name] = value
        wire.update(request.path_params)
        try:
            model = msgspec.convert(wire, type=action.request, strict=False)
        except msgspec.ValidationError as exc:
            message = str(exc.__cause__ or exc.__context__ or exc)
            raise refusal(action, 400, "InvalidParameter", message) from None
        if action.batch is not None:
            # The per-call limits the client checks are the service's too: a client that
            # skipped them (raw invoke, another SDK) is refused the same way.
            try:
                action.batch.check(model, action.name)
            except ValidationError as exc:
                raise refusal(action, 400, "InvalidParameter", str(exc)) from None
        return model

    def answer(self, action: Action[Any, Any], request: Any, raw: EmulatorRequest) -> Any:
        """A valid request's answer; stateful products override this for some actions."""
        return self.sample_reply(action)

    def _seed(self) -> str:
        """The emulator's seed for this service (answers repeat under the same seed)."""
        return self._context.seed if self._context is not None else "0"

    def sample_reply(self, action: Action[Any, Any], **fields: Any) -> Reply:
        """A success answer of ``action`` from its response model, ``fields`` (wire) merged in."""
        if action.response_body != "json":
            headers = [
                (h, f"https://emulator.invalid/{action.name}")
                for h in action.response_headers.values()
            ]
            body = b"" if action.response_body == "none" else b"emulated"
            return Reply(200 if action.response_body != "none" else 204, body, headers)
        data = sample(mi.type_info(action.response), seed=f"{self._seed()}:{action.name}")
        if not isinstance(data, dict):
            data = {}
        envelope: Envelope = action.declared_envelope
        if envelope.code is not None and envelope.success:
            code: Any = envelope.success[0]
            if envelope.code in data and isinstance(data[envelope.code], int):
                code = int(code) if code.lstrip("-").isdigit() else code
            data[envelope.code] = code
            if envelope.message:
                data[envelope.message] = "success"
        data.update(fields)
        reply = Reply.json(data)
        reply.headers += [
            (h, f"https://emulator.invalid/{action.name}") for h in action.response_headers.values()
        ]
        return reply
