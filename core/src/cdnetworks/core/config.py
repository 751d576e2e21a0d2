"""Client configuration values: timeouts, the endpoint check and the user agent."""

from __future__ import annotations

import functools
import ipaddress
import math
import socket
import sys
from dataclasses import dataclass

import httpx

from ._version import __version__
from .errors import ConfigurationError

#: The longest single timeout accepted: longer ones overflow the operating system's timers
#: (``1e10`` raises ``OverflowError`` in the socket layer) and no API call needs a day.
MAX_TIMEOUT = 86400.0


@dataclass(frozen=True)
class Timeout:
    """Timeouts in seconds; ``None`` disables one.

    ``connect``, ``read``, ``write`` and ``pool`` apply to each attempt (as in httpx).
    ``total`` bounds the whole call: every attempt and every wait between attempts. An attempt
    never gets more time than the total has left.
    """

    connect: float | None = 5.0
    read: float | None = 30.0
    write: float | None = 30.0
    pool: float | None = 10.0
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool", "total"):
            _check_seconds(f"timeout {name}", getattr(self, name))

    @classmethod
    def coerce(cls, value: Timeout | float | None) -> Timeout:
        """``None`` gives the defaults; a number sets connect, read, write and pool alike."""
        if value is None:
            return cls()
        if isinstance(value, Timeout):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"timeout must be a Timeout or a number, got {value!r}")
        _check_seconds("timeout", value)
        return cls(connect=value, read=value, write=value, pool=value)

    def for_attempt(self, remaining: float | None) -> dict[str, float | None]:
        """The httpx timeout extension for one attempt, capped by what the total has left."""

        def cap(value: float | None) -> float | None:
            if remaining is None:
                return value
            return remaining if value is None else min(value, remaining)

        return {
            "connect": cap(self.connect),
            "read": cap(self.read),
            "write": cap(self.write),
            "pool": cap(self.pool),
        }


def _check_seconds(name: str, value: object) -> None:
    """A timeout is ``None`` or a finite, positive number of seconds, at most `MAX_TIMEOUT`."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"{name} must be a number of seconds or None, not {type(value).__name__} {value!r}"
        )
    if not value > 0 or not math.isfinite(value) or value > MAX_TIMEOUT:
        raise ConfigurationError(
            f"{name} must be a positive number of seconds, at most {MAX_TIMEOUT:.0f} (a day), "
            f"or None for no limit; got {value!r}"
        )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    if host != "localhost" and not host.endswith(".localhost"):
        return False
    return _resolves_to_loopback(host)


@functools.lru_cache(maxsize=64)
def _resolves_to_loopback(host: str) -> bool:
    # RFC 6761 reserves these names for loopback, but a resolver may still map one elsewhere:
    # trust the name only if every address it resolves to is a loopback address. A name that
    # does not resolve cannot be reached at all, so nothing could leak to another host.
    # Asked once per name and process: glibc sends ``*.localhost`` to DNS, and where DNS is
    # unreachable each lookup waits out the resolver's timeout (5 s), once per client built.
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return True
    return all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def check_endpoint(endpoint: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """Parse and vet the endpoint. Plain ``http://`` is refused for hosts off this machine."""
    try:
        url = httpx.URL(endpoint)
    except (httpx.InvalidURL, TypeError) as exc:
        if isinstance(endpoint, str) and "@" in endpoint:
            # What comes before an "@" may be a password: describe the URL, do not show it.
            raise ConfigurationError(
                "the endpoint is not a valid URL (not shown: it has an '@', so it may carry "
                "credentials, which an endpoint must not)"
            ) from None
        raise ConfigurationError(f"endpoint {endpoint!r} is not a valid URL: {exc}") from None
    if url.userinfo:
        # Never echo the endpoint here: the part before "@" is likely a password.
        raise ConfigurationError(
            f"the endpoint must not carry credentials (user:password@) before its host "
            f"{url.host!r}: the SDK signs requests with your access and secret keys and would "
            "never use them, but they would show in logs. Remove them from the URL."
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"endpoint {endpoint!r} must be an absolute http(s) URL such as https://api.cdnetworks.com"
        )
    if url.query or url.fragment:
        raise ConfigurationError(f"endpoint {endpoint!r} must not carry a query or fragment")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise ConfigurationError(
            f"endpoint {endpoint!r} uses plain http to a remote host: the signed requests and "
            "their data would cross the network in clear text. Use https, or pass "
            "allow_insecure_http=True if you really mean it."
        )
    return url


#: What ``platform.python_version()`` gives, without importing ``platform`` for it.
_PYTHON_VERSION = ".".join(map(str, sys.version_info[:3]))


def user_agent(suffix: str | None = None) -> str:
    """``cdnetworks-sdk-python/<core version> python/<version> httpx/<version>`` plus a suffix."""
    ua = f"cdnetworks-sdk-python/{__version__} python/{_PYTHON_VERSION} httpx/{httpx.__version__}"
    return f"{ua} {suffix}" if suffix else ua
