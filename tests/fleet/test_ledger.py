"""The shared quota ledger against a real redis-server: reserve, settle, renew and release; two
jobs reserving at once against one quota; a worker killed with -9 while holding a reservation;
keys that hold the access key's hash only."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest
import redis

from cdnetworks.core import Client, RateLimitBackendError, ValidationError
from cdnetworks.core.fleet import AsyncRedisQuotaLedger, RedisQuotaLedger, SharedRateLimiter
from cdnetworks.core.jobs.limits import job_quota_ledger
from cdnetworks.core.jobs.quota import AsyncQuotaLedger, QuotaLedger
from tests.conftest import ACCESS_KEY, CANARY_SECRET
from tests.fleet.redis_server import RedisServer

pytestmark = pytest.mark.redis


def ledger(server: RedisServer, prefix: str, key: str = ACCESS_KEY) -> RedisQuotaLedger:
    return RedisQuotaLedger(server.url, access_key=key, prefix=prefix, timeout=1.0)


def test_reserve_settle_renew_release(redis_server: RedisServer, prefix: str) -> None:
    one = ledger(redis_server, prefix)
    assert isinstance(one, QuotaLedger)
    assert one.reserve("purge_urls", 4000, 5000, job_id="a", lease_seconds=30) == 4000
    assert one.held("purge_urls") == 4000
    # Another job sees only what the first does not hold.
    assert one.reserve("purge_urls", 4000, 5000, job_id="b", lease_seconds=30) == 1000
    # 500 of "a" were accepted: the service's remaining counts them, the reservation shrinks.
    one.settle("purge_urls", 500, job_id="a")
    assert one.held("purge_urls") == 3500 + 1000
    # Reserving again for the same job replaces its reservation (here, with what now remains).
    assert one.reserve("purge_urls", 4000, 4500, job_id="b", lease_seconds=30) == 1000
    # Kinds are separate.
    assert one.reserve("purge_dirs", 10, 500, job_id="a", lease_seconds=30) == 10
    assert one.held("purge_dirs") == 10
    one.renew(job_id="a", lease_seconds=30)
    one.release(job_id="a")
    assert (one.held("purge_urls"), one.held("purge_dirs")) == (1000, 0)
    one.release(job_id="b")
    assert one.held("purge_urls") == 0


def test_a_lease_not_renewed_expires_on_the_stores_clock(
    redis_server: RedisServer, prefix: str
) -> None:
    one = ledger(redis_server, prefix)
    assert one.reserve("prefetch_urls", 100, 100, job_id="a", lease_seconds=0.6) == 100
    assert one.reserve("prefetch_urls", 100, 100, job_id="b", lease_seconds=5) == 0
    time.sleep(0.4)
    one.renew(job_id="a", lease_seconds=0.6)  # renewed: still held after the first lease
    time.sleep(0.4)
    assert one.held("prefetch_urls") == 100
    time.sleep(0.4)
    assert one.held("prefetch_urls") == 0
    assert one.reserve("prefetch_urls", 100, 100, job_id="b", lease_seconds=5) == 100


def test_two_concurrent_reservations_never_exceed_the_quota(
    redis_server: RedisServer, prefix: str
) -> None:
    """Eight jobs on threads each reserve 4,000 of 5,000 at the same moment, each with its own
    connection: together they are granted exactly 5,000."""
    barrier = threading.Barrier(8)
    granted: list[int] = []

    def job(i: int) -> None:
        mine = ledger(redis_server, prefix)
        barrier.wait()
        granted.append(mine.reserve("purge_urls", 4000, 5000, job_id=f"j{i}", lease_seconds=30))

    threads = [threading.Thread(target=job, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 5000
    assert sorted(granted, reverse=True)[:2] == [4000, 1000]


def test_the_async_ledger_shares_the_same_reservations(
    redis_server: RedisServer, prefix: str
) -> None:
    asyncio.run(_async_ledger(redis_server, prefix))


async def _async_ledger(redis_server: RedisServer, prefix: str) -> None:
    sync = ledger(redis_server, prefix)
    async_ = AsyncRedisQuotaLedger(redis_server.url, access_key=ACCESS_KEY, prefix=prefix)
    assert isinstance(async_, AsyncQuotaLedger)
    try:
        assert await async_.reserve("regex_patterns", 400, 500, job_id="a", lease_seconds=30) == 400
        assert sync.reserve("regex_patterns", 400, 500, job_id="b", lease_seconds=30) == 100
        await async_.settle("regex_patterns", 400, job_id="a")
        await async_.renew(job_id="a", lease_seconds=30)
        assert await async_.held("regex_patterns") == 100
        await async_.release(job_id="a")
        sync.release(job_id="b")
        assert await async_.held("regex_patterns") == 0
    finally:
        await async_.aclose()


HOLDER = """
import sys, time
from cdnetworks.core.fleet import RedisQuotaLedger
ledger = RedisQuotaLedger(sys.argv[1], access_key=sys.argv[2], prefix=sys.argv[3])
print(ledger.reserve("purge_urls", 4000, 5000, job_id="killed", lease_seconds=1.5), flush=True)
while True:
    time.sleep(0.5)  # holds on; never renews, never releases
