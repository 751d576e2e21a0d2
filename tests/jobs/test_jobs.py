"""Jobs through the product clients, sync and async, against the emulator's enforced facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdnetworks.core import RateLimiter, ValidationError
from cdnetworks.core.emulator import Drop, Emulator, ErrorBurst, FaultRule, ThrottleLimits
from cdnetworks.core.jobs import journal as j
from cdnetworks.core.jobs.journal import JobMismatchError, Journal, JournalBusyError
from cdnetworks.core.jobs.quota import LocalQuotaLedger
from cdnetworks.core.jobs.report import InvalidTargetsError, JobProgress, QuotaExceededError
from tests.conftest import Mode

from .conftest import FAST, PREFETCH, REFRESH, calls_of, entries, job_emulator, over


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
    with pytest.raises(ValidationError) as urls_only:
        mode.run(refresh.purge, urls=urls(501))
    assert urls_only.value.field == "urls + dirs"
    assert "501 items in one call, at most 500" in str(urls_only.value)
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


def test_a_partial_run_resumed_plans_the_rest_when_the_quota_allows(
    mode: Mode, emu: Emulator, refresh: Any, tmp_path: Path
) -> None:
    board = emu.service("cacherefresh").board
    board.used["dir"] = 490
    dirs = [f"https://www.example.com/{i}/" for i in range(25)]
    job = {"dirs": dirs, "journal": tmp_path / "partial.sqlite", **FAST}
    report = mode.run(refresh.purge_many, allow_partial=True, **job)
    assert report.summary == {"success": 10, "failure": 0, "skipped": 15, "unknown": 0}
    # Still no quota today: without allow_partial the resume is refused (how many fit: 0)
    # and the journal is left as it was; with it, the rest stays skipped with the reason.
    with pytest.raises(QuotaExceededError) as caught:
        mode.run(refresh.purge_many, **job)
    assert caught.value.fits == {"dir": 0}
    report = mode.run(refresh.purge_many, allow_partial=True, **job)
    assert report.summary == {"success": 10, "failure": 0, "skipped": 15, "unknown": 0}
    skipped = [i for i in report.items() if i.status == "skipped"]
    assert [i.target for i in skipped] == dirs[10:]
    assert all("today's quota" in (i.message or "") for i in skipped)
    assert calls_of(emu, "Purge") == 1
    # A new day: the resume plans the 15 left out, and sends nothing twice.
    board.used["dir"] = 0
    report = mode.run(refresh.purge_many, **job)
    assert report.summary == {"success": 25, "failure": 0, "skipped": 0, "unknown": 0}
    assert report.plan.quota_left == {"purge_dirs": 500}
    assert calls_of(emu, "Purge") == 2
    assert set(entries(emu).values()) == {1} and len(entries(emu)) == 25


def test_a_resume_replans_unsent_batches_to_what_the_quota_has_left(
    mode: Mode, emu: Emulator, refresh: Any, tmp_path: Path
) -> None:
    board = emu.service("cacherefresh").board
    targets = urls(1200)
    job = {"urls": targets, "journal": tmp_path / "cut.sqlite", **FAST}
    first = mode.run(refresh.purge_many, stop=lambda: calls_of(emu, "Purge") >= 1, **job)
    assert first.interrupted and first.plan.batches == 3
    board.used["url"] = 4700  # someone else spent the quota meanwhile: 300 left
    report = mode.run(refresh.purge_many, allow_partial=True, **job)
    assert report.summary == {"success": 800, "failure": 0, "skipped": 400, "unknown": 0}
    assert board.remaining("url") == 0 and calls_of(emu, "Purge") == 2
    board.used["url"] = 0
    report = mode.run(refresh.purge_many, **job)
    assert report.summary == {"success": 1200, "failure": 0, "skipped": 0, "unknown": 0}
    assert set(entries(emu).values()) == {1} and len(entries(emu)) == 1200
    assert calls_of(emu, "Purge") == 3


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


def test_a_batch_the_service_never_got_is_sent_again_after_the_lookup(
    mode: Mode, tmp_path: Path
) -> None:
    # The connection drops before the service takes the batch: the lookup finds nothing.
    emu = job_emulator(faults=[FaultRule(Drop(), calls=[2], actions=["Purge"])])
    refresh = over(mode, emu, REFRESH, max_attempts=1)
    report = mode.run(refresh.purge_many, urls=urls(1200), journal=tmp_path / "j.sqlite", **FAST)
    assert report.summary == {"success": 1200, "failure": 0, "skipped": 0, "unknown": 0}
    assert calls_of(emu, "Purge") == 4  # the second batch twice: once lost, once taken
    assert set(entries(emu).values()) == {1} and len(entries(emu)) == 1200
    assert all(i.item_id for i in report.items())


def test_an_unknown_batch_is_never_resent_blindly(mode: Mode, tmp_path: Path) -> None:
    # The answer is lost and the status action fails too: the outcome stays unknown, the
    # batch is not sent again, and a later run with the same journal settles it.
    emu = job_emulator(
        faults=[
            FaultRule(Drop(after_processing=True), calls=[1], actions=["Purge"]),
            FaultRule(ErrorBurst(503, length=1000), rate=1.0, actions=["GetPurgeStatus"]),
        ]
    )
    refresh = over(mode, emu, REFRESH, max_attempts=1)
    job = {"urls": urls(700), "journal": tmp_path / "j.sqlite", **FAST}
    report = mode.run(refresh.purge_many, timeout=1.0, **job)  # batch 2's status unread too
    assert report.summary == {"success": 0, "failure": 0, "skipped": 0, "unknown": 700}
    assert not report.ok and calls_of(emu, "Purge") == 2  # batch 1 not sent twice
    assert all("not final" in (i.message or "") for i in report.items())
    emu.faults.clear()
    report = mode.run(refresh.purge_many, **job)
    assert report.summary == {"success": 700, "failure": 0, "skipped": 0, "unknown": 0}
    assert calls_of(emu, "Purge") == 2
    assert set(entries(emu).values()) == {1} and len(entries(emu)) == 700


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


def test_a_resumed_run_counts_the_calls_its_killed_run_sent_within_the_window(
    mode: Mode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new process has a fresh limiter, but the service's window still counts the calls the
    # run before it sent: the journal's log of them paces the resumed run too.
    emu = job_emulator(throttle=ThrottleLimits(per_account=300, per_action=3, window=1.5))
    job = {"urls": urls(2500), "journal": tmp_path / "j.sqlite", "wait": False}

    def limiter() -> RateLimiter:
        return RateLimiter(300, 1.55, per_action=(3, 1.55))

    first = over(mode, emu, REFRESH, rate_limiter=limiter())
    mode.run(first.purge_many, stop=lambda: calls_of(emu, "Purge") >= 3, **job)
    monkeypatch.setattr(j, "RUNNER_TOKEN", "another-process")  # as a new process would be
    resumed = over(mode, emu, REFRESH, rate_limiter=limiter())
    report = mode.run(resumed.purge_many, **job)
    assert report.summary["unknown"] == 2500  # all sent (not followed: wait=False)
    assert calls_of(emu, "Purge") == 5
    assert not [e for e in emu.exchanges if e.status == 429]
    # What a run replays: the calls of other processes (this one's limiter booked its own).
    journal = Journal(tmp_path / "j.sqlite")
    try:
        assert [a for _, a in journal.recent_calls(60)] == [
            "GetPurgeQuota",
            "Purge",
            "Purge",
            "Purge",
        ]
        monkeypatch.setattr(j, "RUNNER_TOKEN", "a third process")
        assert len(journal.recent_calls(60)) == 4 + 3  # the quota read and 2 Purges resumed
    finally:
        journal.close()


def test_a_limiter_remembers_sends_it_did_not_book() -> None:
    limiter = RateLimiter(100, 10.0, per_action=(2, 5.0))
    limiter.remember("Purge", 1.0)
    limiter.remember("Purge", 2.0)
    limiter.remember("Purge", 9.0)  # left the per-action window already
    assert 2.9 < limiter.reserve("Purge") <= 3.0  # the older of the two leaves it in 3 s
    assert limiter.reserve("GetPurgeStatus") == 0.0


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


def test_a_dry_run_says_the_least_time_the_rate_limit_allows(mode: Mode, emu: Emulator) -> None:
    # 50 prefetch batches at the documented 30 calls of an action per 5 minutes: 30 at once,
    # the other 20 once the window has moved on.
    prefetch = over(
        mode, emu, PREFETCH, rate_limiter=RateLimiter(300, 300.0, per_action=(30, 300.0))
    )
    report = mode.run(prefetch.prefetch_many, urls=urls(20_000), dry_run=True)
    assert (report.plan.batches, report.plan.calls) == (50, 50)
    assert report.plan.least_seconds == 300.0
    assert "50 calls; the rate limit allows them in 300 s at least" in report.plan.lines()


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


def test_patterns_are_checked_by_the_facts_of_purge_urls_matching_regex(
    mode: Mode, emu: Emulator, refresh: Any
) -> None:
    # The facts: each pattern at most 2,000 characters, 500 a day, duplicates removed (by
    # the service; the job removes them first so they spend no quota). No scheme rule: a
    # pattern such as "https?://..." is a regular expression, not a URL.
    long = "https://www.example.com/" + "a" * 1977
    with pytest.raises(ValidationError) as one_call:
        mode.run(refresh.purge_urls_matching_regex, url_regulars=["x", long])
    assert one_call.value.field == "url_regulars[1]"
    assert "2001 characters, at most 2000" in str(one_call.value)
    given = ["https?://www.example.com/.*\\.png", long, "  ", long[:2000], "https?://x/.*"]
    with pytest.raises(InvalidTargetsError) as caught:
        mode.run(refresh.purge_many_regex, patterns=given, **FAST)
    assert [(p, problem) for p, _, _, problem in caught.value.invalid] == [
        (2, "has 2001 characters, at most 2000 are allowed"),
        (3, "must not be empty"),
    ]
    assert emu.calls == 0
    with pytest.raises(QuotaExceededError) as quota:
        mode.run(refresh.purge_many_regex, patterns=[f"/p{i}/.*" for i in range(501)], **FAST)
    assert quota.value.fits == {"pattern": 500}
    report = mode.run(
        refresh.purge_many_regex,
        patterns=[*given[:1], given[0] + " ", *given[3:]],  # a duplicate once trimmed
        **FAST,
    )
    assert report.summary["success"] == 3 and report.plan.duplicates == 1
    assert calls_of(emu, "PurgeUrlsMatchingRegex") == 1


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
