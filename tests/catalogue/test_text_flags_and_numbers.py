"""Upstream types some flags and whole numbers as text; our overrides let callers use Python's
bool and int, and the wire still carries the text upstream's SDK sends.

Driven through the generated typed clients like a user would, against a respx router that
records what would have left the process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import pytest
import respx

from cdnetworks.core import DEFAULT_ENDPOINT, ValidationError
from cdnetworks.domainmanagement import DomainManagementClient
from cdnetworks.domainmanagement.models import (
    AddCdnDomainRequestCacheBehaviors,
    AddCdnDomainRequestOriginConfig,
    AddCdnDomainRequestSsl,
)
from cdnetworks.manageassets import ManageAssetsClient
from cdnetworks.securitypolicy import SecurityPolicyClient
from tests.conftest import ACCESS_KEY, CANARY_SECRET

T = TypeVar("T", DomainManagementClient, ManageAssetsClient, SecurityPolicyClient)


def client(kind: type[T]) -> T:
    return kind(access_key=ACCESS_KEY, secret_key=CANARY_SECRET, load_entry_points=False)


def add_domain(domains: DomainManagementClient, **nested: Any) -> None:
    """AddCdnDomain with its required arguments and ``nested`` ones."""
    origin = AddCdnDomainRequestOriginConfig(origin_ips="192.0.2.1")
    domains.add_cdn_domain(
        version="1.0",
        domain_name="www.example.com",
        contract_id="c1",
        item_id="i1",
        origin_config=origin,
        **nested,
    )


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=DEFAULT_ENDPOINT, assert_all_called=False) as router:
        yield router


def sent_json(route: respx.Route) -> dict[str, object]:
    body = json.loads(route.calls.last.request.content)
    assert isinstance(body, dict)
    return body


def test_a_nested_flag_is_a_bool_in_python_and_text_on_the_wire(api: respx.MockRouter) -> None:
    route = api.post("/cdnw/api/domain").respond(202, json={})
    ssl = AddCdnDomainRequestSsl(use_ssl=True, use_for_sni=False)  # mypy accepts bools here
    assert (ssl.use_ssl, ssl.use_for_sni) == ("true", "false")
    behaviors = [AddCdnDomainRequestCacheBehaviors(ignore_cache_control=True, cache_ttl=300)]
    with client(DomainManagementClient) as domains:
        add_domain(domains, ssl=ssl, cache_behaviors=behaviors)
    body = sent_json(route)
    assert body["ssl"] == {"use-ssl": "true", "use-for-sni": "false"}
    assert body["cache-behaviors"] == [{"ignore-cache-control": "true", "cache-ttl": "300"}]


def test_a_nested_flag_given_in_a_dict_is_sent_as_text(api: respx.MockRouter) -> None:
    route = api.post("/cdnw/api/domain").respond(202, json={})
    with client(DomainManagementClient) as domains:
        add_domain(domains, ssl={"use-ssl": False})  # wire-named data, as read from a file
    assert sent_json(route)["ssl"] == {"use-ssl": "false"}


def test_a_top_level_flag_keeps_taking_a_bool(api: respx.MockRouter) -> None:
    route = api.post("/cdnw/api/domain").respond(202, json={})
    with client(DomainManagementClient) as domains:
        domains.add_cdn_domain(
            version="1.0",
            domain_name="www.example.com",
            contract_id="c1",
            item_id="i1",
            origin_config=AddCdnDomainRequestOriginConfig(origin_ips="192.0.2.1"),
            accelerate_no_china=True,
        )
    assert sent_json(route)["accelerate-no-china"] == "true"


def test_a_whole_number_typed_as_text_takes_an_int_and_sends_text(api: respx.MockRouter) -> None:
    route = api.post("/vod/audioManage/getAudioList").respond(200, json={"code": "0"})
    with client(ManageAssetsClient) as assets:
        assets.get_audio_list(page_index=2, page_size="20")
    body = sent_json(route)
    assert (body["pageIndex"], body["pageSize"]) == ("2", "20")  # JSON strings, as upstream


@pytest.mark.parametrize("bad", ["ten", "1.5", " 7", ""])
def test_text_that_is_no_whole_number_is_refused_before_sending(
    api: respx.MockRouter, bad: str
) -> None:
    route = api.post("/vod/audioManage/getAudioList").respond(200, json={"code": "0"})
    with client(ManageAssetsClient) as assets, pytest.raises(ValidationError) as refused:
        assets.get_audio_list(page_size=bad)
    assert refused.value.field == "page_size"
    assert refused.value.action == "GetAudioList"
    assert "whole number" in str(refused.value)
    assert not route.called


def test_a_nested_whole_number_is_checked_when_the_model_is_built() -> None:
    with pytest.raises(ValidationError) as refused:
        AddCdnDomainRequestCacheBehaviors(cache_ttl="5 minutes")
    assert refused.value.field == "cache_ttl"


def test_a_nested_whole_number_in_a_dict_is_checked_before_sending(api: respx.MockRouter) -> None:
    route = api.post("/cdnw/api/domain").respond(202, json={})
    with client(DomainManagementClient) as domains, pytest.raises(ValidationError) as refused:
        add_domain(domains, cache_behaviors=[{"cache-ttl": "soon"}])
    assert (refused.value.field, refused.value.action) == ("cache_ttl", "AddCdnDomain")
    assert not route.called


@pytest.mark.parametrize(
    ("sent", "read"),
    [('"12"', 12), ("12", 12), ('"12345678901234567890"', 12345678901234567890), ('"n/a"', "n/a")],
)
def test_a_number_answered_as_text_reads_as_an_int(
    api: respx.MockRouter, sent: str, read: object
) -> None:
    body = f'{{"code": "200", "data": {{"totalNum": {sent}, "list": []}}}}'
    api.post("/api/bot/exact/query-exact-rule-list").mock(
        return_value=httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    with client(SecurityPolicyClient) as policies:
        answer = policies.query_exact_rule_list(service_type="BOT")
    assert answer.data is not None
    assert answer.data.total_num == read
    assert type(answer.data.total_num) is type(read)
