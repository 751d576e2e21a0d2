"""Command-line options derived from types: request model fields and method parameters.

``msgspec.inspect`` describes any annotation (``Literal`` choices, ``Meta`` descriptions and
bounds, lists, optionals), so models and plain signatures go through the same code.
"""

from __future__ import annotations

import argparse
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import msgspec.inspect as mi


@dataclass(frozen=True)
class Option:
    """One command-line option or positional argument and how to convert its text."""

    dest: str
    help: str
    required: bool
    choices: tuple[Any, ...] | None
    convert: Callable[[str], Any]
    kind: str  # "value", "list" or "bool"
    positional: bool = False
    metavar: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.dest.replace("_", "-")

    def add_to(self, parser: argparse.ArgumentParser, *, enforce_required: bool = True) -> None:
        """Add the option; without ``enforce_required`` the caller checks required ones
        itself (after ``--cli-input-json`` may have supplied them)."""
        metavar = self.metavar or self.dest.upper()
        required = self.required and enforce_required
        help_text = self.help + (" (required)" if self.required and not enforce_required else "")
        if self.positional:
            parser.add_argument(self.dest, type=self.convert, help=self.help, metavar=metavar)
        elif self.kind == "bool":
            parser.add_argument(
                self.flag, dest=self.dest, action=argparse.BooleanOptionalAction, help=self.help
            )
        elif self.kind == "json":
            parser.add_argument(
                self.flag,
                dest=self.dest,
                type=self.convert,
                required=required,
                help=help_text,
                metavar="JSON",
            )
        elif self.kind == "json-items":
            # Repeatable: each value one item, or a JSON array of items.
            parser.add_argument(
                self.flag,
                dest=self.dest,
                type=self.convert,
                action="extend",
                required=required,
                help=help_text + " (repeat the option for more items, or give a JSON array)",
                metavar="JSON",
            )
        elif self.kind == "list":
            parser.add_argument(
                self.flag,
                dest=self.dest,
                type=self.convert,
                action="extend",
                nargs="+",
                required=required,
                choices=self.choices,
                help=help_text + " (several values separated by spaces)",
                metavar=metavar,
            )
        else:
            parser.add_argument(
                self.flag,
                dest=self.dest,
                type=self.convert,
                required=required,
                choices=self.choices,
                help=help_text,
                metavar=None if self.choices else metavar,
            )


def _examples(t: mi.Type) -> list[Any]:
    """The ``Meta(examples=...)`` of ``t`` or of its one non-None member."""
    while isinstance(t, mi.Metadata | mi.UnionType):
        if isinstance(t, mi.Metadata):
            found = (t.extra_json_schema or {}).get("examples")
            if found:
                return list(found)
            t = t.type
        else:
            rest = [m for m in t.types if not isinstance(m, mi.NoneType)]
            if len(rest) != 1:
                return []
            t = rest[0]
    return []


def _unwrap(t: mi.Type) -> tuple[mi.Type, str, bool]:
    """Strip ``Metadata`` and ``| None``: the core type, its description, whether optional."""
    description = ""
    optional = False
    while True:
        if isinstance(t, mi.Metadata):
            description = description or str((t.extra_json_schema or {}).get("description", ""))
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [m for m in t.types if not isinstance(m, mi.NoneType)]
            optional = optional or len(rest) < len(t.types)
            if len(rest) != 1:
                return t, description, optional
            t = rest[0]
        else:
            return t, description, optional


def _bounds(t: mi.Type) -> str:
    if isinstance(t, mi.IntType | mi.FloatType):
        parts = [
            f"{symbol} {value}"
            for symbol, value in ((">", t.gt), (">=", t.ge), ("<", t.lt), ("<=", t.le))
            if value is not None
        ]
        return ", ".join(parts)
    if isinstance(t, mi.StrType | mi.ListType):
        unit = "characters" if isinstance(t, mi.StrType) else "values per call"
        low, high = t.min_length, t.max_length
        if low and high:
            return f"{low} to {high} {unit}"
        if high is not None:
            return f"at most {high} {unit}"
        if low and low > 1:
            return f"at least {low} {unit}"
        if low == 1 and isinstance(t, mi.ListType):
            return "at least one value"
    return ""


