"""Where the access key, secret key and endpoint come from.

Order of precedence (first match wins), the same for keys and endpoint:

1. arguments (``access_key=`` / ``secret_key=``, ``endpoint=``);
2. an explicit ``profile=`` argument: that profile of the credentials file;
3. the environment: ``CDNETWORKS_ACCESS_KEY`` / ``CDNETWORKS_SECRET_KEY`` / ``CDNETWORKS_ENDPOINT``;
4. the credentials file (INI): ``credentials_file=`` argument, else ``CDNETWORKS_CREDENTIALS_FILE``,
   else ``~/.cdnetworks/credentials``; section ``CDNETWORKS_PROFILE`` or ``default``;
5. for the endpoint only: ``https://api.cdnetworks.com``.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CredentialsError

if TYPE_CHECKING:
    import configparser

DEFAULT_ENDPOINT = "https://api.cdnetworks.com"
DEFAULT_CREDENTIALS_FILE = "~/.cdnetworks/credentials"
ENV_ACCESS_KEY = "CDNETWORKS_ACCESS_KEY"
ENV_SECRET_KEY = "CDNETWORKS_SECRET_KEY"  # noqa: S105 - a variable name, not a secret
ENV_ENDPOINT = "CDNETWORKS_ENDPOINT"
ENV_CREDENTIALS_FILE = "CDNETWORKS_CREDENTIALS_FILE"
ENV_PROFILE = "CDNETWORKS_PROFILE"

_WHITESPACE = re.compile(r"\s")
_QUOTES = ('"', "'")
log = logging.getLogger("cdnetworks")
#: Files already warned about for their permissions (once per process is enough).
_warned_readable: set[Path] = set()
_warned_lock = threading.Lock()


@dataclass(frozen=True, repr=False)
class Credentials:
    """An access key / secret key pair. Its ``repr`` shows the access key, never the secret."""

    access_key: str
    secret_key: str = field(repr=False)
    #: Where the pair was found: ``"arguments"``, ``"environment"`` or ``"profile 'x' in PATH"``.
    source: str = "arguments"

    def __post_init__(self) -> None:
        for name, value in (("access key", self.access_key), ("secret key", self.secret_key)):
            if not isinstance(value, str):
                raise CredentialsError(
                    f"the {name} from {self.source} must be a str, not {type(value).__name__}"
                )
            if not value:
                raise CredentialsError(f"the {name} from {self.source} is empty")
            if _WHITESPACE.search(value):
                # Never echo the value: it may be the secret. A stray newline from a copy-paste
                # is the usual culprit.
                raise CredentialsError(
                    f"the {name} from {self.source} contains whitespace "
                    "(a stray space or newline from copy-paste?)"
                )
        # The access key travels in a header (ASCII only); the secret keys an HMAC as UTF-8.
        if not self.access_key.isascii() or not self.access_key.isprintable():
            raise CredentialsError(
                f"the access key from {self.source} has characters outside printable ASCII"
            )
        try:
            self.secret_key.encode("utf-8")
        except UnicodeEncodeError:
            raise CredentialsError(
                f"the secret key from {self.source} is not valid Unicode text"
            ) from None

    def __repr__(self) -> str:
        return f"Credentials(access_key={self.access_key!r}, source={self.source!r})"


@dataclass(frozen=True)
class ResolvedConfig:
    """The outcome of the lookup: credentials plus the endpoint and where it came from."""

    credentials: Credentials
    endpoint: str
    endpoint_source: str


def _warn_if_world_readable(path: Path) -> None:
    """As ssh does for private keys: a file of secrets others can read deserves a word."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if os.name != "posix" or not mode & stat.S_IROTH:
        return
    with _warned_lock:
        if path in _warned_readable:
            return
        _warned_readable.add(path)
    log.warning(
        "credentials file %s is readable by every user of this machine (mode %s); "
        "restrict it with: chmod 600 %s",
        path,
        stat.filemode(mode),
        path,
    )


def _read_profile_file(path: Path) -> configparser.ConfigParser:
    import configparser  # only when a profile file is read

    parser = configparser.ConfigParser(interpolation=None, default_section="__no_defaults__")
    _warn_if_world_readable(path)
    try:
        # utf-8-sig: editors on Windows start the file with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CredentialsError(f"credentials file {path} is not UTF-8 text: {exc.reason}") from None
    except OSError as exc:
        raise CredentialsError(f"credentials file {path} cannot be read: {exc.strerror}") from None
    try:
        parser.read_string(text, source=str(path))
    # Never quote a line of the file back: a malformed line is often a pasted secret key.
    except configparser.MissingSectionHeaderError as exc:
        key = exc.line.partition("=")[0].strip() if "=" in exc.line else ""
        before = f"the {key!r} setting" if key.isidentifier() else "it"
        raise CredentialsError(
            f"credentials file {path}, line {exc.lineno}: "
            f"expected a [profile] header before {before}"
        ) from None
    except configparser.ParsingError as exc:
        lineno = exc.errors[0][0]
        raise CredentialsError(
            f"credentials file {path}, line {lineno}: cannot parse the line, expected "
            "'key = value' (the line is not shown: it may hold a key)"
        ) from None
    except configparser.Error as exc:
        error_line = getattr(exc, "lineno", None)
        where = f", line {error_line}" if error_line else ""
        raise CredentialsError(f"credentials file {path}{where}: {exc.message}") from None
    return parser


