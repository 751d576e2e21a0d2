"""Every generated method and command name, listed for review (``names.txt``).

The names come from the upstream action names by one rule (`cdnetworks.core.action.method_case`:
`snake_case` after the reviewed `WORD_SPELLINGS`). A new product or a changed rule changes the
list: review the diff, then rewrite it with ``CDNETWORKS_UPDATE_NAMES=1 uv run pytest
tests/products/test_names.py``. No name may hold a fragment (a one-letter word other than
"a", or a known glued word).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cdnetworks.core import products
from cdnetworks.core.action import WORD_SPELLINGS, method_case

LISTING = Path(__file__).with_name("names.txt")
FRAGMENT = re.compile(r"(^|_)(?!a_)[a-z](_|$)|ofeach|is_pand|_po_p|_i_ps|d_do_s|p2_p")


def _listing() -> list[str]:
    lines = []
    for name, product in sorted(products().items()):
        for action in product.actions:
            old = action.legacy_method_name
            was = f"  (was {old})" if old else ""
            lines.append(
                f"{name} {action.name} {action.method_name} {_kebab(action.method_name)}{was}"
            )
        for method in product.commands:
            lines.append(f"{name} - {method} {_kebab(method)}")
    return lines


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def test_the_reviewed_listing_is_current() -> None:
    lines = _listing()
    text = "\n".join(lines) + "\n"
    if os.environ.get("CDNETWORKS_UPDATE_NAMES"):
        LISTING.write_text(text)
    assert LISTING.read_text() == text, (
        "generated names changed: review, then CDNETWORKS_UPDATE_NAMES=1 uv run pytest "
        "tests/products/test_names.py"
    )


def test_no_name_holds_a_fragment() -> None:
    bad = [line for line in _listing() if FRAGMENT.search(line.split()[2])]
    assert bad == []
    assert len(_listing()) >= 795


@pytest.mark.parametrize(
    ("upstream", "method"),
    [
        ("QueryP2PBandwidth", "query_p2p_bandwidth"),
        ("QueryIPV6BandwidthOfeachISPandProvince", "query_ipv6_bandwidth_of_each_isp_and_province"),
        ("QueryDomainDDoSBaseInfo", "query_domain_ddos_base_info"),
        ("GetTopAttackSourcesForClientIPs", "get_top_attack_sources_for_client_ips"),
        ("QuerySpecificPoPTraffic", "query_specific_pop_traffic"),
        ("VMPQueryImage", "vmp_query_image"),
        ("QueryTop10URL", "query_top10_url"),  # digits stay with the word before them
        ("GetRecordbyID", "get_record_by_id"),
    ],
)
def test_the_rule(upstream: str, method: str) -> None:
    assert method_case(upstream) == method


def test_every_spelling_is_used() -> None:
    # A spelling no upstream name needs any more is dead weight in the rule.
    names = {a.name for p in products().values() for a in p.actions}
    unused = [w for w in WORD_SPELLINGS if not any(w in n for n in names)]
    assert unused == []
