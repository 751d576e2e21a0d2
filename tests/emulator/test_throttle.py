"""The documented rate limits, enforced only when asked: 429 with Retry-After."""

from __future__ import annotations

import pytest

from cdnetworks.core import NotFoundError, ThrottledError
from cdnetworks.core.emulator import ThrottleLimits
from tests.conftest import Mode

from .conftest import NO_RETRY, Wire, make_emulator

CREATE = {"name": "web", "imageSrcUrl": "https://x/web.qcow2", "ostype": "linux"}


def test_off_by_default(mode: Mode) -> None:
    wire = Wire(mode, make_emulator(), retry=NO_RETRY)
    for _ in range(40):
        wire("GET", "/vmp/images", params={"limit": 1})


def test_documented_defaults_per_action(mode: Mode) -> None:
    emu = make_emulator(throttle=True)
    assert emu.throttle is not None
    assert emu.throttle.limits == ThrottleLimits(per_account=300, per_action=30, window=300.0)
    wire = Wire(mode, emu, retry=NO_RETRY)
    for _ in range(30):
        wire("GET", "/vmp/images", params={"limit": 1})
    with pytest.raises(ThrottledError) as caught:
        wire("GET", "/vmp/images", params={"limit": 1})
    error = caught.value
    assert (error.status_code, error.code) == (429, "TooManyRequests")
    assert error.retry_after == 300.0
    assert error.request_id
    assert "VMPQueryImage" in error.message
    # Another action still has its own budget.
    wire("POST", "/vmp/images", json=CREATE)


def test_window_slides_and_retry_after_counts_down(mode: Mode) -> None:
    emu = make_emulator(throttle=ThrottleLimits(per_account=10, per_action=2, window=60))
    wire = Wire(mode, emu, retry=NO_RETRY)
    wire("GET", "/vmp/images")
    emu.advance(20)
    wire("GET", "/vmp/images")
    with pytest.raises(ThrottledError) as caught:
        wire("GET", "/vmp/images")
    assert caught.value.retry_after == 40.0
    emu.advance(40)
    wire("GET", "/vmp/images")  # the first call left the window
    with pytest.raises(ThrottledError) as again:
        wire("GET", "/vmp/images")
    assert again.value.retry_after == 20.0


def test_per_account_limit_spans_actions_and_accounts_are_separate(mode: Mode) -> None:
    emu = make_emulator(throttle=ThrottleLimits(per_account=3, per_action=3, window=300))
    wire = Wire(mode, emu, retry=NO_RETRY)
    wire("GET", "/vmp/images")
    wire("POST", "/vmp/images", json=CREATE)
    with pytest.raises(NotFoundError):  # an unknown route counts against the account too
        wire("GET", "/vmp/volumes")
    with pytest.raises(ThrottledError) as caught:
        wire("POST", "/vmp/images", json=CREATE)
    assert "this account" in caught.value.message
    emu.add_account("AKOTHER", "sk-other")
    other = Wire(mode, emu, access_key="AKOTHER", secret_key="sk-other", retry=NO_RETRY)
    other("GET", "/vmp/images")


def test_rejected_requests_do_not_count_and_reset_clears(mode: Mode) -> None:
    emu = make_emulator(throttle=ThrottleLimits(per_account=5, per_action=1, window=300))
    wire = Wire(mode, emu, retry=NO_RETRY)
    wire("GET", "/vmp/images")
    for _ in range(3):
        with pytest.raises(ThrottledError):
            wire("GET", "/vmp/images")
    wire("POST", "/vmp/images", json=CREATE)  # 2 of 5 account slots used, not 5
    emu.reset()
    wire("GET", "/vmp/images")


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        ThrottleLimits(per_account=0)
