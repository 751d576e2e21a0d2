"""Emulation of any product from its declarations: every action answered, nothing hand-written.

`ProductService` routes each `Action` of a `Product`, rebuilds the request model from the
path, query, headers and body exactly where the action declares them, validates it with the
same model the client uses (types, enumerations, constraints, hand-written checks), and
answers a 400 in the action's error shape when that fails. A valid request gets an answer
built from the response model: examples and defaults where the spec has them, plain values of
the right type elsewhere, and the envelope's success code.

Products with state (a purge that finishes later, quotas that shrink) subclass it and
override `ProductService.answer` for the actions that need it.
"""

from __future__ import annotations

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


def sample(t: mi.Type, depth: int = 0) -> Any:
    """A plain value of type ``t`` (wire form), from its examples where they fit."""
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
        return [] if depth + 1 >= MAX_DEPTH else [sample(core.item_type, depth + 1)]
    if isinstance(core, mi.DictType):
        return {}
    if isinstance(core, mi.StructType):
        if depth >= MAX_DEPTH:
            return {}
        return {
            f.encode_name: sample(f.type, depth + 1)
            for f in core.fields
            # A response's request id and status come from the HTTP answer, not its body.
            if f.required or f.name not in ("request_id", "status_code")
        }
    if isinstance(core, mi.UnionType):
        return sample(next(m for m in core.types if not isinstance(m, mi.NoneType)), depth)
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

    def sample_reply(self, action: Action[Any, Any], **fields: Any) -> Reply:
        """A success answer of ``action`` from its response model, ``fields`` (wire) merged in."""
        if action.response_body != "json":
            headers = [
                (h, f"https://emulator.invalid/{action.name}")
                for h in action.response_headers.values()
            ]
            body = b"" if action.response_body == "none" else b"emulated"
            return Reply(200 if action.response_body != "none" else 204, body, headers)
        data = sample(mi.type_info(action.response))
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
