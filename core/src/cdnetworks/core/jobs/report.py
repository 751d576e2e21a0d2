"""What a job returns and reports while it runs: the plan, progress, and every target's outcome."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CdnetworksError, ValidationError


@dataclass(frozen=True)
class TargetResult:
    """One target's outcome: ``status`` is ``success``, ``failure``, ``skipped`` or ``unknown``;
    ``item_id`` the task it was sent in (``None`` when never accepted, or recovered without
    one); ``message`` the API's message for failures, or why it was skipped or is unknown."""

    target: str
    kind: str
    status: str
    item_id: str | None
    message: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "kind": self.kind,
            "status": self.status,
            "item_id": self.item_id,
            "message": self.message,
        }


@dataclass(frozen=True)
class JobPlan:
    """The job as planned: targets per kind, batches (calls of the action), the quota needed
    and what remains today (``None`` when not read), and the least time the rate limit allows
    for sending the batches."""

    action: str
    targets: Mapping[str, int]
    duplicates: int
    invalid: int
    batches: int
    batch_size: int
    quota_needed: Mapping[str, int]
    quota_left: Mapping[str, int | None]
    calls: int
    least_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "targets": dict(self.targets),
            "duplicates": self.duplicates,
            "invalid": self.invalid,
            "batches": self.batches,
            "batch_size": self.batch_size,
            "quota_needed": dict(self.quota_needed),
            "quota_left": dict(self.quota_left),
            "calls": self.calls,
            "least_seconds": round(self.least_seconds, 1),
        }

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{n} {k}s" for k, n in self.targets.items()) or "no targets"
        out = [
            f"{self.action}: {kinds} ({self.duplicates} duplicates, {self.invalid} invalid)",
            f"{self.batches} batches of at most {self.batch_size}",
        ]
        for kind, needed in self.quota_needed.items():
            left = self.quota_left.get(kind)
            out.append(
                f"quota {kind}: {needed} needed, "
                + ("not read" if left is None else f"{left} left today")
            )
        out.append(
            f"{self.calls} calls; the rate limit allows them in {self.least_seconds:.0f} s at least"
        )
        return out


@dataclass(frozen=True)
class JobProgress:
    """What a ``progress`` callback receives: ``phase`` is ``plan``, ``send``, ``wait`` or
    ``done``; ``waiting`` the seconds of a pause under way for the rate limit (or a 429)."""

    phase: str
    batches_sent: int
    batches_total: int
    targets_done: int
    targets_total: int
    waiting: float | None = None
    text: str = ""

    @property
    def done(self) -> int:
        """Targets final (for progress bars, as waiters' progress has it)."""
        return self.targets_done

    @property
    def total(self) -> int:
        return self.targets_total

    def summary(self) -> str:
        line = (
            f"{self.phase}: {self.batches_sent}/{self.batches_total} batches sent, "
            f"{self.targets_done}/{self.targets_total} targets final"
        )
        if self.waiting:
            line += f", waiting {self.waiting:.1f} s on the rate limit"
        return f"{line}{' - ' + self.text if self.text else ''}"


@dataclass
class JobReport:
    """Every target's outcome (`items`, read from the journal), with counts per state."""

    plan: JobPlan
    summary: dict[str, int]
    journal: Path | None
    status_calls: int = 0
    interrupted: bool = False
    dry_run: bool = False
    _path: Path | None = None
    #: Keeps a temporary journal alive as long as the report.
    _keep: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Every target succeeded (and the job was not stopped)."""
        bad = sum(n for state, n in self.summary.items() if state != "success")
        return not self.interrupted and not self.dry_run and bad == 0

    def items(self) -> Iterator[TargetResult]:
        """Every target, in input order, read from the journal as it is iterated."""
        if self._path is None:
            return
        import sqlite3

        db = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True)
        try:
            cursor = db.execute(
                "SELECT t.target, t.kind, t.state, b.item_id, t.message FROM targets t "
                "LEFT JOIN batches b ON b.id = t.batch ORDER BY t.id"
            )
            for target, kind, state, item_id, message in cursor:
                yield TargetResult(target, kind, state, item_id, message)
        finally:
            db.close()

    def to_json(self) -> dict[str, Any]:
        """The document ``--output json`` prints: ``summary`` and ``items``."""
        return {
            "summary": dict(self.summary),
            "items": [item.to_dict() for item in self.items()],
            "plan": self.plan.to_dict(),
            "interrupted": self.interrupted,
            "journal": None if self.journal is None else str(self.journal),
        }


class InvalidTargetsError(ValidationError):
    """Targets that cannot be sent; nothing was. ``invalid`` lists ``(position, kind, target,
    problem)`` (the first `SHOWN`... of ``count``)."""

    LISTED = 1000

    def __init__(self, invalid: list[tuple[int, str, str, str]], count: int, action: str):
        shown = "; ".join(
            f"{kind} {pos}: {target!r} {problem}" for pos, kind, target, problem in invalid[:20]
        )
        more = f" (and {count - 20} more)" if count > 20 else ""
        super().__init__(
            f"{count} invalid target(s), nothing was sent: {shown}{more}; fix them or pass "
            "skip_invalid=True to report them as skipped",
            field=invalid[0][1] if invalid else None,
            action=action,
        )
        self.invalid = invalid
        self.count = count


class QuotaExceededError(CdnetworksError):
    """The job needs more of today's quota than remains; nothing was sent. ``fits`` is how
    many targets of each kind remain available."""

    def __init__(self, needed: Mapping[str, int], fits: Mapping[str, int], action: str) -> None:
        parts = ", ".join(
            f"{kind}: {needed[kind]} needed, {fits.get(kind, 0)} fit" for kind in needed
        )
        super().__init__(
            f"the job does not fit what remains of today's quota ({parts}); nothing was sent. "
            "Pass allow_partial=True to send what fits and report the rest as skipped",
            action=action,
        )
        self.needed = dict(needed)
        self.fits = dict(fits)
