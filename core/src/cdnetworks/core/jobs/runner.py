"""The job: many targets through a batched action, written once, free of I/O.

`run_job` is a generator of `steps` (call this action, pause, ask the quota ledger) that the
product clients drive with their core client, ``time.sleep`` or ``anyio.sleep`` and a sync or
async ledger (`drive` and `adrive`): the sync and async jobs are the same code. Every step
that changes what is known is committed to the journal before the next one is taken:

1. read the targets (any iterable, streamed into the journal: bounded memory), normalize and
   de-duplicate them, and refuse invalid ones before anything is sent (or skip them);
2. read today's quota, reserve it in the ledger, and refuse a job that does not fit (or plan
   what fits and skip the rest);
3. plan batches at the action's declared limits;
4. send each batch, paced by the job's rate limiter; a 429 pauses the whole job. A batch sent
   without an answer is of unknown outcome: it is looked up by its first target in the time
   window since it was sent, and sent again only when the service does not know it;
5. follow the accepted tasks cheaply (`follow`) and give every target its final state.

Running the same job (same action, arguments and targets) with the same journal resumes it:
an accepted batch is never sent again.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..action import Action
from ..errors import ApiError, CdnetworksError, ThrottledError, ValidationError
from ..paging import attribute_path
from ..ratelimit import RateLimiter
from ..waiters import Schedule
from . import journal as j
from .facts import BatchLimits, ItemRule
from .follow import TaskQuery, TaskState, poll_task
from .report import InvalidTargetsError, JobPlan, JobProgress, JobReport, QuotaExceededError
from .spec import JobSpec, JobTarget
from .steps import Call, LedgerStep, Mark, Pause, Steps

#: Rows streamed into the journal per statement while reading targets.
CHUNK = 5000
#: Seconds before a batch's send time that a lookup of its outcome starts (clock skew).
LOOKUP_MARGIN = 60.0
#: Seconds a job's quota reservation lives without renewal.
LEASE_SECONDS = 600.0
#: A 429 without Retry-After pauses the job this long.
DEFAULT_THROTTLE_PAUSE = 10.0


@dataclass(frozen=True)
class JobOptions:
    """How to run a job (the `*_many` methods' keyword arguments)."""

    journal: str | Path | None = None
    wait: bool = True
    progress: Callable[[JobProgress], object] | None = None
    skip_invalid: bool = False
    allow_partial: bool = False
    dry_run: bool = False
    timeout: float = 3600.0
    poll_interval: float = 5.0
    max_interval: float = 60.0
    backoff: float = 1.5
    #: Further arguments of every call of the action (``url_action="delete"``).
    arguments: Mapping[str, Any] = field(default_factory=dict)
    #: Checked between steps: true stops the job after the batch in flight is recorded.
    stop: Callable[[], bool] | None = None


Target = JobTarget


def _read(
    sources: Mapping[str, Iterable[Target] | None], limits: BatchLimits, params: Mapping[str, str]
) -> Iterable[tuple[ItemRule, int, str]]:
    for param, items in sources.items():
        if items is None:
            continue
        if isinstance(items, str):
            raise ValidationError(
                f"must be a list (or any iterable) of targets, not one text {items[:40]!r}",
                field=param,
            )
        rule = limits.rule(params[param])
        for position, item in enumerate(items, 1):
            if isinstance(item, tuple):
                position, item = item
            yield rule, position, item


class _Job:
    """The state one run of a job shares between its steps."""

    def __init__(
        self,
        spec: JobSpec,
        options: JobOptions,
        journal: j.Journal,
        limiter: RateLimiter | None,
        quota_action: Action[Any, Any] | None,
    ) -> None:
        self.spec = spec
        self.options = options
        self.journal = journal
        self.limiter = limiter
        #: The limiter that paces the calls (the client's when it has one), for plans.
        self.plan_limiter: RateLimiter | None = None
        self.quota_action = quota_action
        self.limits = spec.limits
        self.status_calls = 0
        self.interrupted = False
        self.waiting: float | None = None
        self.phase = "plan"
        self.job_id = ""

    # --- steps shared by every phase ------------------------------------------------------

    def call(self, action: Action[Any, Any], arguments: Mapping[str, Any]) -> Steps[Any]:
        """One paced call; a 429 pauses the job and the call is sent again (a 429 means the
        service did not take it)."""
        while True:
            if self.limiter is not None:
                wait = self.limiter.reserve(action.name)
                if wait > 0:
                    yield from self.pause(wait, "rate limit")
            try:
                return (yield Call(action, arguments))
            except ThrottledError as exc:
                yield from self.pause(exc.retry_after or DEFAULT_THROTTLE_PAUSE, "rate limit")

    def pause(self, seconds: float, reason: str) -> Steps[None]:
        if reason == "rate limit":
            self.waiting = seconds
            self.report_progress()
        yield Pause(seconds, reason)
        self.waiting = None

    def stopping(self) -> bool:
        if self.options.stop is not None and self.options.stop():
            self.interrupted = True
        return self.interrupted

    def report_progress(self, text: str = "") -> None:
        if self.options.progress is None:
            return
        batches = self.journal.batches()
        sent = sum(b.state in (j.ACCEPTED, j.REFUSED) for b in batches)
        summary = self.journal.summary()
        total = sum(summary.values())
        final = sum(n for state, n in summary.items() if state != j.PENDING)
        self.options.progress(
            JobProgress(self.phase, sent, len(batches), final, total, self.waiting, text)
        )

    # --- 1. targets -----------------------------------------------------------------------

    def load(self, sources: Mapping[str, Iterable[Target] | None]) -> tuple[str, int]:
        """Stream the targets into the journal (in the open transaction); returns the job's
        digest and the number of duplicates."""
        digest = hashlib.sha256(self.fingerprint().encode())
        rows: list[tuple[str, str, int]] = []
        bad: list[tuple[int, str, str, str]] = []
        seen = new = 0
        for rule, position, raw in _read(sources, self.limits, self.spec.params):
            problem = rule.problem(raw)
            target = rule.normalize(raw) if problem is None else str(raw)
            digest.update(f"{rule.kind}\0{target}\n".encode())
            if problem is not None:
                bad.append((position, rule.kind, target, problem))
            else:
                rows.append((rule.kind, target, position))
                seen += 1
            if len(rows) >= CHUNK:
                new += self.journal.add_targets(rows)
                rows.clear()
            if len(bad) >= CHUNK:
                self.journal.add_invalid(bad)
                bad.clear()
        new += self.journal.add_targets(rows)
        self.journal.add_invalid(bad)
        return digest.hexdigest(), seen - new

    def fingerprint(self) -> str:
        arguments = json.dumps(dict(self.options.arguments), sort_keys=True, default=str)
        return f"{self.spec.action.product}.{self.spec.action.name}\0{arguments}\0"

    def refuse_invalid(self) -> int:
        count = self.journal.count_invalid()
        if count and not self.options.skip_invalid:
            listed = self.journal.invalid(InvalidTargetsError.LISTED)
            self.journal.rollback()
            raise InvalidTargetsError(listed, count, self.spec.action.name)
        if count:
            rows = self.journal.invalid()
            self.journal.db.executemany(
                "INSERT OR IGNORE INTO targets (kind, target, position, state, message) "
                "VALUES (?, ?, ?, 'skipped', ?)",
                [(kind, target, pos, f"invalid: {problem}") for pos, kind, target, problem in rows],
            )
        return count

    # --- 2. quota -------------------------------------------------------------------------

    def quota(
        self, pending: Mapping[str, int]
    ) -> Steps[tuple[dict[str, int], dict[str, int | None]]]:
        """Read today's quota for the pending targets and reserve it; returns (granted per
        kind, left per kind)."""
        source = self.limits.quota
        needed: dict[str, int] = {}
        for kind, n in pending.items():
            quota_kind = self._quota_kind(kind)
            if quota_kind is not None:
                needed[quota_kind] = needed.get(quota_kind, 0) + n
        left: dict[str, int | None] = dict.fromkeys(needed)
        if source is None or self.quota_action is None or not needed:
            return dict(needed), left
        response = yield from self.call(self.quota_action, {})
        granted: dict[str, int] = {}
        for kind, wanted in needed.items():
            remaining = attribute_path(response, source.remaining[kind])
            remaining = int(remaining) if isinstance(remaining, int) else wanted
            left[kind] = remaining
            if self.options.dry_run:
                granted[kind] = min(wanted, remaining)
                continue
            granted[kind] = yield LedgerStep(
                "reserve",
                {
                    "kind": kind,
                    "wanted": wanted,
                    "remaining": remaining,
                    "job_id": self.job_id,
                    "lease_seconds": LEASE_SECONDS,
                },
            )
        return granted, left

    def _quota_kind(self, kind: str) -> str | None:
        for rule in self.limits.items:
            if rule.kind == kind:
                return rule.quota
        return None

    def fit(self, pending: Mapping[str, int], granted: Mapping[str, int]) -> None:
        """Refuse a job over the quota, or skip what does not fit when partial runs are allowed."""
        short = {
            kind: n
            for kind, n in pending.items()
            if (q := self._quota_kind(kind)) is not None and granted.get(q, n) < n
        }
        if not short or self.options.dry_run:
            return
        if not self.options.allow_partial:
            fits = {kind: granted.get(self._quota_kind(kind) or "", 0) for kind in pending}
            self.journal.rollback()
            raise QuotaExceededError(dict(pending), fits, self.spec.action.name)
        for kind in short:
            keep = granted.get(self._quota_kind(kind) or "", 0)
            over: list[int] = []
            for position, target_id in enumerate(self.journal.pending_ids(kind)):
                if position >= keep:
                    over.append(target_id)
                if len(over) >= CHUNK:
                    self.journal.skip(over, "over what remains of today's quota (allow_partial)")
                    over = []
            self.journal.skip(over, "over what remains of today's quota (allow_partial)")

    # --- 3. plan --------------------------------------------------------------------------

    @property
    def batch_size(self) -> int:
        return self.limits.max_items or self.spec.batch_size

    def plan_batches(self) -> None:
        chunk: list[int] = []
        for target_id in self.journal.pending_ids():
            chunk.append(target_id)
            if len(chunk) == self.batch_size:
                self.journal.assign(self.journal.add_batch(len(chunk)), chunk)
                chunk = []
        if chunk:
            self.journal.assign(self.journal.add_batch(len(chunk)), chunk)

    def least_seconds(self, calls: int) -> float:
        """The least time the job's rate limiter lets ``calls`` calls of one action take."""
        limiter = self.plan_limiter or self.limiter or RateLimiter.cdnetworks_default()
        windows = [(limiter.requests, limiter.per_seconds, limiter.burst)]
        if limiter.per_action is not None:
            requests, per_seconds = limiter.per_action
            windows.append((requests, per_seconds, requests))
        if calls <= 0:
            return 0.0
        # A sliding window lets `requests` calls through per `per_seconds`, and its token
        # bucket `burst` at once then `requests / per_seconds` a second: the later bound holds.
        return max(
            max(
                (math.ceil(calls / requests) - 1) * per_seconds,
                (calls - burst) * per_seconds / requests,
            )
            for requests, per_seconds, burst in windows
        )

    # --- 4. send --------------------------------------------------------------------------

    def request(self, batch: int) -> tuple[dict[str, Any], dict[str, int]]:
        by_kind: dict[str, list[str]] = {}
        for kind, target in self.journal.batch_targets(batch):
            by_kind.setdefault(kind, []).append(target)
        arguments: dict[str, Any] = dict(self.options.arguments)
        spent: dict[str, int] = {}
        for rule in self.limits.items:
            if rule.kind in by_kind:
                arguments[rule.field] = by_kind[rule.kind]
                if rule.quota:
                    spent[rule.quota] = len(by_kind[rule.kind])
        return arguments, spent

    def send(self, batch: j.Batch) -> Steps[None]:
        """One batch, as a traced operation (the driver opens and finishes it)."""
        yield Mark(
            "batch",
            {"cdnetworks.job.batch.index": batch.id, "cdnetworks.job.batch.items": batch.size},
        )
        yield from self._send(batch)
        state = self.journal.batch(batch.id).state
        yield Mark("batch_end", {"cdnetworks.job.batch.state": state})

    def _send(self, batch: j.Batch) -> Steps[None]:
        """Send a planned batch (or settle one of unknown outcome first)."""
        if batch.state in (j.SENT, j.UNKNOWN):
            known = yield from self.lookup(batch)
            if known is None:
                return  # the lookup failed: the batch stays unknown, never sent blindly
            if known:
                self.journal.set_batch(batch.id, state=j.ACCEPTED, message="recovered by lookup")
                yield from self.settle(batch.id)
                return
            self.journal.set_batch(batch.id, state=j.PLANNED)
        arguments, spent = self.request(batch.id)
        self.journal.mark_sent(batch.id)  # committed: a kill from here on leaves it 'sent'
        try:
            response = yield from self.call(self.spec.action, arguments)
        except (ApiError, ValidationError) as exc:
            status = getattr(exc, "status_code", None)
            if isinstance(exc, ApiError) and (status is None or status >= 500):
                # A 5xx may come after the service took the batch: find out before resending.
                self.journal.set_batch(batch.id, state=j.UNKNOWN, message=_message(exc))
                yield from self._send(self.journal.batch(batch.id))
                return
            self.journal.begin()
            self.journal.set_batch(batch.id, state=j.REFUSED, message=_message(exc))
            self.journal.finish_batch_targets(batch.id, j.FAILURE, _message(exc))
            self.journal.commit()
            return
        except CdnetworksError as exc:
            # No answer (a timeout, a reset): the service may or may not have the batch.
            self.journal.set_batch(batch.id, state=j.UNKNOWN, message=_message(exc))
            yield from self._send(self.journal.batch(batch.id))
            return
        item_id = attribute_path(response, "item_id")
        self.journal.set_batch(batch.id, state=j.ACCEPTED, item_id=item_id, message=None)
        yield from self.settle(batch.id, spent)

    def settle(self, batch_id: int, spent: Mapping[str, int] | None = None) -> Steps[None]:
        if self.options.dry_run:
            return
        if spent is None:
            _, spent = self.request(batch_id)
        for kind, n in spent.items():
            yield LedgerStep("settle", {"kind": kind, "spent": n, "job_id": self.job_id})

    def lookup(self, batch: j.Batch) -> Steps[bool | None]:
        """Whether the service has a task of the batch's first target created since it was
        sent; ``None`` when the lookup itself failed."""
        status = self.spec.status
        if status is None:
            return None
        targets = self.journal.batch_targets(batch.id)
        if not targets:
            return False
        fields = self.spec.status_fields
        since = (batch.sent_at or time.time()) - LOOKUP_MARGIN
        query = TaskQuery(since=since, until=time.time() + LOOKUP_MARGIN)
        arguments = {
            **query.arguments(fields),
            fields["url"]: targets[0][1],
            fields["page_size"]: 1,
        }
        try:
            response = yield from self.call(status, arguments)
        except CdnetworksError as exc:
            self.journal.set_batch(
                batch.id, state=j.UNKNOWN, message=f"lookup failed: {_message(exc)}"
            )
            return None
        self.status_calls += 1
        self.journal.count_status_call(batch.id)
        found = attribute_path(response, fields["items"]) or ()
        return bool(found)

    # --- 5. follow ------------------------------------------------------------------------

    def follow(self) -> Steps[None]:
        status = self.spec.status
        if status is None:
            return
        schedule = Schedule(
            self.options.timeout,
            self.options.poll_interval,
            self.options.max_interval,
            self.options.backoff,
        )
        deadline = time.monotonic() + schedule.timeout
        interval = schedule.poll_interval
        # Tasks finish roughly in the order they were sent: poll the oldest open one only,
        # and move on to the next without a pause once it is done.
        for batch in self.journal.batches():
            if batch.state != j.ACCEPTED or batch.followed:
                continue
            targets = {t for _, t in self.journal.batch_targets(batch.id)}
            query = (
                TaskQuery(item_id=batch.item_id)
                if batch.item_id
                else TaskQuery(since=(batch.sent_at or time.time()) - LOOKUP_MARGIN, until=None)
            )
            task = TaskState(total=len(targets))
            while True:
                if self.stopping():
                    return
                try:
                    yield from self.polled(status, query, task, targets, batch.id)
                except CdnetworksError as exc:
                    task.done = False
                    self.report_progress(f"status of batch {batch.id} not read: {_message(exc)}")
                if task.done:
                    self.journal.begin()
                    self.journal.finish_batch_targets(
                        batch.id,
                        j.SUCCESS,
                        None,
                        {t: f"the service reports {s}" for t, s in task.failures.items()},
                    )
                    self.journal.set_batch(batch.id, followed=1)
                    self.journal.commit()
                    self.report_progress()
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                yield Pause(min(interval, left), "poll")
                interval = min(interval * schedule.backoff, schedule.max_interval)

    def polled(
        self,
        status: Action[Any, Any],
        query: TaskQuery,
        task: TaskState,
        targets: set[str],
        batch_id: int,
    ) -> Steps[None]:
        """One poll of a batch's task, every status call counted in the journal."""
        steps = poll_task(status, query, task, self.spec.status_fields, keep=targets.__contains__)
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration:
                return
            if isinstance(step, Call):
                reply = yield from self.call(step.action, step.arguments)
                self.status_calls += 1
                self.journal.count_status_call(batch_id)
            else:
                reply = yield step


def _message(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        parts = [exc.message]
        if exc.code:
            parts.insert(0, f"[{exc.code}]")
        if exc.request_id:
            parts.append(f"(request id {exc.request_id})")
        return " ".join(parts)
    return str(exc)


def open_journal(path: str | Path | None, dry_run: bool) -> tuple[j.Journal, Any]:
    """The job's journal, or a temporary one (kept alive by the returned handle)."""
    if path is not None and not dry_run:
        return j.Journal(path), None
    keep = _TempDir()
    return j.Journal(keep.path / "journal.sqlite"), keep


class _TempDir:
    """A temporary folder removed when the last holder (a report) lets go of it, silently
    (`tempfile.TemporaryDirectory` warns when cleaned up that way)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="cdnetworks-job-"))
        weakref.finalize(self, shutil.rmtree, self.path, True)


def run_job(
    spec: JobSpec,
    sources: Mapping[str, Iterable[Target] | None],
    options: JobOptions,
    *,
    limiter: RateLimiter | None,
    quota_action: Action[Any, Any] | None,
    plan_limiter: RateLimiter | None = None,
) -> Steps[JobReport]:
    """The job, as steps (see the module docstring). ``limiter``: the limiter the job books its
    calls on (``None`` when the client paces every call itself)."""
    journal, keep = open_journal(options.journal, options.dry_run)
    job = _Job(spec, options, journal, limiter, quota_action)
    job.plan_limiter = plan_limiter
    try:
        return (yield from _run(job, sources, keep))
    finally:
        journal.close()


def _run(job: _Job, sources: Mapping[str, Iterable[Target] | None], keep: Any) -> Steps[JobReport]:
    journal, options = job.journal, job.options
    planned = journal.meta("digest")
    duplicates = invalid = 0
    if planned is None:
        job.job_id = uuid.uuid4().hex
        journal.begin()
        digest, duplicates = job.load(sources)
        invalid = job.refuse_invalid()
        pending = journal.counts(j.PENDING)
        granted, left = yield from job.quota(pending)
        job.fit(pending, granted)
        job.plan_batches()
        for key, value in (
            ("digest", digest),
            ("job_id", job.job_id),
            ("duplicates", str(duplicates)),
            ("invalid", str(invalid)),
            ("action", f"{job.spec.action.product}.{job.spec.action.name}"),
        ):
            journal.set_meta(key, value)
        journal.commit()
    else:
        job.job_id = journal.meta("job_id") or uuid.uuid4().hex
        duplicates = int(journal.meta("duplicates") or 0)
        invalid = int(journal.meta("invalid") or 0)
        yield from _resume(job, sources, planned)
        left = {}
    batches = journal.batches()
    needed: dict[str, int] = {}
    for kind, n in journal.planned_counts().items():
        quota_kind = job._quota_kind(kind)
        if quota_kind is not None:
            needed[quota_kind] = needed.get(quota_kind, 0) + n
    for kind in left:
        needed.setdefault(kind, 0)
    calls = sum(b.state in (j.PLANNED, j.SENT, j.UNKNOWN) for b in batches)
    plan = JobPlan(
        action=f"{job.spec.action.product}.{job.spec.action.name}",
        targets=journal.counts(),
        duplicates=duplicates,
        invalid=invalid,
        batches=len(batches),
        batch_size=job.batch_size,
        quota_needed=needed,
        quota_left=left,
        calls=calls,
        least_seconds=job.least_seconds(calls),
    )
    if options.dry_run:
        return JobReport(
            plan, journal.summary(), None, dry_run=True, _path=journal.path, _keep=keep
        )
    yield Mark(
        "job",
        {
            "cdnetworks.job.id": job.job_id,
            "cdnetworks.job.targets": sum(plan.targets.values()),
            "cdnetworks.job.batches": plan.batches,
        },
    )
    try:
        job.phase = "send"
        job.report_progress()
        for batch in batches:
            if batch.state not in (j.PLANNED, j.SENT, j.UNKNOWN):
                continue
            if job.stopping():
                break
            yield from job.send(journal.batch(batch.id))
            yield LedgerStep("renew", {"job_id": job.job_id, "lease_seconds": LEASE_SECONDS})
            job.report_progress()
        if options.wait and not job.interrupted:
            job.phase = "wait"
            yield from job.follow()
    finally:
        if job.interrupted:
            message = "not final: the job was stopped; run it again with the same journal to resume"
        elif options.wait:
            message = "not final when the job ended (timeout, or its outcome is unknown)"
        else:
            message = "sent, not followed (wait=False); run again with wait to follow"
        journal.mark_unfinished(message)
    job.phase = "done"
    job.report_progress()
    return JobReport(
        plan,
        journal.summary(),
        None if keep is not None else journal.path,
        status_calls=job.status_calls,
        interrupted=job.interrupted,
        _path=journal.path,
        _keep=keep,
    )


def _resume(job: _Job, sources: Mapping[str, Iterable[Target] | None], planned: str) -> Steps[None]:
    """Check that the journal records this job, then take up where it stopped."""
    journal = job.journal
    digest = hashlib.sha256(job.fingerprint().encode())
    for rule, _, raw in _read(sources, job.limits, job.spec.params):
        target = rule.normalize(raw) if rule.problem(raw) is None else str(raw)
        digest.update(f"{rule.kind}\0{target}\n".encode())
    if digest.hexdigest() != planned:
        raise j.JobMismatchError(
            f"journal {str(journal.path)!r} records another job (its action, arguments or "
            "targets differ); use a new journal for a new job"
        )
    journal.reopen_unknown()
    for batch in journal.batches():
        if batch.state == j.SENT:
            journal.set_batch(batch.id, state=j.UNKNOWN, message="sent, no answer recorded")
    # What is still to be sent needs today's quota again.
    pending: dict[str, int] = {}
    for batch in journal.batches():
        if batch.state == j.PLANNED:
            for kind, _target in journal.batch_targets(batch.id):
                pending[kind] = pending.get(kind, 0) + 1
    if pending:
        granted, _ = yield from job.quota(pending)
        short = {
            kind: n
            for kind, n in pending.items()
            if (q := job._quota_kind(kind)) is not None and granted.get(q, n) < n
        }
        if short and not job.options.allow_partial:
            fits = {kind: granted.get(job._quota_kind(kind) or "", 0) for kind in pending}
            raise QuotaExceededError(pending, fits, job.spec.action.name)
