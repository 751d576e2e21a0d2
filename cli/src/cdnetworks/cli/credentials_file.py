"""Edit ``~/.cdnetworks/credentials`` in place: one profile's keys change, the rest stays.

The file is the INI file `cdnetworks.core.credentials` reads. Edits work on its lines, so other
profiles, comments and blank lines survive; the new text is written to a temporary file beside
it (mode 0600) and renamed over it, so a crash never leaves half a file.
"""

from __future__ import annotations

import configparser
import os
import re
import tempfile
from pathlib import Path

from .parser import EXIT_CONFIG, UsageError

DEFAULT_FILE = "~/.cdnetworks/credentials"
ENV_FILE = "CDNETWORKS_CREDENTIALS_FILE"
ENV_PROFILE = "CDNETWORKS_PROFILE"
KEYS = ("access_key", "secret_key", "endpoint")

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]*)\]\s*(?:[#;].*)?$")
_SETTING = re.compile(r"^\s*(?P<key>[^=:\s\[#;][^=:]*?)\s*[=:]")


def credentials_path(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(ENV_FILE) or DEFAULT_FILE).expanduser()


def check_profile(name: str) -> str:
    """A profile name that survives the INI format (no brackets, no line breaks, not blank)."""
    if (
        not name
        or name != name.strip()
        or any(c in name for c in "[]\r\n")
        or not name.isprintable()
    ):
        raise UsageError(
            f"profile name {name!r} cannot be written to the credentials file "
            "(no brackets, line breaks or surrounding spaces)"
        )
    return name


def check_value(key: str, value: str) -> str:
    if not value or any(c.isspace() for c in value) or not value.isprintable():
        what = "the secret key" if key == "secret_key" else repr(value)
        raise UsageError(f"{key}: {what} is empty or contains spaces or control characters")
    return value


def read_text(path: Path) -> str:
    """The file's text ("" when absent); a file that cannot be read or parsed is exit 3."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise UsageError(f"credentials file {path} is not UTF-8 text", EXIT_CONFIG) from None
    except OSError as exc:
        raise UsageError(
            f"credentials file {path} cannot be read: {exc.strerror}", EXIT_CONFIG
        ) from None
    parser = configparser.ConfigParser(interpolation=None, default_section="__no_defaults__")
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None) or getattr(exc, "errors", [(None,)])[0][0]
        where = f", line {line}" if line else ""
        # Never quote the line: a malformed line is often a pasted secret key.
        raise UsageError(
            f"credentials file {path}{where} cannot be parsed; fix or move it first", EXIT_CONFIG
        ) from None
    return text


def read_profile(text: str, profile: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, default_section="__no_defaults__")
    parser.read_string(text)
    return dict(parser[profile]) if parser.has_section(profile) else {}


def profiles(text: str) -> list[str]:
    parser = configparser.ConfigParser(interpolation=None, default_section="__no_defaults__")
    parser.read_string(text)
    return parser.sections()


def update(text: str, profile: str, values: dict[str, str]) -> str:
    """``text`` with ``values`` set in ``[profile]`` (added at its end, or a new section)."""
    lines = text.splitlines()
    start = end = None
    for number, line in enumerate(lines):
        match = _SECTION.match(line)
        if match:
            if start is not None and end is None:
                end = number
            if match["name"].strip() == profile and start is None:
                start = number
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        block = ([""] if lines else []) + [f"[{profile}]"]
        block += [f"{key} = {value}" for key, value in values.items()]
        return "\n".join(lines + block) + "\n"
    end = len(lines) if end is None else end
    pending = dict(values)
    for number in range(start + 1, end):
        match = _SETTING.match(lines[number])
        if match and match["key"].strip().lower() in pending:
            key = match["key"].strip().lower()
            lines[number] = f"{key} = {pending.pop(key)}"
    # New settings go after the section's last setting, before blank lines and comments
    # that belong to the next section.
    last = start
    for number in range(start + 1, end):
        if _SETTING.match(lines[number]):
            last = number
    lines[last + 1 : last + 1] = [f"{key} = {value}" for key, value in pending.items()]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, creating its folder with 0700."""
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".credentials-", dir=folder)
    except OSError as exc:
        raise UsageError(f"cannot write to {folder}: {exc.strerror}", EXIT_CONFIG) from None
    try:
        # mkstemp creates the file 0600 already; say so for readers and odd umasks.
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}", EXIT_CONFIG) from None
