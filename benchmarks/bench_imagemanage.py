"""The imagemanage product: a typed ``vmp_query_image`` call, and decoding a large listing.

1. One ``VMPQueryImage`` returning a 20-image page: raw httpx (``.json()``), raw httpx signed
   with ``AkskAuth``, and ``ImageManageClient.vmp_query_image`` (validation, hooks, signing,
   classification, typed decoding), all over the same in-process ``httpx.MockTransport``.
2. Decoding a 10,000-image listing (about 1.5 MB of JSON): the standard ``json`` module into
   dicts, msgspec into dicts, and msgspec into the typed models the SDK returns. Peak memory
   of one decode (``tracemalloc``) is in the note column.
"""

from __future__ import annotations

import dataclasses
import json
import tracemalloc
from collections.abc import Callable

import httpx
import msgspec
from harness import Case, Row, compare

from cdnetworks.core import AkskAuth
from cdnetworks.core.response import body_decoder
from cdnetworks.imagemanage import ImageManageClient, VMPQueryImageResponse

HEADERS = {"content-type": "application/json", "x-cnc-request-id": "bench-1"}


def listing(count: int) -> bytes:
    images = [
        {
            "id": f"img-{i:06d}",
            "name": f"image-{i}",
            "type": ("COMMON", "SNAPSHOT", "CUSTOM")[i % 3],
            "createdAt": "2024-11-04 14:17:41",
            "size": str(20 + i % 80),
            "state": ("ACTIVE", "BUILDING", "INACTIVE")[i % 3],
        }
        for i in range(count)
    ]
    return json.dumps({"images": images}).encode()


def _transport(body: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers=HEADERS))


def _peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


def _call_rows(quick: bool) -> list[Row]:
    number, repeat = (50, 5) if quick else (300, 15)
    page = listing(20)
    base = "https://api.cdnetworks.com"
    raw = httpx.Client(transport=_transport(page), base_url=base)
    signed = httpx.Client(transport=_transport(page), base_url=base, auth=AkskAuth("AK", "sk"))
    sdk = ImageManageClient(
        access_key="AK", secret_key="sk", transport=_transport(page), load_entry_points=False
    )
    params = {"limit": 20, "state": "ACTIVE"}
    try:
        return compare(
            "VMPQueryImage, 20-image page, in-process transport",
            Case(
                "raw httpx + .json() (unsigned)",
                lambda: raw.get("/vmp/images", params=params).json(),
            ),
            [
                Case(
                    "raw httpx + AkskAuth + .json()",
                    lambda: signed.get("/vmp/images", params=params).json(),
                ),
                Case(
                    "ImageManageClient.vmp_query_image (typed)",
                    lambda: sdk.vmp_query_image(limit=20, state="ACTIVE").images,
                ),
            ],
            number=number,
            repeat=repeat,
        )
    finally:
        raw.close()
        signed.close()
        sdk.close()


def _decode_rows(quick: bool) -> list[Row]:
    body = listing(10_000)
    typed = body_decoder(VMPQueryImageResponse)  # what the client decodes bodies with
    untyped = msgspec.json.Decoder()
    cases = [
        Case("json.loads -> dicts (stdlib)", lambda: json.loads(body)),
        Case("msgspec -> dicts", lambda: untyped.decode(body)),
        Case(
            "msgspec -> VMPQueryImageResponse (typed, what the SDK returns)",
            lambda: typed(body),
        ),
    ]
    assert len(typed(body).images) == 10_000
    rows = compare(
        f"decode a 10,000-image listing ({len(body) / 1e6:.1f} MB)",
        cases[0],
        cases[1:],
        number=2 if quick else 5,
        repeat=3 if quick else 9,
    )
    peaks = {case.name: _peak_bytes(case.fn) for case in cases}
    return [
        dataclasses.replace(row, note=f"peak memory {peaks[row.name] / 1e6:.1f} MB") for row in rows
    ]


def run(quick: bool) -> list[Row]:
    return _call_rows(quick) + _decode_rows(quick)
