"""``--cli-input-json FILE|-`` and ``--body FILE|-``: JSON from a file or stdin, checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from .parser import UsageError


def read_json(source: str, option: str, stdin: TextIO) -> Any:
    """The JSON document in ``source`` (a path, or ``-`` for stdin); a refusal names ``option``."""
    try:
        text = stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option}: cannot read {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{option}: {source} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "stdin" if source == "-" else source
        raise UsageError(
            f"{option}: {where} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise UsageError(f"{option}: {source} nests too deeply") from None


def request_arguments(
    document: Any, model: type[Any], option: str = "--cli-input-json"
) -> dict[str, Any]:
    """Map a JSON object's keys to the request model's fields.

    A key may be the wire name (``imageId``, as the API documents it), the field name
    (``image_id``) or the option name (``image-id`` or ``--image-id``).
    """
    import msgspec

    if not isinstance(document, dict):
        raise UsageError(f"{option}: expected a JSON object, got {_kind(document)}")
    names: dict[str, str] = {}
    for field in msgspec.structs.fields(model):
        for alias in (field.encode_name, field.name, field.name.replace("_", "-")):
            names[alias] = field.name
    arguments: dict[str, Any] = {}
    unknown = []
    for key, value in document.items():
        name = names.get(key.removeprefix("--"))
        if name is None:
            unknown.append(key)
        elif value is not None:
            arguments[name] = value
    if unknown:
        known = ", ".join(f.encode_name for f in msgspec.structs.fields(model))
        raise UsageError(
            f"{option}: unknown key(s) {', '.join(map(repr, unknown))} (this command takes: "
            f"{known})"
        )
    return arguments


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"
