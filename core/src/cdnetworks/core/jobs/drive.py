"""Running a job's steps: with a core `Client` and ``time.sleep``, or an `AsyncClient` and
``anyio.sleep``. Nothing else differs between the sync and async jobs."""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..action import Action
from ..errors import CdnetworksError, ConfigurationError
from .limits import account_key, job_books_calls, job_rate_limiter
from .quota import AsyncQuotaLedger, LocalQuotaLedger, QuotaLedger
from .report import JobReport
from .runner import JobOptions, Target, run_job
from .spec import JobSpec
from .steps import Call, LedgerStep, Pause, Steps


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


def _ledger(core: Any, ledger: QuotaLedger | AsyncQuotaLedger | None) -> Any:
    return LocalQuotaLedger.for_account(account_key(core)) if ledger is None else ledger


def _steps(
    core: Any,
    spec: JobSpec,
    sources: Mapping[str, Iterable[Target] | None],
    options: JobOptions,
) -> Steps[JobReport]:
    limiter = job_rate_limiter(core) if job_books_calls(core) else None
    return run_job(spec, sources, options, limiter=limiter, quota_action=quota_action(core, spec))


def drive(
    core: Any,
    spec: JobSpec,
    sources: Mapping[str, Iterable[Target] | None],
    options: JobOptions,
    quota_ledger: QuotaLedger | None = None,
) -> JobReport:
    ledger = _ledger(core, quota_ledger)
    steps = _steps(core, spec, sources, options)
    job_id: str | None = None
    reply: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = reply = None
            if isinstance(step, Call):
                try:
                    reply = core.call(step.action, **step.arguments)
                except CdnetworksError as exc:
                    error = exc
            elif isinstance(step, Pause):
                time.sleep(step.seconds)
            elif isinstance(step, LedgerStep):
                job_id = step.arguments.get("job_id", job_id)
                reply = getattr(ledger, step.method)(**step.arguments)
    finally:
        steps.close()
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

    ledger = _ledger(core, quota_ledger)
    steps = _steps(core, spec, sources, options)
    job_id: str | None = None
    reply: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = reply = None
            if isinstance(step, Call):
                try:
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
    finally:
        steps.close()
        if job_id is not None:
            released = ledger.release(job_id=job_id)
            if inspect.isawaitable(released):
                await released
