"""Properties of request building, through the public client API, sync and async.

Every input either goes out correctly signed and encoded, with the route and the header set it
was meant to have, or is refused with :class:`ValidationError` before the transport sees a byte.
Any other exception fails the property.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from cdnetworks.core import Action, RequestModel, ResponseModel, ValidationError
from cdnetworks.core.encoding import wire_name
from cdnetworks.core.errors import BusinessError, DecodeError
from tests.conftest import ACCESS_KEY, CANARY_SECRET, Mode
from tests.reference_signer import assert_signed

# Slow: property-based sweeps over every action.
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    # One client per test is reused by every example on purpose: the recorder is reset each time.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

#: Headers the SDK may send; anything else would be an injected header.
HEADER_NAMES = {
    "host",
    "accept",
    "user-agent",
    "content-type",
    "content-length",
    "x-cnc-accesskey",
    "x-cnc-timestamp",
    "x-cnc-auth-method",
    "authorization",
}
#: httpx refuses a URL path or query longer than this; the SDK turns that into a ValidationError.
MAX_URL_COMPONENT = 65_536
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%")

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
HOSTILE = st.sampled_from(
    [
        "..",
        ".",
        "../../etc/passwd",
        "a/../../b",
        "%2e%2e%2f",
        "/",
        "//",
        "?limit=1000",
        "#fragment",
        "img\r\nX-Injected: 1",
        "img\nHost: evil.example",
        "img\x00",
        "\x00",
        " ",
        "",
        "\t\n",
        "é中🙂",
        "\ud800",
        "+%20+",
        "a;b=c",
        "\\..\\windows",
    ]
)
#: Very long text, built lazily so hypothesis never prints 100 kB strategies.
LONG = st.integers(min_value=30_000, max_value=100_000).map(lambda n: "x" * n)
IDENTIFIERS = HOSTILE | LONG | ANY_TEXT


class Recorder:
    """An in-process transport that keeps every request it is handed."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        # One body every modelled action can decode, so only the request side is under test.
        body = {"code": "0", "message": "ok", "id": "img-1", "images": [], "data": {}}
        return httpx.Response(200, json=body, headers={"x-cnc-request-id": "rid"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(mode: Mode, recorder: Recorder) -> Any:
    return mode.client(transport=recorder.transport)


def _attempt(mode: Mode, recorder: Recorder, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one call: the request sent, or the ``ValidationError`` raised before sending."""
    recorder.sent.clear()
    try:
        mode.run(fn, *args, **kwargs)
    except ValidationError as exc:
        assert recorder.sent == [], "refused, but only after sending"
        return exc
    except (BusinessError, DecodeError):
        # The recorder's one canned answer does not fit every action's response model or
        # success code; the request, which is what is checked here, went out all the same.
        pass
    assert len(recorder.sent) == 1
    request = recorder.sent[0]
    assert_signed(request, ACCESS_KEY, CANARY_SECRET)
    # Besides the SDK's own, only the headers the action declares (serviceType, timezone, ...).
    declared = {wire_name(h).lower() for h in getattr(args[0], "headers", ())} if args else set()
    assert set(request.headers.keys()) <= HEADER_NAMES | declared, request.headers
    return request


# -- invoke: params -----------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | ANY_TEXT
)
BAD = st.binary(max_size=5) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
VALUES = SCALARS | st.lists(SCALARS | BAD, max_size=3) | BAD


def _quote(text: str | None) -> str:
    return quote(text or "", safe="-_.~")


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _render(value: Any) -> str | None:
    """What the docs promise for a query value; ``None`` when it must be refused."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        parts = [_render(v) for v in value]
        return None if None in parts else ",".join(p for p in parts if p is not None)
    if isinstance(value, bytes | dict) or value is None:
        return None
    text = str(value)
    return None if _has_surrogate(text) else text


def _query_pairs(request: httpx.Request) -> list[tuple[str, str]]:
    raw = request.url.raw_path.partition(b"?")[2].decode("ascii")
    assert "+" not in raw, "a literal + is ambiguous; the SDK sends %2B and %20"
    if not raw:
        return []
    return [
        (unquote(k, errors="strict"), unquote(v, errors="strict"))
        for k, _, v in (pair.partition("=") for pair in raw.split("&"))
    ]


@EXAMPLES
@given(params=st.dictionaries(ANY_TEXT | HOSTILE | LONG, VALUES | LONG, max_size=5))
def test_invoke_params(mode: Mode, recorder: Recorder, client: Any, params: dict[str, Any]) -> None:
    outcome = _attempt(mode, recorder, client.invoke, "GET", "/vmp/images", params=params)
    expected = {}
    refused = False
    for key, value in params.items():
        if value is None:
            continue
        rendered = _render(value)
        refused |= rendered is None or _has_surrogate(key)
        expected[key] = rendered
    if not refused:
        encoded = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in expected.items())
        refused = len(encoded) > MAX_URL_COMPONENT
    if refused:
        assert isinstance(outcome, ValidationError), outcome
        return
    assert isinstance(outcome, httpx.Request), outcome
    assert outcome.method == "GET"
    assert outcome.url.raw_path.partition(b"?")[0] == b"/vmp/images"
    assert _query_pairs(outcome) == sorted(expected.items())


@EXAMPLES
@given(params=st.lists(st.integers() | st.text(max_size=3) | st.tuples(st.integers()), max_size=3))
def test_invoke_params_that_are_not_pairs(
    mode: Mode, recorder: Recorder, client: Any, params: list[Any]
) -> None:
    outcome = _attempt(mode, recorder, client.invoke, "GET", "/vmp/images", params=params)
    pairs = all(isinstance(p, str | tuple) and len(p) == 2 for p in params)
    if not pairs:
        assert isinstance(outcome, ValidationError)
        assert outcome.field == "params"


# -- invoke: json body --------------------------------------------------------------------

JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=20,
)


def _json_refused(value: Any) -> bool:
    if isinstance(value, str):
        return _has_surrogate(value)
    if isinstance(value, list):
        return any(_json_refused(v) for v in value)
    if isinstance(value, dict):
        return any(_json_refused(k) or _json_refused(v) for k, v in value.items())
    return isinstance(value, object) and type(value) is object


@EXAMPLES
@given(body=JSON | st.lists(st.just(object()), min_size=1, max_size=1))
def test_invoke_json(mode: Mode, recorder: Recorder, client: Any, body: Any) -> None:
    outcome = _attempt(mode, recorder, client.invoke, "POST", "/vmp/images", json=body)
    if _json_refused(body):
        assert isinstance(outcome, ValidationError), outcome
        assert outcome.field == "json"
        return
    assert isinstance(outcome, httpx.Request), outcome
    assert outcome.url.raw_path == b"/vmp/images"
    if body is None:
        assert outcome.content == b""
        return
    assert msgspec.json.decode(outcome.content) == body


# -- invoke: method and uri ---------------------------------------------------------------

URIS = (
    st.sampled_from(["/vmp/images", "/vmp/images/abc%2F..%2F", "/a/b/c", "/%E4%B8%AD", "/"])
    | HOSTILE
    | ANY_TEXT.map(lambda t: "/" + t)
)


@EXAMPLES
@given(method=st.sampled_from(["get", "POST", "Delete"]) | ANY_TEXT, uri=URIS)
def test_invoke_method_and_uri(
    mode: Mode, recorder: Recorder, client: Any, method: str, uri: str
) -> None:
    """The route sent is exactly the (encoded) uri given; anything that is not a method or an
    encoded path is refused."""
    outcome = _attempt(mode, recorder, client.invoke, method, uri)
    if isinstance(outcome, ValidationError):
        assert outcome.field in {"method", "uri", "path"}
        ok_method = method.isascii() and method.isalpha()
        ok_uri = uri.startswith("/") and uri.isascii() and uri.isprintable()
        ok_uri = (
            ok_uri
            and not any(c in uri for c in ' ?#"<>\\^`{|}[]')
            and len(uri) <= MAX_URL_COMPONENT
        )
        assert not (ok_method and ok_uri and _well_formed_escapes(uri)), (method, uri)
        return
    assert method.isascii() and method.isalpha()
    assert _well_formed_escapes(uri) and not any(c in uri for c in ' ?#"<>\\^`{|}[]')
    assert outcome.method == method.upper()
    assert outcome.url.raw_path == uri.encode("ascii")


def _well_formed_escapes(uri: str) -> bool:
    parts = uri.split("%")[1:]
    return all(len(p) >= 2 and all(c in "0123456789abcdefABCDEF" for c in p[:2]) for p in parts)


# -- actions: hostile identifiers never change the route or the headers -------------------


class ImageRequest(RequestModel):
    image_id: str


class ImageResponse(ResponseModel):
    code: str | None = None


GET_IMAGE = Action("GetImage", "GET", "/vmp/images/{imageId}", ImageRequest, ImageResponse)
DELETE_IMAGE = Action("DeleteImage", "DELETE", "/vmp/images/{imageId}", ImageRequest, ImageResponse)


def _refused_identifier(value: str) -> bool:
    return not value.strip() or value in (".", "..") or "\x00" in value or _has_surrogate(value)


@EXAMPLES
@given(image_id=IDENTIFIERS, delete=st.booleans())
def test_hostile_identifiers(
    mode: Mode, recorder: Recorder, client: Any, image_id: str, delete: bool
) -> None:
    action = DELETE_IMAGE if delete else GET_IMAGE
    outcome = _attempt(mode, recorder, client.call, action, image_id=image_id)
    if _refused_identifier(image_id):
        assert isinstance(outcome, ValidationError), outcome
        assert outcome.field == "image_id"
        return
    if len("/vmp/images/" + _quote(image_id)) > MAX_URL_COMPONENT:
        assert isinstance(outcome, ValidationError), outcome
        assert outcome.field == "path"
        return
    assert isinstance(outcome, httpx.Request), outcome
    assert outcome.method == action.method
    path, _, query = outcome.url.raw_path.partition(b"?")
    assert query == b""
    prefix, _, segment = path.decode("ascii").rpartition("/")
    assert prefix == "/vmp/images"
    assert set(segment) <= UNRESERVED
    assert unquote(segment, errors="strict") == image_id
    assert outcome.url.host == "api.cdnetworks.com"


# -- every request model of every installed product ---------------------------------------

WILD = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | IDENTIFIERS
    | st.lists(ANY_TEXT | st.integers(), max_size=3)
    | st.binary(max_size=4)
    | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
)


