"""The long fuzz run of issue 19: ``uv run python benchmarks/fuzz.py [--minutes 10] [--seed N]``.

The same answers and checks as ``tests/faults/test_fuzz.py`` (see ``tests/faults/fuzzing.py``),
random rather than derandomised, for as long as asked. Prints how many answers were tried (each
through the four ways of calling) and every distinct problem found, with the answer that showed
it; the exit status is 1 when anything was found.
"""

from __future__ import annotations

import argparse
import pathlib
import random
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as seed_of
from tests.faults.fuzzing import Callers, Current, answers, check
from tests.faults.server import fault_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"seed {seed}, {args.minutes} min", flush=True)
    holder = Current()
    tried = 0
    found: dict[str, str] = {}
    started = time.monotonic()
    stop_at = started + args.minutes * 60

    def example(answer: bytes) -> None:
        nonlocal tried
        if time.monotonic() > stop_at:
            return
        tried += 1
        for problem in check(callers, holder, answer):
            kind = problem.split(" (")[0][:120]
            if kind not in found:
                found[kind] = problem
                print(f"FOUND {problem}\n  answer: {answer[:300]!r}", flush=True)

    with fault_server(holder, keep_seen=False) as server:
        callers = Callers(server.endpoint)
        try:
            rounds = 0
            # Rounds of 500 examples, each under its own seed, until the time is up.
            while time.monotonic() < stop_at:
                test = seed_of(seed + rounds)(
                    settings(
                        max_examples=500,
                        deadline=None,
                        database=None,
                        suppress_health_check=list(HealthCheck),
                    )(given(answer=answers())(example))
                )
                test()
                rounds += 1
                print(f"  {tried} answers so far", flush=True)
        finally:
            callers.close()
    minutes = (time.monotonic() - started) / 60
    print(
        f"tried {tried} answers x 4 ways of calling in {minutes:.1f} min; {len(found)} problem(s)"
    )
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
