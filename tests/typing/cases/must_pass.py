"""Calls a typed user writes against generated clients: every line must type-check.

Checked by ``tests/typing/test_typing.py`` with ``mypy --strict`` and pyright (and by the
project's own ``uv run mypy``). Never run: the calls need no server to be judged.
"""

from __future__ import annotations

from cdnetworks.fileprefetch import (
    AsyncFilePrefetchClient,
    FilePrefetchClient,
    PrefetchRequest,
    PrefetchResponse,
)
from cdnetworks.imagemanage import ImageManageClient, VMPCreateImageRequest
from cdnetworks.reportbandwidth import (
    BandwidthReportsClient,
    QueryDomainBandwidthDomainList,
    QueryDomainBandwidthResponse,
)
from cdnetworks.securitypolicy import DeployBlockPageResponse, SecurityPolicyClient


def sync_calls(
    prefetch: FilePrefetchClient,
    images: ImageManageClient,
    report: BandwidthReportsClient,
    policy: SecurityPolicyClient,
) -> None:
    # Keywords with the required ones given, the model's optionals left out or given.
    answer: PrefetchResponse = prefetch.prefetch(urls=["https://example.com/a.js"])
    prefetch.prefetch(urls=["https://example.com/a.js"], is_range=1)
    # Or the request model, positionally.
    prefetch.prefetch(PrefetchRequest(urls=["https://example.com/a.js"]))
    # An action without required arguments takes none.
    prefetch.get_prefetch_status()
    prefetch.get_prefetch_status(status="success", page_no=1)
    images.vmp_create_image(name="web", ostype="linux", qga_enabled=True)
    images.vmp_create_image(VMPCreateImageRequest(name="web"))
    images.vmp_query_image(sort_dir="asc")
    bandwidth: QueryDomainBandwidthResponse = report.query_domain_bandwidth(
        domain_list=QueryDomainBandwidthDomainList(domain_name=["example.com"]),
        date_from="2026-12-01T00:00:00+08:00",
        date_to="2026-12-02T00:00:00+08:00",
    )
    page: DeployBlockPageResponse = policy.deploy_block_page(
        domain="example.com", code=403, response="<p>blocked</p>", enable="ON", content_type="html"
    )
    policy.deploy_block_page(
        domain="example.com", code=403, response="", enable=False, content_type="html"
    )
    # Walks and waiters.
    for detail in prefetch.iter_prefetch_status(status="run", limit=10):
        print(detail.url, detail.status)
    states = prefetch.wait_for_prefetch(answer.item_id or "", timeout=60)
    print(states, bandwidth, page)
    # Per-call options keep the client's type, so its methods stay typed.
    prefetch.with_options(timeout=60, max_attempts=1).prefetch(urls=["https://example.com/b"])
    policy.with_options(extra_headers={"X-Trace": "1"}).get_built_in_rule_info(name="r1")


async def async_calls(prefetch: AsyncFilePrefetchClient) -> None:
    answer: PrefetchResponse = await prefetch.prefetch(urls=["https://example.com/a.js"])
    await prefetch.prefetch(PrefetchRequest(urls=["https://example.com/a.js"]))
    async for detail in prefetch.iter_prefetch_status(item_id=answer.item_id):
        print(detail.url)
    await prefetch.with_options(timeout=5).get_prefetch_status(item_id=answer.item_id)
    await prefetch.wait_for_prefetch(answer.item_id or "")