#: Products whose every action is drawn here; of the rest of the catalogue, a stable sample (every
#: action is still built, signed and answered once by ``tests/catalogue``).
EVERY_ACTION = {"imagemanage", "cacherefresh", "fileprefetch"}


def _shape(action: Action[Any, Any]) -> tuple[bool, ...]:
    """What makes an action's request different to build: where its fields travel."""
    return (
        action.sends_body,
        bool(action.query),
        bool(action.headers),
        bool(action.path_params),
        any(not p.isidentifier() for p in action.path_params),
        bool(action.flags),
        bool(action.csv),
    )


def _actions() -> Iterator[Action[Any, Any]]:
    from cdnetworks.core import products

    yield GET_IMAGE
    yield DELETE_IMAGE
    shapes: set[tuple[bool, ...]] = set()
    for name, product in sorted(products().items()):
        if name in EVERY_ACTION:
            yield from product.actions
            continue
        # One action per product (a stable pick) and the first of each request shape.
        ordered = sorted(product.actions, key=lambda a: zlib.crc32(a.name.encode()))
        for index, action in enumerate(ordered):
            if index == 0 or _shape(action) not in shapes:
                shapes.add(_shape(action))
                yield action


ACTIONS = list(_actions())


#: Values of the right shape for fields whose type alone rarely yields a valid one.
HINTS: dict[str, st.SearchStrategy[Any]] = {
    "image_src_url": urls(),
    "md5": st.from_regex(r"\A[0-9a-fA-F]{32}\Z"),
}


