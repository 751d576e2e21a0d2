"""Decoders of JSON bodies: any JSON, and typed models (lenient numbers included), cached."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
import msgspec

from .structs import twin_struct

T = TypeVar("T")

#: What msgspec raises on a body it cannot decode into the model: bad JSON (``DecodeError``),
#: the wrong shape (``ValidationError``), nesting too deep (``RecursionError``) and text that
#: is not UTF-8 (``UnicodeDecodeError``, which msgspec lets through).
DECODE_ERRORS: tuple[type[Exception], ...] = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    RecursionError,
    UnicodeDecodeError,
)


def decode_any(body: bytes) -> Any:
    """Decode JSON of any shape; an empty body is ``None``."""
    return msgspec.json.decode(body) if body.strip() else None


_DECODERS: dict[tuple[type, str, tuple[tuple[str, str], ...]], Any] = {}


def typed_decoder(
    model: type[T], body: str = "json", headers: Mapping[str, str] | None = None
) -> Callable[[httpx.Response], T]:
    """A decoder for ``model`` (cached) filling ``request_id`` and the declared headers.

    ``body`` is what a 2xx carries: ``"json"`` is decoded into the model (`body_decoder`);
    ``"text"`` and ``"bytes"`` fill its ``body`` field; ``"none"`` builds the model from headers
    alone. Models with a ``status_code`` field get the HTTP status.
    """
    header_items = tuple((headers or {}).items())
    key = (model, body, header_items)
    cached = _DECODERS.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    decode_json = body_decoder(model)
    names = (
        {f.name for f in msgspec.structs.fields(model)}  # type: ignore[arg-type]
        if _is_struct(model)
        else set()
    )
    fills_request_id = "request_id" in names
    fills_status = "status_code" in names

    def decode(response: httpx.Response) -> T:
        if body == "json":
            content = response.content
            value = decode_json(content if content and not content.isspace() else b"{}")
        else:
            fields: dict[str, Any] = {}
            if body == "text":
                fields["body"] = response.text
            elif body == "bytes":
                fields["body"] = response.content
            value = model(**fields)
        if fills_request_id or hasattr(value, "request_id"):
            value.request_id = response.headers.get("x-cnc-request-id")  # type: ignore[attr-defined]
        if fills_status:
            value.status_code = response.status_code  # type: ignore[attr-defined]
        for attr, header in header_items:
            setattr(value, attr, response.headers.get(header))
        return value

    _DECODERS[key] = decode
    return decode


# --- lenient numbers --------------------------------------------------------------------------

#: The ``Meta(extra=...)`` key of a response field of type ``int | float`` that the service may
#: also send as text (spec fact ``lenient_number``): numeric text is decoded as a number, other
#: text is kept as it is.
LENIENT_NUMBER = "lenient_number"

_BODY_DECODERS: dict[Any, Callable[[bytes], Any]] = {}


def body_decoder(model: type[T]) -> Callable[[bytes], T]:
    """A function (cached) decoding JSON bytes into ``model``, raising msgspec's errors.

    Models without lenient numbers are decoded by one msgspec decoder. With them, the body
    is first decoded with numeric text converted natively (msgspec's lax mode, used only when
    no other field of the model could read text differently in it), so the common body costs
    no Python call per object; a body that does not fit that way (text that is not a number)
    is decoded again with the lenient fields typed ``int | float | str``: their numeric text
    becomes a number (``int`` when whole), other text is kept, and errors are the strict ones.
    """
    cached = _BODY_DECODERS.get(model)
    if cached is not None:
        return cached
    twins: dict[type, type] = {}
    decode: Callable[[bytes], Any]
    if _is_struct(model) and _twin_type(model, twins, {}) is not model:
        decode = _lenient_decoder(model, twins)
    else:
        decode = msgspec.json.Decoder(model).decode
    _BODY_DECODERS[model] = decode
    return decode


def _lenient_meta(metadata: tuple[Any, ...]) -> bool:
    return any(
        isinstance(m, msgspec.Meta) and bool((m.extra or {}).get(LENIENT_NUMBER)) for m in metadata
    )


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def _twin_type(hint: Any, twins: dict[type, type], building: dict[type, type | None]) -> Any:
    """``hint`` with lenient numbers widened to ``int | float | str`` (structs holding them
    replaced by twins without ``__post_init__``); ``hint`` itself when it holds none."""
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        if hint in twins:
            return twins[hint]
        if hint in building:  # a recursive model: assume unchanged while it is being built
            return hint
        building[hint] = None
        hints = _hints(hint)
        fields = msgspec.structs.fields(hint)
        widened = {f.name: _twin_type(hints[f.name], twins, building) for f in fields}
        if all(widened[f.name] is hints[f.name] for f in fields):
            return hint
        twin = twin_struct(hint, widened)
        twins[hint] = twin
        _TWIN_OF[twin] = (hint, _lenient_names(hint, hints))
        return twin
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        inner, *metadata = typing.get_args(hint)
        if _lenient_meta(tuple(metadata)):
            wider: tuple[Any, ...] = (inner | str, *metadata)
            return typing.Annotated[wider]
        twin = _twin_type(inner, twins, building)
        if twin is inner:
            return hint
        replaced: tuple[Any, ...] = (twin, *metadata)
        return typing.Annotated[replaced]
    args = typing.get_args(hint)
    if not args:
        return hint
    new_args = tuple(_twin_type(a, twins, building) for a in args)
    if all(n is a for n, a in zip(new_args, args, strict=True)):
        return hint
    if origin in (typing.Union, types.UnionType):
        return typing.Union[new_args]  # noqa: UP007 - built from a tuple
    return origin[new_args]


def _lenient_names(cls: type, hints: dict[str, Any]) -> dict[str, bool]:
    """The lenient attributes of ``cls``, each with whether it takes a ``float`` (an ``int``
    field keeps text that is not a whole number as text)."""
    names: dict[str, bool] = {}
    for name, hint in hints.items():
        for part in _union_parts(hint):
            if typing.get_origin(part) is typing.Annotated and _lenient_meta(
                typing.get_args(part)[1:]
            ):
                names[name] = float in _flat_union(typing.get_args(part)[0])
    return names


def _union_parts(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


#: twin struct -> (the model it stands for, that model's lenient attributes).
_TWIN_OF: dict[type, tuple[type, dict[str, bool]]] = {}


def _flat_union(hint: Any) -> list[Any]:
    """The members of a union, nested unions and ``Annotated`` unwrapped."""
    if typing.get_origin(hint) is typing.Annotated:
        return _flat_union(typing.get_args(hint)[0])
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [p for a in typing.get_args(hint) for p in _flat_union(a)]
    return [hint]


def _lax_safe(hint: Any, seen: set[type], lenient: bool = False) -> bool:
    """Whether msgspec's lax mode decodes every input of ``hint`` as strict mode does.

    Lax mode converts text to numbers, booleans and ``null``, and whole floats to integers;
    text fields, lists, maps and structs of them are untouched. Lenient numbers are the
    fields it is used for.
    """
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        if hint in seen:
            return True
        seen.add(hint)
        hints = _hints(hint)
        lenient_names = _lenient_names(hint, hints)
        return all(_lax_safe(h, seen, n in lenient_names) for n, h in hints.items())
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _lax_safe(typing.get_args(hint)[0], seen, lenient)
    if origin in (typing.Union, types.UnionType):
        parts = _flat_union(hint)
        if lenient:
            return all(p in (int, float, type(None)) for p in parts)
        has_str = str in parts
        return all(
            p is str
            or (p in (float, type(None)) and has_str)
            or (p not in (int, float, bool, type(None)) and _lax_safe(p, seen))
            for p in parts
        )
    if origin is typing.Literal:
        return all(isinstance(v, str) for v in typing.get_args(hint))
    if origin in (list, tuple, set, frozenset):
        return all(a is Ellipsis or _lax_safe(a, seen) for a in typing.get_args(hint))
    if origin is dict:
        key, value = typing.get_args(hint)
        return key is str and _lax_safe(value, seen)
    return hint in (str, Any, object)


def _lenient_decoder(model: type, twins: dict[type, type]) -> Callable[[bytes], Any]:
    tolerant: msgspec.json.Decoder[Any] = msgspec.json.Decoder(twins[model])
    # Lax mode where it changes nothing else; strict, numbers sent as numbers still decode.
    strict = not _lax_safe(model, set())
    fast: msgspec.json.Decoder[Any] = msgspec.json.Decoder(model, strict=strict)

    def decode(content: bytes) -> Any:
        try:
            return fast.decode(content)
        except msgspec.ValidationError:
            pass
        return _from_twin(tolerant.decode(content))

    return decode


_WHOLE = re.compile(r"-?[0-9]+")


def _as_number(value: Any, floats: bool = True) -> Any:
    """Numeric text as a number (``int`` when whole; other numbers only when ``floats``); any
    other value as it is."""
    if isinstance(value, str):
        if _WHOLE.fullmatch(value):
            return int(value)  # exactly, however long
        try:
            number = float(value)
        except ValueError:
            return value
        if number.is_integer():
            return int(number)
        return number if floats else value
    return value


def _from_twin(value: Any) -> Any:
    """A value decoded with twins, rebuilt with the models they stand for."""
    found = _TWIN_OF.get(type(value))
    if found is not None:
        model, lenient = found
        fields = {}
        for name in value.__struct_fields__:
            item = getattr(value, name)
            fields[name] = _as_number(item, lenient[name]) if name in lenient else _from_twin(item)
        try:
            return model(**fields)
        except (TypeError, ValueError) as exc:  # as msgspec reports a failing __post_init__
            raise msgspec.ValidationError(str(exc)) from exc
    if isinstance(value, list):
        return [_from_twin(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_twin(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_from_twin(v) for v in value)
    return value


def _is_struct(model: type) -> bool:
    return isinstance(model, type) and issubclass(model, msgspec.Struct)
