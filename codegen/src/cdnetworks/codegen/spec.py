"""The product spec: the facts of a product's API, as data the project owns.

A product folder holds ``spec/api.json`` (facts, written by ``cdnetworks-codegen import-go`` or by
hand) and ``spec/overrides.json`` (reviewed knowledge no import can supply: corrections of
upstream defects, our own summaries, paging, waiters, Python conveniences). The importer only
ever writes ``api.json``; the generator reads both, merges them (`merge`) and writes the package.

The JSON schema of both files is ``codegen/spec.schema.json``, derived from these classes
(``cdnetworks-codegen schema``).

Type expressions (``Field.type``): ``str``, ``int``, ``float``, ``bool``, ``any``, the name of a
type declared in ``types``, ``list[T]`` and ``map[T]`` (an object with text keys).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Location = Literal["body", "query", "path", "header"]
BodyKind = Literal["json", "text", "bytes", "none"]
Scalar = str | int | float | bool


class _Data(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """Spec records: unknown keys are refused, so a typo in a spec fails loudly."""


class Field(_Data, kw_only=True):
    """One field: of a request (with its location), a response, a nested type or a header."""

    wire: str
    type: str
    #: The Python name; by default the snake_case of ``wire``.
    name: str | None = None
    #: Where a request field travels. Response and nested-type fields ignore it.
    location: Location = msgspec.field(default="body", name="in")
    required: bool = False
    enum: list[str | int] | None = None
    default: Scalar | None = None
    example: Any = None
    #: Length bounds of text or lists.
    min_length: int | None = None
    max_length: int | None = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    lt: float | None = None
    pattern: str | None = None
    #: Our own words (never the vendor's prose); shown in help and reference pages.
    description: str | None = None
    #: The wire texts of True and False for a flag the API types as text (``["ON", "OFF"]``):
    #: Python callers pass a bool (or the text itself).
    flag: list[str] | None = None
    #: A whole number the API types as text (``"20"``): Python callers pass an ``int`` (or
    #: the text of one); other text is refused before sending; the wire keeps the text.
    #: Request fields of type ``str`` only (a response field is retyped ``int`` with
    #: ``lenient_number`` instead).
    int_text: bool = False
    #: A list that callers may also give as comma-separated text.
    csv: bool = False
    #: The name of the ``Literal`` alias of ``enum`` (shared by fields naming the same alias).
    enum_name: str | None = None
    #: Response fields: a missing object decodes as an empty one rather than ``None``.
    empty_default: bool = False
    #: Response fields of type ``int`` or ``int | float`` that the service may also send as
    #: text: numeric text decodes as a number (natively, with no per-object hook), other text
    #: (and, for an ``int``, text of a fraction) is kept as it is.
    lenient_number: bool = False


class TypeDef(_Data, kw_only=True):
    """A named object type, shared by every field that refers to it."""

    fields: list[Field] = msgspec.field(default_factory=list)
    description: str | None = None
    #: ``module:function`` (relative to the product package) run by the model's
    #: ``__post_init__``: hand-written cross-field checks or conversions.
    post_init: str | None = None


class Envelope(_Data, kw_only=True):
    """How a response says whether the call succeeded.

    ``code``/``message`` are the wire names of those fields (``None``: the body has no code,
    e.g. a bare payload); ``success`` lists the code values meaning success, compared as text
    (an integer code ``0`` matches ``"0"``; a code of any other JSON type is a failure).
    """

    code: str | None = "code"
    message: str | None = "message"
    success: list[str] = msgspec.field(default_factory=lambda: ["0"])


class Response(_Data, kw_only=True):
    """What an action answers: a JSON body of ``type``, or text, bytes or nothing."""

    type: str | None = None
    body: BodyKind = "json"
    #: Response headers the result carries as fields (e.g. ``Location``).
    headers: list[Field] = msgspec.field(default_factory=list)
    #: ``None``: the product's envelope.
    envelope: Envelope | None = None


class Paging(_Data, kw_only=True):
    """How an action pages; the generator adds an ``iter_*`` method walking every page.

    ``marker`` style: the next request's ``marker`` field is the ``marker_from`` field of the
    last item, and a short page is the last. ``page`` style: ``page`` counts from
    ``first_page``; the walk stops at a short page or when ``total`` items were seen.
    ``items`` is the dotted Python path of the list in the response.
    """

    style: Literal["marker", "page"]
    method: str
    #: What the declaration corrects or why it is so (reviewers read it; nothing else does).
    why: str | None = None
    items: str
    page_size: str
    default_page_size: int = 20
    marker: str | None = None
    marker_from: str | None = None
    page: str | None = None
    first_page: int = 1
    total: str | None = None
    #: Export a walk class of this name (the sans-I/O paging state machine) from the package.
    walk_class: str | None = None


class Waiter(_Data, kw_only=True):
    """A client method that polls ``action`` until items reach a final state.

    The request is built from the method's first argument (``subject``) put in the request field
    ``subject_field`` (as a one-item list when ``subject_list``). The polled items are at the
    dotted path ``items`` of the response, identified by their ``key`` field, with their state
    in ``state``. ``returns="item"`` waits for the one item whose key is the subject and returns
    it; ``returns="states"`` waits for every item (or those named in ``keys_param``) and returns
    ``{key: state}``. A final state is one of ``success`` or ``failure`` (compared ignoring
    case); the wait fails once every awaited item is final and any failed.
    """

    method: str
    action: str
    why: str | None = None
    subject: str
    subject_field: str
    subject_list: bool = False
    items: str
    key: str
    state: str
    returns: Literal["item", "states"] = "states"
    keys_param: str | None = None
    success: list[str]
    failure: list[str] = msgspec.field(default_factory=list)
    success_param: str = "done_states"
    failure_param: str = "failed_states"
    timeout: float = 600.0
    poll_interval: float = 5.0
    max_interval: float = 60.0
    #: Words for messages: ``label`` names what is waited for ("image", "purge task"),
    #: ``item_label`` one polled item ("node", "URL").
    label: str
    item_label: str = "item"
    #: After how many answers in a row without the item a single-item waiter fails.
    missing_polls: int = 3
    #: Cheap following of a whole task (``returns="states"``): the response's Python attribute
    #: counting the matching entries, and the request field filtering them by state.
    count: str | None = None
    state_filter: str | None = None
    #: Export the default final states under these names (``PREHEATING_DONE_STATES``).
    success_constant: str | None = None
    failure_constant: str | None = None
    #: Our own words for the method's docstring (paragraphs).
    doc: str | None = None


class BatchItem(_Data, kw_only=True):
    """One batched list field of an action (its wire name) and the rules of its items."""

    field: str
    #: What an item is called in reports: ``url``, ``dir`` or ``pattern``.
    kind: str
    max_length: int | None = None
    #: An item must start with one of these (``http://``, ``https://``), when given.
    schemes: list[str] = msgspec.field(default_factory=list)
    ends_with: str | None = None
    #: The daily quota kind the items spend (``purge_urls``, ``purge_dirs``,
    #: ``regex_patterns``, ``prefetch_urls``).
    quota: str | None = None
    #: The most items of this field alone in one call.
    max_items: int | None = None


class BatchQuota(_Data, kw_only=True):
    """Where today's quota of the items is read: ``action`` (``Product.Action`` for another
    product's), and per quota kind the response's Python attribute holding what remains."""

    action: str
    remaining: dict[str, str] = msgspec.field(default_factory=dict)
    #: The documented daily quotas of a fresh account (the emulator starts there).
    daily: dict[str, int] = msgspec.field(default_factory=dict)


class Batch(_Data, kw_only=True):
    """Per-call limits of a batched action (reviewed facts: ``why`` cites where they come
    from). Every call is checked against them before it is sent, and jobs plan by them."""

    why: str | None = None
    items: list[BatchItem]
    #: The most items of every field together in one call; ``None``: the facts state none.
    max_items: int | None = None
    quota: BatchQuota | None = None
    #: The action reporting the items' states, by item id (for jobs and waiters).
    status: str | None = None
    #: Items a call needs in all: 0 where an empty list means "all" (report filters).
    min_items: int = 1


class Job(_Data, kw_only=True):
    """A client method running many targets through a batched action as one job (sync and
    async twins, returning a ``JobReport``). ``params`` maps each argument to the wire name of
    the batched field it fills; ``batch_size`` applies when the action declares no limit."""

    method: str
    action: str
    why: str | None = None
    params: dict[str, str]
    label: str
    batch_size: int = 100
    #: Our own words for the method's docstring (paragraphs).
    doc: str | None = None


class Action(_Data, kw_only=True):
    """One API action: HTTP method, path template (``{wire}`` placeholders), fields, answer."""

    name: str
    method: str
    path: str
    request: list[Field] = msgspec.field(default_factory=list)
    response: Response = msgspec.field(default_factory=Response)
    #: ``None``: decided by the method (GET, HEAD, PUT, DELETE, OPTIONS are idempotent).
    idempotent: bool | None = None
    #: Our own one-line summary (overrides); reference pages fall back to method and path.
    summary: str | None = None
    #: More of our own words for the method's docstring.
    doc: str | None = None
    paging: Paging | None = None
    batch: Batch | None = None


class Uncovered(_Data, kw_only=True):
    """An action the source lists but the import could not model (no model upstream)."""

    #: The name as the source writes it (``Updatedomainsrcinfo``).
    name: str
    method: str
    #: The path as the source writes it (a ``*`` for each path parameter).
    path: str
    why: str


class Spec(_Data, kw_only=True):
    """The facts of one product."""

    product: str
    #: The Go SDK's package name, when the product comes from it.
    go_package: str | None = None
    #: The envelope of actions that declare none.
    envelope: Envelope | None = None
    actions: list[Action] = msgspec.field(default_factory=list)
    types: dict[str, TypeDef] = msgspec.field(default_factory=dict)
    #: Actions listed upstream that are not modelled: shown in the docs, callable with
    #: ``Client.invoke``.
    not_covered: list[Uncovered] = msgspec.field(default_factory=list)


# --- overrides -------------------------------------------------------------------------------


class FieldPatch(_Data, kw_only=True):
    """Changes to one field, found by its wire name. ``why`` says what it corrects."""

    why: str | None = None
    remove: bool = False
    wire: str | None = None
    type: str | None = None
    name: str | None = None
    location: Location | None = msgspec.field(default=None, name="in")
    required: bool | None = None
    enum: list[str | int] | None = None
    default: Scalar | None = None
    example: Any = None
    min_length: int | None = None
    max_length: int | None = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    lt: float | None = None
    pattern: str | None = None
    description: str | None = None
    flag: list[str] | None = None
    int_text: bool | None = None
    csv: bool | None = None
    enum_name: str | None = None
    empty_default: bool | None = None
    lenient_number: bool | None = None


class TypePatch(_Data, kw_only=True):
    """Changes to a type: rename it, patch, add or reorder fields, or replace it whole."""

    why: str | None = None
    rename: str | None = None
    replace: TypeDef | None = None
    fields: dict[str, FieldPatch] = msgspec.field(default_factory=dict)
    add: list[Field] = msgspec.field(default_factory=list)
    order: list[str] | None = None
    description: str | None = None
    post_init: str | None = None


class ResponsePatch(_Data, kw_only=True):
    why: str | None = None
    type: str | None = None
    body: BodyKind | None = None
    headers: list[Field] | None = None
    envelope: Envelope | None = None


class ActionPatch(_Data, kw_only=True):
    """Changes to one action, found by its name in ``api.json``."""

    why: str | None = None
    #: Skip the action, saying why (it stays listed in the docs as not covered).
    skip: str | None = None
    method: str | None = None
    path: str | None = None
    idempotent: bool | None = None
    summary: str | None = None
    doc: str | None = None
    fields: dict[str, FieldPatch] = msgspec.field(default_factory=dict)
    add: list[Field] = msgspec.field(default_factory=list)
    order: list[str] | None = None
    response: ResponsePatch | None = None
    paging: Paging | None = None
    batch: Batch | None = None


class Export(_Data, kw_only=True):
    """Names a hand-written module of the package exports through the package's ``__init__``."""

    module: str
    names: list[str]