def _kwargs(action: Action[Any, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments: mostly of the declared types, one in four wild, required ones usually
    present, so that both outcomes (sent and refused) are exercised for every action."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for f in msgspec.structs.fields(action.request):
        typed: st.SearchStrategy[Any] = st.from_type(f.type)
        if f.name in HINTS:
            typed = HINTS[f.name] | typed
        value = st.integers(0, 3).flatmap(lambda n, t=typed: WILD if n == 0 else t)  # type: ignore[misc]
        (required if f.required else optional)[f.name] = value
    return st.fixed_dictionaries(required, optional=optional)


@pytest.mark.parametrize(
    "action", ACTIONS, ids=[f"{a.product or 'test'}.{a.name}" for a in ACTIONS]
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_action_accepts_or_refuses(
    mode: Mode, recorder: Recorder, client: Any, action: Action[Any, Any], data: st.DataObject
) -> None:
    early: ValidationError | None = None
    try:
        kwargs = data.draw(_kwargs(action), label="kwargs")
    except ValidationError as refused:
        early = refused
    if early is not None:
        # A nested model refused its own input as the caller built it (a whole number typed
        # as text given "abc"): refused before anything could be sent, naming the field.
        assert early.field
        event("refused")
        return
    outcome = _attempt(mode, recorder, client.call, action, **kwargs)
    event("refused" if isinstance(outcome, ValidationError) else "sent")
    if isinstance(outcome, ValidationError):
        return
    assert outcome.method == action.method
    path, _, raw_query = outcome.url.raw_path.partition(b"?")
    template = action.path.split("/")
    sent = path.decode("ascii").split("/")
    assert len(sent) == len(template), (action.path, path)
    for want, got in zip(template, sent, strict=True):
        if want.startswith("{"):
            assert got and set(got) <= UNRESERVED
        else:
            assert got == want
    wire = {f.encode_name for f in msgspec.structs.fields(action.request)}
    if action.sends_body:
        decoded = msgspec.json.decode(outcome.content)
        assert isinstance(decoded, dict)
        assert set(decoded) <= wire
        # A body-sending action may declare query fields too (a POST with a query).
        query = {wire_name(name) for name in action.query or ()}
        assert {unquote(k) for k, _ in _query_pairs_raw(raw_query)} <= query
    else:
        assert {unquote(k) for k, _ in _query_pairs_raw(raw_query)} <= wire


def _query_pairs_raw(raw: bytes) -> list[tuple[str, str]]:
    text = raw.decode("ascii")
    return [tuple(p.split("=", 1)) for p in text.split("&")] if text else []  # type: ignore[misc]


def test_floats_render_as_python_text(mode: Mode, recorder: Recorder, client: Any) -> None:
    """NaN and infinities are not refused in a query: they go out as text, like any float."""
    outcome = _attempt(mode, recorder, client.invoke, "GET", "/x", params={"a": math.inf})
    assert _query_pairs(outcome) == [("a", "inf")]
