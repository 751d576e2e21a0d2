"""``cdnetworks PRODUCT purge-many|prefetch-many|...``: the product's declared jobs.

One command per job its client declares (``client.jobs``): targets come from files (``-`` for
standard input; one a line, blank lines and ``#`` comments ignored), streamed, so a file of
a million lines runs in bounded memory. Exit 0 when every target succeeded, 1 when any failed
or is unknown, 2 for bad input (nothing sent); Ctrl-C stops once the batch in flight is
recorded and says how to resume (exit 130).
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, TextIO

from cdnetworks.core import Client, Product

from .options import Option, model_options
from .parser import EXIT_FAILED, EXIT_INTERRUPTED, UsageError
from .progress import Progress

#: Non-successful targets listed on stderr after a run (all are in ``--output json``).
LISTED = 20


def kebab(name: str) -> str:
    return name.replace("_", "-")


def read_targets(path: str, stdin: TextIO) -> Iterator[tuple[int, str]]:
    """``(line number, target)`` of a targets file, read as it is consumed."""
    handle: IO[str]
    if path == "-":
        handle, close = stdin, False
    else:
        try:
            handle, close = open(path, encoding="utf-8"), True  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        for number, line in enumerate(handle, 1):
            text = line.strip()
            if text and not text.startswith("#"):
                yield number, text
    finally:
        if close:
            handle.close()


class _Stop:
    """The first Ctrl-C asks the job to stop after the batch in flight; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@dataclass(frozen=True)
class JobCommand:
    product: Product
    spec: Any  # cdnetworks.core.jobs.spec.JobSpec
    options: tuple[Option, ...]

    def check(self, args: argparse.Namespace, stdin: Any) -> None:
        if not any(getattr(args, f"_from_{p}") for p in self.spec.params):
            flags = " or ".join(f"--{kebab(p)}-from" for p in self.spec.params)
            raise UsageError(f"{kebab(self.spec.method)}: give the targets with {flags}")
        # JSON (the default output) is the whole report; a table is the counts per state.
        args._output_json = getattr(args, "g_output", None) in (None, "json")

    def run(self, client: Client, args: argparse.Namespace, progress: Progress) -> Any:
        stdin = args._stdin
        sources = {
            p: read_targets(path, stdin) if (path := getattr(args, f"_from_{p}")) else None
            for p in self.spec.params
        }
        arguments = {o.dest: getattr(args, o.dest) for o in self.options}
        with _Stop() as stop:
            report = getattr(client.product(self.product.name), self.spec.method)(
                **sources,
                **{k: v for k, v in arguments.items() if v is not None},
                journal=args._journal,
                wait=args._wait,
                progress=progress,
                skip_invalid=args._skip_invalid,
                allow_partial=args._allow_partial,
                dry_run=args._dry_run,
                timeout=args._job_timeout,
                poll_interval=args._poll_interval,
                stop=stop,
            )
        progress.close()
        err = args._stderr
        if report.dry_run:
            if args._output_json:
                return {"plan": report.plan.to_dict()}
            for line in report.plan.lines():
                err.write(line + "\n")
            return [{"state": "planned", "targets": sum(report.plan.targets.values())}]
        if report.interrupted:
            where = args._journal or "(no --journal: a new run starts over)"
            err.write(
                f"stopped: every batch sent so far is recorded in {where}; run the same command "
                "again to resume\n"
            )
            args._exit_code = EXIT_INTERRUPTED
        elif not report.ok:
            args._exit_code = EXIT_FAILED
        if args._output_json:
            return report.to_json()
        shown = 0
        for item in report.items():
            if item.status != "success" and shown < LISTED:
                err.write(f"{item.status}: {item.kind} {item.target}: {item.message or ''}\n")
                shown += 1
        return [{"state": state, "targets": n} for state, n in report.summary.items()]


def add_job_commands(commands: Any, product: Product, late_globals: Any) -> None:
    """One subcommand per job the product's client declares."""
    client = product.client
    for spec in getattr(client, "jobs", ()) if client is not None else ():
        limits = spec.limits
        batched = {rule.field for rule in limits.items}
        options = tuple(o for o in model_options(spec.action.request) if o.dest not in batched)
        per_call = f"at most {limits.max_items} a call" if limits.max_items else "batches"
        sub = commands.add_parser(
            kebab(spec.method),
            help=f"{spec.label} many targets from files, within every limit, resumably",
            description=(
                f"Run a {spec.label} job: every target of the files through {spec.action.name} "
                f"({per_call}), within today's quota and the rate limit, recorded in the "
                "journal so that running the same command again resumes it.\n\nExit status: 0 "
                "every target succeeded, 1 some failed or are unknown, 2 bad input (nothing "
                "sent), 130 stopped by Ctrl-C (resumable)."
            ),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for param in spec.params:
            rule = limits.rule(spec.params[param])
            sub.add_argument(
                f"--{kebab(param)}-from",
                dest=f"_from_{param}",
                metavar="FILE",
                help=f"{rule.kind}s to {spec.label}, one a line (- for standard input; "
                "blank lines and # comments are ignored)",
            )
        for option in options:
            option.add_to(sub)
        sub.add_argument(
            "--journal", dest="_journal", metavar="FILE", help="SQLite journal (resume with it)"
        )
        sub.add_argument(
            "--wait",
            dest="_wait",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="follow the tasks until every target is final (default: --wait)",
        )
        sub.add_argument(
            "--dry-run",
            dest="_dry_run",
            action="store_true",
            help="print the plan (batches, quota needed and left, calls, least time) and "
            "send nothing",
        )
        sub.add_argument(
            "--skip-invalid",
            dest="_skip_invalid",
            action="store_true",
            help="report invalid targets as skipped instead of refusing the job",
        )
        sub.add_argument(
            "--allow-partial",
            dest="_allow_partial",
            action="store_true",
            help="send what fits today's quota, report the rest as skipped",
        )
        sub.add_argument(
            "--job-timeout",
            dest="_job_timeout",
            type=float,
            default=3600.0,
            metavar="SECONDS",
            help="how long to follow the tasks (default 3600)",
        )
        sub.add_argument(
            "--poll-interval",
            dest="_poll_interval",
            type=float,
            default=5.0,
            metavar="SECONDS",
            help="first pause between status polls (default 5)",
        )
        late_globals(sub)
        sub.set_defaults(_run=JobCommand(product, spec, options))