def _section_line(path: Path, profile: str) -> int:
    """The line where ``[profile]`` starts, so errors can point at it."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):  # pragma: no cover - it was readable a moment ago
        return 0
    for number, line in enumerate(lines, start=1):
        if line.strip() == f"[{profile}]":
            return number
    return 0  # pragma: no cover - the parser found the section


def resolve(
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    endpoint: str | None = None,
    profile: str | None = None,
    credentials_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedConfig:
    """Find credentials and endpoint, else raise `CredentialsError` naming every place."""
    env = os.environ if environ is None else environ
    looked: list[str] = []

    if (access_key is None) != (secret_key is None):
        missing = "secret_key" if secret_key is None else "access_key"
        raise CredentialsError(f"access_key and secret_key go together: {missing} is missing")

    file_path = Path(
        os.fspath(credentials_file)
        if credentials_file is not None
        else env.get(ENV_CREDENTIALS_FILE) or DEFAULT_CREDENTIALS_FILE
    ).expanduser()
    profile_name = profile or env.get(ENV_PROFILE) or "default"
    profile_explicit = profile is not None or bool(env.get(ENV_PROFILE))
    section: Mapping[str, str] | None = None

    def load_section() -> Mapping[str, str] | None:
        if not file_path.exists():
            if credentials_file is not None or env.get(ENV_CREDENTIALS_FILE):
                raise CredentialsError(f"credentials file {file_path} does not exist")
            if profile_explicit:
                raise CredentialsError(
                    f"profile {profile_name!r} was asked for, but {file_path} does not exist"
                )
            return None
        parser = _read_profile_file(file_path)
        if not parser.has_section(profile_name):
            if profile_explicit:
                known = ", ".join(parser.sections()) or "none"
                raise CredentialsError(
                    f"profile {profile_name!r} not found in {file_path} (profiles there: {known})"
                )
            return None
        return parser[profile_name]

    creds: Credentials | None = None
    if access_key is not None and secret_key is not None:
        creds = Credentials(access_key, secret_key, "arguments")
    looked.append("arguments access_key/secret_key")

    if creds is None and profile is not None:
        section = load_section()
        creds = _from_section(section, file_path, profile_name)
    if creds is None:
        env_ak, env_sk = env.get(ENV_ACCESS_KEY), env.get(ENV_SECRET_KEY)
        if env_ak and env_sk:
            creds = Credentials(env_ak, env_sk, "environment")
        elif env_ak or env_sk:
            missing = ENV_SECRET_KEY if env_ak else ENV_ACCESS_KEY
            raise CredentialsError(f"environment has only one of the key pair: {missing} is unset")
        looked.append(f"environment {ENV_ACCESS_KEY}/{ENV_SECRET_KEY}")
    if creds is None:
        section = load_section()
        creds = _from_section(section, file_path, profile_name)
        looked.append(f"profile {profile_name!r} in {file_path}")
    if creds is None:
        raise CredentialsError("no CDNetworks credentials found; looked at: " + "; ".join(looked))

    if endpoint is not None:
        return ResolvedConfig(creds, endpoint, "arguments")
    if profile is None and env.get(ENV_ENDPOINT):
        return ResolvedConfig(creds, env[ENV_ENDPOINT], "environment")
    file_named = profile is not None or credentials_file is not None
    if section is None and file_path.exists() and (creds.source != "arguments" or file_named):
        # Keys from the environment still pair with the profile's endpoint when the file has
        # one; keys given as arguments do not need the file, so it is not read (a broken or
        # unreadable default file must not fail a client that names its keys), unless a
        # profile or file was named too.
        section = load_section()
    endpoint_value = _value(section, "endpoint", file_path, profile_name)
    if endpoint_value:
        return ResolvedConfig(creds, endpoint_value, f"profile {profile_name!r}")
    if env.get(ENV_ENDPOINT):
        return ResolvedConfig(creds, env[ENV_ENDPOINT], "environment")
    return ResolvedConfig(creds, DEFAULT_ENDPOINT, "default")


def _from_section(
    section: Mapping[str, str] | None, path: Path, profile: str
) -> Credentials | None:
    if section is None:
        return None
    ak = _value(section, "access_key", path, profile)
    sk = _value(section, "secret_key", path, profile)
    if not ak or not sk:
        missing = " and ".join(k for k, v in (("access_key", ak), ("secret_key", sk)) if not v)
        raise CredentialsError(
            f"credentials file {path}, line {_section_line(path, profile)}: "
            f"profile [{profile}] has no {missing}"
        )
    return Credentials(ak, sk, f"profile {profile!r} in {path}")


def _value(section: Mapping[str, str] | None, key: str, path: Path, profile: str) -> str | None:
    """A setting of the profile, with one pair of matching quotes around it removed.

    ``secret_key = "abc"`` means ``abc``, as in shell and dotenv files; a value that opens a
    quote without closing it (or the reverse) is refused rather than guessed at.
    """
    if section is None:
        return None
    value = section.get(key)
    if not value:
        return value
    first, last = value[0], value[-1]
    if len(value) >= 2 and first in _QUOTES and last == first:
        return value[1:-1]
    if first in _QUOTES or last in _QUOTES:
        # Never quote the value back: it may be the secret key.
        raise CredentialsError(
            f"credentials file {path}, line {_section_line(path, profile)}: the {key} of "
            f"profile [{profile}] has an unmatched quote; write it bare or quote both ends"
        )
    return value
