"""Per-call overhead of ``Client.invoke`` over raw httpx, and the cost of one signature.

Both sides use the same in-process ``httpx.MockTransport`` returning the same canned answer, so
the difference is the SDK's own work: validation, hooks, signing, classification, decoding.
"""

from __future__ import annotations

import httpx
from harness import Case, Row, compare

from cdnetworks.core import AkskAuth, Client, Timeout
from cdnetworks.core.signing import signature

BODY = b'{"code":"0","message":"ok","data":{"images":[{"id":"img-1","name":"a"}]}}'
HEADERS = {"content-type": "application/json", "x-cnc-request-id": "bench-1"}


def _transport() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=BODY, headers=HEADERS))


def run(quick: bool) -> list[Row]:
    number, repeat = (50, 5) if quick else (300, 15)
    raw = httpx.Client(transport=_transport(), base_url="https://api.cdnetworks.com")
    raw_signed = httpx.Client(
        transport=_transport(),
        base_url="https://api.cdnetworks.com",
        auth=AkskAuth("AKBENCH", "sk-bench"),
    )
    sdk = Client(
        access_key="AKBENCH",
        secret_key="sk-bench",
        transport=_transport(),
        load_entry_points=False,
    )
    params = {"limit": 20, "state": "ACTIVE"}

    def raw_call() -> object:
        return raw.get("/vmp/images", params=params).json()

    def raw_signed_call() -> object:
        return raw_signed.get("/vmp/images", params=params).json()

    def sdk_call() -> object:
        return sdk.invoke("GET", "/vmp/images", params=params).data

    rows = compare(
        "GET via in-process transport",
        Case("raw httpx (unsigned)", raw_call),
        [Case("raw httpx + AkskAuth", raw_signed_call), Case("Client.invoke", sdk_call)],
        number=number,
        repeat=repeat,
    )
    # What a per-call option costs: making the view alone, and a call through a fresh view.
    rows += compare(
        "per-call options (with_options)",
        Case("Client.invoke", sdk_call),
        [
            Case(
                "Client.with_options(timeout=, extra_headers=).invoke",
                lambda: (
                    sdk.with_options(timeout=60, extra_headers={"X-Trace": "1"})
                    .invoke("GET", "/vmp/images", params=params)
                    .data
                ),
            )
        ],
        number=number,
        repeat=repeat,
    )
    rows += compare(
        "making a view",
        Case("Timeout.coerce(60) (floor)", lambda: Timeout.coerce(60)),
        [
            Case("Client.with_options(timeout=60)", lambda: sdk.with_options(timeout=60)),
            Case(
                "Client.with_options(timeout=60, extra_headers={1 header})",
                lambda: sdk.with_options(timeout=60, extra_headers={"X-Trace": "1"}),
            ),
        ],
        number=number * 10,
        repeat=repeat,
    )
    auth = AkskAuth("AKBENCH", "sk-bench")
    request = httpx.Request("POST", "https://api.cdnetworks.com/vmp/images", content=BODY)
    to_sign = "CNC-HMAC-SHA256\n1764201600\n" + "e" * 64
    rows += compare(
        "one signature",
        Case("bare HMAC-SHA256 of a string to sign (floor)", lambda: signature("sk", to_sign)),
        [Case("AkskAuth.sign (POST, 70-byte body)", lambda: auth.sign(request))],
        number=number * 10,
        repeat=repeat,
    )
    for c in (raw, raw_signed, sdk):
        c.close()
    return rows