#: Words for the types a help line names.
def _type_word(t: mi.Type) -> str:
    if isinstance(t, mi.LiteralType | mi.EnumType):
        return ""  # argparse lists the choices
    if isinstance(t, mi.IntType):
        return "integer"
    if isinstance(t, mi.FloatType):
        return "number"
    if isinstance(t, mi.BoolType):
        return ""
    if isinstance(t, mi.StrType):
        return "text" + (f" matching {t.pattern}" if t.pattern else "")
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        item = _type_word(_unwrap(t.item_type)[0])
        return f"list of {item}" if item else "list"
    if isinstance(t, mi.StructType):
        return "JSON object"
    if isinstance(t, mi.DictType):
        return "JSON object of names to values"
    return ""


_DATE_PARTS = (
    (r"\d{4}-\d{2}-\d{2}", "yyyy-MM-dd"),
    (r"\d{4}\d{2}\d{2}", "yyyyMMdd"),
    (r"T?\d{2}:\d{2}(:\d{2})?", None),
)


def _date_format(example: str) -> str | None:
    """The date format an example is written in (``2026-12-01T08:00:00+08:00`` ->
    ``yyyy-MM-ddTHH:mm:ss+hh:mm``), or ``None`` when it is no date."""
    import re

    m = re.fullmatch(
        r"(\d{4})(-?)(\d{2})\2(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?",
        example,
    )
    if m is None:
        return None
    sep = m.group(2)
    text = f"yyyy{sep}MM{sep}dd"
    if m.group(5):
        text += f"{m.group(5)}HH:mm" + (":ss" if m.group(8) else "")
    zone = m.group(9)
    if zone:
        text += "Z" if zone == "Z" else ("+hh:mm" if ":" in zone else "+hhmm")
    return text


def _struct_keys(t: mi.StructType) -> str:
    """``{"domain-name": [text], ...}``: the keys a JSON object option takes (required first)."""
    parts = []
    for f in sorted(t.fields, key=lambda f: not f.required):
        core = _unwrap(f.type)[0]
        word = _type_word(core) or "value"
        if isinstance(core, mi.LiteralType):
            word = "|".join(str(v) for v in core.values)
        parts.append(f'"{f.encode_name}": {word}{"" if f.required else " (optional)"}')
    return "{" + ", ".join(parts) + "}"


