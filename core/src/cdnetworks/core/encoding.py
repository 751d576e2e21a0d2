"""From user input to the bytes of a request: validation, path, query and body encoding.

Everything here runs before the first byte is sent, so bad input fails early and names the field.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from .action import Action
from .errors import ValidationError
from .structs import twin_struct

T = TypeVar("T")

_WIRE_PATH = re.compile(r"`\$\.([^`\[]+)")
#: msgspec names a missing top-level field only in the message: "missing required field `name`".
_MISSING_TOP = re.compile(r"^Object missing required field `([^`]+)`$")


def _is_utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (a lone surrogate does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _encodable(text: str, field: str | None) -> str:
    """``text`` itself, once it is known to encode as UTF-8."""
    if not _is_utf8(text):
        raise ValidationError(
            "contains a lone surrogate, which is not valid Unicode text", field=field
        )
    return text


def _unencodable(value: Any) -> bool:
    """Whether a value (or a str inside a list or dict) cannot be encoded as UTF-8."""
    if isinstance(value, str):
        return not _is_utf8(value)
    if isinstance(value, list | tuple):
        return any(_unencodable(v) for v in value)
    if isinstance(value, dict):
        return any(_unencodable(k) or _unencodable(v) for k, v in value.items())
    return False


def encode_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Percent-encode query pairs; a space is ``%20`` and a plus ``%2B``, never a literal ``+``."""
    return "&".join(
        f"{quote(_encodable(k, k), safe='-_.~')}={quote(_encodable(v, k), safe='-_.~')}"
        for k, v in pairs
    )


def _json_problem(value: Any, where: str) -> str | None:
    """Why plain data would not survive JSON unchanged (msgspec would coerce it silently)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where} is {value!r}, which JSON cannot carry (it would be sent as null)"
    if isinstance(value, bytes | bytearray | memoryview | set | frozenset):
        return f"{where} is a {type(value).__name__}, which JSON cannot carry as it is"
    if isinstance(value, list | tuple):
        return next(
            (p for i, v in enumerate(value) if (p := _json_problem(v, f"{where}[{i}]"))), None
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has a {type(key).__name__} key {key!r}; JSON keys are text"
            problem = _json_problem(item, f"{where}.{key}")
            if problem:
                return problem
    return None


def encode_json(value: Any, field: str | None = None, action: str | None = None) -> bytes:
    """``value`` as JSON bytes, or a `ValidationError` saying why it cannot be."""
    if not isinstance(value, msgspec.Struct):  # models are typed; plain data is checked here
        problem = _json_problem(value, field or "json")
        if problem:
            raise ValidationError(problem, field=field, action=action)
    try:
        return msgspec.json.encode(value)
    except (TypeError, ValueError, OverflowError) as exc:  # UnicodeEncodeError is a ValueError
        raise ValidationError(
            f"cannot be encoded as JSON: {exc}", field=field, action=action
        ) from None


def query_value(value: Any, field: str | None = None) -> str:
    """Render one query value: booleans as ``true``/``false``, sequences comma-separated."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        items = [query_value(v, field) for v in value]
        if any("," in item for item in items):
            # Items are sent comma-joined: a comma inside one would split it into two.
            raise ValidationError("list items must not contain ','", field=field)
        return ",".join(items)
    if value is None:
        raise ValidationError("None cannot be sent inside a list", field=field)
    if isinstance(value, bytes | bytearray | memoryview | Mapping | set | frozenset):
        # str() of these is a Python repr, not a value the API could understand.
        raise ValidationError(
            f"a {type(value).__name__} cannot be sent as a query or path value", field=field
        )
    return _encodable(str(value), field)


