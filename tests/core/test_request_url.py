"""The request URL the pipeline builds directly equals the one httpx's ``copy_with`` parses.

The pipeline skips httpx's URL parsing for paths and queries the SDK encoded itself; this holds
it to the parsed result, byte for byte, for any text the encoders accept.
"""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from cdnetworks.core import path_segment
from cdnetworks.core.encoding import encode_query
from cdnetworks.core.pipeline import _joined_url

TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1
)
BASES = st.sampled_from(
    [
        "https://api.cdnetworks.com",
        "https://api.cdnetworks.com/",
        "http://127.0.0.1:8080/prefix",
        "https://[::1]:8443/a/b/",
    ]
)


@given(
    base=BASES,
    segments=st.lists(TEXT.filter(lambda t: t.strip() and t not in (".", "..")), max_size=3),
    query=st.lists(st.tuples(TEXT, TEXT), max_size=4),
)
def test_the_joined_url_is_what_httpx_would_parse(
    base: str, segments: list[str], query: list[tuple[str, str]]
) -> None:
    path = "/api/" + "/".join(path_segment("p", s) for s in segments)
    encoded = encode_query(query)
    base_url = httpx.URL(base)
    full = (
        base_url.raw_path.rstrip(b"/")
        + path.encode()
        + (b"?" + encoded.encode() if encoded else b"")
    )
    parsed = base_url.copy_with(raw_path=full)
    joined = _joined_url(base_url, path, encoded)
    assert joined is not None
    assert str(joined) == str(parsed)
    assert joined.raw_path == parsed.raw_path
    assert (joined.host, joined.port, joined.scheme) == (parsed.host, parsed.port, parsed.scheme)
    assert httpx.Request("GET", joined).url == parsed