def _json_value(dest: str, items: bool) -> Callable[[str], Any]:
    import json

    def convert(text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(f"not JSON: {exc.msg} (column {exc.colno})") from None
        if items:
            return value if isinstance(value, list) else [value]
        return value

    convert.__name__ = "JSON"  # argparse names the type in its errors
    return convert


def _scalar(t: mi.Type) -> tuple[Callable[[str], Any], tuple[Any, ...] | None] | None:
    if isinstance(t, mi.LiteralType):
        if all(isinstance(v, str) for v in t.values):
            return str, tuple(t.values)
        # Choices that are not text (isRange: 0 or 1) are read back as the value the text names,
        # so the request carries 1 and not "1"; argparse checks choices after this conversion.
        by_text = {str(v): v for v in t.values}
        return (lambda text: by_text.get(text, text)), tuple(t.values)
    if isinstance(t, mi.EnumType):
        return str, tuple(str(m.value) for m in t.cls)
    if isinstance(t, mi.IntType):
        return int, None
    if isinstance(t, mi.FloatType):
        return float, None
    if isinstance(t, mi.StrType | mi.AnyType):
        return str, None
    return None


#: Help for the parameters waiters share, where a signature has no description of its own.
PARAMETER_HELP = {
    "timeout": "give up after this many seconds",
    "poll_interval": "seconds between the first polls",
    "max_interval": "longest wait between polls, in seconds",
    "backoff": "factor the wait between polls grows by after each poll",
    "ready_states": "states that end the wait successfully",
    "done_states": "states that end the wait successfully",
    "failed_states": "states that end the wait with an error (exit status 1)",
    "node_names": "the nodes to wait for (default: every node the service reports)",
}
#: Parameter names measured in seconds: their metavar says so.
_SECONDS = ("timeout", "interval", "seconds", "delay")


def _metavar(dest: str, core: mi.Type) -> str:
    if isinstance(core, mi.FloatType | mi.IntType) and any(w in dest for w in _SECONDS):
        return "SECONDS"
    if isinstance(core, mi.IntType):
        return "N"
    if isinstance(core, mi.FloatType):
        return "NUMBER"
    return dest.upper()


def _show_default(default: Any) -> str:
    if isinstance(default, bool) or default is None or default is inspect.Parameter.empty:
        return ""
    if isinstance(default, float) and default.is_integer():
        return f"default: {int(default)}"
    if isinstance(default, int | float | str):
        return f"default: {default}"
    if isinstance(default, tuple | list | frozenset | set) and default:
        return "default: " + " ".join(sorted(str(v) for v in default))
    return ""


def _help(dest: str, t: mi.Type, core: mi.Type, description: str, default: Any) -> str:
    """A help line from the facts: what it is, its type, limits, default, format, example."""
    parts = [description or PARAMETER_HELP.get(dest, "")]
    word = _type_word(core)
    if isinstance(core, mi.StructType):
        word = f"JSON object {_struct_keys(core)}"
    elif isinstance(core, mi.ListType) and isinstance(_unwrap(core.item_type)[0], mi.StructType):
        word = f"JSON object {_struct_keys(_unwrap(core.item_type)[0])} per item"  # type: ignore[arg-type]
    if _metavar(dest, core) != "SECONDS":  # the metavar already says what it is
        parts.append(word)
    parts.append(_bounds(core))
    for example in _examples(t):
        text = str(example)
        date = _date_format(text)
        if date:
            parts.append(f"format {date}")
        parts.append(f"e.g. {text}")
        break
    text = "; ".join(p for p in parts if p) or dest.replace("_", " ")
    shown = _show_default(default)
    return f"{text} ({shown})" if shown else text


def option_for(
    dest: str,
    t: mi.Type,
    *,
    required: bool,
    positional: bool = False,
    default: Any = None,
) -> Option | None:
    """The option for one field or parameter, or ``None`` when the shell cannot express it.

    Scalars and lists of scalars are typed on the command line; objects, maps and lists of
    objects take JSON (a list of objects: one JSON object per repeated option, or an array).
    """
    core, description, optional = _unwrap(t)
    help_text = _help(dest, t, core, description, default)
    needed = required and not optional
    if isinstance(core, mi.BoolType):
        return Option(dest, help_text, False, None, str, "bool")
    if isinstance(core, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        item, _, _ = _unwrap(core.item_type)
        scalar = _scalar(item)
        if scalar is None:
            if positional:
                return None
            return Option(dest, help_text, needed, None, _json_value(dest, True), "json-items")
        return Option(
            dest,
            help_text,
            needed,
            scalar[1],
            scalar[0],
            "list",
            metavar=_metavar(dest, item).removesuffix("S") if dest.endswith("s") else "",
        )
    scalar = _scalar(core)
    if scalar is None:
        if positional or not isinstance(core, mi.StructType | mi.DictType | mi.UnionType):
            return None
        return Option(dest, help_text, needed, None, _json_value(dest, False), "json")
    return Option(
        dest,
        help_text,
        needed,
        scalar[1],
        scalar[0],
        "value",
        positional,
        _metavar(dest, core),
    )


def model_options(model: type[Any]) -> list[Option]:
    """Options for every field of a request model, in declaration order."""
    info = mi.type_info(model)
    assert isinstance(info, mi.StructType)
    options = []
    for field in info.fields:
        option = option_for(field.name, field.type, required=field.required)
        if option is not None:
            options.append(option)
    return options


def signature_options(function: Callable[..., Any], skip: frozenset[str]) -> list[Option]:
    """Options for a method's parameters: required ones become positionals."""
    hints = typing.get_type_hints(function, include_extras=True)
    options = []
    for name, param in inspect.signature(function).parameters.items():
        if name in skip or name == "self" or name not in hints:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        try:
            t = mi.type_info(hints[name])
        except (TypeError, msgspec.ValidationError):
            continue  # callbacks and other values the shell cannot express
        required = param.default is inspect.Parameter.empty
        option = option_for(name, t, required=required, positional=required, default=param.default)
        if option is not None:
            options.append(option)
    return options
