"""Calls both type checkers must refuse: each line marked ``# error: WHAT`` is one error.

Checked by ``tests/typing/test_typing.py``: every marked line, and no other, gets an error
from ``mypy --strict`` and from pyright. (Excluded from the project's own ``uv run mypy``.)
"""

from __future__ import annotations

from cdnetworks.fileprefetch import AsyncFilePrefetchClient, FilePrefetchClient, PrefetchRequest
from cdnetworks.imagemanage import ImageManageClient
from cdnetworks.reportbandwidth import BandwidthReportsClient
from cdnetworks.securitypolicy import SecurityPolicyClient


def sync_calls(
    prefetch: FilePrefetchClient,
    images: ImageManageClient,
    report: BandwidthReportsClient,
    policy: SecurityPolicyClient,
) -> None:
    prefetch.prefetch()  # error: missing required argument (urls)
    prefetch.prefetch(is_range=1)  # error: missing required argument (urls)
    prefetch.prefetch(urls=["https://example.com/a"], is_range=2)  # error: wrong enum literal
    prefetch.prefetch(urls="https://example.com/a")  # error: wrong type (text for a list)
    prefetch.get_prefetch_status(status="done")  # error: wrong enum literal
    prefetch.get_prefetch_status(page_no="1")  # error: wrong type
    prefetch.prefetch(PrefetchRequest(urls=["https://example.com/a"]), is_range=1)  # error: both
    images.vmp_create_image(ostype="linux")  # error: missing required argument (name)
    images.vmp_create_image(name="web", ostype="macos")  # error: wrong enum literal
    report.query_domain_bandwidth(date_from="2026-12-01", date_to="2026-12-02")  # error: missing
    policy.get_built_in_rule_info()  # error: missing required argument (name)
    policy.deploy_block_page(domain="example.com", code=403)  # error: missing required arguments
    policy.deploy_block_page(  # error: wrong enum literal (enable)
        domain="example.com", code=403, response="", enable="YES", content_type="html"
    )
    policy.create_built_in_rule(name="r", update_type="1", msg="m")  # error: wrong type
    prefetch.with_options(timeout="60")  # error: wrong type of an option
    prefetch.with_options(max_attempts=2).prefetch()  # error: missing required argument (urls)


async def async_calls(prefetch: AsyncFilePrefetchClient) -> None:
    await prefetch.prefetch()  # error: missing required argument (urls)
    await prefetch.prefetch(urls=["https://example.com/a"], is_range=3)  # error: wrong enum
