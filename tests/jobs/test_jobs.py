"""Jobs through the product clients, sync and async, against the emulator's enforced facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdnetworks.core import RateLimiter, ValidationError
from cdnetworks.core.emulator import Drop, Emulator, FaultRule, ThrottleLimits
from cdnetworks.core.jobs.journal import JobMismatchError, Journal, JournalBusyError
from cdnetworks.core.jobs.quota import LocalQuotaLedger
from cdnetworks.core.jobs.report import InvalidTargetsError, JobProgress, QuotaExceededError
from tests.conftest import Mode

from .conftest import FAST, REFRESH, calls_of, entries, job_emulator, over


def urls(n: int, start: int = 0) -> list[str]:
    return [f"https://www.example.com/img/{i}.png" for i in range(start, start + n)]


def test_one_call_over_the_limit_is_refused_before_sending(
    mode: Mode, emu: Emulator, refresh: Any, prefetch: Any
) -> None:
    with pytest.raises(ValidationError) as purge:
        mode.run(
            refresh.purge,
            urls=urls(400),
            dirs=[f"https://www.example.com/{i}/" for i in range(101)],
        )
    assert purge.value.field == "urls + dirs"
    assert "501 items in one call, at most 500" in str(purge.value)
    with pytest.raises(ValidationError) as fetch:
        mode.run(prefetch.prefetch, urls=urls(401))
    assert fetch.value.field == "urls + dirs" or "at most 400" in str(fetch.value)
    with pytest.raises(ValidationError) as long_url:
        mode.run(refresh.purge, urls=["https://www.example.com/" + "a" * 2000])
    assert long_url.value.field == "urls[0]"
    assert emu.calls == 0


def test_purge_many_5000_targets_within_every_limit(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    dirs = [f"https://www.example.com/d{i}/" for i in range(200)]
    targets = urls(4800)
    seen: list[JobProgress] = []
    report = mode.run(
        refresh.purge_many,
        urls=iter(targets + targets[:10]),  # any iterable, duplicates included
        dirs=dirs,
        progress=seen.append,
        **FAST,
    )
    assert report.summary == {"success": 5000, "failure": 0, "skipped": 0, "unknown": 0}
    assert report.ok and report.plan.duplicates == 10
    assert report.plan.batches == calls_of(emu, "Purge") == 10
    # Every target purged exactly once, in tasks of at most 500 entries.
    assert set(entries(emu).values()) == {1} and len(entries(emu)) == 5000
    tasks: dict[str, int] = {}
    for entry in emu.service("cacherefresh").board.entries:
        tasks[entry.item_id] = tasks.get(entry.item_id, 0) + 1
    assert max(tasks.values()) <= 500
    # Following 10 tasks of 500 cost far less than 15 status calls each.
    assert calls_of(emu, "GetPurgeStatus") == report.status_calls <= 15 * 10
    items = list(report.items())
    assert [i.target for i in items[:2]] == targets[:2]
    assert all(i.item_id in tasks for i in items)
    assert seen[-1].phase == "done" and seen[-1].done == seen[-1].total == 5000
    quota = mode.run(refresh.get_purge_quota)
    assert (quota.remaining_url_quota, quota.remaining_dir_quota) == (200, 300)


def test_invalid_targets_are_all_listed_and_nothing_is_sent(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    given = ["https://www.example.com/a", "www.example.com/b", "https://www.example.com/c"]
    with pytest.raises(InvalidTargetsError) as caught:
        mode.run(refresh.purge_many, urls=given, dirs=["https://www.example.com/d"], **FAST)
    assert [(p, k, t) for p, k, t, _ in caught.value.invalid] == [
        (1, "dir", "https://www.example.com/d"),
        (2, "url", "www.example.com/b"),
    ]
    assert "must end with /" in caught.value.invalid[0][3]
    assert caught.value.count == 2
    assert emu.calls == 0

    report = mode.run(refresh.purge_many, urls=given, skip_invalid=True, **FAST)
    assert report.summary == {"success": 2, "failure": 0, "skipped": 1, "unknown": 0}
    (skipped,) = [i for i in report.items() if i.status == "skipped"]
    assert skipped.target == "www.example.com/b" and "http:// or https://" in (
        skipped.message or ""
    )


def test_a_job_over_todays_quota_is_refused_saying_how_many_fit(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    emu.service("cacherefresh").board.used["dir"] = 490
    dirs = [f"https://www.example.com/{i}/" for i in range(25)]
    with pytest.raises(QuotaExceededError) as caught:
        mode.run(refresh.purge_many, dirs=dirs, **FAST)
    assert caught.value.fits == {"dir": 10}
    assert "dir: 25 needed, 10 fit" in str(caught.value)
    assert calls_of(emu, "Purge") == 0

    report = mode.run(refresh.purge_many, dirs=dirs, allow_partial=True, **FAST)
    assert report.summary == {"success": 10, "failure": 0, "skipped": 15, "unknown": 0}
    assert emu.service("cacherefresh").board.remaining("dir") == 0


def test_failures_carry_the_services_state_and_every_target_ends_in_one_state(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    targets = urls(30)
    emu.service("cacherefresh").mark_failing(targets[7])
    report = mode.run(refresh.purge_many, urls=targets, **FAST)
    assert report.summary == {"success": 29, "failure": 1, "skipped": 0, "unknown": 0}
    assert not report.ok
    (failed,) = [i for i in report.items() if i.status == "failure"]
    assert failed.target == targets[7] and failed.item_id
    assert "failure" in (failed.message or "")


def test_not_waiting_reports_accepted_targets_as_unknown(
    mode: Mode, emu: Emulator, refresh: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "job.sqlite"
    report = mode.run(refresh.purge_many, urls=urls(5), journal=journal, wait=False)
    assert report.summary["unknown"] == 5
    assert calls_of(emu, "GetPurgeStatus") == 0
    # Run again with the same journal and wait: followed, nothing sent again.
    report = mode.run(refresh.purge_many, urls=urls(5), journal=journal, **FAST)
    assert report.summary["success"] == 5
    assert calls_of(emu, "Purge") == 1


def test_a_journal_belongs_to_one_job_and_one_runner(
    mode: Mode, refresh: Any, tmp_path: Path
) -> None:
    journal = tmp_path / "job.sqlite"
    mode.run(refresh.purge_many, urls=urls(3), journal=journal, **FAST)
    with pytest.raises(JobMismatchError):
        mode.run(refresh.purge_many, urls=urls(4), journal=journal, **FAST)
    held = Journal(journal)
    try:
        with pytest.raises(JournalBusyError) as busy:
            mode.run(refresh.purge_many, urls=urls(3), journal=journal, **FAST)
        assert "in use by another runner" in str(busy.value)
    finally:
        held.close()


def test_a_batch_whose_answer_was_lost_is_looked_up_not_sent_twice(
    mode: Mode, tmp_path: Path
) -> None:
    # The emulator takes the second batch, then drops the connection before answering.
    emu = job_emulator(
        faults=[FaultRule(Drop(after_processing=True), calls=[2], actions=["Purge"])]
    )
    refresh = over(mode, emu, REFRESH, max_attempts=1)
    report = mode.run(refresh.purge_many, urls=urls(1200), journal=tmp_path / "j.sqlite", **FAST)
    assert report.summary == {"success": 1200, "failure": 0, "skipped": 0, "unknown": 0}
    assert calls_of(emu, "Purge") == 3  # three batches, none sent twice
    assert set(entries(emu).values()) == {1}
    assert emu.service("cacherefresh").board.remaining("url") == 5000 - 1200
    recovered = [i for i in report.items() if i.item_id is None]
    assert len(recovered) == 500  # the lost batch: found by its first URL, no item id


def test_a_429_pauses_the_whole_job(mode: Mode) -> None:
    # 4 calls of an action per second: the job's own pacing is off (a loose client limiter),
    # so the service's 429s and Retry-After are what slows it down.
    emu = job_emulator(throttle=ThrottleLimits(per_account=300, per_action=4, window=1.0))
    refresh = over(mode, emu, REFRESH, max_attempts=1, rate_limiter=RateLimiter(10_000, 1.0))
    seen: list[JobProgress] = []
    report = mode.run(refresh.purge_many, urls=urls(3000), progress=seen.append, **FAST)
    assert report.ok
    throttled = [e for e in emu.exchanges if e.status == 429]
    assert throttled
    assert any(p.waiting for p in seen)
    assert set(entries(emu).values()) == {1}


def test_paced_by_compressed_limits_no_429(mode: Mode) -> None:
    emu = job_emulator(throttle=ThrottleLimits(per_account=300, per_action=5, window=1.0))
    limiter = RateLimiter(300, 1.05, per_action=(5, 1.05))
    refresh = over(mode, emu, REFRESH, rate_limiter=limiter)
    report = mode.run(refresh.purge_many, urls=urls(3500), **FAST)
    assert report.ok
    assert not [e for e in emu.exchanges if e.status == 429]


def test_dry_run_plans_and_sends_nothing(mode: Mode, emu: Emulator, refresh: Any) -> None:
    report = mode.run(
        refresh.purge_many, urls=urls(1234), dirs=["https://www.example.com/x/"], dry_run=True
    )
    plan = report.plan
    assert (plan.batches, plan.calls, plan.batch_size) == (3, 3, 500)
    assert plan.quota_needed == {"purge_urls": 1234, "purge_dirs": 1}
    assert plan.quota_left == {"purge_urls": 5000, "purge_dirs": 500}
    assert [e.action for e in emu.exchanges] == ["GetPurgeQuota"]
    assert report.dry_run and not report.ok


def test_prefetch_many_spends_the_prefetch_quota_that_cacherefresh_reports(
    mode: Mode, emu: Emulator, prefetch: Any, refresh: Any
) -> None:
    report = mode.run(prefetch.prefetch_many, urls=urls(900), **FAST)
    assert report.ok and calls_of(emu, "Prefetch") == 3  # at most 400 a call
    quota = mode.run(refresh.get_prefetch_quota)
    assert quota.remaining_prefetch_quota == 20000 - 900


def test_pattern_purge(mode: Mode, emu: Emulator, refresh: Any) -> None:
    patterns = [f"https://www.example.com/{i}/.*\\.png" for i in range(150)]
    report = mode.run(refresh.purge_many_regex, patterns=patterns, **FAST)
    assert report.ok and calls_of(emu, "PurgeUrlsMatchingRegex") == 2
    assert {i.kind for i in report.items()} == {"pattern"}
    assert emu.service("cacherefresh").board.remaining("regex") == 500 - 150


def test_the_ledger_keeps_two_jobs_within_one_quota(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    ledger = LocalQuotaLedger("test")
    # Another job of the account holds 4,000 URLs of today's 5,000.
    assert ledger.reserve("purge_urls", 4000, 5000, job_id="other", lease_seconds=60) == 4000
    with pytest.raises(QuotaExceededError) as caught:
        mode.run(refresh.purge_many, urls=urls(1500), quota_ledger=ledger, **FAST)
    assert caught.value.fits == {"url": 1000}
    report = mode.run(refresh.purge_many, urls=urls(1000), quota_ledger=ledger, **FAST)
    assert report.ok
    assert ledger.held("purge_urls") == 4000  # this job's reservation was released


def test_wait_for_purge_follows_a_500_url_task_cheaply(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    task = mode.run(refresh.purge, urls=urls(500))
    seen: list[Any] = []
    states = mode.run(refresh.wait_for_purge, task.item_id, progress=seen.append, **FAST)
    assert len(states) == 500 and set(states.values()) == {"success"}
    assert seen[-1].total == 500 and seen[-1].done == 500
    assert "500 of 500 URLs final" in seen[-1].text
    polls = len(seen)
    # Two calls a poll at most, the size once, and 5 pages of 100 at the end.
    assert calls_of(emu, "GetPurgeStatus") <= 2 * polls + 1 + 5


def _lines(n: int) -> Iterator[tuple[int, str]]:
    for number in range(1, n + 1):
        yield number, f"https://www.example.com/{number}"


def test_targets_with_line_numbers(mode: Mode, emu: Emulator, refresh: Any) -> None:
    def lines() -> Iterator[tuple[int, str]]:
        yield 3, "https://www.example.com/ok"
        yield 9, "not a url"

    with pytest.raises(InvalidTargetsError) as caught:
        mode.run(refresh.purge_many, urls=lines(), **FAST)
    assert caught.value.invalid[0][0] == 9
    assert "url 9: 'not a url'" in str(caught.value)


def test_the_job_and_each_batch_are_operations_parent_of_their_calls(
    mode: Mode, emu: Emulator
) -> None:
    from tests.core.test_wrap_hooks import Operations

    plugin = Operations()
    refresh = over(mode, emu, REFRESH, plugins=[plugin])
    report = mode.run(refresh.purge_many, urls=urls(700), **FAST)
    assert report.ok
    kinds = [(o.kind, o.name, o.outcome) for o in plugin.finished]
    assert kinds.count(("job.batch", "purge-batch", "success")) == 2
    assert kinds[-1] == ("job", "purge", "success")
    job = plugin.finished[-1]
    assert job.attributes["cdnetworks.job.batches"] == 2
    batches = [o for o in plugin.finished if o.kind == "job.batch"]
    assert all(b.parent is job for b in batches)
    assert [b.attributes["cdnetworks.job.batch.items"] for b in batches] == [500, 200]
    purges = [c for c in plugin.calls if c.action == "Purge"]
    assert [c.operation for c in purges] == batches
    # The quota read and the status polls belong to the job itself.
    assert all(c.operation is job for c in plugin.calls if c.action != "Purge")
