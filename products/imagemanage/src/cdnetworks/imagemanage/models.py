"""Request and response models of the five image-management actions.

Attributes are the snake_case of the wire names (``min_disk`` <-> ``minDisk``); fields are
declared in the order of the official Go SDK's models. Enumerations are ``Literal`` types and
every field carries a ``Meta`` description, so the CLI and the docs read choices and help with
``msgspec.inspect`` or ``msgspec.json.schema``.

Request models check what the API documents before anything is sent; a violation raises
`cdnetworks.core.ValidationError` naming the field. Response models are lenient where the
sources are loose (unknown fields ignored, unknown enum values kept as strings, ``size`` as a
number or a numeric string) and strict where it matters (a create response without an id).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from cdnetworks.core import RequestModel, ResponseModel, ValidationError

ImageType = Literal["COMMON", "SNAPSHOT", "CUSTOM"]
ImageState = Literal["ACTIVE", "BUILDING", "INACTIVE"]
SortKey = Literal["name", "createdAt", "type", "size", "state"]
SortDir = Literal["asc", "desc"]
OsType = Literal["windows", "linux"]
Flag = Literal["TRUE", "FALSE"]

IMAGE_TYPES: tuple[str, ...] = get_args(ImageType)
IMAGE_STATES: tuple[str, ...] = get_args(ImageState)
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
MAX_IDS = 100

_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
#: Request fields that are lists on the wire but also take comma-separated text in Python.
_LIST_FIELDS = ("sort_key", "ids")


def _not_blank(field: str, value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be empty or blank", field=field)


def _as_list(value: Any) -> Any:
    return value.split(",") if isinstance(value, str) else value


def _as_flag(value: Any) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value.upper() if isinstance(value, str) else value


def convenient(**arguments: Any) -> dict[str, Any]:
    """Python conveniences over the wire types, applied to keyword arguments before validation.

    ``sort_key`` and ``ids`` take comma-separated text as well as a list; ``qga_enabled`` takes
    a bool (or ``"true"``) for the API's ``"TRUE"``/``"FALSE"``. Unset (``None``) arguments are
    dropped. Request models built directly get the same through ``__post_init__``.
    """
    out = {k: v for k, v in arguments.items() if v is not None}
    for name in _LIST_FIELDS:
        if name in out:
            out[name] = _as_list(out[name])
    if "qga_enabled" in out:
        out["qga_enabled"] = _as_flag(out["qga_enabled"])
    return out


class _Item(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of objects nested in responses: camelCase wire, unknown fields ignored."""


# --- VMPQueryImage: GET /vmp/images -----------------------------------------------------------


class VMPQueryImageRequest(RequestModel):
    """Filters, sorting and paging of `VMP_QUERY_IMAGE`.

    Several ``sort_key`` values go on the wire as one comma-separated ``sortKey``, the form the
    API uses for ``ids`` (the Go SDK types ``sortKey`` as a single string); ``ids`` likewise, at
    most 100. Both take a list or comma-separated text.
    """

    sort_key: (
        Annotated[
            list[SortKey],
            Meta(
                min_length=1,
                description="Field(s) to sort by; several are sent comma-separated in one sortKey",
            ),
        ]
        | None
    ) = None
    sort_dir: (
        Annotated[SortDir, Meta(description="Sort direction, only with sort_key (default desc)")]
        | None
    ) = None
    limit: (
        Annotated[
            int, Meta(ge=1, description="Page size: images per page (the API's default is 20)")
        ]
        | None
    ) = None
    marker: (
        Annotated[str, Meta(description="List the images after the image with this id")] | None
    ) = None
    ids: (
        Annotated[
            list[str],
            Meta(min_length=1, max_length=MAX_IDS, description="Image ids to fetch, at most 100"),
        ]
        | None
    ) = None
    name: Annotated[str, Meta(description="Image name")] | None = None
    type: (
        Annotated[
            ImageType,
            Meta(description="Owner: COMMON (official), SNAPSHOT (from a VM), CUSTOM (user's)"),
        ]
        | None
    ) = None
    state: (
        Annotated[
            ImageState,
            Meta(description="ACTIVE (usable), BUILDING (being created), INACTIVE (unusable)"),
        ]
        | None
    ) = None

    def __post_init__(self) -> None:
        self.sort_key = _as_list(self.sort_key)
        self.ids = _as_list(self.ids)
        if self.sort_key is not None and len(set(self.sort_key)) != len(self.sort_key):
            raise ValidationError("names a key twice", field="sort_key")
        if self.sort_dir is not None and self.sort_key is None:
            raise ValidationError("must come with sort_key", field="sort_dir")
        for image_id in self.ids or ():
            _not_blank("ids", image_id)


class Image(_Item):
    """One image of a listing. ``type`` and ``state`` stay strings, so new values decode.

    ``size`` is in GB; the service may send it as a number or as numeric text, and either way
    it arrives here as an ``int`` or ``float`` (text that is not a number is kept as it is).
    """

    id: Annotated[str, Meta(description="Image id, globally unique")]
    name: Annotated[str, Meta(description="Image name")] | None = None
    type: Annotated[str, Meta(description="Owner: COMMON, SNAPSHOT or CUSTOM")] | None = None
    created_at: (
        Annotated[str, Meta(description="Creation time, e.g. 2017-11-04 14:17:41")] | None
    ) = None
    size: Annotated[int | float | str, Meta(description="Size in GB")] | None = None
    state: Annotated[str, Meta(description="ACTIVE, BUILDING or INACTIVE")] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.size, str):
            try:
                number = float(self.size)
            except ValueError:
                return
            self.size = int(number) if number.is_integer() else number


