"""Serve the emulator with 1% injected faults from its own process (``python -m``).

``python -m tests.load.emulator_process SEED SCALE [LATENCY]`` multiplies every rate by ``SCALE``
(and makes the latency fault last ``LATENCY`` seconds, 2 by default).
Prints the endpoint on its first line and serves until stdin closes, so the load test's client
process has the GIL (and its memory measurements) to itself; then prints, as one JSON line, how
many requests it received and how many carried each kind of fault (``{"requests": n, "faults":
{"Drop": k, ...}}``), the facts the load test checks its failures against.
"""

from __future__ import annotations

import collections
import json
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
    FaultRule(Latency(2.0), rate=0.001),  # past the soak client's read timeout
)


def main() -> None:
    # argv: [seed [fault scale [latency]]]; the soak run doubles the rate (2% of requests); the
    # load test lengthens the latency past a read timeout that ordinary slowness never reaches.
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    latency = float(sys.argv[3]) if len(sys.argv) > 3 else None
    faults = tuple(
        FaultRule(
            Latency(latency) if latency and isinstance(rule.fault, Latency) else rule.fault,
            rate=rule.rate * scale,
        )
        for rule in FAULTS
    )
    # The whole history is kept, for the tally (the soak run's millions of requests excepted).
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    emu = Emulator(faults=faults, seed=seed, history=200_000)
    with emu.serve() as server:
        print(server.endpoint, flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    exchanges = emu.exchanges
    fired: collections.Counter[str] = collections.Counter()
    for exchange in exchanges:
        fired.update(set(exchange.faults))  # a request counts once per kind of fault it carried
    requests = exchanges[-1].number if exchanges else 0
    print(json.dumps({"requests": requests, "faults": dict(fired)}), flush=True)


if __name__ == "__main__":
    main()
