"""Generic emulator answers look like real ones: built from the field's shape and bounds,
the same under the same seed, different under another."""

from __future__ import annotations

import datetime
from typing import Any

from cdnetworks.core import Client
from cdnetworks.core.emulator import Emulator

CALL: dict[str, Any] = {
    "domain_list": {"domain-name": ["www.example.com"]},
    "date_from": "2026-12-01T00:00:00+08:00",
    "date_to": "2026-12-01T01:00:00+08:00",
}


def _answer(seed: int) -> Any:
    emu = Emulator(seed=seed)
    with Client(**emu.client_kwargs(), transport=emu.transport(), load_entry_points=True) as c:
        answer = c.product("reportbandwidth").query_domain_bandwidth(**CALL)
        return answer.bandwidth_report  # the request id is new on every answer


def test_answers_are_shaped_like_their_fields_and_stable_under_a_seed() -> None:
    first = _answer(7)
    (row,) = first
    # A time that parses, on a plausible day; a number, not a placeholder.
    when = datetime.datetime.strptime(row.timestamp, "%Y-%m-%d %H:%M:%S")
    assert when.year == 2026
    assert isinstance(row.bandwidth, int | float)
    assert _answer(7) == first


def test_shaped_values_keep_their_bounds_and_order() -> None:
    import msgspec.inspect as mi

    from cdnetworks.core.emulator.spec_service import shaped

    assert shaped(mi.StrType(None, None, None), "domainName", "s") in {
        f"www{n}.example.com" for n in range(1, 10)
    }
    assert str(shaped(mi.StrType(None, None, None), "clientIp", "s")).startswith("192.0.2.")
    start = shaped(mi.StrType(None, None, None), "startTime", "s")
    end = shaped(mi.StrType(None, None, None), "endTime", "s")
    assert isinstance(start, str) and isinstance(end, str) and start < end
    bounded = shaped(mi.IntType(None, 5, None, 9, None), "count", "s")
    assert isinstance(bounded, int) and 5 <= bounded <= 9
    assert shaped(mi.StrType(None, 3, None), "domainName", "s") is None  # cannot fit: fallback
    assert shaped(mi.StrType(None, None, None), "name", "a") == shaped(
        mi.StrType(None, None, None), "name", "a"
    )
