"""Run every benchmark: ``uv run python benchmarks/run.py [--quick] [name ...]``.

Each ``bench_*.py`` module beside this file exposes ``run(quick: bool) -> list[Row]``. The first
row of each group is its baseline; the table prints medians and ratios side by side. Rows that
check one of the project's targets (``bench_targets``) are listed again below the table with
their limits; the exit status is 1 when any target is missed, so a regression shows.

``--server nginx|python|auto`` picks the loopback server of the per-call targets (``auto``:
nginx when installed, see ``servers.py``); ``--import-module NAME`` (repeatable) checks that
module's import time above the core's instead of ``cdnetworks.imagemanage``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Row, table, targets_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="only these modules (e.g. core)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument(
        "--server",
        choices=("auto", "nginx", "python"),
        default="auto",
        help="loopback server of the per-call targets (auto: nginx when installed)",
    )
    parser.add_argument(
        "--import-module",
        action="append",
        default=[],
        metavar="NAME",
        help="check this import above the core's and httpx's: module or module:Name (repeatable)",
    )
    args = parser.parse_args(argv)
    os.environ["CDNETWORKS_BENCH_SERVER"] = args.server
    if args.import_module:
        os.environ["CDNETWORKS_BENCH_IMPORT_MODULES"] = ",".join(args.import_module)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    rows: list[Row] = []
    for name in modules:
        module = importlib.import_module(name)
        rows.extend(module.run(args.quick))
    cpus = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}, "
        f"{cpus} CPUs, load average {load:.1f} at the end"
    )
    if load > cpus / 2:
        # Ratios are taken side by side and hold up; absolute figures (signing's 10 µs) do not.
        print("The machine was busy with other work: absolute times are inflated.")
    print(table(rows))
    targets = [r.target for r in rows if r.target is not None]
    if not targets:
        return 0
    print()
    print(targets_table(targets))
    missed = [t.name for t in targets if not t.ok]
    if missed:
        print(f"\n{len(missed)} of {len(targets)} targets missed: {'; '.join(missed)}")
        return 1
    print(f"\nall {len(targets)} targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
