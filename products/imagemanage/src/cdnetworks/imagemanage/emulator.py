"""The image-management service (edge VMP images) as the emulator serves it, at the wire level.

Behaviour follows the API facts: the platform's public COMMON images are seeded; a created image
is BUILDING and turns ACTIVE ``build_seconds`` later (INACTIVE when its source was marked broken
with `ImageManageService.mark_broken`); only an account's own images can be removed;
listing filters by ``ids`` (at most 100), ``name`` (exact), ``type`` and ``state``, sorts by
``sortKey``/``sortDir`` and pages with ``marker``; pre-warming runs per node through
``WAITING`` -> ``PREHEATING`` -> ``SUCCESS`` (or ``FAILED`` on a node marked broken), node *i* of a
request finishing ``(i + 2) * preheat_step_seconds`` after it started.

The two pre-warming actions answer in the ``{code, message, data}`` envelope, and refuse with a
2xx whose ``code`` is not ``"0"``, as the service's envelope actions do; the other actions answer
errors with 4xx and ``{code, message}``. It depends only on the core, not on the product's models.

Registered for discovery as::

    [project.entry-points."cdnetworks.emulators"]
    imagemanage = "cdnetworks.imagemanage.emulator:ImageManageService"
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cdnetworks.core.emulator import EmulatorRequest, EmulatorService, Route, ServiceError

TYPES = ("COMMON", "SNAPSHOT", "CUSTOM")
STATES = ("ACTIVE", "BUILDING", "INACTIVE")
SORT_KEYS = ("name", "createdAt", "type", "size", "state")
PREHEAT_STATES = ("WAITING", "PREHEATING", "SUCCESS", "FAILED")
MAX_IDS = 100
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000

#: (name, OS type, size in GB) of the platform's public images.
PUBLIC_IMAGES: tuple[tuple[str, str, int], ...] = (
    ("CentOS 7.9 64bit", "linux", 20),
    ("CentOS Stream 9 64bit", "linux", 20),
    ("Rocky Linux 9.3 64bit", "linux", 20),
    ("AlmaLinux 9.3 64bit", "linux", 20),
    ("Ubuntu 20.04 LTS 64bit", "linux", 20),
    ("Ubuntu 22.04 LTS 64bit", "linux", 20),
    ("Ubuntu 24.04 LTS 64bit", "linux", 30),
    ("Debian 11 64bit", "linux", 20),
    ("Debian 12 64bit", "linux", 20),
    ("Windows Server 2016 Datacenter 64bit", "windows", 50),
    ("Windows Server 2019 Datacenter 64bit", "windows", 50),
    ("Windows Server 2022 Datacenter 64bit", "windows", 60),
)
_SEED_EPOCH = 1672531200  # 2023-01-01 00:00:00 UTC: seeded images date from 2023-2024
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


def _bad(message: str) -> ServiceError:
    return ServiceError(400, "InvalidParameter", message)


class _Refused(Exception):
    """A business refusal of an envelope action: HTTP 200 with a non-"0" code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class _Image:
    id: str
    name: str
    type: str
    owner: str | None  # None: a public image of the platform
    created_at: float
    size: int
    ready_at: float
    final_state: str
    os_type: str
    source: str = ""

    def state(self, now: float) -> str:
        return self.final_state if now >= self.ready_at else "BUILDING"

    def wire(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "createdAt": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.created_at)),
            # The Go model types size as a string; the service sends it as numeric text.
            "size": str(self.size),
            "state": self.state(now),
        }


@dataclass
class _NodeJob:
    node: str
    started_at: float
    done_after: float  # seconds from start to the final state
    waiting_for: float
    fails: bool

    def state(self, now: float) -> str:
        elapsed = now - self.started_at
        if elapsed < self.waiting_for:
            return "WAITING"
        if elapsed < self.done_after:
            return "PREHEATING"
        return "FAILED" if self.fails else "SUCCESS"


@dataclass
class _Account:
    images: dict[str, _Image] = field(default_factory=dict)


