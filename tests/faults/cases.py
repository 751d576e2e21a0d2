"""The fault matrix: each case, what the server does, and what the caller must see.

``test_faults.py`` runs every case with ``Client`` and ``AsyncClient``, as a GET (a list, which
is idempotent) and as a POST (a create, which is not). ``docs/faults.md`` holds the same table,
rendered by :func:`markdown_table` (``uv run python -m tests.faults.cases``); a test keeps the
two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdnetworks.core import (
    AuthenticationError,
    BusinessError,
    CdnetworksError,
    ConnectError,
    DecodeError,
    ProtocolError,
    ServerError,
    ThrottledError,
    TransportTimeoutError,
)

from .server import Reply, ResetMidBody, Respond, Stall, json_body

HTML = ("Content-Type", "text/html; charset=utf-8")
OK_BODY = json_body("0", "ok", '{"images":[{"imageId":"img-1"}]}')
#: The client's read timeout in this suite, and a stall comfortably longer than it.
READ_TIMEOUT = 0.25
STALL = 2.0
#: Server clock offset for the clock-skew cases: an hour ahead of the client.
SKEW = 3600.0


@dataclass(frozen=True)
class Expect:
    """What one method sees: the error type (``None``: success) and the attempts made."""

    error: type[CdnetworksError] | None
    attempts: int


@dataclass(frozen=True)
class FaultCase:
    id: str
    fault: str
    script: tuple[Reply, ...]
    get: Expect
    post: Expect
    status: int | None = None
    code: str | None = None
    #: A substring the error message must contain.
    message: str | None = None
    retry_after: float | None = None
    #: Wrap each step in a signature and timestamp check (a wrong signature gets a 401).
    verify: bool = True
    clock_offset: float = 0.0
    #: The client signs with a wrong secret key.
    wrong_secret: bool = False
    #: No server at all: the port refuses connections.
    refused: bool = False
    why: str = ""


def _server_error(status: int, body: bytes, *headers: tuple[str, str]) -> Respond:
    return Respond(status, body, headers or (("Content-Type", "application/json"),))


CASES: tuple[FaultCase, ...] = (
    FaultCase(
        "refused",
        "connection refused",
        (),
        Expect(ConnectError, 3),
        Expect(ConnectError, 3),
        refused=True,
        message="ConnectError",
        why="never reached the server, so safe to retry for any method",
    ),
    FaultCase(
        "reset",
        "TCP reset mid-response",
        (ResetMidBody(),),
        Expect(ProtocolError, 3),
        Expect(ProtocolError, 1),
        status=200,
        message="ReadError",
        why="the request reached the server: a create is not repeated",
    ),
    FaultCase(
        "stall",
        "no answer within the read timeout",
        (Stall(STALL),),
        Expect(TransportTimeoutError, 3),
        Expect(TransportTimeoutError, 1),
        message="ReadTimeout",
        why="the request reached the server: a create is not repeated",
    ),
    FaultCase(
        "500",
        "500 with a JSON error",
        (_server_error(500, json_body("SYS.InternalError", "internal error")),),
        Expect(ServerError, 3),
        Expect(ServerError, 1),
        status=500,
        code="SYS.InternalError",
        message="internal error",
        why="5xx may follow a partial effect: only idempotent calls retry",
    ),
    FaultCase(
        "502-html",
        "502 with an HTML page",
        (_server_error(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", HTML),),
        Expect(ServerError, 3),
        Expect(ServerError, 1),
        status=502,
        message="HTTP 502 Bad Gateway: <html><body><h1>502 Bad Gateway</h1>",
        why="the page's text becomes the message; there is no code",
    ),
    FaultCase(
        "503-empty",
        "503 with an empty body",
        (_server_error(503, b""),),
        Expect(ServerError, 3),
        Expect(ServerError, 1),
        status=503,
        message="HTTP 503 Service Unavailable (empty body)",
        why="with no body, the message says so",
    ),
    FaultCase(
        "504",
        "504 with a JSON error",
        (_server_error(504, json_body("SYS.GatewayTimeout", "upstream timed out")),),
        Expect(ServerError, 3),
        Expect(ServerError, 1),
        status=504,
        code="SYS.GatewayTimeout",
        message="upstream timed out",
        why="as 500",
    ),
    FaultCase(
        "503-then-ok",
        "503, then 200",
        (_server_error(503, json_body("SYS.Busy", "busy")), Respond(200, OK_BODY)),
        Expect(None, 2),
        Expect(ServerError, 1),
        status=503,
        code="SYS.Busy",
        message="busy",
        why="a GET recovers on the retry; a create surfaces the 503",
    ),
    FaultCase(
        "429",
        "429 without Retry-After",
        (_server_error(429, json_body("API.Throttled", "too many requests")),),
        Expect(ThrottledError, 3),
        Expect(ThrottledError, 1),
        status=429,
        code="API.Throttled",
        message="too many requests",
        why="retried with backoff; a create is not (the core treats POST conservatively)",
    ),
    FaultCase(
        "429-retry-after",
        "429 with Retry-After: 0.2",
        (
            Respond(
                429,
                json_body("API.Throttled", "slow down"),
                (("Content-Type", "application/json"), ("Retry-After", "0.2")),
            ),
        ),
        Expect(ThrottledError, 3),
        Expect(ThrottledError, 1),
        status=429,
        code="API.Throttled",
        message="slow down",
        retry_after=0.2,
        why="each retry waits the server's Retry-After",
    ),
    FaultCase(
        "429-retry-after-long",
        "429 with Retry-After: 120",
        (
            Respond(
                429,
                json_body("API.Throttled", "slow down"),
                (("Content-Type", "application/json"), ("Retry-After", "120")),
            ),
        ),
        Expect(ThrottledError, 1),
        Expect(ThrottledError, 1),
        status=429,
        code="API.Throttled",
        message="slow down",
        retry_after=120.0,
        why="longer than max_retry_after (60 s): the caller decides, with retry_after set",
    ),
    FaultCase(
        "200-truncated",
        "200 with truncated JSON",
        (Respond(200, OK_BODY[:25]),),
        Expect(DecodeError, 1),
        Expect(DecodeError, 1),
        status=200,
        message="could not decode",
        why="the call took effect; the answer is kept in error.body",
    ),
    FaultCase(
        "200-invalid",
        "200 with an HTML page instead of JSON",
        (Respond(200, b"<html>maintenance</html>", (HTML,)),),
        Expect(DecodeError, 1),
        Expect(DecodeError, 1),
        status=200,
        message="<html>maintenance</html>",
        why="the first bytes are in the message and in error.body",
    ),
    FaultCase(
        "200-code",
        "200 with envelope code != 0",
        (Respond(200, json_body("IMG.QuotaExceeded", "image quota exceeded")),),
        Expect(BusinessError, 1),
        Expect(BusinessError, 1),
        status=200,
        code="IMG.QuotaExceeded",
        message="image quota exceeded",
        why="a refusal by the service, not a transient fault",
    ),
    FaultCase(
        "401-signature",
        "401 for a bad signature",
        (Respond(200, OK_BODY),),
        Expect(AuthenticationError, 1),
        Expect(AuthenticationError, 1),
        status=401,
        code="AUTH.SignatureDoesNotMatch",
        message="signature does not match",
        wrong_secret=True,
        why="wrong keys: retrying cannot help",
    ),
    FaultCase(
        "401-skew",
        "401 stale timestamp, server clock +1 h",
        (Respond(200, OK_BODY),),
        Expect(None, 2),
        Expect(None, 2),
        clock_offset=SKEW,
        why="Date is >240 s from the signed timestamp: the signer adopts the server clock "
        "and retries once (refused at the door, so a create too)",
    ),
    FaultCase(
        "401-skew-persistent",
        "401 with a far Date, twice",
        (Respond(401, json_body("AUTH.RequestExpired", "timestamp expired")),),
        Expect(AuthenticationError, 2),
        Expect(AuthenticationError, 2),
        status=401,
        code="AUTH.RequestExpired",
        message="timestamp expired",
        verify=False,
        clock_offset=SKEW,
        why="the clock-skew retry happens once; with the clock corrected a 401 is final",
    ),
)


def _name(error: type[CdnetworksError] | None) -> str:
    return "result" if error is None else f"`{error.__name__}`"


def markdown_table() -> str:
    lines = [
        "| fault | GET (list): outcome, attempts | POST (create): outcome, attempts "
        "| status / code | why |",
        "|---|---|---|---|---|",
    ]
    for c in CASES:
        status = " / ".join(
            x for x in (str(c.status) if c.status else "", f"`{c.code}`" if c.code else "") if x
        )
        lines.append(
            f"| {c.fault} | {_name(c.get.error)}, {c.get.attempts} "
            f"| {_name(c.post.error)}, {c.post.attempts} | {status or '-'} | {c.why} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