class Overrides(_Data, kw_only=True):
    """Reviewed knowledge of one product, kept apart from imported facts."""

    #: One line of our own describing the product (default: derived from the facts).
    summary: str | None = None
    #: The product's real name, in words ("CA certificate management"): page titles, the
    #: default summary and the client classes (``CaCertificateManagementClient``) derive from it.
    title: str | None = None
    version: str = "0.1.0"
    #: The first release that published the product (``"0.1.0"``); ``None`` while unreleased.
    #: Deprecation shims are generated only for names a release published.
    released: str | None = None
    #: The official API documentation of the product.
    docs_url: str | None = None
    #: How the product's name is spelt correctly, where the Go package misspells it: the name
    #: is kept (Go users look for it) and its pages say so.
    spelling: str | None = None
    envelope: Envelope | None = None
    #: Class names of the clients (default: the title's words, ``<Title>Client`` and
    #: ``Async<Title>Client``).
    client: str | None = None
    async_client: str | None = None
    #: The ``Product`` constant exported by the package (default: the product name upper-cased).
    constant: str | None = None
    keywords: list[str] = msgspec.field(default_factory=list)
    #: README rows whose name differs from their model's (a rename or a typo upstream): the
    #: row's name (without a ``(suffix)``, any case) -> the Go model's action name, which the
    #: action keeps. ``import-go`` reads this (and nothing else of the overrides) to pair them.
    rows: dict[str, str] = msgspec.field(default_factory=dict)
    actions: dict[str, ActionPatch] = msgspec.field(default_factory=dict)
    types: dict[str, TypePatch] = msgspec.field(default_factory=dict)
    waiters: list[Waiter] = msgspec.field(default_factory=list)
    jobs: list[Job] = msgspec.field(default_factory=list)
    #: ``module:factory`` (relative to the package) of a stateful emulated service; by default
    #: the core's generic emulation of every action.
    emulator: str | None = None
    exports: list[Export] = msgspec.field(default_factory=list)
    #: Our own words opening the package's docstring and README (markdown).
    intro: str | None = None
    #: A runnable Python sample for the README (the docs tests run it against the emulator);
    #: by default one calling an action that needs no argument, if there is one.
    example: str | None = None


def schema() -> dict[str, Any]:
    """The JSON schema of ``api.json`` and ``overrides.json``."""
    (api, overrides), components = msgspec.json.schema_components([Spec, Overrides])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "CDNetworks SDK product spec",
        "oneOf": [api, overrides],
        "$defs": components,
    }
