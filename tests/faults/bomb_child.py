"""Run in a fresh process by ``test_round_three_memory``: a gzip bomb against the default bound.

Prints the growth of peak RSS (bytes) during one call, the body inflating to 1 GiB, and the
body's size. The argument is the number of gzip members (one: a single 1 GiB stream).
"""

from __future__ import annotations

import resource
import sys
import zlib

from cdnetworks.core import Client, ResponseTooLargeError
from tests.faults.cases import OK_BODY
from tests.faults.server import Respond, fault_server

INFLATED = 1024 * 1024 * 1024


def _bomb(members: int) -> bytes:
    """``members`` gzip members (a gzip body may hold several) inflating to 1 GiB in all."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1024 * 1024)
    count = INFLATED // len(zeros) // members
    member = b"".join(packer.compress(zeros) for _ in range(count)) + packer.flush()
    return member * members


def main() -> int:
    bomb = _bomb(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    with (
        fault_server(Respond(200, OK_BODY), Respond(200, bomb, headers)) as server,
        Client(
            endpoint=server.endpoint, access_key="AK", secret_key="SK", load_entry_points=False
        ) as client,
    ):
        client.invoke("GET", "/warm")  # imports and the pool, outside the measurement
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        try:
            client.invoke("GET", "/vmp/images")
        except ResponseTooLargeError:
            pass
        else:
            print("no ResponseTooLargeError", file=sys.stderr)
            return 1
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(after - before, len(bomb))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
