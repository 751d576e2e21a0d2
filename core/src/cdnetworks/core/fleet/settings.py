"""Rate limits from the environment and the profile: what a client uses when code gives none.

Variables (and the profile keys of the same meaning, lower case without ``CDNETWORKS_``):

- ``CDNETWORKS_RATE_LIMIT`` (``rate_limit``): the account's limit, ``REQUESTS/SECONDS``;
- ``CDNETWORKS_RATE_LIMIT_PER_ACTION`` (``rate_limit_per_action``): each action's, or ``off``;
- ``CDNETWORKS_RATE_LIMIT_BACKEND`` (``rate_limit_backend``): ``redis://...`` or ``rediss://...``
  to share the limits, back-off and quotas of the account; without it the limiter is per process;
- ``CDNETWORKS_RATE_LIMIT_PREFIX`` (``rate_limit_prefix``): the keys' prefix in the store;
- ``CDNETWORKS_RATE_LIMIT_ON_BACKEND_ERROR`` (``rate_limit_on_backend_error``): ``open``/``closed``.

A limit is written as the server states it; the SDK counts over a slightly longer window
(`headroom`) because it counts when a request leaves, the server when it arrives. With only the
backend set, the documented limits apply (300 per 300 s per account, 30 per action); with the
account limit set and no per-action one, there is no per-action window.

Precedence, as for credentials: ``rate_limiter=`` in code; an explicit ``profile=``'s keys; the
environment; the profile from ``CDNETWORKS_PROFILE`` or ``default``.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..credentials import (
    DEFAULT_CREDENTIALS_FILE,
    ENV_CREDENTIALS_FILE,
    ENV_PROFILE,
    _read_profile_file,
)
from ..errors import ConfigurationError, CredentialsError
from ..ratelimit import RateLimiter

ENV_RATE_LIMIT = "CDNETWORKS_RATE_LIMIT"
ENV_PER_ACTION = "CDNETWORKS_RATE_LIMIT_PER_ACTION"
ENV_BACKEND = "CDNETWORKS_RATE_LIMIT_BACKEND"
ENV_PREFIX = "CDNETWORKS_RATE_LIMIT_PREFIX"
ENV_ON_BACKEND_ERROR = "CDNETWORKS_RATE_LIMIT_ON_BACKEND_ERROR"
_VARIABLES = (ENV_RATE_LIMIT, ENV_PER_ACTION, ENV_BACKEND, ENV_PREFIX, ENV_ON_BACKEND_ERROR)
DOCUMENTED_ACCOUNT = (300, 300.0)
DOCUMENTED_PER_ACTION = (30, 300.0)


def profile_key(variable: str) -> str:
    return variable.removeprefix("CDNETWORKS_").lower()


def headroom(seconds: float) -> float:
    """Extra window the SDK counts over: 2 % of it, at least 0.15 s, at most 5 s (300 -> 305).

    The floor covers how unevenly requests reach the server after leaving (a send's slot is
    moved to when its headers actually left, so only the trip and the server's queue remain).
    Only compressed windows reach the floor. 0.2 s cost 10 % of a 2 s window. At 0.1 s, eight
    processes on a two-core machine stayed free of 429s at a load average of 3 to 7, but
    collected 2 at 11. 0.15 s is between the two (tests/fleet/test_fleet_processes.py)."""
    return min(5.0, max(0.15, seconds * 0.02))


def parse_limit(value: str, where: str) -> tuple[int, float]:
    """``"300/300"`` -> ``(300, 300.0)``, or a `ConfigurationError` naming ``where``."""
    requests, slash, seconds = value.strip().partition("/")
    try:
        count, per = int(requests), float(seconds)
    except ValueError:
        count, per = 0, 0.0
    if not slash or count < 1 or not per > 0 or not math.isfinite(per):
        raise ConfigurationError(
            f"{where} must be REQUESTS/SECONDS with both positive, e.g. 300/300 "
            f"(300 requests per 5 minutes); got {value!r}"
        )
    return count, per


@dataclass(frozen=True)
class RateLimitSettings:
    """The resolved settings; ``backend`` is the URL as given (see ``backend_shown``)."""

    requests: int
    per_seconds: float
    per_action: tuple[int, float] | None
    backend: str | None
    prefix: str
    on_backend_error: str
    #: Where each value came from, for ``cdnetworks configure list``.
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def backend_shown(self) -> str | None:
        from .store import mask_url

        return None if self.backend is None else mask_url(self.backend)

    def __repr__(self) -> str:
        return (
            f"RateLimitSettings({self.requests}/{self.per_seconds:g}, "
            f"per_action={self.per_action}, "
            f"backend={self.backend_shown!r}, prefix={self.prefix!r}, "
            f"on_backend_error={self.on_backend_error!r})"
        )


def _section(
    profile: str | None, credentials_file: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> tuple[Mapping[str, str], str]:
    path = Path(
        os.fspath(credentials_file)
        if credentials_file is not None
        else env.get(ENV_CREDENTIALS_FILE) or DEFAULT_CREDENTIALS_FILE
    ).expanduser()
    name = profile or env.get(ENV_PROFILE) or "default"
    if not path.is_file():
        return {}, name
    try:
        parser = _read_profile_file(path)
    except CredentialsError:
        if profile is not None or credentials_file is not None:
            raise
        # The client already resolved its keys; an unreadable default file is not ours to fail.
        return {}, name
    if not parser.has_section(name):
        return {}, name
    section = parser[name]
    return {
        k: v.strip().strip("\"'") for k, v in section.items() if k.startswith("rate_limit")
    }, name


def rate_limit_settings(
    *,
    profile: str | None = None,
    credentials_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> RateLimitSettings | None:
    """The rate limit the environment and profile configure, or ``None`` when they set none."""
    env = os.environ if environ is None else environ
    if not any(env.get(v) for v in _VARIABLES) and not _may_have_profile_keys(
        profile, credentials_file, env
    ):
        return None
    section, name = _section(profile, credentials_file, env)
    values: dict[str, tuple[str, str]] = {}
    for variable in _VARIABLES:
        key = profile_key(variable)
        from_profile = section.get(key)
        from_env = env.get(variable)
        if profile is not None and from_profile:
            values[variable] = (from_profile, f"profile {name!r} key {key}")
        elif from_env:
            values[variable] = (from_env, variable)
        elif from_profile:
            values[variable] = (from_profile, f"profile {name!r} key {key}")
    if not values:
        return None

    def get(variable: str) -> tuple[str, str] | None:
        return values.get(variable)

    account = get(ENV_RATE_LIMIT)
    requests, per = (
        parse_limit(account[0], account[1]) if account is not None else DOCUMENTED_ACCOUNT
    )
    action = get(ENV_PER_ACTION)
    per_action: tuple[int, float] | None
    if action is not None:
        per_action = (
            None
            if action[0].strip().lower() in ("off", "none")
            else parse_limit(action[0], action[1])
        )
    else:
        per_action = None if account is not None else DOCUMENTED_PER_ACTION
    backend = get(ENV_BACKEND)
    prefix = get(ENV_PREFIX)
    mode = get(ENV_ON_BACKEND_ERROR)
    on_error = mode[0].strip().lower() if mode is not None else "open"
    if on_error not in ("open", "closed"):
        assert mode is not None
        raise ConfigurationError(f"{mode[1]} must be 'open' or 'closed', got {mode[0]!r}")
    if backend is not None:
        from .store import check_url

        check_url(backend[0], backend[1])
    return RateLimitSettings(
        requests,
        per,
        per_action,
        backend[0] if backend is not None else None,
        prefix[0] if prefix is not None else "cdnetworks",
        on_error,
        tuple((profile_key(k), src) for k, (_, src) in values.items()),
    )


#: Files known to hold no ``rate_limit`` key, by (path, mtime): most clients never parse twice.
_no_keys: set[tuple[str, float]] = set()


def _may_have_profile_keys(
    profile: str | None, credentials_file: str | os.PathLike[str] | None, env: Mapping[str, str]
) -> bool:
    path = Path(
        os.fspath(credentials_file)
        if credentials_file is not None
        else env.get(ENV_CREDENTIALS_FILE) or DEFAULT_CREDENTIALS_FILE
    ).expanduser()
    try:
        stamp = (str(path), path.stat().st_mtime)
    except OSError:
        return False
    if stamp in _no_keys:
        return False
    try:
        has = "rate_limit" in path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False
    if not has:
        _no_keys.add(stamp)
    return has


_built: dict[tuple[object, ...], RateLimiter] = {}
_built_lock = threading.Lock()


def build(settings: RateLimitSettings) -> RateLimiter:
    """The limiter for ``settings``; the same object for the same settings in a process, so
    every client of the process shares it (and, with a backend, its connections)."""
    key = (
        settings.requests,
        settings.per_seconds,
        settings.per_action,
        settings.backend,
        settings.prefix,
        settings.on_backend_error,
    )
    with _built_lock:
        found = _built.get(key)
        if found is not None:
            return found
        per = settings.per_seconds + headroom(settings.per_seconds)
        per_action = (
            None
            if settings.per_action is None
            else (settings.per_action[0], settings.per_action[1] + headroom(settings.per_action[1]))
        )
        if settings.backend is None:
            found = RateLimiter(settings.requests, per, per_action=per_action)
        else:
            from .limiter import SharedRateLimiter

            found = SharedRateLimiter(
                settings.backend,
                settings.requests,
                per,
                per_action=per_action,
                prefix=settings.prefix,
                on_backend_error="closed" if settings.on_backend_error == "closed" else "open",
            )
        _built[key] = found
        return found


def configured_rate_limiter(
    *,
    profile: str | None = None,
    credentials_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> RateLimiter | None:
    """The limiter the environment or profile asks for (shared in the process), else ``None``."""
    settings = rate_limit_settings(
        profile=profile, credentials_file=credentials_file, environ=environ
    )
    return None if settings is None else build(settings)