def query_pairs(
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> list[tuple[str, str]]:
    """Normalise ``invoke`` params: drop ``None`` values, sort keys as Go's ``url.Values`` does."""
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise ValidationError(
            f"params must be a mapping or (name, value) pairs, not {type(params).__name__}",
            field="params",
        )
    pairs = []
    for item in items:
        try:
            key, value = item
        except (TypeError, ValueError):
            raise ValidationError(
                f"params must be a mapping or (name, value) pairs, not {type(item).__name__}",
                field="params",
            ) from None
        if not isinstance(key, str):
            raise ValidationError(
                f"parameter names must be text, not {type(key).__name__} {key!r}", field="params"
            )
        if value is not None:
            name = _encodable(key, "params")
            pairs.append((name, query_value(value, name)))
    return sorted(pairs, key=lambda kv: kv[0])


def path_segment(name: str, value: Any, action: str | None = None) -> str:
    """Encode one path parameter so no value can change the route."""
    try:
        text = query_value(value, name)
    except ValidationError as exc:
        exc.action = exc.action or action
        raise
    if not text.strip():
        raise ValidationError("must not be empty", field=name, action=action)
    if text in (".", ".."):
        raise ValidationError(f"{text!r} is not a valid identifier", field=name, action=action)
    if "\x00" in text:
        raise ValidationError("must not contain NUL", field=name, action=action)
    return quote(text, safe="-_.~")


_FIELD_NAMES: dict[type[Any], dict[str, str]] = {}


def _field_names(model: type[Any]) -> dict[str, str]:
    """Python attribute name -> wire name (cached: msgspec re-evaluates annotations per call)."""
    names = _FIELD_NAMES.get(model)
    if names is None:
        names = _FIELD_NAMES[model] = {f.name: f.encode_name for f in msgspec.structs.fields(model)}
    return names


def _python_name(model: type[Any], wire_path: str) -> str:
    """Turn msgspec's ``$.minDisk`` error location into ``min_disk``."""
    reverse = {wire: py for py, wire in _field_names(model).items()}
    head = wire_path.split(".")[0]
    return reverse.get(head, head)


def _choices(model: type[Any], field: str) -> tuple[Any, ...]:
    """The ``Literal`` values a field (or its list items) may take, in declaration order."""
    try:
        pending = [typing.get_type_hints(model, include_extras=True)[field]]
    except (KeyError, NameError, TypeError):
        return ()
    while pending:
        hint = pending.pop()
        if typing.get_origin(hint) is typing.Literal:
            return typing.get_args(hint)
        if typing.get_origin(hint) is typing.Annotated:
            pending.append(typing.get_args(hint)[0])
        else:
            pending.extend(typing.get_args(hint))  # unions, lists and other containers
    return ()


def validate(
    model: type[T], data: Mapping[str, Any], action: str | None = None, names: Any = None
) -> T:
    """Convert wire-named ``data`` into ``model``: types, constraints and ``__post_init__``.

    Errors name fields as ``names`` (a model, by default ``model``) spells them.
    """
    named = model if names is None else names
    try:
        return msgspec.convert(data, type=model)
    except UnicodeEncodeError:
        # msgspec encodes a str to compare it with Literal values; a lone surrogate cannot be.
        field = next((k for k, v in data.items() if _unencodable(v)), None)
        raise ValidationError(
            "contains a lone surrogate, which is not valid Unicode text",
            field=_python_name(named, field) if field else None,
            action=action,
        ) from None
    except msgspec.ValidationError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ValidationError):
            cause.action = cause.action or action
            raise cause from None
        message = str(exc)
        match = _WIRE_PATH.search(message)
        field = _python_name(named, match.group(1)) if match else None
        missing = _MISSING_TOP.match(message)
        if missing:
            field = _python_name(named, missing.group(1))
            raise ValidationError("is required", field=field, action=action) from None
        text = message.split(" - at `")[0]
        if match:
            text = text.replace(f"`$.{match.group(1)}`", field or "")
        if field and text.startswith("Invalid enum value"):
            allowed = _choices(named, field)
            if allowed:
                text += f"; expected one of {', '.join(str(v) for v in allowed)}"
        raise ValidationError(text, field=field, action=action) from None


_UNHOOKED: dict[type[Any], type[Any]] = {}


def _unhooked(model: type[Any]) -> type[Any]:
    """A copy of ``model`` (cached) with its fields, names and config but no ``__post_init__``:
    a model passed in ran its own when it was built, so checking it again runs only types and
    constraints."""
    twin = _UNHOOKED.get(model)
    if twin is None:
        twin = _UNHOOKED[model] = twin_struct(
            model, typing.get_type_hints(model, include_extras=True)
        )
    return twin


def _validated_model(model: type[T], request: T, action: str | None) -> T:
    """``request`` itself once its values pass the model's types and constraints.

    The check converts a copy into `_unhooked` ``model``; when that changes nothing on the wire
    ``request`` is sent as it is (its ``__post_init__`` ran once, when it was built). When the
    conversion normalises a value (an ``int`` given for a ``float`` field), the model is
    rebuilt from the converted data, as before.
    """
    wire = msgspec.to_builtins(request)
    if not isinstance(model, type) or not issubclass(model, msgspec.Struct):
        return validate(model, wire, action)
    checked = validate(_unhooked(model), wire, action, names=model)
    if msgspec.json.encode(msgspec.to_builtins(checked)) == msgspec.json.encode(wire):
        return request
    return validate(model, wire, action)


