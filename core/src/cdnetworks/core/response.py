"""Where the response machinery lived before it was split by its jobs; kept so imports work.

* `cdnetworks.core.decoders`: JSON decoders (any JSON, typed models, lenient numbers);
* `cdnetworks.core.envelope`: the ``code``/``message`` envelope of a 2xx body;
* `cdnetworks.core.classify`: an attempt's outcome (value, or typed error and retry decision).
"""

from __future__ import annotations

from .classify import (
    BODY_EXCERPT,
    Outcome,
    classify_closed,
    classify_response,
    classify_too_large,
    classify_transport_error,
)
from .decoders import LENIENT_NUMBER, body_decoder, decode_any, typed_decoder
from .envelope import envelope_of as _envelope_of
from .envelope import is_success as _is_success
from .envelope import probe as _probe
from .envelope import top_level as _top_level

__all__ = [
    "BODY_EXCERPT",
    "LENIENT_NUMBER",
    "Outcome",
    "_envelope_of",
    "_is_success",
    "_probe",
    "_top_level",
    "body_decoder",
    "classify_closed",
    "classify_response",
    "classify_too_large",
    "classify_transport_error",
    "decode_any",
    "typed_decoder",
]
