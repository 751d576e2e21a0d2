"""The shape table: one class per shape of nested object, however many names upstream gave it.

The Go SDK declares a nested struct once per place it appears, so one shape (the same fields,
wire names, types and constraints) arrives under many names (``...AreaConditions`` eight times
in securitypolicy). `merge_shapes` identifies nested types by their structure, bottom-up (two
types are the same shape when their fields are equal once the types they refer to are replaced
by their shapes), keeps one name per shape and points every reference at it. The other names
stay importable as deprecated aliases of the kept one.

Response models (one per action, named after it) and types the overrides review by name are
never merged: their names are facts a reviewer chose.
"""

from __future__ import annotations

import msgspec

from .load import ActionModel, ProductModel, rename_type
from .spec import Field, TypeDef


def _key(typedef: TypeDef) -> bytes:
    return msgspec.json.encode(typedef)


def _kept_name(names: list[str]) -> str:
    """The shortest of the names (then the first alphabetically): the most readable, by rule."""
    return min(names, key=lambda n: (len(n), n))


def merge_shapes(model: ProductModel) -> dict[str, str]:
    """Merge the nested types of ``model`` that share a shape, in place; merged name -> kept."""
    fixed = {a.spec.response.type for a in model.actions if a.spec.response.type}
    fixed |= set(model.overrides.types)
    aliases: dict[str, str] = {}
    while True:
        groups: dict[bytes, list[str]] = {}
        for name, typedef in model.types.items():
            if name not in fixed:
                groups.setdefault(_key(typedef), []).append(name)
        renames = {
            name: _kept_name(names)
            for names in groups.values()
            if len(names) > 1
            for name in names
            if name != _kept_name(names)
        }
        if not renames:
            break
        for old, new in renames.items():
            del model.types[old]
            aliases[old] = new
        for alias, target in aliases.items():
            aliases[alias] = renames.get(target, target)
        model.types = {
            n: msgspec.structs.replace(t, fields=_renamed(t.fields, renames))
            for n, t in model.types.items()
        }
        model.actions = [_rename_action(a, renames) for a in model.actions]
    return dict(sorted(aliases.items()))


def _renamed(fields: list[Field], renames: dict[str, str]) -> list[Field]:
    return [msgspec.structs.replace(f, type=rename_type(f.type, renames)) for f in fields]


def _rename_action(action: ActionModel, renames: dict[str, str]) -> ActionModel:
    fields = _renamed(action.fields, renames)
    action.spec = msgspec.structs.replace(action.spec, request=fields)
    action.fields = fields
    return action
