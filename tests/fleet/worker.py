"""One worker of a fleet, for the multi-process tests: configured by the environment only, as
a CI job or a cron script would be (``CDNETWORKS_*``), plus how many calls to make. It says
"ready" once its client is built and starts calling on the next line of its stdin.

Before that it makes one call as another account (``WORKER_WARMUP_KEY``): a process's first
call imports its transport (0.1 to 0.5 s for the async one on a loaded machine), which is the
process's start-up, not the limiter's use of the limit being measured.

Prints one JSON line: calls made, how many were refused (429 after the retries, or the store).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from cdnetworks.core import AsyncClient, Client, RateLimitBackendError, ThrottledError


def ready() -> None:
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()


def main() -> None:
    calls = int(os.environ["WORKER_CALLS"])
    outcome = {"ok": 0, "throttled": 0, "backend": 0}

    def record(fn: object) -> None:
        try:
            fn()  # type: ignore[operator]
        except ThrottledError:
            outcome["throttled"] += 1
        except RateLimitBackendError:
            outcome["backend"] += 1
        else:
            outcome["ok"] += 1

    if os.environ.get("WORKER_MODE") == "async":

        async def run() -> None:
            warm_key = os.environ["WORKER_WARMUP_KEY"]
            async with AsyncClient(access_key=warm_key, secret_key=warm_key) as warm:
                await warm.invoke("GET", "/vmp/images", params={"limit": 1})
            async with AsyncClient() as client:
                ready()
                for _ in range(calls):
                    try:
                        await client.invoke("GET", "/vmp/images", params={"limit": 1})
                    except ThrottledError:
                        outcome["throttled"] += 1
                    else:
                        outcome["ok"] += 1

        asyncio.run(run())
    else:
        warm_key = os.environ["WORKER_WARMUP_KEY"]
        with Client(access_key=warm_key, secret_key=warm_key) as warm:
            warm.invoke("GET", "/vmp/images", params={"limit": 1})
        with Client() as client:
            ready()
            for _ in range(calls):
                record(lambda: client.invoke("GET", "/vmp/images", params={"limit": 1}))
    sys.stdout.write(json.dumps(outcome) + "\n")


if __name__ == "__main__":
    main()
