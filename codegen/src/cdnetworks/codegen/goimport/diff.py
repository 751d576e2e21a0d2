"""What changed between the ``api.json`` a product had and the one an import makes.

Removals and retypes break callers' code, so their lines start with ``breaking:``; a removed
action next to an added one with the same method and path is reported as a rename.
"""

from __future__ import annotations

from ..spec import Action, Field, Spec


def _fields(fields: list[Field]) -> dict[tuple[str, str], Field]:
    return {(item.location, item.wire): item for item in fields}


def _field_changes(where: str, old: list[Field], new: list[Field], request: bool) -> list[str]:
    lines: list[str] = []
    before, after = _fields(old), _fields(new)
    for key, item in before.items():
        label = f"{key[0]} field {key[1]!r}" if request else f"field {key[1]!r}"
        now = after.get(key)
        if now is None:
            lines.append(f"breaking: {where}: {label} removed")
        elif now.type != item.type:
            lines.append(f"breaking: {where}: {label} retyped {item.type} -> {now.type}")
        elif request and now.required and not item.required:
            lines.append(f"breaking: {where}: {label} now required")
    added = [key[1] for key in after if key not in before]
    if added:
        lines.append(f"{where}: fields added: {', '.join(added)}")
    return lines


def _action_changes(old: Action, new: Action) -> list[str]:
    where = f"action {new.name}"
    lines = []
    if (old.method, old.path) != (new.method, new.path):
        lines.append(f"breaking: {where}: {old.method} {old.path} is now {new.method} {new.path}")
    lines += _field_changes(where, old.request, new.request, request=True)
    if old.response.type != new.response.type or old.response.body != new.response.body:
        lines.append(
            f"breaking: {where}: response {old.response.type or old.response.body} is now "
            f"{new.response.type or new.response.body}"
        )
    lines += _field_changes(f"{where} headers", old.response.headers, new.response.headers, False)
    return lines


def changes(old: Spec, new: Spec) -> list[str]:
    """Report lines, in the new spec's order."""
    before = {action.name: action for action in old.actions}
    after = {action.name: action for action in new.actions}
    added = [name for name in after if name not in before]
    removed = [name for name in before if name not in after]
    lines: list[str] = []
    for name in list(removed):
        twin = next(
            (
                other
                for other in added
                if (after[other].method, after[other].path)
                == (before[name].method, before[name].path)
            ),
            None,
        )
        if twin is not None:
            lines.append(f"breaking: action {name} renamed to {twin}")
            removed.remove(name)
            added.remove(twin)
    lines += [f"breaking: action {name} removed" for name in removed]
    if added:
        lines.append(f"actions added: {', '.join(added)}")
    for name, action in after.items():
        if name in before:
            lines += _action_changes(before[name], action)
    for name, typedef in old.types.items():
        if name not in new.types:
            lines.append(f"type {name} removed")
        else:
            lines += _field_changes(f"type {name}", typedef.fields, new.types[name].fields, False)
    return lines
