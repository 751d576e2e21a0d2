"""Resource groups: how a large product's modules are split so that none passes ~2,000 lines.

A product with more than `SPLIT_ABOVE` actions gets ``models/``, ``actions/`` and
``_methods/`` packages with one module per resource group instead of one flat module each.
The group is a fact of the API, read from the action's path: its first segment after ``/api``
and a version (``/api/v1/waf/rule/...`` -> ``waf``). A group of more than `MAX_ACTIONS` is
split by its second segment (``waf_rule``), sub-groups of fewer than `MIN_SUBGROUP` actions
staying in the parent; a parent still too large is cut, in spec order, into numbered parts.
Public imports do not change: ``models/__init__`` and ``actions/__init__`` re-export every
name, and the clients inherit each group's methods.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .load import ActionModel, ProductModel, type_refs

SPLIT_ABOVE = 30
MAX_ACTIONS = 20
MIN_SUBGROUP = 3

_VERSION = re.compile(r"v\d+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def path_segments(path: str) -> list[str]:
    """The path's resource words, snake_case: no ``api``, version or ``{parameter}``."""
    words = [
        s
        for s in path.split("/")
        if s and s.lower() != "api" and not _VERSION.fullmatch(s) and not s.startswith("{")
    ]
    return [re.sub(r"\W+", "_", _CAMEL.sub("_", w)).strip("_").lower() or "root" for w in words]


def _key(action: ActionModel, depth: int) -> str:
    words = path_segments(action.spec.path)
    # The last word names the operation, not a resource (``.../rule/create``).
    resource = words[:-1] or words or ["root"]
    return "_".join(resource[:depth])


def resource_groups(model: ProductModel) -> dict[str, list[ActionModel]] | None:
    """Group name -> its actions (spec order), or None for a product kept in flat modules."""
    if len(model.actions) <= SPLIT_ABOVE:
        return None
    first: dict[str, list[ActionModel]] = {}
    for action in model.actions:
        first.setdefault(_key(action, 1), []).append(action)
    out: dict[str, list[ActionModel]] = {}
    for name, actions in first.items():
        if len(actions) <= MAX_ACTIONS:
            out[name] = actions
            continue
        sub: dict[str, list[ActionModel]] = {}
        for action in actions:
            sub.setdefault(_key(action, 2), []).append(action)
        rest: list[ActionModel] = []
        for sub_name, members in sub.items():
            if len(members) >= MIN_SUBGROUP and sub_name != name:
                out[sub_name] = members
            else:
                rest.extend(members)
        rest.sort(key=model.actions.index)
        if len(rest) <= MAX_ACTIONS:
            if rest:
                out[name] = rest
            continue
        parts = -(-len(rest) // MAX_ACTIONS)
        size = -(-len(rest) // parts)
        for n in range(parts):
            out[f"{name}_{n + 1}"] = rest[n * size : (n + 1) * size]
    return {name: out[name] for name in sorted(out)}


def reachable(model: ProductModel, actions: Iterable[ActionModel]) -> set[str]:
    """The nested types the actions' requests and answers use, directly or through others."""
    todo = [ref for a in actions for f in a.fields for ref in type_refs(f.type)]
    todo += [a.spec.response.type for a in actions if a.spec.response.type]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in model.types:
            continue
        seen.add(name)
        todo += [ref for f in model.types[name].fields for ref in type_refs(f.type)]
    return seen


def type_owners(model: ProductModel, groups: dict[str, list[ActionModel]]) -> dict[str, str]:
    """Nested type -> the group module that defines it: the one group using it, else
    `SHARED` (used by several groups, or by none)."""
    users: dict[str, set[str]] = {}
    for name, actions in groups.items():
        for type_name in reachable(model, actions):
            users.setdefault(type_name, set()).add(name)
    return {t: next(iter(users[t])) if len(users.get(t, ())) == 1 else SHARED for t in model.types}


#: The module of the types several groups use, and of the ``Literal`` aliases.
SHARED = "_shared"


def class_stem(group: str) -> str:
    """``waf_rule`` -> ``WafRule`` (the methods classes' names)."""
    return "".join(w[:1].upper() + w[1:] for w in group.split("_") if w)
