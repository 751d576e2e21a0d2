"""Every worked vector of the shared AK/SK spec, through the pure functions and through AkskAuth."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import httpx
import pytest

from cdnetworks.core import AkskAuth
from cdnetworks.core.signing import (
    authorization,
    canonical_request,
    signature,
    string_to_sign,
)
from tests.conftest import DATA, load_vectors

VECTORS = load_vectors()
SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared" / "spec" / "aksk-vectors.json"


def test_vendored_vectors_match_the_shared_spec() -> None:
    if not SHARED.exists():
        pytest.skip("no ../shared beside this checkout")
    assert json.loads(SHARED.read_text()) == json.loads((DATA / "aksk-vectors.json").read_text())


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_pure_functions(v: dict[str, Any]) -> None:
    expected = v["expected"]
    canonical = canonical_request(
        v["method"],
        v["raw_path"].encode(),
        v["raw_query"].encode(),
        v["headers"],
        v["signed_headers"].split(";"),
        v["body"].encode("utf-8"),
    )
    assert canonical.decode("utf-8") == expected["canonical_request"]
    to_sign = string_to_sign(v["timestamp"], canonical)
    assert to_sign == expected["string_to_sign"]
    sig = signature(v["secret_key"], to_sign)
    assert sig == expected["signature"]
    assert (
        authorization(v["access_key"], v["signed_headers"].split(";"), sig)
        == expected["authorization"]
    )


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_akskauth_signs_an_httpx_request_identically(v: dict[str, Any]) -> None:
    host = v["headers"]["Host"]
    url = f"https://{host}{v['raw_path']}" + (f"?{v['raw_query']}" if v["raw_query"] else "")
    request = httpx.Request(
        v["method"], url, headers={"Content-Type": "application/json"}, content=v["body"].encode()
    )
    request.headers["Host"] = host  # keep the vector's case; httpx would lower-case it
    AkskAuth(v["access_key"], v["secret_key"]).sign(request, timestamp=int(v["timestamp"]))
    assert request.headers["Authorization"] == v["expected"]["authorization"]
    assert request.headers["x-cnc-timestamp"] == v["timestamp"]
    assert request.headers["x-cnc-accessKey"] == v["access_key"]
    assert request.headers["x-cnc-auth-method"] == "AKSK"
    assert request.headers["Accept"] == "application/json"
