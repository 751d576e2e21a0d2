"""An API action is data: one declarative value per action, and a product is a set of them.

Typed client methods, the CLI and the docs are derived from these values, so adding an action
to a product is adding one `Action` and its request/response models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from .errors import ValidationError
from .jobs.facts import BatchLimits

ReqT = TypeVar("ReqT")
RespT = TypeVar("RespT")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: A placeholder names a wire field, which may hold "-" (``{domain-name}``).
_PATH_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Envelope:
    """How an action's 2xx body says whether the call succeeded.

    ``code`` and ``message`` are the wire names of those fields (``code=None``: the body carries
    no code, e.g. a bare payload). A body whose code is not one of ``success`` (compared as
    text: an integer ``0`` matches ``"0"``) is a `BusinessError`; a code that is neither text
    nor an integer (``false``, ``0.0``, a list) is too. A body without the code field is a
    success.
    """

    code: str | None = "code"
    message: str | None = "message"
    success: tuple[str, ...] = ("0",)


#: What `Client.invoke` and actions that declare nothing assume: ``{code, message}``, "0".
DEFAULT_ENVELOPE = Envelope()
#: Actions whose body carries no code at all.
NO_ENVELOPE = Envelope(code=None, message=None, success=())


@dataclass(frozen=True)
class Paging:
    """How an action pages, read by one generic walk (`cdnetworks.core.paging.Walk`).

    ``marker`` style: the next request's ``marker`` field takes the ``marker_from`` field of
    the page's last item; a page shorter than the page size is the last. ``page`` style: the
    ``page`` field counts from ``first_page``; a short page, or ``total`` items seen, ends it.
    ``items`` is the dotted attribute path of the list in the response; ``page_size`` the
    request field that sets the page size; ``method`` the client method walking every page.
    """

    style: str
    method: str
    items: str
    page_size: str
    default_page_size: int = 20
    marker: str | None = None
    marker_from: str | None = None
    page: str | None = None
    first_page: int = 1
    total: str | None = None


@dataclass(frozen=True)
class Action(Generic[ReqT, RespT]):
    """One API action.

    ``path`` is a template whose ``{placeholders}`` are wire names of request fields, filled
    percent-encoded. GET (and HEAD) send the other non-empty request fields as the query;
    other methods send the whole request model as the JSON body (as the Go SDK does, path
    fields included).
    """

    name: str
    method: str
    path: str
    request: type[ReqT]
    response: type[RespT]
    product: str = ""
    summary: str = ""
    #: ``None``: decided by the method (GET, HEAD, OPTIONS, PUT and DELETE are idempotent).
    idempotent: bool | None = None
    #: Facts for derived tools. Known key: ``"paginate"``, the name of the product client
    #: method that walks every page of this action (the CLI's ``--paginate`` calls it), for
    #: actions that do not declare `paging`.
    extras: Mapping[str, Any] = field(default_factory=dict)
    #: Wire names of the fields sent as the query, as headers and in the JSON body. ``None``
    #: (the default) decides by method: GET and HEAD send every field but the path's as the
    #: query, other methods send the whole model as the body (as the Go SDK does).
    query: tuple[str, ...] | None = None
    headers: tuple[str, ...] = ()
    body: tuple[str, ...] | None = None
    #: ``None``: `DEFAULT_ENVELOPE`.
    envelope: Envelope | None = None
    paging: Paging | None = None
    #: What a 2xx carries: ``"json"`` (decoded into ``response``), ``"text"``, ``"bytes"`` or
    #: ``"none"`` (the response model is filled from the status and headers).
    response_body: str = "json"
    #: Response model attribute -> response header it is filled from (``location``).
    response_headers: Mapping[str, str] = field(default_factory=dict)
    #: Python conveniences over wire types, applied to keyword arguments before validation:
    #: list fields that also take comma-separated text, text flags given as a bool
    #: (attribute -> (wire text of True, wire text of False)), and whole numbers the API
    #: types as text, given as an int (`as_int_text`).
    csv: tuple[str, ...] = ()
    flags: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    int_texts: tuple[str, ...] = ()
    #: Per-call limits of the batched list fields (spec facts): every call is checked
    #: against them before it is sent, and jobs plan their batches by them.
    batch: BatchLimits | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if self.paging is not None and "paginate" not in self.extras:
            # The older, undeclared form of the same fact, which tools may still read.
            paginate = {"method": self.paging.method, "page_size": self.paging.page_size}
            object.__setattr__(self, "extras", {**self.extras, "paginate": paginate})

    # Derived facts are computed once per action (actions are frozen): each call reads them.

    @cached_property
    def is_idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    @cached_property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.path))

    @cached_property
    def sends_body(self) -> bool:
        return self.method not in ("GET", "HEAD")

    @cached_property
    def declared_envelope(self) -> Envelope:
        return DEFAULT_ENVELOPE if self.envelope is None else self.envelope

    @cached_property
    def _flag_items(self) -> tuple[tuple[str, str, str], ...]:
        return tuple((name, on, off) for name, (on, off) in self.flags.items())

    def convenient(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Keyword arguments with ``None`` dropped and the conveniences applied."""
        out = {k: v for k, v in arguments.items() if v is not None}
        for name in self.csv:
            value = out.get(name)
            if isinstance(value, str):
                out[name] = value.split(",")
        for name, on, off in self._flag_items:
            if name in out:
                out[name] = as_flag(out[name], on, off)
        for name in self.int_texts:
            if name in out:
                out[name] = as_int_text(out[name], name, self.name)
        return out

    @property
    def method_name(self) -> str:
        """The snake_case client method name: ``VMPQueryImage`` -> ``vmp_query_image``."""
        return method_case(self.name)

    @property
    def legacy_method_name(self) -> str | None:
        """The name releases before 0.2 gave the method, when `method_case` now differs."""
        old = snake_case(self.name)
        return None if old == self.method_name else old


