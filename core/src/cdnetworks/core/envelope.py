"""The envelope of a 2xx body (``code`` and ``message``): read from the typed value when its
model has those fields, otherwise probed from the body's top-level object alone."""

from __future__ import annotations

from typing import Any

import msgspec

from .action import Envelope
from .decoders import DECODE_ERRORS

_CODE_ATTRS: dict[tuple[type, str], str | None] = {}


def field_of(model: type, wire: str) -> str | None:
    """The attribute of ``model`` holding the wire field ``wire`` (cached), if it has one."""
    key = (model, wire)
    if key not in _CODE_ATTRS:
        _CODE_ATTRS[key] = next(
            (f.name for f in msgspec.structs.fields(model) if f.encode_name == wire), None
        )
    return _CODE_ATTRS[key]


def envelope_of(value: Any, body: bytes, envelope: Envelope) -> tuple[bool, Any, Any]:
    """``(present, code, message)`` of a decoded 2xx value, per the declared envelope.

    The typed value itself answers when its model has the envelope's fields, so the body is
    decoded once; otherwise (a model without them, or plain data) the body's top-level object
    is read for those two fields alone (`probe`), without building the rest of it.
    """
    assert envelope.code is not None
    if isinstance(value, msgspec.Struct):
        code_attr = field_of(type(value), envelope.code)
        message_attr = (
            field_of(type(value), envelope.message) if envelope.message is not None else None
        )
        if code_attr is not None and (envelope.message is None or message_attr is not None):
            code = getattr(value, code_attr)
            message = getattr(value, message_attr) if message_attr else None
            return code is not None, code, message
        return probe(body, envelope)
    if not isinstance(value, dict):
        return probe(body, envelope)  # e.g. invoke's Result: the body's own object decides
    if envelope.code not in value:
        return False, None, None
    message = value.get(envelope.message) if envelope.message is not None else None
    return True, value[envelope.code], message


class _Absent:
    """The default of a probe's ``code``: the body has no such field."""


_ABSENT = _Absent()
_PROBES: dict[tuple[str, str | None], Any] = {}


def probe_decoder(code: str, message: str | None) -> Any:
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


def probe(body: bytes, envelope: Envelope) -> tuple[bool, Any, Any]:
    """What `top_level` would say of the envelope's fields, without decoding the rest."""
    assert envelope.code is not None
    try:
        found = probe_decoder(envelope.code, envelope.message).decode(body)
    except DECODE_ERRORS:
        return False, None, None
    if found.code is _ABSENT:
        return False, None, None
    if envelope.message is None:
        return True, found.code, None
    if envelope.message == envelope.code:
        return True, found.code, found.code
    return True, found.code, found.message


def top_level(body: bytes) -> Any:
    try:
        return msgspec.json.decode(body, type=dict[str, Any])
    except DECODE_ERRORS:
        return None


def is_success(code: Any, envelope: Envelope) -> bool:
    """Only text or an integer can be a success code; ``false``, ``0.0`` or a list never are."""
    if isinstance(code, bool) or not isinstance(code, str | int):
        return False
    return str(code) in envelope.success
