"""Every action of every installed product, generated or not, goes through its typed client to
the emulator and back: the request is built from sample arguments derived from its model, signed,
routed, parsed by the declared service and answered without error. A new product is covered the
day it is installed, with nothing to write here."""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from cdnetworks.core import Action, Client, Product, ValidationError, products
from cdnetworks.core.action import INT_TEXT
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.emulator.spec_service import ProductService
from cdnetworks.core.encoding import build_request_model

# Slow: every action of every product (about 800 cases).
# Left out of the fast subset (pytest -m "not slow").
pytestmark = pytest.mark.slow

PRODUCTS = products()
ACTIONS = [
    pytest.param(product, action, id=f"{name}.{action.name}")
    for name, product in sorted(PRODUCTS.items())
    for action in product.actions
]


def _core(t: mi.Type) -> mi.Type:
    """``t`` without its metadata and ``| None``."""
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType) and len(t.types) == 2 and mi.NoneType() in t.types:
            t = next(m for m in t.types if not isinstance(m, mi.NoneType))
        else:
            return t


def value_for(name: str, t: mi.Type) -> Any:
    """A plausible wire value of field ``name``: the spec's first example where it has one, the
    first choice of an enumeration, the least number its bounds allow, a URL for URL fields."""
    meta = t if isinstance(t, mi.Metadata) else None
    core = _core(t)
    scalar = not isinstance(core, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType)
    examples = (meta.extra_json_schema or {}).get("examples", []) if meta and scalar else []
    for example in examples:  # a list's example is text listing its items
        candidate = str(example).split(",")[0]  # "a,b,c" lists the alternatives
        try:
            return msgspec.to_builtins(msgspec.convert(candidate, type=_python(core), strict=False))
        except (msgspec.ValidationError, TypeError):
            pass
    if isinstance(core, mi.LiteralType):
        return core.values[0]
    if isinstance(core, mi.BoolType):
        return True
    if isinstance(core, mi.IntType | mi.FloatType):
        low = core.ge if core.ge is not None else (core.gt + 1 if core.gt is not None else 1)
        return max(low, 1)
    if isinstance(core, mi.StrType):
        if meta is not None and (meta.extra or {}).get(INT_TEXT):
            return "1"  # a whole number the API types as text
        if "url" in name.lower() or name.lower() in ("dir", "dirs"):
            # Services check URLs' schemes (and directories' trailing slash).
            return "https://www.example.com/sample/"
        return "sample" + "x" * max((core.min_length or 0) - 6, 0)
    if isinstance(core, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return [value_for(name, core.item_type)]
    if isinstance(core, mi.StructType):
        return {f.encode_name: value_for(f.name, f.type) for f in core.fields if f.required}
    if isinstance(core, mi.UnionType):
        # A nested type's convenience takes a Python value too (``bool | Literal["ON", "OFF"]``,
        # ``int | str``): the first kind is given, and the model turns it into the wire text.
        return value_for(name, next(m for m in core.types if not isinstance(m, mi.NoneType)))
    return None


def _python(core: mi.Type) -> Any:
    for kind, hint in ((mi.BoolType, bool), (mi.IntType, int), (mi.FloatType, float)):
        if isinstance(core, kind):
            return hint
    return str


def sample_request(action: Action[Any, Any]) -> Any:
    """The request model with its required fields set, plus what its own checks ask for.

    A product's hand-written checks can require one of several optional fields (an image from
    a VM or from a URL): the field a `ValidationError` names is filled in, and the request built
    again, until it passes.
    """
    info = mi.type_info(action.request)
    assert isinstance(info, mi.StructType)
    fields = {f.name: f for f in info.fields}
    kwargs = {f.name: value_for(f.name, f.type) for f in info.fields if f.required}
    batched = action.batch is not None and action.batch.min_items > 0
    if batched and action.batch and not any(r.field in kwargs for r in action.batch.items):
        # A batched action needs one item that passes its declared item rules.
        kwargs[action.batch.items[0].field] = ["https://www.example.com/sample/"]
    for _ in range(len(fields) + 1):
        try:
            return build_request_model(action.request, None, kwargs, action.name)
        except ValidationError as error:
            field = fields.get(error.field or "")
            if field is None or field.name in kwargs:
                raise
            kwargs[field.name] = value_for(field.name, field.type)
    raise AssertionError(f"{action.name}: no sample request passes its checks")


def test_every_installed_product_is_exercised() -> None:
    # The three products of this repository at least; a broken entry point would drop one.
    assert {"cacherefresh", "fileprefetch", "imagemanage"} <= set(PRODUCTS)
    assert all(product.actions for product in PRODUCTS.values())


@pytest.mark.parametrize(("product", "action"), ACTIONS)
def test_action_round_trips_through_the_typed_client(
    product: Product, action: Action[Any, Any]
) -> None:
    # The declared service (no hand-written state) answers any valid request: this checks the
    # generated pieces fit together, from the client method to the route and the envelope.
    emu = Emulator(services=[ProductService(product)])
    request = sample_request(action)
    with Client(**emu.client_kwargs(), transport=emu.transport(), max_attempts=1) as core:
        client = core.product(product.name)
        if product.client is not None:
            assert isinstance(client, product.client)
        answer = getattr(client, action.method_name)(request)
    assert isinstance(answer, action.response)
    (exchange,) = emu.exchanges
    # Signed correctly (the emulator checks like the gateway: a bad signature is a 401).
    assert (exchange.action, exchange.method) == (action.name, action.method)
    assert exchange.status is not None
    assert 200 <= exchange.status < 300  # 204 for an action answering without a body
    assert exchange.account == emu.access_key
    if action.response_body == "json":
        assert answer.request_id == exchange.request_id
