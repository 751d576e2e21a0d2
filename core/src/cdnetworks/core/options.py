"""The settings every client accepts as keyword arguments, in one place.

``Client``, ``AsyncClient`` and every product client take ``**options: Unpack[ClientOptions]``,
so type checkers and IDEs know each name and type, and the reference documents them once.
``None`` means "not given": the default or the next source in the credentials chain applies.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TypedDict

from .config import Timeout
from .ratelimit import RateLimiter
from .retry import RetryPolicy


class ClientOptions(TypedDict, total=False):
    """Keyword arguments of every client (besides ``http_client`` / ``transport``)."""

    access_key: str | None
    """Access key; with ``secret_key``, wins over the environment and the credentials file."""
    secret_key: str | None
    """Secret key; never logged, printed or kept in a ``repr``."""
    endpoint: str | None
    """API endpoint; default ``https://api.cdnetworks.com`` (see Configuration)."""
    profile: str | None
    """Profile (section) of the credentials file; named explicitly, it beats the environment."""
    credentials_file: str | os.PathLike[str] | None
    """The INI credentials file; default ``~/.cdnetworks/credentials``."""
    timeout: Timeout | float | None
    """A ``Timeout``, or seconds for connect, read, write and pool alike."""
    max_attempts: int | None
    """Attempts per call, the first included (default 3); overrides ``retry.max_attempts``."""
    retry: RetryPolicy | None
    """The retry policy (backoff, ``Retry-After`` cap, statuses, quota)."""
    headers: Mapping[str, str] | None
    """Extra headers on every request (checked for CR/LF before anything is sent)."""
    user_agent_suffix: str | None
    """Appended to the ``User-Agent`` (which names the SDK, Python and httpx versions)."""
    signed_headers: Iterable[str]
    """Headers to sign besides ``content-type`` and ``host``."""
    plugins: Iterable[object]
    """Hook plugins for this client; one named like a built-in or entry-point plugin replaces it."""
    load_entry_points: bool
    """Load ``cdnetworks.products`` and ``cdnetworks.plugins`` entry points (default true)."""
    disable_plugins: Iterable[str]
    """Names of plugins to remove, e.g. ``"cdnetworks.metrics"``."""
    allow_insecure_http: bool
    """Allow plain ``http://`` to a host off this machine (refused by default)."""
    rate_limiter: RateLimiter | None
    """Space attempts to stay under the API's rate limits (opt-in)."""
    max_response_bytes: int | None
    """Largest decoded response body accepted, in bytes (default 64 MiB); larger is an error."""


OPTION_NAMES = frozenset(ClientOptions.__optional_keys__)