def snake_case(name: str) -> str:
    """The snake_case of a wire name: a capital after a lowercase letter or digit starts a
    word, and so does the last capital of a run followed by a lowercase letter."""
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


#: Upstream action names spell some words in mixed case (``DDoS``) or glue words together
#: (``OfeachISPandProvince``): each is respelled as words before splitting. Reviewed against
#: every action name (tests/products/test_names.py lists them all); add a spelling here when
#: an upstream name splits into a fragment.
WORD_SPELLINGS = {
    "DDoS": "Ddos",
    "IPs": "Ips",
    "PoP": "Pop",
    "P2P": "P2p",
    "IPV6": "Ipv6",
    # Words glued together upstream.
    "Ofeach": "OfEach",
    "ISPand": "IspAnd",
    "Provincevisitors": "ProvinceVisitors",
    "Bandwidthby": "BandwidthBy",
    "Bandwidthof": "BandwidthOf",
    "Originminutely": "OriginMinutely",
    "Perzone": "PerZone",
    "Rankby": "RankBy",
    "Numberof": "NumberOf",
    "Distributionin": "DistributionIn",
    "Pageswithout": "PagesWithout",
    "Recordby": "RecordBy",
    "Multidomains": "MultiDomains",
    "Servergroup": "ServerGroup",
    "Billingarea": "BillingArea",
    "DMSprotection": "DmsProtection",
    "Updatetimecontrol": "UpdateTimeControl",
    "Querytimecontrol": "QueryTimeControl",
    "Updatesourceverificationconfig": "UpdateSourceVerificationConfig",
    "Querysourceverificationconfig": "QuerySourceVerificationConfig",
    "Getbotrequestuseragent": "GetBotRequestUserAgent",
    "Topdata": "TopData",
    "Edgereport": "EdgeReport",
    "Province1min": "Province_1min",
}
_SPELLING = re.compile("|".join(sorted(map(re.escape, WORD_SPELLINGS), key=len, reverse=True)))


def method_case(name: str) -> str:
    """The snake_case of an action name for a method or command: `snake_case` after
    `WORD_SPELLINGS` (``QueryP2PBandwidth`` -> ``query_p2p_bandwidth``, not ``query_p2_p_...``).

    Digits stay with the word before them (``Top10Url`` -> ``top10_url``). Only action names
    use this rule: field names keep `snake_case`, which their keyword arguments already use.
    """
    return snake_case(_SPELLING.sub(lambda m: WORD_SPELLINGS[m.group(0)], name))


@dataclass(frozen=True)
class Product:
    """What a product plugin registers: its actions and its client classes."""

    name: str
    actions: tuple[Action[Any, Any], ...]
    client: type | None = None
    async_client: type | None = None
    summary: str = ""
    version: str = ""
    #: Client methods beyond the actions that tools (the CLI) may expose, such as waiters and
    #: iterators: their signatures and docstrings describe them.
    commands: tuple[str, ...] = ()
    #: The product's official API documentation.
    docs_url: str = ""

    def action(self, name: str) -> Action[Any, Any]:
        for action in self.actions:
            if action.name == name:
                return action
        known = ", ".join(a.name for a in self.actions)
        raise KeyError(f"product {self.name!r} has no action {name!r} (it has: {known})")


def as_flag(value: Any, on: str, off: str) -> Any:
    """A bool as the API's flag text; text in any case as the API spells it; others as given."""
    if isinstance(value, bool):
        return on if value else off
    if isinstance(value, str):
        for text in (on, off):
            if value.upper() == text.upper():
                return text
        if value.lower() in ("true", "false"):
            return on if value.lower() == "true" else off
    return value


_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
#: The ``Meta(extra=...)`` key marking a text field that holds a whole number (spec fact
#: ``int_text``): tools that make up values (the emulator's samples) give it digits.
INT_TEXT = "int_text"


def as_int_text(value: Any, field: str | None = None, action: str | None = None) -> Any:
    """A whole number the API types as text: an ``int`` as its decimal text, text that is a
    whole number as it is; other text is a `ValidationError` naming ``field``. Other values
    are returned as given (the model's type check refuses them)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value) is None:
        raise ValidationError(
            f"must be a whole number (an int or its text), got {value!r}",
            field=field,
            action=action,
        )
    return value
