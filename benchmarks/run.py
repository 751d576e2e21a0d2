"""Run every benchmark: ``uv run python benchmarks/run.py [--quick] [name ...]``.

Each ``bench_*.py`` module beside this file exposes ``run(quick: bool) -> list[Row]``. The first
row of each group is its baseline; the table prints medians and ratios side by side.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Row, table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="only these modules (e.g. core)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    rows: list[Row] = []
    for name in modules:
        module = importlib.import_module(name)
        rows.extend(module.run(args.quick))
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
