"""Serve the emulator with 1% injected faults from its own process (``python -m``).

``python -m tests.load.emulator_process SEED SCALE`` multiplies every rate by ``SCALE``.
Prints the endpoint on its first line and serves until stdin closes, so the load test's client
process has the GIL (and its memory measurements) to itself.
"""

from __future__ import annotations

import sys

from cdnetworks.core.emulator import (
    Drop,
    Empty,
    Emulator,
    ErrorBurst,
    FaultRule,
    Html,
    Latency,
    Malformed,
)

#: 1% of requests in all, spread over every kind of fault the emulator can inject.
FAULTS = (
    FaultRule(ErrorBurst(503), rate=0.003),
    FaultRule(ErrorBurst(500), rate=0.001),
    FaultRule(Html(502), rate=0.001),
    FaultRule(Empty(504), rate=0.001),
    FaultRule(Drop(), rate=0.001),
    FaultRule(Drop(after_processing=True), rate=0.001),
    FaultRule(Malformed(), rate=0.001),
    FaultRule(Latency(2.0), rate=0.001),  # past the client's read timeout
)


def main() -> None:
    # argv: [seed [fault scale]]; the soak run doubles the rate (2% of requests).
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    faults = tuple(FaultRule(rule.fault, rate=rule.rate * scale) for rule in FAULTS)
    emu = Emulator(faults=faults, seed=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    with emu.serve() as server:
        print(server.endpoint, flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)


if __name__ == "__main__":
    main()
