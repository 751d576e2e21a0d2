"""Writing to the terminal, pipes and odd locales without losing output or printing tracebacks."""

from __future__ import annotations

import locale
import os
import re
import sys
from collections.abc import Sequence
from typing import TextIO

from .parser import UsageError

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def ascii_json(text: str) -> str:
    """JSON text with every non-ASCII character as a ``\\uXXXX`` escape: the same data.

    Non-ASCII characters occur only inside JSON strings, where the escape is equivalent, so a
    stream that cannot encode them (``PYTHONIOENCODING=latin-1``, a C locale) still gets it all.
    """
    return _NON_ASCII.sub(_escape, text)


def _encodable(stream: TextIO, text: str) -> str | None:
    """``None`` when the stream's encoding takes ``text`` as it is, else that encoding."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return None
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return str(encoding)
    except LookupError:
        return None
    return None


def write_result(stream: TextIO, text: str, *, is_json: bool) -> None:
    """Write the result whatever the stream's encoding (``PYTHONIOENCODING=latin-1``, a C locale).

    JSON gets ``\\uXXXX`` escapes, which decode to the same data; a table gets backslash escapes.
    """
    encoding = _encodable(stream, text)
    if encoding is not None:
        text = ascii_json(text) if is_json else _escaped(text, encoding)
    stream.write(text)
    stream.flush()


def write_line(stream: TextIO, text: str) -> None:
    """A message on stderr that reaches it even when it cannot encode every character."""
    encoding = _encodable(stream, text)
    stream.write(_escaped(text, encoding) if encoding else text)
    stream.flush()


def _escaped(text: str, encoding: str) -> str:
    return text.encode(encoding, "backslashreplace").decode(encoding)


def silence_stdout(stream: TextIO) -> None:
    """After a reader closed the pipe: point stdout at /dev/null so the exit flush stays quiet."""
    if stream is not sys.stdout and stream is not sys.__stdout__:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # pragma: no cover - no file descriptor behind it
        pass


def check_arguments(argv: Sequence[str]) -> None:
    """Refuse arguments the locale could not decode, naming the locale as the problem.

    Under a locale such as ``LC_ALL=C`` (without UTF-8 mode) Python decodes argv as ASCII and
    keeps other bytes as lone surrogates; sending them would fail later with a confusing error.
    """
    for index, arg in enumerate(argv):
        if not any("\udc80" <= char <= "\udcff" for char in arg):
            continue
        if index and argv[index - 1].startswith("--") and "=" not in argv[index - 1]:
            what = f"the value of {argv[index - 1]}"
        elif arg.startswith("--"):
            what = f"the value of {arg.split('=', 1)[0]}"
        else:
            what = f"argument {index + 1}"
        encoding = sys.getfilesystemencoding()
        name = locale.setlocale(locale.LC_CTYPE) if encoding.lower() == "ascii" else encoding
        raise UsageError(
            f"{what} has non-ASCII bytes the locale cannot decode (LC_CTYPE {name}, "
            f"encoding {encoding}): run with a UTF-8 locale, e.g. LC_ALL=C.UTF-8, or PYTHONUTF8=1"
        )
