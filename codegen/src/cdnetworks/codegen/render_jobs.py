"""Jobs in the generated package: batch limits on actions, job specs, and the `*_many` methods.

Kept apart from the action and client renderers: those call `batch_argument`, `job_specs`,
`job_methods` and `job_imports`, and nothing else here.
"""

from __future__ import annotations

from .load import ActionModel, ProductModel, py_name
from .spec import Batch, Job


def _wire_to_py(action: ActionModel) -> dict[str, str]:
    return {f.wire: py_name(f) for f in action.fields}


def batch_argument(model: ProductModel, action: ActionModel) -> str | None:
    """The ``batch=BatchLimits(...)`` argument of an action's `Action`, if it declares one."""
    batch: Batch | None = action.spec.batch
    if batch is None:
        return None
    names = _wire_to_py(action)
    rules = []
    for item in batch.items:
        args = [f"field={names[item.field]!r}", f"kind={item.kind!r}"]
        if item.max_length is not None:
            args.append(f"max_length={item.max_length!r}")
        if item.schemes:
            args.append(f"schemes={tuple(item.schemes)!r}")
        if item.ends_with is not None:
            args.append(f"ends_with={item.ends_with!r}")
        if item.quota is not None:
            args.append(f"quota={item.quota!r}")
        if item.max_items is not None:
            args.append(f"max_items={item.max_items!r}")
        rules.append(f"ItemRule({', '.join(args)})")
    parts = [f"items=({', '.join(rules)},)"]
    if batch.max_items is not None:
        parts.append(f"max_items={batch.max_items!r}")
    if batch.quota is not None:
        q = batch.quota
        parts.append(
            f"quota=QuotaSource(action={q.action!r}, remaining={dict(q.remaining)!r}, "
            f"daily={dict(q.daily)!r})"
        )
    if batch.status is not None:
        parts.append(f"status={batch.status!r}")
    if batch.min_items != 1:
        parts.append(f"min_items={batch.min_items!r}")
    return f"    batch=BatchLimits({', '.join(parts)}),"


def has_batches(model: ProductModel) -> bool:
    return any(a.spec.batch is not None for a in model.actions)


def job_constant(job: Job) -> str:
    return job.method.upper()


def job_specs(model: ProductModel) -> list[str]:
    """The `JobSpec` constants of ``actions.py``."""
    out: list[str] = []
    for job in model.overrides.jobs:
        action = model.action(job.action)
        names = _wire_to_py(action)
        params = {param: names[wire] for param, wire in job.params.items()}
        batch = action.spec.batch
        status = None if batch is None or batch.status is None else model.action(batch.status)
        out += [
            "",
            f"{job_constant(job)} = JobSpec(",
            f"    method={job.method!r},",
            f"    action={action.constant},",
            f"    params={params!r},",
            f"    status={status.constant if status else None},",
            f"    label={job.label!r},",
            f"    batch_size={job.batch_size!r},",
            *(
                [f"    quota={model.action(batch.quota.action).constant},"]
                if batch is not None and batch.quota is not None and "." not in batch.quota.action
                else []
            ),
            ")",
        ]
    return out


def _extra_fields(model: ProductModel, job: Job) -> list[tuple[str, str]]:
    """The action's other request fields, taken by the job method and sent with every batch."""
    from .annotations import argument_type

    action = model.action(job.action)
    batched = {item.field for item in (action.spec.batch.items if action.spec.batch else [])}
    return [(py_name(f), argument_type(f)) for f in action.fields if f.wire not in batched]


def job_methods(model: ProductModel, asynchronous: bool) -> list[str]:
    lines: list[str] = []
    if model.overrides.jobs:
        names = "".join(f"{job_constant(job)}, " for job in model.overrides.jobs)
        lines += [
            "    #: The jobs these methods run (the CLI makes a command of each).",
            f"    jobs = ({names})",
            "",
        ]
    for job in model.overrides.jobs:
        action = model.action(job.action)
        head = "async def" if asynchronous else "def"
        run = "await self._ajob" if asynchronous else "self._job"
        extra = _extra_fields(model, job)
        lines += [f"    {head} {job.method}(", "        self,"]
        lines += [f"        {p}: Iterable[JobTarget] | None = None," for p in job.params]
        lines += [
            "        *,",
            *[f"        {name}: {kind} | None = None," for name, kind in extra],
            "        journal: str | PathLike[str] | None = None,",
            "        wait: bool = True,",
            "        progress: Callable[[JobProgress], object] | None = None,",
            "        skip_invalid: bool = False,",
            "        allow_partial: bool = False,",
            "        dry_run: bool = False,",
            "        timeout: float = 3600.0,",
            "        poll_interval: float = 5.0,",
            "        max_interval: float = 60.0,",
            "        backoff: float = 1.5,",
            "        quota_ledger: QuotaLedger | AsyncQuotaLedger | None = None,"
            if asynchronous
            else "        quota_ledger: QuotaLedger | None = None,",
            "        stop: Callable[[], bool] | None = None,",
            "    ) -> JobReport:",
        ]
        params = ", ".join(job.params)
        doc = [
            f'        """{job.label.capitalize()} every target of {params} with as many '
            f"{action.spec.name} calls as the limits need;",
            "        return the report of every target.",
            "",
            "        Targets are any iterables of text (or ``(position, text)`` pairs), read",
            "        once and streamed into the journal: normalized, de-duplicated, checked",
            "        before anything is sent (skip_invalid reports bad ones as skipped instead).",
            "        Today's quota is read first; a job that does not fit is refused unless",
            "        allow_partial. Batches are paced by the rate limit; journal (an SQLite",
            "        file) makes the job resumable: run it",
            "        again with the same journal. wait follows the tasks until every target is",
            "        final (or timeout). dry_run plans and sends nothing. See the Bulk purge and",
            "        prefetch guide.",
        ]
        if job.doc:
            doc += ["", *[f"        {x}" if x else "" for x in job.doc.splitlines()]]
        lines += [*doc, '        """']
        sources = ", ".join(f"{p!r}: {p}" for p in job.params)
        extras = ", ".join(f"{name!r}: {name}" for name, _ in extra)
        lines += [
            f"        return {run}(",
            f"            {job_constant(job)},",
            f"            {{{sources}}},",
            f"            {{{extras}}},",
            "            quota_ledger,",
            "            journal=journal,",
            "            wait=wait,",
            "            progress=progress,",
            "            skip_invalid=skip_invalid,",
            "            allow_partial=allow_partial,",
            "            dry_run=dry_run,",
            "            timeout=timeout,",
            "            poll_interval=poll_interval,",
            "            max_interval=max_interval,",
            "            backoff=backoff,",
            "            stop=stop,",
            "        )",
            "",
        ]
    return lines


def job_imports(model: ProductModel) -> list[str]:
    """Import lines ``client.py`` needs for the job methods."""
    if not model.overrides.jobs:
        return []
    return [
        "from collections.abc import Callable, Iterable",
        "from os import PathLike",
        "",
        "from cdnetworks.core.jobs.quota import AsyncQuotaLedger, QuotaLedger",
        "from cdnetworks.core.jobs.report import JobProgress, JobReport",
        "from cdnetworks.core.jobs.spec import JobTarget",
    ]


def job_constants(model: ProductModel) -> list[str]:
    return [job_constant(job) for job in model.overrides.jobs]
