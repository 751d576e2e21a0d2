"""The names the plugin emits, in one place.

RPC and HTTP client attributes and the ``rpc.client.duration`` metric are those of the
OpenTelemetry semantic conventions v1.37.0 (the RPC conventions' last experimental release,
which instrumentations keep emitting until they opt in to the stable ones), with one deliberate
change: the duration is recorded in seconds, the unit the conventions' general metric rules
and their later ``rpc.client.call.duration`` use, not v1.37.0's milliseconds. Facts of the SDK
that the conventions have no name for are under ``cdnetworks.``.
"""

from __future__ import annotations

from typing import Final

SCHEMA_URL: Final = "https://opentelemetry.io/schemas/1.37.0"
RPC_SYSTEM_VALUE: Final = "cdnetworks"

RPC_SYSTEM: Final = "rpc.system"
RPC_SERVICE: Final = "rpc.service"
RPC_METHOD: Final = "rpc.method"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
HTTP_REQUEST_METHOD: Final = "http.request.method"
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"
URL_FULL: Final = "url.full"
ERROR_TYPE: Final = "error.type"

REQUEST_ID: Final = "cdnetworks.request_id"
ATTEMPTS: Final = "cdnetworks.attempts"
CALL_ID: Final = "cdnetworks.call_id"
OUTCOME: Final = "cdnetworks.outcome"
OPERATION_KIND: Final = "cdnetworks.operation.kind"
OPERATION_NAME: Final = "cdnetworks.operation.name"
OPERATION_ID: Final = "cdnetworks.operation.id"

RETRY_EVENT: Final = "retry"
RETRY_ATTEMPT: Final = "cdnetworks.retry.attempt"
RETRY_DELAY: Final = "cdnetworks.retry.delay"
RETRY_REASON: Final = "cdnetworks.retry.reason"

DURATION_METRIC: Final = "rpc.client.duration"
CALLS_METRIC: Final = "cdnetworks.client.calls"
RETRIES_METRIC: Final = "cdnetworks.client.retries"
#: Seconds: from a fast answer to a call that retried through its backoff.
DURATION_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
    30.0,
    60.0,
)