class VMPQueryImageResponse(ResponseModel):
    """One page of images."""

    images: Annotated[list[Image], Meta(description="The images of this page")] = msgspec.field(
        default_factory=list
    )


# --- VMPCreateImage: POST /vmp/images ---------------------------------------------------------


class VMPCreateImageRequest(RequestModel):
    """Make an image from a VM's system disk (``instance_uuid``) or from a file (``image_src_url``).

    Exactly one of the two; ``md5`` only with a URL; ``ostype`` required with a URL.
    ``qga_enabled`` is the API's ``"TRUE"``/``"FALSE"`` text; the client methods (and this
    model's constructor) also take a bool.
    """

    name: Annotated[str, Meta(description="Image name")]
    instance_uuid: (
        Annotated[str, Meta(description="VM to snapshot; exactly one of this and image_src_url")]
        | None
    ) = None
    image_src_url: (
        Annotated[
            str,
            Meta(description="http(s) URL of an image file; exactly one of this and instance_uuid"),
        ]
        | None
    ) = None
    md5: (
        Annotated[
            str, Meta(description="MD5 of the image file (32 hex digits); only with image_src_url")
        ]
        | None
    ) = None
    ostype: (
        Annotated[OsType, Meta(description="Operating system, required with image_src_url")] | None
    ) = None
    min_disk: (
        Annotated[
            int,
            Meta(gt=0, description="Minimum system disk in GB for VMs created from the image"),
        ]
        | None
    ) = None
    qga_enabled: (
        Annotated[
            Flag,
            Meta(
                description="Whether the image runs the QEMU guest agent (needed for password "
                "reset)"
            ),
        ]
        | None
    ) = None

    def __post_init__(self) -> None:
        self.qga_enabled = _as_flag(self.qga_enabled)
        _not_blank("name", self.name)
        if self.instance_uuid is not None:
            _not_blank("instance_uuid", self.instance_uuid)
        if (self.instance_uuid is None) == (self.image_src_url is None):
            raise ValidationError(
                "give exactly one of instance_uuid (a VM to snapshot) and image_src_url "
                "(an image file)",
                field="instance_uuid" if self.instance_uuid is not None else "image_src_url",
            )
        if self.image_src_url is not None:
            url = urlsplit(self.image_src_url)
            if url.scheme not in ("http", "https") or not url.netloc:
                raise ValidationError(
                    f"{self.image_src_url!r} is not an http(s) URL", field="image_src_url"
                )
            if self.ostype is None:
                raise ValidationError(
                    "is required with image_src_url (windows or linux)", field="ostype"
                )
        if self.md5 is not None:
            if self.image_src_url is None:
                raise ValidationError("goes only with image_src_url", field="md5")
            if not _MD5.match(self.md5):
                raise ValidationError("must be 32 hexadecimal digits", field="md5")


class VMPCreateImageResponse(ResponseModel):
    """The new image's id; the image then goes BUILDING -> ACTIVE (or INACTIVE)."""

    id: Annotated[str, Meta(min_length=1, description="The new image's id")]


# --- VMPRemoveImage: DELETE /vmp/images/{imageId} ---------------------------------------------


class VMPRemoveImageRequest(RequestModel):
    """The image to delete: sent in the path and, as the Go SDK does, as the JSON body."""

    image_id: Annotated[str, Meta(description="Id of one of your own custom images")]


class VMPRemoveImageResponse(ResponseModel):
    """An empty answer: only the request id."""


# --- DeployVmpImagePreheating: PUT /vmp/images/preHeating -------------------------------------


class DeployVmpImagePreheatingRequest(RequestModel):
    """Start pre-warming a private image onto edge nodes.

    ``node_names`` must be non-empty without blank names; repeated names are sent once, in the
    order first given (pre-warming a node twice in one call means nothing more).
    """

    image_id: Annotated[str, Meta(description="Image id")]
    node_names: Annotated[
        list[str], Meta(min_length=1, description="Edge nodes to pre-warm the image on")
    ]

    def __post_init__(self) -> None:
        _not_blank("image_id", self.image_id)
        for node in self.node_names:
            _not_blank("node_names", node)
        self.node_names = list(dict.fromkeys(self.node_names))


class DeployVmpImagePreheatingResponse(ResponseModel):
    """The envelope: ``code`` ``"0"`` is success (a failing code raises before you get here)."""

    code: Annotated[str | int, Meta(description="Response code; 0 is success")] | None = None
    message: Annotated[str, Meta(description="Message")] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.code, int):
            self.code = str(self.code)


# --- QueryVmpImagePreheatingState: GET /vmp/images/preHeatingInfo/{id} ------------------------


class QueryVmpImagePreheatingStateRequest(RequestModel):
    """The image whose pre-warming to report; goes in the path as ``{id}``."""

    image_id: Annotated[str, Meta(description="Image id")] = msgspec.field(name="id")


class PreHeatingInfo(_Item):
    """Pre-warming state of one node. The API lists no state values: ``state`` is open text."""

    node_name: Annotated[str, Meta(description="Edge node name")]
    state: Annotated[str, Meta(description="Pre-warming state on this node")] | None = None


class PreheatingStateData(_Item):
    pre_heating_info: Annotated[list[PreHeatingInfo], Meta(description="Per-node states")] = (
        msgspec.field(default_factory=list)
    )


class QueryVmpImagePreheatingStateResponse(DeployVmpImagePreheatingResponse):
    """``data.pre_heating_info``: the per-node states."""

    data: Annotated[PreheatingStateData, Meta(description="Response data")] = msgspec.field(
        default_factory=PreheatingStateData
    )
