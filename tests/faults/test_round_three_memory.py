"""A gzip bomb costs the bound plus a small constant of peak memory (issue 19, item 8).

Measured in a fresh process (peak RSS is per process and never goes down): the default bound of
64 MiB against a 1 MiB body inflating to 1 GiB. Before the fix the peak grew by twice the bound
(zlib's output buffer joined one network read's 64 MiB into a second copy).
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

BOUND = 64 * 1024 * 1024
#: What the body may cost above the bound: the 256 KiB inflation step, the 1 MiB body read off
#: the socket, and allocator slack.
SLACK = 8 * 1024 * 1024
ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_a_gzip_bomb_costs_the_bound_and_a_small_constant() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.bomb_child", "16"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    growth, body = map(int, done.stdout.split())
    assert body < 2 * 1024 * 1024  # the bomb really is small on the wire
    assert growth < BOUND + SLACK, f"peak RSS grew {growth / 2**20:.1f} MiB for a 64 MiB bound"
