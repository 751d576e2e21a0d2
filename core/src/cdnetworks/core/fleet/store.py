"""The store's URL, its password kept out of sight, and the account's keys in it.

Everything the SDK writes is under ``{prefix}:{<account hash>}:...``: the hash of the access key
(never the key itself, and never the secret), in braces so a Redis Cluster keeps one account's
keys in one slot, which its scripts need.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError

if TYPE_CHECKING:
    import redis
    import redis.asyncio

#: Schemes redis-py understands, plus Valkey's names for the same protocol.
_SCHEMES = {
    "redis": "redis",
    "rediss": "rediss",
    "unix": "unix",
    "valkey": "redis",
    "valkeys": "rediss",
}
DEFAULT_PREFIX = "cdnetworks"


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """``(scheme, userinfo, rest)`` read off the text itself, not a URL parser: a password
    holding ``#`` or ``/`` (not percent-encoded) must still be found and hidden."""
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return None
    return scheme, rest[:at], rest[at + 1 :]


def mask_url(url: str) -> str:
    """``url`` with its password (or a lone token before ``@``) replaced by ``***``."""
    if not isinstance(url, str):
        return "<not a URL>"
    parts = _split_userinfo(url)
    if parts is None:
        return url if "@" not in url else "<a URL with credentials, not shown>"
    scheme, userinfo, rest = parts
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user + ':' if colon else ''}***@{rest}"


def password_of(url: str) -> str | None:
    parts = _split_userinfo(url)
    if parts is None:
        return None
    user, colon, password = parts[1].partition(":")
    return password if colon else user


def scrub(text: str, url: str) -> str:
    """An error message from the store library, with the URL's password removed if it shows."""
    secret = password_of(url)
    for raw in {secret, secret and urllib.parse.unquote(secret)} - {None, ""}:
        assert raw is not None
        text = text.replace(raw, "***")
    return text.replace(url, mask_url(url))


def check_url(url: object, where: str) -> str:
    """The URL for redis-py (Valkey's schemes renamed), else a `ConfigurationError` on ``where``."""
    if not isinstance(url, str) or not url:
        raise ConfigurationError(f"{where} must be a redis:// or rediss:// URL, got {url!r}")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises on a bad one
    except ValueError:
        # Not the parser's message: it may quote a piece of the password.
        raise ConfigurationError(
            f"{where} is not a valid URL ({mask_url(url)}): check the port, and percent-encode "
            "any of : / ? # [ ] @ in the password"
        ) from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ConfigurationError(
            f"{where} must start with redis://, rediss:// (TLS), unix://, valkey:// or "
            f"valkeys://; got {mask_url(url)}"
        )
    if scheme != "unix" and not parts.hostname:
        raise ConfigurationError(f"{where} names no host: {mask_url(url)}")
    path = parts.path.strip("/")
    if scheme != "unix" and path and not path.isdigit():
        raise ConfigurationError(
            f"{where}: the path must be a database number (redis://host:6379/0), "
            f"got {mask_url(url)}"
        )
    return urllib.parse.urlunsplit(parts._replace(scheme=scheme))


def check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or not prefix or any(c in prefix for c in "{} \t\r\n"):
        raise ConfigurationError(
            f"prefix must be a non-empty str without braces or whitespace, got {prefix!r}"
        )
    return prefix


def account_tag(access_key: str) -> str:
    """What stands for the account in keys: a hash of its access key."""
    digest = hashlib.sha256(b"cdnetworks-account\0" + access_key.encode()).hexdigest()
    return digest[:32]


def account_base(prefix: str, access_key: str) -> str:
    return f"{prefix}:{{{account_tag(access_key)}}}"


def sync_redis(url: str, timeout: float) -> redis.Redis:
    import redis as redis_module

    return redis_module.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        # redis-py's own retries would multiply the bounded wait; the limiter decides instead.
        retry_on_timeout=False,
        retry=None,
        health_check_interval=0,
    )


def async_redis(url: str, timeout: float) -> redis.asyncio.Redis:
    import redis.asyncio as redis_asyncio

    return redis_asyncio.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry_on_timeout=False,
        retry=None,
    )


def missing_redis() -> ConfigurationError:
    return ConfigurationError(
        "the shared rate limiter needs redis-py: pip install 'cdnetworks-core[redis]'"
    )


def ensure_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise missing_redis() from None
    return redis
