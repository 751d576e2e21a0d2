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


#: Shared request/answer classes named after their fields have at most this many.
NAMED_BY_FIELDS = 3


def _camel(word: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in word.split("_") if w)


def _shared_name(fields: list[Field], suffix: str, names: list[str], taken: set[str]) -> str:
    """The name of a class several actions share, by rule: after its fields when they are few
    and plain (``code`` + ``msg`` -> ``CodeMsgResponse``, none -> ``EmptyRequest``), else the
    shortest of the actions' own names (`_kept_name`)."""
    from .load import py_name, type_refs

    plain = all(not type_refs(f.type) for f in fields)
    if plain and len(fields) <= NAMED_BY_FIELDS:
        name = ("".join(_camel(py_name(f)) for f in fields) or "Empty") + suffix
        if name not in taken:
            return name
    return _kept_name(names)


def merge_action_models(model: ProductModel) -> dict[str, str]:
    """One request class per request shape and one answer class per answer shape, in place;
    merged name -> kept. The Go SDK declares both once per action, so ``code`` + ``msg``
    answers arrive under a hundred names. Classes the overrides review (a ``request_doc``, a
    ``post_init``, a type patch) keep their own."""
    # A patch that renames or describes a class reviews its name; one removing fields does not.
    reviewed = {
        patch.rename or name
        for name, patch in model.overrides.types.items()
        if patch.rename or patch.description or patch.post_init
    }
    aliases: dict[str, str] = {}
    taken = set(model.types) | {a.request_class for a in model.actions}
    # Answers: response types of the same shape and the same headers read into them.
    answers: dict[bytes, list[str]] = {}
    headers: dict[str, list[bytes]] = {}
    for action in model.actions:
        if action.spec.response.type:
            headers.setdefault(action.spec.response.type, []).append(
                msgspec.json.encode(action.spec.response.headers)
            )
    for name, found in headers.items():
        typedef = model.types[name]
        if name in reviewed or typedef.post_init or typedef.description or len(set(found)) > 1:
            continue
        answers.setdefault(_key(typedef) + found[0], []).append(name)
    renames: dict[str, str] = {}
    for names in answers.values():
        if len(names) < 2:
            continue
        kept = _shared_name(model.types[names[0]].fields, "Response", names, taken)
        taken.add(kept)
        renames |= {n: kept for n in names if n != kept}
    for old, new in renames.items():
        if new not in model.types:
            model.types[new] = model.types[old]
        del model.types[old]
    model.types = {
        n: msgspec.structs.replace(t, fields=_renamed(t.fields, renames))
        for n, t in model.types.items()
    }
    for action in model.actions:
        shared = renames.get(action.response_class)
        if shared:
            action.response_class = shared
            response = msgspec.structs.replace(action.spec.response, type=shared)
            action.spec = msgspec.structs.replace(action.spec, response=response)
    aliases |= renames
    # Requests: the same fields (wire names, places, types, constraints) and nothing reviewed.
    requests: dict[bytes, list[ActionModel]] = {}
    for action in model.actions:
        if action.request_doc or action.request_post_init or action.request_class in reviewed:
            continue
        # Where a field travels (query, body, path) is the action's fact, not the class's.
        placeless = [msgspec.structs.replace(f, location="body") for f in action.fields]
        requests.setdefault(msgspec.json.encode(placeless), []).append(action)
    for actions in requests.values():
        if len(actions) < 2:
            continue
        names = [a.request_class for a in actions]
        kept = _shared_name(actions[0].fields, "Request", names, taken - set(names))
        taken.add(kept)
        for action in actions:
            if action.request_class != kept:
                aliases[action.request_class] = kept
                action.request_class = kept
    return dict(sorted(aliases.items()))


#: Nested-type names longer than this are shortened by `shorten_names`.
MAX_NAME = 48


#: Words too general to name a class alone.
_GENERAL = {"Data", "Result", "Results", "List", "Items", "Records", "Info", "Detail", "Details"}


def _holders(model: ProductModel) -> dict[str, tuple[str, Field]]:
    """Nested type -> the first (class, field) that holds it."""
    from .load import type_refs

    out: dict[str, tuple[str, Field]] = {}
    owners = [(n, t.fields) for n, t in model.types.items()]
    owners += [(a.request_class, a.fields) for a in model.actions]
    for owner, fields in owners:
        for f in fields:
            for ref in type_refs(f.type):
                out.setdefault(ref, (owner, f))
    return out


def short_name(
    name: str, holders: dict[str, tuple[str, Field]], nested: set[str], taken: set[str]
) -> str | None:
    """The rule for a long nested-type name (``<Action>Response<Path>``): the name of the
    field that holds it, CamelCase (``rate_limit_rule_condition`` ->
    ``RateLimitRuleCondition``), preceded by the names of the fields above it, one at a time,
    while that name is taken by another class or is one general word (``Data``); at the
    request or answer, its name without ``Request``/``Response`` goes first
    (``...WithDomainResponse`` + ``Data`` -> ``...WithDomainData``). None when that is no
    shorter."""
    from .load import py_name

    parts: list[str] = []
    current = name
    while current in holders:
        owner, field = holders[current]
        parts.insert(0, _camel(py_name(field)))
        candidate = "".join(parts)
        if candidate not in taken and candidate not in _GENERAL and candidate[:1].isupper():
            return candidate
        if owner not in nested:
            # At the request or answer: its action's name, then the path (``...Data``).
            stem = owner.removesuffix("Request").removesuffix("Response")
            top = stem + candidate
            return top if top not in taken and len(top) < len(name) else None
        current = owner
    return None


def shorten_names(model: ProductModel) -> dict[str, str]:
    """Give nested types longer than `MAX_NAME` their `short_name`, in place; old -> new.
    Names a type patch chose are kept."""
    reviewed = {p.rename or n for n, p in model.overrides.types.items() if p.rename}
    responses = {a.spec.response.type for a in model.actions if a.spec.response.type}
    nested = set(model.types) - responses
    holders = _holders(model)
    taken = set(model.types) | {a.request_class for a in model.actions}
    taken |= {a.response_class for a in model.actions}
    renames: dict[str, str] = {}
    for name in sorted(nested):
        if len(name) <= MAX_NAME or name in reviewed:
            continue
        new = short_name(name, holders, nested, taken)
        if new is not None:
            renames[name] = new
            taken.add(new)
    if renames:
        model.types = {
            renames.get(n, n): msgspec.structs.replace(t, fields=_renamed(t.fields, renames))
            for n, t in model.types.items()
        }
        model.actions = [_rename_action(a, renames) for a in model.actions]
    return renames
