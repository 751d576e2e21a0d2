"""An independent reading of the signing spec, used to check what the SDK actually sent.

Written from ``/work/shared/spec/aksk-signing.md`` with nothing but hashlib and hmac, so a bug
in :mod:`cdnetworks.core.signing` cannot hide by being checked against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import unquote_to_bytes

import httpx

PREFIX = "CNC-HMAC-SHA256 "


def parse_authorization(value: str) -> dict[str, str]:
    assert value.startswith(PREFIX), value
    fields = {}
    for part in value[len(PREFIX) :].split(", "):
        name, _, val = part.partition("=")
        fields[name] = val
    assert set(fields) == {"Credential", "SignedHeaders", "Signature"}, fields
    return fields


def expected_signature(request: httpx.Request, secret_key: str) -> str:
    """The signature the spec gives for ``request`` exactly as it would go on the wire."""
    headers = request.headers
    auth = parse_authorization(headers["authorization"])
    signed = auth["SignedHeaders"].split(";")
    assert signed == sorted(signed)
    assert {"content-type", "host"} <= set(signed)
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    method = request.method
    query = b"" if method == "POST" else unquote_to_bytes(raw_query.replace(b"+", b" "))
    block = "".join(f"{n}:{headers.get(n, '').lower()}\n" for n in signed).encode()
    body = request.content
    canonical = b"\n".join(
        [
            method.encode(),
            raw_path,
            query,
            block,
            ";".join(signed).encode(),
            hashlib.sha256(body).hexdigest().encode(),
        ]
    )
    to_sign = (
        f"CNC-HMAC-SHA256\n{headers['x-cnc-timestamp']}\n{hashlib.sha256(canonical).hexdigest()}"
    )
    return hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def assert_signed(request: httpx.Request, access_key: str, secret_key: str) -> None:
    """``request`` carries every header the spec asks for and a correct, fresh signature."""
    h = request.headers
    assert h["x-cnc-accesskey"] == access_key
    assert h["x-cnc-auth-method"] == "AKSK"
    assert h["content-type"] == "application/json"
    assert h["accept"] == "application/json"
    assert abs(int(h["x-cnc-timestamp"]) - time.time()) < 60
    auth = parse_authorization(h["authorization"])
    assert auth["Credential"] == access_key
    assert auth["Signature"] == expected_signature(request, secret_key)