"""


def test_a_worker_killed_with_minus_9_releases_its_quota_when_its_lease_expires(
    redis_server: RedisServer, prefix: str
) -> None:
    holder = subprocess.Popen(  # noqa: S603 - this interpreter and the test's own script
        [sys.executable, "-c", HOLDER, redis_server.url, ACCESS_KEY, prefix],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "4000"
        holder.kill()  # SIGKILL: no finally, no release
        holder.wait(timeout=10)
        killed_at = time.monotonic()
        other = ledger(redis_server, prefix)
        assert other.reserve("purge_urls", 4000, 5000, job_id="next", lease_seconds=30) == 1000
        other.release(job_id="next")
        while other.held("purge_urls") and time.monotonic() - killed_at < 5:
            time.sleep(0.1)
        assert other.held("purge_urls") == 0
        assert time.monotonic() - killed_at < 3  # the 1.5 s lease, not forever
        assert other.reserve("purge_urls", 4000, 5000, job_id="next", lease_seconds=30) == 4000
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_keys_hold_only_the_access_keys_hash(redis_server: RedisServer, prefix: str) -> None:
    one = ledger(redis_server, prefix)
    one.reserve("purge_urls", 10, 100, job_id="a", lease_seconds=30)
    store = redis.Redis.from_url(redis_server.url, decode_responses=True)
    keys = list(store.scan_iter(f"{prefix}:*"))
    assert keys and all(k.startswith(f"{prefix}:{{") for k in keys)
    stored = " ".join(keys + [str(store.hgetall(k)) for k in keys if store.type(k) == "hash"])
    assert ACCESS_KEY not in stored and CANARY_SECRET not in stored
    one.release(job_id="a")


def test_bad_input_names_the_field_and_a_dead_store_fails_closed(prefix: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RedisQuotaLedger("redis://127.0.0.1:1/0", access_key=ACCESS_KEY).reserve(
            "urls", 1, 1, job_id="a", lease_seconds=1
        )
    assert caught.value.field == "kind"
    dead = RedisQuotaLedger(
        "redis://:hunter2-pw@127.0.0.1:1/0", access_key=ACCESS_KEY, prefix=prefix, timeout=0.3
    )
    with pytest.raises(RateLimitBackendError) as down:
        dead.reserve("purge_urls", 1, 1, job_id="a", lease_seconds=1)
    assert "hunter2-pw" not in str(down.value) + repr(dead)


def test_a_job_on_a_shared_limiter_reserves_in_its_store(
    redis_server: RedisServer, prefix: str
) -> None:
    """`job_quota_ledger` hands jobs the ledger of the client's own shared limiter."""
    limiter = SharedRateLimiter(redis_server.url, 100, 1.0, prefix=prefix)
    with Client(access_key=ACCESS_KEY, secret_key=CANARY_SECRET, rate_limiter=limiter) as client:
        found = job_quota_ledger(client)
        assert isinstance(found, RedisQuotaLedger) and found.prefix == prefix
        assert job_quota_ledger(client) is found  # one per limiter, not one per job
        assert isinstance(job_quota_ledger(client, asynchronous=True), AsyncRedisQuotaLedger)
        found.reserve("purge_urls", 7, 10, job_id="a", lease_seconds=30)
        assert ledger(redis_server, prefix).held("purge_urls") == 7
        found.release(job_id="a")
