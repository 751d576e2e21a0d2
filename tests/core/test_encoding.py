"""The request and response paths do each piece of work once, with the same results as before."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest

from cdnetworks.core import Action, RequestModel, ResponseModel, ValidationError
from cdnetworks.core.action import DEFAULT_ENVELOPE, Envelope
from cdnetworks.core.encoding import build_request_model, render
from cdnetworks.core.response import _envelope_of, _probe, _top_level, body_decoder

CHECKS: list[str] = []


class Sized(RequestModel):
    name: str
    limit: Annotated[int, msgspec.Meta(ge=1)] | None = None
    weight: float | None = None
    tags: list[str] | None = None

    def __post_init__(self) -> None:
        CHECKS.append(self.name)
        if self.name == "forbidden":
            raise ValidationError("is not allowed", field="name")


class Out(ResponseModel):
    pass


SIZED = Action("GetSized", "GET", "/sized/{name}", Sized, Out)


def test_a_model_passed_in_is_checked_without_running_its_post_init_again() -> None:
    model = Sized(name="a", limit=2, tags=["x", "y"])
    CHECKS.clear()
    assert build_request_model(Sized, model, {}, "GetSized") is model
    assert CHECKS == []
    assert render(SIZED, model) == ("/sized/a", [("limit", "2"), ("tags", "x,y")], None, [])


def test_a_model_passed_in_still_has_its_types_and_constraints_checked() -> None:
    with pytest.raises(ValidationError) as refused:
        build_request_model(Sized, Sized(name="a", limit=0), {}, "GetSized")
    assert (refused.value.field, refused.value.action) == ("limit", "GetSized")
    assert "Expected `int` >= 1" in refused.value.message
    with pytest.raises(ValidationError) as mistyped:
        build_request_model(Sized, Sized(name="a", tags="x"), {}, "GetSized")  # type: ignore[arg-type]
    assert mistyped.value.field == "tags"


def test_a_value_the_check_normalises_is_sent_normalised_as_before() -> None:
    model = build_request_model(Sized, Sized(name="a", weight=2), {}, "GetSized")
    assert model is not None and model.weight == 2.0 and isinstance(model.weight, float)
    assert render(SIZED, model)[1] == [("weight", "2.0")]


def test_keyword_arguments_run_post_init_once_and_name_unknown_arguments() -> None:
    CHECKS.clear()
    build_request_model(Sized, None, {"name": "b", "limit": 3}, "GetSized")
    assert CHECKS == ["b"]
    with pytest.raises(ValidationError, match="is not allowed"):
        build_request_model(Sized, None, {"name": "forbidden"}, "GetSized")
    with pytest.raises(ValidationError) as unknown:
        build_request_model(Sized, None, {"name": "b", "zeta": 1, "alpha": 2}, "GetSized")
    assert unknown.value.field == "alpha"
    assert "unexpected argument(s) alpha, zeta" in unknown.value.message


BODIES = [
    b'{"code":"0","message":"ok","items":[{"a":[1,2,{"b":null}]}]}',
    b'{"code":1}',
    b'{"message":"x"}',
    b'{"items":[{"code":"nested"}]}',
    b"[1]",
    b"",
    b'{"code":null}',
    b'{"code":"a","code":"b"}',
    b'{"\\u0063ode":"3","message":5}',
    b'{"st\\u0061tus":"5"}',
    b"{bad",
    b'{"code":{"x":1},"message":[1]}',
    b"[" * 100_000,
]
ENVELOPES = [
    DEFAULT_ENVELOPE,
    Envelope(code="code", message=None),
    Envelope(code="code", message="code"),
    Envelope(code="status", message="msg"),
]


@pytest.mark.parametrize("body", BODIES)
def test_the_envelope_probe_reads_what_a_full_decode_reads(body: bytes) -> None:
    for envelope in ENVELOPES:
        assert _probe(body, envelope) == _envelope_of(_top_level(body), body, envelope)


class Item(msgspec.Struct, kw_only=True):
    size: Annotated[int | float, msgspec.Meta(extra={"lenient_number": True})] | None = None


class Page(ResponseModel):
    items: list[Item] = msgspec.field(default_factory=list)


class CountedPage(ResponseModel):
    total: int | None = None
    items: list[Item] = msgspec.field(default_factory=list)


@pytest.mark.parametrize("model", [Page, CountedPage])
def test_lenient_numbers_decode_text_without_reaching_other_fields(model: Any) -> None:
    decode = body_decoder(model)
    sizes = b'{"items":[{"size":"20"},{"size":40.5},{"size":"unknown"},{},{"size":"1.5"}]}'
    assert [i.size for i in decode(sizes).items] == [20, 40.5, "unknown", None, 1.5]
    assert all(type(i) is Item for i in decode(sizes).items)
    if model is CountedPage:  # an int field elsewhere keeps refusing text
        with pytest.raises(msgspec.ValidationError, match=r"\$\.total"):
            decode(b'{"total":"5","items":[{"size":"20"}]}')