class ImageManageService(EmulatorService):
    """Emulates ``/vmp/images``: five actions, per-account images, public images, pre-warming.

    ``build_seconds``: how long a new image stays BUILDING. ``preheat_step_seconds``: the pace of
    pre-warming (see the module docstring). ``public_images``: how many of the platform's public
    images to seed (at most ``len(PUBLIC_IMAGES)``).
    """

    name = "imagemanage"

    def __init__(
        self,
        *,
        build_seconds: float = 2.0,
        preheat_step_seconds: float = 1.0,
        public_images: int = len(PUBLIC_IMAGES),
    ) -> None:
        super().__init__()
        if build_seconds < 0 or preheat_step_seconds < 0:
            raise ValueError("build_seconds and preheat_step_seconds must not be negative")
        self.build_seconds = build_seconds
        self.preheat_step_seconds = preheat_step_seconds
        self.public_image_count = min(public_images, len(PUBLIC_IMAGES))
        self._broken_sources: set[str] = set()
        self._broken_nodes: set[str] = set()
        self._public: dict[str, _Image] = {}
        self._accounts: dict[str, _Account] = {}
        self._preheating: dict[str, list[_NodeJob]] = {}

    # -- test controls ------------------------------------------------------------------------

    def mark_broken(self, source: str) -> None:
        """Images created from this ``imageSrcUrl`` (or ``instanceUuid``) end INACTIVE."""
        self._broken_sources.add(source)

    def mark_node_broken(self, node_name: str) -> None:
        """Pre-warming on this node ends FAILED."""
        self._broken_nodes.add(node_name)

    def public_image_ids(self) -> list[str]:
        return list(self._public)

    def reset(self) -> None:
        rng = self.context.rng
        self._public = {}
        self._accounts = {}
        self._preheating = {}
        self._broken_sources = set()
        self._broken_nodes = set()
        for name, os_type, size in PUBLIC_IMAGES[: self.public_image_count]:
            created = _SEED_EPOCH + rng.randrange(0, 540 * 86400)
            image = _Image(
                id=self._new_id(),
                name=name,
                type="COMMON",
                owner=None,
                created_at=created,
                size=size,
                ready_at=created,
                final_state="ACTIVE",
                os_type=os_type,
            )
            self._public[image.id] = image

    def routes(self) -> Sequence[Route]:
        return (
            Route("GET", "/vmp/images", self.query_images, name="VMPQueryImage"),
            Route("POST", "/vmp/images", self.create_image, name="VMPCreateImage"),
            Route("DELETE", "/vmp/images/{imageId}", self.remove_image, name="VMPRemoveImage"),
            Route(
                "PUT",
                "/vmp/images/preHeating",
                self.deploy_preheating,
                name="DeployVmpImagePreheating",
            ),
            Route(
                "GET",
                "/vmp/images/preHeatingInfo/{id}",
                self.query_preheating_state,
                name="QueryVmpImagePreheatingState",
            ),
        )

    # -- helpers ------------------------------------------------------------------------------

    def _new_id(self) -> str:
        rng = self.context.rng
        while True:
            candidate = f"img-{rng.getrandbits(48):012x}"
            if candidate not in self._public and not any(
                candidate in a.images for a in self._accounts.values()
            ):
                return candidate

    def _own(self, account: str) -> _Account:
        return self._accounts.setdefault(account, _Account())

    def _visible(self, account: str) -> list[_Image]:
        return [*self._public.values(), *self._own(account).images.values()]

    def _find(self, account: str, image_id: str) -> _Image | None:
        return self._own(account).images.get(image_id) or self._public.get(image_id)

    # -- GET /vmp/images ----------------------------------------------------------------------

    def query_images(self, request: EmulatorRequest) -> dict[str, Any]:
        q = request.query
        now = self.now()
        limit = _int_param(q, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        images = self._visible(request.account)
        if q.get("ids"):
            ids = [i.strip() for i in q["ids"].split(",") if i.strip()]
            if len(ids) > MAX_IDS:
                raise _bad(f"ids accepts at most {MAX_IDS} image ids per call, got {len(ids)}")
            wanted = set(ids)
            images = [i for i in images if i.id in wanted]
        if "name" in q:
            images = [i for i in images if i.name == q["name"]]
        if "type" in q:
            _choice(q, "type", TYPES)
            images = [i for i in images if i.type == q["type"]]
        if "state" in q:
            _choice(q, "state", STATES)
            images = [i for i in images if i.state(now) == q["state"]]
        images = _sorted(images, q, now)
        marker = q.get("marker")
        if marker:
            positions = [n for n, image in enumerate(images) if image.id == marker]
            if not positions:
                raise _bad(f"marker {marker} is not an image of this listing")
            images = images[positions[0] + 1 :]
        return {"images": [image.wire(now) for image in images[:limit]]}

    # -- POST /vmp/images ---------------------------------------------------------------------

    def create_image(self, request: EmulatorRequest) -> dict[str, Any]:
        body = _object_body(request)
        name = _string(body, "name", required=True)
        assert name is not None
        if len(name) > 128:
            raise _bad("name must be at most 128 characters")
        instance = _string(body, "instanceUuid")
        url = _string(body, "imageSrcUrl")
        if (instance is None) == (url is None):
            raise _bad("give exactly one of instanceUuid and imageSrcUrl")
        ostype = _string(body, "ostype")
        if ostype is not None and ostype not in ("windows", "linux"):
            raise _bad(f"ostype must be windows or linux, got {ostype!r}")
        if url is not None:
            if not url.startswith(("http://", "https://")):
                raise _bad("imageSrcUrl must be an http(s) URL")
            if ostype is None:
                raise _bad("ostype is required with imageSrcUrl")
        md5 = _string(body, "md5")
        if md5 is not None and not _MD5.match(md5):
            raise _bad("md5 must be 32 hexadecimal digits")
        min_disk = body.get("minDisk")
        if min_disk is not None and (
            isinstance(min_disk, bool) or not isinstance(min_disk, int) or not 1 <= min_disk <= 2048
        ):
            raise _bad("minDisk must be an integer number of GB between 1 and 2048")
        qga = _string(body, "qgaEnabled")
        if qga is not None and qga not in ("TRUE", "FALSE"):
            raise _bad(f"qgaEnabled must be TRUE or FALSE, got {qga!r}")
        source = url if url is not None else str(instance)
        now = self.now()
        image = _Image(
            id=self._new_id(),
            name=name,
            type="CUSTOM" if url is not None else "SNAPSHOT",
            owner=request.account,
            created_at=now,
            size=min_disk if isinstance(min_disk, int) else self.context.rng.choice((20, 40)),
            ready_at=now + self.build_seconds,
            final_state="INACTIVE" if source in self._broken_sources else "ACTIVE",
            os_type=ostype or "linux",
            source=source,
        )
        self._own(request.account).images[image.id] = image
        return {"id": image.id}

    # -- DELETE /vmp/images/{imageId} -------------------------------------------------------------

    def remove_image(self, request: EmulatorRequest) -> dict[str, Any]:
        image_id = request.path_params["imageId"]
        body = request.json()
        if isinstance(body, dict) and body.get("imageId") not in (None, image_id):
            raise _bad("imageId in the body differs from the one in the path")
        if image_id in self._public:
            raise ServiceError(
                403,
                "OperationDenied",
                f"image {image_id} is a public image; only your own images can be removed",
            )
        own = self._own(request.account).images
        image = own.get(image_id)
        if image is None:
            raise ServiceError(404, "ImageNotFound", f"image {image_id} does not exist")
        if image.state(self.now()) == "BUILDING":
            raise ServiceError(
                409, "IncorrectImageState", f"image {image_id} is still being created"
            )
        del own[image_id]
        self._preheating.pop(image_id, None)
        return {}

    # -- PUT /vmp/images/preHeating ---------------------------------------------------------------

    def deploy_preheating(self, request: EmulatorRequest) -> dict[str, Any]:
        body = _object_body(request)
        image_id = _string(body, "imageId", required=True)
        assert image_id is not None
        nodes = body.get("nodeNames")
        if (
            not isinstance(nodes, list)
            or not nodes
            or not all(isinstance(n, str) and n.strip() for n in nodes)
        ):
            raise _bad("nodeNames is required: a non-empty list of node names")
        try:
            image = self._find(request.account, image_id)
            if image is None:
                raise _Refused("ImageNotFound", f"image {image_id} does not exist")
            if image.owner is None:
                raise _Refused(
                    "OperationDenied", f"image {image_id} is public; only private images pre-warm"
                )
            state = image.state(self.now())
            if state != "ACTIVE":
                raise _Refused(
                    "IncorrectImageState", f"image {image_id} is {state}; it must be ACTIVE"
                )
        except _Refused as refused:
            return {"code": refused.code, "message": refused.message}
        now = self.now()
        step = self.preheat_step_seconds
        jobs = {job.node: job for job in self._preheating.get(image_id, [])}
        for index, node in enumerate(dict.fromkeys(nodes)):
            jobs[node] = _NodeJob(
                node=node,
                started_at=now,
                waiting_for=step,
                done_after=(index + 2) * step,
                fails=node in self._broken_nodes,
            )
        self._preheating[image_id] = list(jobs.values())
        return {"code": "0", "message": "success"}

    # -- GET /vmp/images/preHeatingInfo/{id} ------------------------------------------------------

    def query_preheating_state(self, request: EmulatorRequest) -> dict[str, Any]:
        image_id = request.path_params["id"]
        if self._find(request.account, image_id) is None:
            return {"code": "ImageNotFound", "message": f"image {image_id} does not exist"}
        now = self.now()
        info = [
            {"nodeName": job.node, "state": job.state(now)}
            for job in self._preheating.get(image_id, [])
        ]
        return {"code": "0", "message": "success", "data": {"preHeatingInfo": info}}


# -- request parsing ----------------------------------------------------------------------------


def _object_body(request: EmulatorRequest) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


def _string(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise _bad(f"{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{key} must be a non-empty string")
    return value


def _int_param(q: dict[str, str], key: str, default: int, low: int, high: int) -> int:
    if key not in q:
        return default
    text = q[key]
    if not text.isdigit() or not low <= int(text) <= high:
        raise _bad(f"{key} must be an integer between {low} and {high}, got {text!r}")
    return int(text)


def _choice(q: dict[str, str], key: str, allowed: tuple[str, ...]) -> None:
    if q[key] not in allowed:
        raise _bad(f"{key} must be one of {', '.join(allowed)}, got {q[key]!r}")


def _sort_value(image: _Image, *, key: str, now: float) -> Any:
    if key == "createdAt":
        return image.created_at
    if key == "size":
        return image.size
    if key == "state":
        return image.state(now)
    return getattr(image, key)


def _sorted(images: list[_Image], q: dict[str, str], now: float) -> list[_Image]:
    keys = [k.strip() for k in q["sortKey"].split(",")] if q.get("sortKey") else []
    dirs = [d.strip().lower() for d in q["sortDir"].split(",")] if q.get("sortDir") else []
    if dirs and not keys:
        raise _bad("sortDir must follow sortKey")
    for key in keys:
        if key not in SORT_KEYS:
            raise _bad(f"sortKey must be one of {', '.join(SORT_KEYS)}, got {key!r}")
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise _bad(f"sortDir must be asc or desc, got {direction!r}")
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise _bad("give one sortDir for all sort keys, or one per sort key")
    if not keys:
        keys = ["createdAt"]
    directions = dirs * len(keys) if len(dirs) == 1 else dirs or ["desc"] * len(keys)
    # Stable sorts from the last key to the first; the id breaks ties so paging is stable.
    ordered = sorted(images, key=lambda i: i.id)
    for key, direction in reversed(list(zip(keys, directions, strict=True))):
        ordered.sort(
            key=functools.partial(_sort_value, key=key, now=now), reverse=direction == "desc"
        )
    return ordered
