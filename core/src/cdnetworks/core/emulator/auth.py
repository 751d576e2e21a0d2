"""Verify a request's AK/SK signature and timestamp as the API gateway does, or say why not.

The canonical request is rebuilt with the very functions the SDK signs with
(`cdnetworks.core.signing`), over the bytes that arrived: method, raw path, raw query,
the headers the client says it signed, and the body.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Mapping

from ..signing import ALGORITHM, canonical_request, signature, string_to_sign
from .services import EmulatorRequest, ServiceError

#: The gateway's window for ``x-cnc-timestamp``: five minutes either side of its clock.
TIMESTAMP_WINDOW = 300.0
#: Headers every signature must cover (the API Center calls them required).
REQUIRED_SIGNED_HEADERS = frozenset({"content-type", "host"})

_AUTHORIZATION = re.compile(
    rf"^{ALGORITHM} Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def _denied(code: str, message: str) -> ServiceError:
    return ServiceError(401, code, message)


class ReplayGuard:
    """Remembers signatures for the timestamp window and refuses one seen before."""

    def __init__(self, window: float = TIMESTAMP_WINDOW) -> None:
        self.window = window
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, sig: str, now: float) -> None:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {s: t for s, t in self._seen.items() if t > now}
            expires = self._seen.get(sig)
            if expires is not None and expires > now:
                raise _denied(
                    "RequestReplayed",
                    "this signature was already used; sign every request with a fresh timestamp",
                )
            self._seen[sig] = now + self.window

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def verify(
    request: EmulatorRequest,
    keys: Mapping[str, str],
    now: float,
    *,
    window: float = TIMESTAMP_WINDOW,
    replays: ReplayGuard | None = None,
) -> str:
    """Return the access key that signed ``request``; raise a 401 `ServiceError` if none."""
    headers = request.headers
    header = headers.get("authorization")
    if not header:
        raise _denied("MissingAuthorization", "the Authorization header is missing")
    parsed = _AUTHORIZATION.match(header)
    if parsed is None:
        raise _denied(
            "InvalidAuthorization",
            f"the Authorization header must read '{ALGORITHM} Credential=<access key>, "
            "SignedHeaders=<headers>, Signature=<hex>'",
        )
    if headers.get("x-cnc-auth-method", "").upper() != "AKSK":
        raise _denied("InvalidAuthorization", "x-cnc-auth-method must be AKSK")
    access_key = parsed["credential"]
    if headers.get("x-cnc-accesskey") != access_key:
        raise _denied(
            "InvalidAuthorization", "x-cnc-accessKey does not match the Authorization credential"
        )
    secret = keys.get(access_key)
    if secret is None:
        raise _denied("InvalidAccessKeyId", f"the access key {access_key} does not exist")
    timestamp = headers.get("x-cnc-timestamp", "")
    if not timestamp.isdigit():
        raise _denied("InvalidTimestamp", "x-cnc-timestamp must be Unix time in whole seconds")
    skew = int(timestamp) - now
    if abs(skew) > window:
        raise _denied(
            "RequestTimeTooSkewed",
            f"x-cnc-timestamp {timestamp} is {abs(skew):.0f} s "
            f"{'ahead of' if skew > 0 else 'behind'} the server clock ({now:.0f}); "
            f"the allowed difference is {window:.0f} s",
        )
    signed = parsed["signed"].split(";")
    missing = REQUIRED_SIGNED_HEADERS - set(signed)
    if missing:
        raise _denied(
            "InvalidAuthorization", f"SignedHeaders must include {';'.join(sorted(missing))}"
        )
    canonical = canonical_request(
        request.method, request.raw_path, request.raw_query, headers, signed, request.body
    )
    expected = signature(secret, string_to_sign(timestamp, canonical))
    if not hmac.compare_digest(expected, parsed["signature"]):
        raise _denied(
            "SignatureDoesNotMatch",
            "the request signature we calculated does not match the signature you provided; "
            "check your secret key and signing method",
        )
    if replays is not None:
        replays.check(parsed["signature"], now)
    return access_key
