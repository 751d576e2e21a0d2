"""Classify one attempt's outcome: a value, or a typed error and whether a retry may help."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import msgspec

from .action import DEFAULT_ENVELOPE, Envelope
from .errors import (
    ApiError,
    AuthenticationError,
    BusinessError,
    CdnetworksError,
    ConnectError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ResponseTooLargeError,
    ServerError,
    ThrottledError,
    TransportError,
    TransportTimeoutError,
)
from .retry import RetryPolicy, parse_retry_after
from .signing import Clock

if TYPE_CHECKING:
    from .pipeline import CallSpec

T = TypeVar("T")

BODY_EXCERPT = 512

_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: ThrottledError,
}


@dataclass
class Outcome(Generic[T]):
    value: T | None = None
    error: CdnetworksError | None = None
    reason: str = ""
    retriable: bool = False
    reason_not_retriable: str | None = None
    retry_after: float | None = None
    timeout: bool = False


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
        config = hint.__struct_config__
        twin_fields: list[Any] = []
        for f in fields:
            if f.default is not msgspec.NODEFAULT:
                twin_fields.append((f.name, widened[f.name], f.default))
            elif f.default_factory is not msgspec.NODEFAULT:
                twin_fields.append(
                    (f.name, widened[f.name], msgspec.field(default_factory=f.default_factory))
                )
            else:
                twin_fields.append((f.name, widened[f.name]))
        twin = msgspec.defstruct(
            hint.__name__,
            twin_fields,
            rename={f.name: f.encode_name for f in fields},
            kw_only=True,
            forbid_unknown_fields=config.forbid_unknown_fields,
            tag=config.tag,
            tag_field=config.tag_field,
            array_like=config.array_like,
        )
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


_CODE_ATTRS: dict[tuple[type, str], str | None] = {}


def _code_attr(model: type, wire: str) -> str | None:
    """The attribute of ``model`` holding the wire field ``wire`` (cached), if it has one."""
    key = (model, wire)
    if key not in _CODE_ATTRS:
        _CODE_ATTRS[key] = next(
            (f.name for f in msgspec.structs.fields(model) if f.encode_name == wire), None
        )
    return _CODE_ATTRS[key]


def _envelope_of(value: Any, body: bytes, envelope: Envelope) -> tuple[bool, Any, Any]:
    """``(present, code, message)`` of a decoded 2xx value, per the declared envelope.

    The typed value itself answers when its model has the envelope's fields, so the body is
    decoded once; otherwise (a model without them, or plain data) the body's top-level object
    is read for those two fields alone (`_probe`), without building the rest of it.
    """
    assert envelope.code is not None
    if isinstance(value, msgspec.Struct):
        code_attr = _code_attr(type(value), envelope.code)
        message_attr = (
            _code_attr(type(value), envelope.message) if envelope.message is not None else None
        )
        if code_attr is not None and (envelope.message is None or message_attr is not None):
            code = getattr(value, code_attr)
            message = getattr(value, message_attr) if message_attr else None
            return code is not None, code, message
        return _probe(body, envelope)
    if not isinstance(value, dict):
        return _probe(body, envelope)  # e.g. invoke's Result: the body's own object decides
    if envelope.code not in value:
        return False, None, None
    message = value.get(envelope.message) if envelope.message is not None else None
    return True, value[envelope.code], message


class _Absent:
    """The default of a probe's ``code``: the body has no such field."""


_ABSENT = _Absent()
_PROBES: dict[tuple[str, str | None], Any] = {}


def _probe_decoder(code: str, message: str | None) -> Any:
    """A decoder (cached) of a JSON object's ``code`` and ``message`` fields; others skipped."""
    key = (code, message)
    decoder = _PROBES.get(key)
    if decoder is None:
        fields: list[tuple[str, Any, Any]] = [("code", Any, _ABSENT)]
        rename = {"code": code}
        if message is not None and message != code:
            fields.append(("message", Any, None))
            rename["message"] = message
        probe = msgspec.defstruct("EnvelopeProbe", fields, rename=rename)
        decoder = _PROBES[key] = msgspec.json.Decoder(probe)
    return decoder


