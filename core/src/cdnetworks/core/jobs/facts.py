"""Batch limits of an action, as declared in its spec: what one call may carry, and what it spends.

Declared per action in the product's overrides (reviewed, each with a ``why``) and rendered
into the action's `Action.batch`. The same facts refuse an oversized or malformed call before
it is sent (`BatchLimits.check`, applied to every call of the action) and plan a job's batches
(`cdnetworks.core.jobs.runner`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError


@dataclass(frozen=True)
class ItemRule:
    """One batched list field: ``field`` is the request model's attribute.

    ``kind`` names its items in reports (``url``, ``dir``, ``pattern``); ``max_length`` bounds
    each item's characters; ``schemes`` (``http://``...) an item must start with, when given;
    ``ends_with`` what it must end with (a directory's ``/``); ``quota`` the daily quota kind
    the items spend (`cdnetworks.core.jobs.quota.QUOTA_KINDS`).
    """

    field: str
    kind: str
    max_length: int | None = None
    schemes: tuple[str, ...] = ()
    ends_with: str | None = None
    quota: str | None = None
    #: The most items of this field alone in one call (where the API counts fields apart).
    max_items: int | None = None

    def problem(self, item: Any) -> str | None:
        """Why ``item`` cannot be sent in this field, or ``None``."""
        # Called for every target of a job and every item of a call: kept cheap.
        if not isinstance(item, str):
            return f"must be text, not {type(item).__name__}"
        if not item or item.isspace():
            return "must not be empty"
        if self.max_length is not None and len(item) > self.max_length:
            return f"has {len(item)} characters, at most {self.max_length} are allowed"
        if self.schemes:
            size = 0
            for scheme in self.schemes:
                if item.startswith(scheme) or item[: len(scheme)].lower() == scheme:
                    size = len(scheme)
                    break
            if not size:
                return f"must start with {' or '.join(self.schemes)}"
            # The host runs to the first "/" (a full URL parse costs more than the rest).
            end = item.find("/", size)
            host = item[size:] if end < 0 else item[size:end]
            if not host or host.isspace():
                return "has no host"
        if self.ends_with is not None and not item.endswith(self.ends_with):
            return f"must end with {self.ends_with}"
        return None

    def example(self) -> str:
        """An item these rules accept (for samples: the emulator's, the tests')."""
        if self.schemes:
            return f"{self.schemes[-1]}www.example.com/sample/"
        return "sample/" if self.ends_with == "/" else "sample"

    def normalize(self, item: str) -> str:
        """The form de-duplicated and sent: trimmed, and for URLs scheme and host lower-cased
        (both are case-insensitive; the path is not)."""
        item = item.strip()
        if self.schemes:
            scheme, sep, rest = item.partition("://")
            if sep:
                host, slash, path = rest.partition("/")
                item = f"{scheme.lower()}://{host.lower()}{slash}{path}"
        return item


@dataclass(frozen=True)
class QuotaSource:
    """Where today's quota of the batched items is read.

    ``action`` is the quota action, ``"Product.Action"`` when another product serves it
    (prefetch quotas are read from cacherefresh); ``remaining`` maps a quota kind to the
    response attribute holding what remains today; ``daily`` the documented default quotas.
    """

    action: str
    remaining: Mapping[str, str] = field(default_factory=dict)
    daily: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchLimits:
    """What one call of a batched action may carry.

    ``max_items`` bounds the items of every field together (Purge counts urls and dirs as
    one), ``None`` when the facts give no per-call limit; a call needs at least one item in
    some field. ``status`` names the action that reports the items' states (for jobs).
    """

    items: tuple[ItemRule, ...]
    max_items: int | None = None
    quota: QuotaSource | None = None
    status: str | None = None
    #: Items a call needs in all (0 where an empty list means "all", as report filters do).
    min_items: int = 1

    def rule(self, field_name: str) -> ItemRule:
        for rule in self.items:
            if rule.field == field_name:
                return rule
        raise KeyError(field_name)

    def fit(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Sample keyword arguments made to pass these limits: each batched field given holds
        one acceptable item, and one is given when a call needs some."""
        out = dict(arguments)
        for rule in self.items:
            if rule.field in out:
                out[rule.field] = [rule.example()]
        if self.min_items and not any(out.get(rule.field) for rule in self.items):
            out[self.items[0].field] = [self.items[0].example()]
        return out

    def check(self, model: Any, action: str) -> None:
        """Refuse a request model over the limits, naming the field and the limit."""
        total = 0
        for rule in self.items:
            values = getattr(model, rule.field, None) or ()
            total += len(values)
            if rule.max_items is not None and len(values) > rule.max_items:
                raise ValidationError(
                    f"{len(values)} items in one call, at most {rule.max_items} are allowed",
                    field=rule.field,
                    action=action,
                )
            for position, item in enumerate(values):
                problem = rule.problem(item)
                if problem is not None:
                    raise ValidationError(
                        f"item {position} ({_short(item)}) {problem}",
                        field=f"{rule.field}[{position}]",
                        action=action,
                    )
        names = " + ".join(rule.field for rule in self.items)
        if total < self.min_items:
            raise ValidationError(
                f"{names}: at least {self.min_items} item(s) needed"
                if self.min_items > 1
                else f"{names}: at least one item is needed",
                field=names,
                action=action,
            )
        if self.max_items is not None and total > self.max_items:
            raise ValidationError(
                f"{names}: {total} items in one call, at most {self.max_items} are allowed "
                "(a job plans batches within the limit: see the *_many methods)",
                field=names,
                action=action,
            )


def _short(item: Any, width: int = 60) -> str:
    text = repr(item)
    return text if len(text) <= width else text[: width - 3] + "..."