def build_request_model(
    model: type[T], request: T | None, kwargs: Mapping[str, Any], action: str | None = None
) -> T:
    """Accept a request model or snake_case keyword arguments (not both) and validate either."""
    if request is not None and kwargs:
        raise ValidationError(
            "pass either a request model or keyword arguments, not both", action=action
        )
    if request is not None:
        if not isinstance(request, model):
            raise ValidationError(
                f"expected a {model.__name__}, got {type(request).__name__}", action=action
            )
        # Models built by hand skip type checks; a round trip through the validator does them.
        return _validated_model(model, request, action)
    names = _field_names(model)
    unknown = kwargs.keys() - names.keys()
    if unknown:
        listed = sorted(unknown)
        raise ValidationError(
            f"unexpected argument(s) {', '.join(listed)}; expected: {', '.join(names)}",
            field=listed[0],
            action=action,
        )
    return validate(model, {names[k]: v for k, v in kwargs.items() if v is not None}, action)


def wire_name(key: str) -> str:
    """The name on the wire of a model key: ``query:dryRun`` is ``dryRun`` sent in the query
    (a model keys a wire name used in two places that way)."""
    return key.partition(":")[2] or key


class _Plan(typing.NamedTuple):
    """Where an action's fields go, worked out once per action (`_plan`)."""

    #: (wire key, Python name) of each path placeholder.
    path: tuple[tuple[str, str], ...]
    #: (wire key, header name, Python name) of each header field.
    headers: tuple[tuple[str, str, str], ...]
    #: (wire key, query name) of the query fields; ``None``: every field of the request.
    query: tuple[tuple[str, str], ...] | None
    #: Wire keys sent in the path or as headers, never in the query.
    skip: frozenset[str]


def _plan(action: Action[Any, Any]) -> _Plan:
    """``action``'s `_Plan`, kept on the action (actions are frozen, so it never goes stale)."""
    plan: _Plan | None = action.__dict__.get("_encoding_plan")
    if plan is None:
        model = action.request
        path_params = action.path_params
        headers = tuple(
            (name, wire_name(name), _python_name(model, name)) for name in action.headers
        )
        skip = frozenset(path_params) | frozenset(action.headers)
        query: tuple[tuple[str, str], ...] | None
        if action.query is None:
            query = () if action.sends_body else None
        else:
            query = tuple((k, wire_name(k)) for k in action.query if k not in skip)
        plan = _Plan(
            path=tuple((name, _python_name(model, name)) for name in path_params),
            headers=headers,
            query=query,
            skip=skip,
        )
        action.__dict__["_encoding_plan"] = plan
    return plan


def render(
    action: Action[Any, Any], request: Any
) -> tuple[str, list[tuple[str, str]], bytes | None, list[tuple[str, str]]]:
    """The encoded path, query pairs, body and headers of ``action`` for a validated ``request``.

    Fields go where the action declares (`Action.query`, ``headers``, ``body``); path
    placeholders are filled from the field of that wire name.
    """
    wire = msgspec.to_builtins(request)
    plan = _plan(action)
    path = action.path
    for name, field in plan.path:
        value = wire.get(name)
        if value is None:
            raise ValidationError("is required", field=field, action=action.name)
        path = path.replace("{" + name + "}", path_segment(field, value, action.name))
    headers = [
        (header, query_value(wire[name], field))
        for name, header, field in plan.headers
        if wire.get(name) is not None
    ]
    if plan.query is None:
        skip = plan.skip
        params = {wire_name(k): v for k, v in wire.items() if k not in skip}
    else:
        params = {q: wire[k] for k, q in plan.query if k in wire}
    body = None
    if action.sends_body:
        if action.body is None:
            body = encode_json(request, action=action.name)
        else:
            body = encode_json({k: wire[k] for k in action.body if k in wire}, action=action.name)
    return path, _model_query(params), body, headers


def _model_query(params: dict[str, Any]) -> list[tuple[str, str]]:
    """`query_pairs` of a model's query fields: names are the model's own text, so only the
    values are checked."""
    pairs = []
    for key, value in params.items():
        if value is not None:
            pairs.append((_encodable(key, "params"), query_value(value, key)))
    if len(pairs) > 1:
        pairs.sort(key=_first)
    return pairs


def _first(pair: tuple[str, str]) -> str:
    return pair[0]