def _probe(body: bytes, envelope: Envelope) -> tuple[bool, Any, Any]:
    """What `_top_level` would say of the envelope's fields, without decoding the rest."""
    assert envelope.code is not None
    try:
        found = _probe_decoder(envelope.code, envelope.message).decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return False, None, None
    if found.code is _ABSENT:
        return False, None, None
    if envelope.message is None:
        return True, found.code, None
    if envelope.message == envelope.code:
        return True, found.code, found.code
    return True, found.code, found.message


def _top_level(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body, type=dict[str, Any])
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None


def _is_success(code: Any, envelope: Envelope) -> bool:
    """Only text or an integer can be a success code; ``false``, ``0.0`` or a list never are."""
    if isinstance(code, bool) or not isinstance(code, str | int):
        return False
    return str(code) in envelope.success


def _business_error(code: Any, message: Any, body: bytes, common: dict[str, Any]) -> Outcome[Any]:
    text = message if isinstance(message, str) and message else "the service reported a failure"
    shown = code if isinstance(code, str) else msgspec.json.encode(code).decode()
    error = BusinessError(text, code=shown, body=body[:BODY_EXCERPT], **common)
    return Outcome(error=error, reason=f"code {shown}")


def _may_retry(spec: CallSpec[Any], policy: RetryPolicy) -> bool:
    return spec.idempotent or policy.retry_non_idempotent


def _common(response: httpx.Response, spec: CallSpec[Any]) -> dict[str, Any]:
    """What every error of this response carries (looked up only when there is an error)."""
    return {
        "status_code": response.status_code,
        "request_id": response.headers.get("x-cnc-request-id"),
        "action": spec.action,
    }


def classify_response(
    response: httpx.Response, spec: CallSpec[T], policy: RetryPolicy
) -> Outcome[T]:
    status = response.status_code
    body = response.content

    if 200 <= status < 300:
        envelope = spec.envelope
        try:
            value = spec.decode(response)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            common = _common(response, spec)
            # A refusal's body need not fit the success model: the envelope alone decides.
            if envelope.code is not None:
                present, raw, said = _envelope_of(_top_level(body), body, envelope)
                if present and not _is_success(raw, envelope):
                    return _business_error(raw, said, body, common)
            what = "an empty body" if not body.strip() else "a body it could not decode"
            decode_error = DecodeError(
                f"HTTP {status} with {what}: {exc}; first bytes: {body[:BODY_EXCERPT]!r}",
                body=body[:BODY_EXCERPT],
                **common,
            )
            return Outcome(error=decode_error, reason="undecodable body")
        if envelope.code is not None:
            present, raw, said = _envelope_of(value, body, envelope)
            if present and not _is_success(raw, envelope):
                return _business_error(raw, said, body, _common(response, spec))
        return Outcome(value=value)

    common = _common(response, spec)
    code: str | None = None
    message = ""
    error_body = _top_level(body) if body.lstrip()[:1] == b"{" else None
    if error_body is not None:
        # Error bodies are read with the action's field names, then the usual ones.
        names = spec.envelope if spec.envelope.code is not None else DEFAULT_ENVELOPE
        raw_code = error_body.get(names.code, error_body.get("code"))
        raw_message = error_body.get(names.message or "message", error_body.get("message"))
        if isinstance(raw_code, str | int) and not isinstance(raw_code, bool):
            code = str(raw_code)
        message = raw_message if isinstance(raw_message, str) else ""
    if not message:
        reason = response.reason_phrase or "error"
        excerpt = body[:200].decode("utf-8", "replace").strip()
        message = f"HTTP {status} {reason}" + (f": {excerpt}" if excerpt else " (empty body)")
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    api_error = cls(message, code=code, body=body[:BODY_EXCERPT], retry_after=retry_after, **common)
    reason = f"HTTP {status}" + (f" code {code}" if code else "")

    if Clock.rejected_stale_timestamp(response):
        # Rejected at the door, so safe for any method; the signer has adopted the server's
        # clock from this answer's Date header, so the next attempt's timestamp is good.
        return Outcome(
            error=api_error, reason=reason + " (clock skew; timestamp corrected)", retriable=True
        )
    if status in policy.retry_statuses:
        if _may_retry(spec, policy):
            return Outcome(error=api_error, reason=reason, retriable=True, retry_after=retry_after)
        return Outcome(
            error=api_error,
            reason=reason,
            reason_not_retriable=f"{spec.method} is not idempotent and may have taken effect",
        )
    return Outcome(error=api_error, reason=reason)


