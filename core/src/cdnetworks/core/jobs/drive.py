"""Running a job's steps: with a core `Client` and ``time.sleep``, or an `AsyncClient` and
``anyio.sleep``. Nothing else differs between the sync and async jobs.

The job is an `Operation` (kind ``job``) and each batch one (``job.batch``, child of the job):
every call is made inside the innermost, so tracing plugins (``cdnetworks_wrap_operation``)
show calls under their batch and batches under their job.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..action import Action
from ..errors import CdnetworksError, ConfigurationError
from .limits import job_books_calls, job_quota_ledger, job_rate_limiter
from .quota import AsyncQuotaLedger, QuotaLedger
from .report import JobReport
from .runner import JobOptions, Target, run_job
from .spec import JobSpec
from .steps import Call, LedgerStep, Mark, Pause, Steps


def quota_action(core: Any, spec: JobSpec) -> Action[Any, Any] | None:
    """The action that reads the quota the job spends (``Product.Action`` names another
    product's, which must be installed)."""
    source = spec.limits.quota
    if source is None:
        return None
    if spec.quota is not None:
        return spec.quota
    product, _, name = source.action.rpartition(".")
    product = product or spec.action.product
    try:
        try:
            found = core._product(product)
        except ConfigurationError:
            # A client built without entry points still finds an installed product's quota.
            from .. import products

            found = products()[product]
        return found.action(name)  # type: ignore[no-any-return]
    except KeyError as exc:
        raise ConfigurationError(
            f"the quota action {source.action!r} is unknown: {exc} (install cdnetworks-{product})"
        ) from None


class _Tracing:
    """The job's `Operation` and its open batch's."""

    def __init__(self, core: Any, spec: JobSpec) -> None:
        self.core = core
        self.spec = spec
        attributes = {"cdnetworks.job.method": spec.method}
        self.job = core.operation(
            "job", spec.label, product=spec.action.product, attributes=attributes
        ).start()
        self.batch: Any = None

    def active(self) -> Any:
        return (self.batch or self.job).active()

    def mark(self, step: Mark) -> None:
        if step.name == "job":
            self.job.attributes.update(step.attributes)
        elif step.name == "batch":
            self.end_batch(None)
            with self.job.active():
                # Created while the job is current: the batch's parent is the job.
                self.batch = self.core.operation(
                    "job.batch",
                    f"{self.spec.label}-batch",
                    product=self.spec.action.product,
                    attributes=dict(step.attributes),
                ).start()
        elif step.name == "batch_end" and self.batch is not None:
            self.batch.attributes.update(step.attributes)
            self.end_batch(None)

    def end_batch(self, error: BaseException | None) -> None:
        if self.batch is not None:
            batch, self.batch = self.batch, None
            batch.finish(error)

    def finish(self, error: BaseException | None) -> None:
        self.end_batch(error)
        self.job.finish(error)


def _ledger(
    core: Any, ledger: QuotaLedger | AsyncQuotaLedger | None, *, asynchronous: bool = False
) -> Any:
    return job_quota_ledger(core, asynchronous=asynchronous) if ledger is None else ledger


def _steps(
    core: Any,
    spec: JobSpec,
    sources: Mapping[str, Iterable[Target] | None],
    options: JobOptions,
) -> Steps[JobReport]:
    limiter = job_rate_limiter(core)
    return run_job(
        spec,
        sources,
        options,
        limiter=limiter if job_books_calls(core) else None,
        quota_action=quota_action(core, spec),
        plan_limiter=limiter,
    )


def drive(
    core: Any,
    spec: JobSpec,
    sources: Mapping[str, Iterable[Target] | None],
    options: JobOptions,
    quota_ledger: QuotaLedger | None = None,
) -> JobReport:
    ledger = _ledger(core, quota_ledger)
    steps = _steps(core, spec, sources, options)
    tracing = _Tracing(core, spec)
    job_id: str | None = None
    reply: Any = None
    error: BaseException | None = None
    failed: BaseException | None = None
    try:
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = reply = None
            if isinstance(step, Call):
                try:
                    with tracing.active():
                        reply = core.call(step.action, **step.arguments)
                except CdnetworksError as exc:
                    error = exc
            elif isinstance(step, Pause):
                time.sleep(step.seconds)
            elif isinstance(step, LedgerStep):
                job_id = step.arguments.get("job_id", job_id)
                reply = getattr(ledger, step.method)(**step.arguments)
            elif isinstance(step, Mark):
                tracing.mark(step)
    except BaseException as exc:
        failed = exc
        raise
    finally:
        steps.close()
        tracing.finish(failed)
        if job_id is not None:
            ledger.release(job_id=job_id)


async def adrive(
    core: Any,
    spec: JobSpec,
    sources: Mapping[str, Iterable[Target] | None],
    options: JobOptions,
    quota_ledger: QuotaLedger | AsyncQuotaLedger | None = None,
) -> JobReport:
    from ..client import async_sleep

    ledger = _ledger(core, quota_ledger, asynchronous=True)
    steps = _steps(core, spec, sources, options)
    tracing = _Tracing(core, spec)
    job_id: str | None = None
    reply: Any = None
    error: BaseException | None = None
    failed: BaseException | None = None
    try:
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = reply = None
            if isinstance(step, Call):
                try:
                    with tracing.active():
                        reply = await core.call(step.action, **step.arguments)
                except CdnetworksError as exc:
                    error = exc
            elif isinstance(step, Pause):
                await async_sleep(step.seconds)
            elif isinstance(step, LedgerStep):
                job_id = step.arguments.get("job_id", job_id)
                reply = getattr(ledger, step.method)(**step.arguments)
                if inspect.isawaitable(reply):
                    reply = await reply
            elif isinstance(step, Mark):
                tracing.mark(step)
    except BaseException as exc:
        failed = exc
        raise
    finally:
        steps.close()
        tracing.finish(failed)
        if job_id is not None:
            released = ledger.release(job_id=job_id)
            if inspect.isawaitable(released):
                await released
