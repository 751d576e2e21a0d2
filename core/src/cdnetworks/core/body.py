"""A response body read under ``max_response_bytes``: every Content-Encoding inflated here.

httpx inflates each network read whole (64 KiB of a gzip bomb is 64 MiB, built twice by zlib's
output buffer), and accepts a deflate body that is not deflate as empty. Here each encoding is
inflated in steps of at most `STEP` bytes, a stream that does not end where its format says it
ends is an error, and the decoded bytes gather in one buffer that grows in place, so the peak
cost of a body is the bound plus a step, whatever the body claims.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx

#: The most one inflating call may produce; also the constant above the bound that a body costs.
STEP = 256 * 1024
#: Input handed at once to a decoder whose output cannot be bounded per call (br, zstd).
_SLICE = 1024


class _Decoder:
    """One Content-Encoding: ``feed`` yields decoded pieces, ``finish`` checks the stream ended."""

    name = ""

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        raise NotImplementedError

    def finish(self) -> bytes:
        raise NotImplementedError


class _Zlib(_Decoder):
    def __init__(self, name: str, wbits: int, fallback_wbits: int | None = None) -> None:
        self.name = name
        self._wbits = wbits
        self._fallback = fallback_wbits
        self._obj = zlib.decompressobj(wbits)
        self._fed = False

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        while data:
            try:
                out = self._obj.decompress(data, max(1, min(room + 1, STEP)))
            except zlib.error as exc:
                if self._fallback is not None and not self._fed:
                    # "deflate" is sent both zlib-wrapped (the RFC) and raw (common practice).
                    self._obj, self._fallback = zlib.decompressobj(self._fallback), None
                    continue
                raise ValueError(f"{self.name}: {exc}") from None
            self._fed = True
            rest = self._obj.unconsumed_tail
            if self._obj.eof and self._obj.unused_data:
                rest = self._obj.unused_data
                if self.name != "gzip":
                    raise ValueError(f"{self.name}: data after the end of the stream")
                self._obj = zlib.decompressobj(self._wbits)  # a gzip body may hold several members
            if out:
                room -= len(out)
                yield out
                if room < 0:
                    return
            elif rest == data:
                raise ValueError(f"{self.name}: the stream makes no progress")
            data = rest

    def finish(self) -> bytes:
        if not self._fed:
            return b""  # no bytes at all: an empty body, as a 204 or a HEAD answer has
        try:
            out = self._obj.flush()
        except zlib.error as exc:
            raise ValueError(f"{self.name}: {exc}") from None
        if not self._obj.eof:
            raise ValueError(f"{self.name}: the stream is truncated or not {self.name} at all")
        return out


class _Sliced(_Decoder):
    """A decoder without an output bound per call, fed small slices so each output stays small
    (brotli and zstd reach ratios of a few thousand; a slice of 1 KiB stays within a `STEP`)."""

    def __init__(self, name: str, obj: Any, process: Callable[[bytes], bytes]) -> None:
        self.name = name
        self._obj = obj
        self._process = process
        self._fed = False

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        for start in range(0, len(data), _SLICE):
            try:
                out = self._process(data[start : start + _SLICE])
            except Exception as exc:  # each library has its own error class
                raise ValueError(f"{self.name}: {exc}") from None
            self._fed = True
            if out:
                room -= len(out)
                yield out
                if room < 0:
                    return

    def finish(self) -> bytes:
        if not self._fed:
            return b""
        finished = getattr(self._obj, "is_finished", None)
        done = finished() if callable(finished) else getattr(self._obj, "eof", True)
        if not done:
            raise ValueError(f"{self.name}: the stream is truncated or not {self.name} at all")
        return b""


def _brotli() -> _Decoder:
    try:
        import brotli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise ValueError(
            "br: the answer is brotli-compressed and the brotli package is not installed"
        ) from None
    obj = brotli.Decompressor()
    process = getattr(obj, "process", None) or obj.decompress
    return _Sliced("br", obj, process)


def _zstd() -> _Decoder:
    try:
        import zstandard  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise ValueError(
            "zstd: the answer is zstd-compressed and the zstandard package is not installed"
        ) from None
    obj = zstandard.ZstdDecompressor().decompressobj()
    return _Sliced("zstd", obj, obj.decompress)


_DECODERS: dict[str, Callable[[], _Decoder]] = {
    "gzip": lambda: _Zlib("gzip", zlib.MAX_WBITS | 16),
    "x-gzip": lambda: _Zlib("gzip", zlib.MAX_WBITS | 16),
    "deflate": lambda: _Zlib("deflate", zlib.MAX_WBITS, -zlib.MAX_WBITS),
    "br": _brotli,
    "zstd": _zstd,
}


def content_encodings(response: httpx.Response) -> list[str]:
    """The encodings applied to the body, outermost last (as the header lists them)."""
    value: str = response.headers.get("content-encoding", "")
    return [token.strip().lower() for token in value.split(",") if token.strip()]


class Body:
    """Gathers a body's decoded bytes, refusing to hold more than ``limit`` of them.

    ``raw``: feed the bytes as they came off the wire (they are decoded here); otherwise the
    transport handed over a body it had already read and decoded (a mock, say).
    """

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self._request = response.request
        self._limit = limit
        self._size = 0
        self._buffer = io.BytesIO()
        self.raw = not response.is_stream_consumed
        self._decoders: list[_Decoder] = []
        if self.raw:
            try:
                # Unknown tokens are passed over, as httpx does.
                self._decoders = [
                    _DECODERS[e]() for e in reversed(content_encodings(response)) if e in _DECODERS
                ]
            except ValueError as exc:
                raise httpx.DecodingError(str(exc), request=self._request) from None

    def feed(self, chunk: bytes) -> bool:
        """Take the next chunk; ``False`` once the body is over the limit."""
        try:
            for piece in self._through(chunk, 0):
                if not self._take(piece):
                    return False
        except ValueError as exc:
            raise httpx.DecodingError(str(exc), request=self._request) from None
        return True

    def _through(self, data: bytes, level: int) -> Iterator[bytes]:
        if level == len(self._decoders):
            if data:
                yield data
            return
        for piece in self._decoders[level].feed(data, self._limit - self._size):
            yield from self._through(piece, level + 1)

    def finish(self) -> bool:
        try:
            for level, decoder in enumerate(self._decoders):
                tail = decoder.finish()
                for piece in self._through(tail, level + 1):
                    if not self._take(piece):
                        return False
        except ValueError as exc:
            raise httpx.DecodingError(str(exc), request=self._request) from None
        return True

    def _take(self, piece: bytes) -> bool:
        self._size += len(piece)
        if self._size > self._limit:
            self._buffer = io.BytesIO()  # drop what was gathered at once, not at the caller's
            return False
        self._buffer.write(piece)
        return True

    @property
    def content(self) -> bytes:
        # BytesIO grows one buffer in place and hands it over without a copy.
        return self._buffer.getvalue()