def classify_transport_error(
    exc: Exception | None,
    spec: CallSpec[T],
    policy: RetryPolicy,
    head: httpx.Response | None = None,
) -> Outcome[T]:
    """Classify a failed exchange; ``head`` is the status and headers when only the body failed."""
    assert exc is not None
    if head is None:
        return _transport_outcome(exc, spec, policy)
    status, request_id = head.status_code, head.headers.get("x-cnc-request-id")
    if isinstance(exc, httpx.DecodingError):
        # The server answered in full; its Content-Encoding would not decode. Not a network fault.
        error = DecodeError(
            f"HTTP {status} with a body whose Content-Encoding "
            f"({head.headers.get('content-encoding', 'none')}) could not be decoded: {exc}",
            status_code=status,
            request_id=request_id,
            body=b"",
            action=spec.action,
        )
        return Outcome(error=error, reason="undecodable Content-Encoding")
    outcome: Outcome[T] = _transport_outcome(exc, spec, policy)
    assert isinstance(outcome.error, TransportError)
    outcome.error.status_code, outcome.error.request_id = status, request_id
    outcome.reason = f"HTTP {status}, then {outcome.reason} while reading the body"
    return outcome


def classify_too_large(head: httpx.Response, limit: int, spec: CallSpec[T]) -> Outcome[T]:
    """The body passed ``max_response_bytes``: a typed error that keeps status and request id."""
    status = head.status_code
    error = ResponseTooLargeError(
        f"HTTP {status} with a body larger than max_response_bytes ({limit} bytes once decoded); "
        "reading stopped there. Ask for less (a smaller page size) or raise max_response_bytes",
        status_code=status,
        request_id=head.headers.get("x-cnc-request-id"),
        limit=limit,
        action=spec.action,
    )
    return Outcome(error=error, reason=f"HTTP {status} body over {limit} bytes")


def _transport_outcome(exc: Exception, spec: CallSpec[T], policy: RetryPolicy) -> Outcome[T]:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    common: dict[str, Any] = {"action": spec.action}
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        error: TransportError = TransportTimeoutError(text, request_sent=False, **common)
        return Outcome(error=error, reason=text, retriable=True, timeout=True)
    if isinstance(exc, httpx.ConnectError):
        return Outcome(
            error=ConnectError(text, request_sent=False, **common), reason=text, retriable=True
        )
    if isinstance(exc, httpx.TimeoutException):
        error, timeout = TransportTimeoutError(text, **common), True
    elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        error, timeout = ProtocolError(text, **common), False
    else:
        # Unsupported protocol, proxy or local protocol errors: trying again will not help.
        return Outcome(error=TransportError(text, **common), reason=text)
    if _may_retry(spec, policy):
        return Outcome(error=error, reason=text, retriable=True, timeout=timeout)
    return Outcome(
        error=error,
        reason=text,
        timeout=timeout,
        reason_not_retriable=(
            f"{spec.method} is not idempotent and the request may have reached the server"
        ),
    )
