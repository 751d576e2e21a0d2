"""Rate limits from the environment and the profile, and the store's password kept out of sight.

No Redis needed here: building a `SharedRateLimiter` does not connect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cdnetworks.core import Client, ConfigurationError, RateLimiter
from cdnetworks.core.fleet import SharedRateLimiter, mask_url
from cdnetworks.core.fleet.settings import configured_rate_limiter, rate_limit_settings
from tests.conftest import ACCESS_KEY, CANARY_SECRET

PASSWORD = "pw-CANARY-91d2"
URL = f"rediss://:{PASSWORD}@cache.internal:6380/2"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "CDNETWORKS_RATE_LIMIT",
        "CDNETWORKS_RATE_LIMIT_PER_ACTION",
        "CDNETWORKS_RATE_LIMIT_BACKEND",
        "CDNETWORKS_RATE_LIMIT_PREFIX",
        "CDNETWORKS_RATE_LIMIT_ON_BACKEND_ERROR",
        "CDNETWORKS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CDNETWORKS_CREDENTIALS_FILE", str(tmp_path / "credentials"))


def client(**kwargs: Any) -> Client:
    return Client(
        access_key=ACCESS_KEY, secret_key=CANARY_SECRET, load_entry_points=False, **kwargs
    )


def test_nothing_configured_means_no_limiter() -> None:
    assert rate_limit_settings() is None
    with client() as c:
        assert c._env.rate_limiter is None


def test_account_limit_from_the_environment_gives_a_local_limiter_with_headroom(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT", "20/2")
    with client() as c:
        limiter = c._env.rate_limiter
        assert type(limiter) is RateLimiter
        # Counted over 2 s plus headroom (sent vs arrived), no per-action window unless asked.
        assert (limiter.requests, limiter.per_seconds, limiter.per_action) == (20, 2.15, None)
        with client() as other:
            assert other._env.rate_limiter is limiter  # one limiter per process and settings


def test_backend_alone_applies_the_documented_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_BACKEND", URL)
    with client() as c:
        limiter = c._env.rate_limiter
        assert isinstance(limiter, SharedRateLimiter)
        assert (limiter.requests, limiter.per_seconds) == (300, 305.0)
        assert limiter.per_action == (30, 305.0)
        assert limiter.on_backend_error == "open"
        assert PASSWORD not in repr(limiter) and PASSWORD not in repr(c)
        assert "rediss://:***@cache.internal:6380/2" in repr(limiter)


def test_per_action_and_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_BACKEND", URL)
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT", "300/300")
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_PER_ACTION", "30/300")
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_ON_BACKEND_ERROR", "closed")
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_PREFIX", "ci-fleet")
    limiter = configured_rate_limiter()
    assert isinstance(limiter, SharedRateLimiter)
    assert limiter.per_action == (30, 305.0)
    assert (limiter.on_backend_error, limiter.prefix) == ("closed", "ci-fleet")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CDNETWORKS_RATE_LIMIT", "300", "CDNETWORKS_RATE_LIMIT must be REQUESTS/SECONDS"),
        ("CDNETWORKS_RATE_LIMIT", "0/5", "CDNETWORKS_RATE_LIMIT must be REQUESTS/SECONDS"),
        ("CDNETWORKS_RATE_LIMIT_PER_ACTION", "30/x", "CDNETWORKS_RATE_LIMIT_PER_ACTION must be"),
        ("CDNETWORKS_RATE_LIMIT_BACKEND", "http://x", "CDNETWORKS_RATE_LIMIT_BACKEND must start"),
        ("CDNETWORKS_RATE_LIMIT_ON_BACKEND_ERROR", "maybe", "must be 'open' or 'closed'"),
    ],
)
def test_bad_values_are_refused_naming_the_variable_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=expected):
        client()


def test_a_bad_backend_url_never_shows_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    # A '#' in a password not percent-encoded breaks URL parsing: still never echoed.
    for url in (f"redis://:{PASSWORD}#x@host:port/0", f"redis://:{PASSWORD}@host/zero"):
        monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_BACKEND", url)
        with pytest.raises(ConfigurationError) as caught:
            client()
        assert PASSWORD not in str(caught.value)
        assert "***" in str(caught.value)


def test_mask_url() -> None:
    assert mask_url("redis://user:secret@h:1/0") == "redis://user:***@h:1/0"
    assert mask_url("rediss://token@h") == "rediss://***@h"
    assert mask_url("redis://h:6379/0") == "redis://h:6379/0"


def test_profile_keys_and_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(
        "[default]\nrate_limit = 100/60\n"
        f"[fleet]\nrate_limit = 50/10\nrate_limit_backend = {URL}\n"
        "rate_limit_on_backend_error = closed\n"
    )
    creds.chmod(0o600)
    settings = rate_limit_settings()
    assert settings is not None and (settings.requests, settings.per_seconds) == (100, 60.0)
    assert dict(settings.sources)["rate_limit"] == "profile 'default' key rate_limit"
    # The environment beats the default profile ...
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT", "10/1")
    settings = rate_limit_settings()
    assert settings is not None and settings.requests == 10
    # ... and a profile named in code beats the environment, as for credentials.
    with client(profile="fleet") as c:
        limiter = c._env.rate_limiter
        assert isinstance(limiter, SharedRateLimiter)
        assert (limiter.requests, limiter.on_backend_error) == (50, "closed")
        assert PASSWORD not in repr(limiter)


def test_code_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT", "10/1")
    mine = RateLimiter(5, 1.0)
    with client(rate_limiter=mine) as c:
        assert c._env.rate_limiter is mine


def test_shared_limiter_constructor_checks_its_arguments() -> None:
    with pytest.raises(ConfigurationError, match="on_backend_error"):
        SharedRateLimiter("redis://localhost", on_backend_error="maybe")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="prefix"):
        SharedRateLimiter("redis://localhost", prefix="a{b}")
    with pytest.raises(ConfigurationError, match="requests >= 1"):
        SharedRateLimiter("redis://localhost", 0, 1.0)
    bound = SharedRateLimiter("redis://localhost", access_key="AK-OTHER")
    with pytest.raises(ConfigurationError, match="another access key"):
        client(rate_limiter=bound)


def test_jobs_are_paced_and_reserve_by_what_the_environment_and_profile_configure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`job_rate_limiter` and `job_quota_ledger` read the client's own resolution: the same
    limiter for every job and call of the process, the shared ledger when a backend is set."""
    from cdnetworks.core.fleet import RedisQuotaLedger
    from cdnetworks.core.jobs.limits import job_books_calls, job_quota_ledger, job_rate_limiter
    from cdnetworks.core.jobs.quota import LocalQuotaLedger

    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT", "40/4")
    monkeypatch.setenv("CDNETWORKS_RATE_LIMIT_PER_ACTION", "4/4")
    with client() as c:
        limiter = job_rate_limiter(c)
        assert limiter is c._env.rate_limiter and type(limiter) is RateLimiter
        assert (limiter.requests, limiter.per_action) == (40, (4, 4.15))
        assert not job_books_calls(c)  # the client's pipeline paces every call of the job
        assert isinstance(job_quota_ledger(c), LocalQuotaLedger)
    (tmp_path / "credentials").write_text(
        f"[fleet]\naccess_key = {ACCESS_KEY}\nsecret_key = {CANARY_SECRET}\n"
        f"rate_limit_backend = {URL}\nrate_limit_prefix = jobs\n"
    )
    monkeypatch.setenv("CDNETWORKS_PROFILE", "fleet")
    with Client(load_entry_points=False) as c:
        limiter = job_rate_limiter(c)
        assert isinstance(limiter, SharedRateLimiter) and limiter.requests == 40
        ledger = job_quota_ledger(c)
        assert isinstance(ledger, RedisQuotaLedger) and ledger.prefix == "jobs"
        assert PASSWORD not in repr(ledger) + repr(limiter)
