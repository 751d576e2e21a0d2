"""``ImageManageClient`` and ``AsyncImageManageClient``: typed methods over the core clients.

Each method takes a request model or keyword arguments (the snake_case of the wire names) and
hands them to the core's one generic ``call``, which validates, signs, sends, retries and
decodes. Paging (`.paging`) and waiting (`.waiters`) are written once, free of I/O;
the two classes only differ in how they send a request and how they sleep.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx

from cdnetworks.core import AsyncClient, Client, ClientOptions, ConfigurationError

from ._version import __version__
from .actions import (
    DEPLOY_VMP_IMAGE_PREHEATING,
    QUERY_VMP_IMAGE_PREHEATING_STATE,
    VMP_CREATE_IMAGE,
    VMP_QUERY_IMAGE,
    VMP_REMOVE_IMAGE,
)
from .models import (
    DeployVmpImagePreheatingRequest,
    DeployVmpImagePreheatingResponse,
    Image,
    QueryVmpImagePreheatingStateRequest,
    QueryVmpImagePreheatingStateResponse,
    VMPCreateImageRequest,
    VMPCreateImageResponse,
    VMPQueryImageRequest,
    VMPQueryImageResponse,
    VMPRemoveImageRequest,
    VMPRemoveImageResponse,
    convenient,
)
from .paging import DEFAULT_PAGE_SIZE, ImageWalk
from .waiters import (
    IMAGE_FAILED_STATES,
    IMAGE_READY_STATES,
    PREHEATING_DONE_STATES,
    PREHEATING_FAILED_STATES,
    Pause,
    Progress,
    Schedule,
    Waiter,
    wait_for_image,
    wait_for_preheating,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

T = TypeVar("T")
CoreT = TypeVar("CoreT", Client, AsyncClient)


#: Appended to the core's ``User-Agent`` by clients this module builds.
USER_AGENT = f"cdnetworks-imagemanage/{__version__}"


def _with_http(settings: ClientOptions, **http: Any) -> Any:
    """The core client's keyword arguments: the options plus whichever of http_client and
    transport were given (so ``client=`` with either is refused like any other setting)."""
    return {**settings, **{k: v for k, v in http.items() if v is not None}}


def _core(kind: type[CoreT], client: CoreT | None, settings: Mapping[str, Any]) -> CoreT:
    """Adopt the given core client, or build one from the core's keyword arguments."""
    if client is None:
        # A client built here names the product and its version in the User-Agent, after the
        # core's; a caller's own suffix follows. (A shared core client is left as it is.)
        suffix = settings.get("user_agent_suffix")
        agent = f"{USER_AGENT} {suffix}" if suffix else USER_AGENT
        return kind(**{**settings, "user_agent_suffix": agent})
    if settings:
        raise ConfigurationError(
            f"pass client= or client settings ({', '.join(sorted(settings))}), not both"
        )
    if not isinstance(client, kind):
        raise ConfigurationError(
            f"client= must be a cdnetworks.core.{kind.__name__}, got {type(client).__name__}"
        )
    return client


def _ready(image: Image | None) -> Image:
    # The image waiter only finishes once it has seen the image in a ready state.
    assert image is not None
    return image


class ImageManageClient:
    """Synchronous client of the image-management actions.

    Build it with the core `Client`'s keyword arguments (credentials,
    ``endpoint``, ``timeout``, ``max_attempts``, ``plugins``, ``http_client``, ``transport``,
    ...), then it owns that client and closes it; or wrap an existing one with
    ``ImageManageClient(client=core_client)`` (what ``core_client.product("imagemanage")``
    does), which stays open. Use it as a context manager or call `close`.
    """

    def __init__(
        self,
        *,
        client: Client | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **settings: Unpack[ClientOptions],
    ) -> None:
        settings = _with_http(settings, http_client=http_client, transport=transport)
        self._owns_core = client is None
        #: The core client: use it for ``invoke``, ``metrics`` or ``plugin_manager``.
        self.core: Client = _core(Client, client, settings)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.core!r})"

    def close(self) -> None:
        if self._owns_core:
            self.core.close()

    def __enter__(self) -> ImageManageClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def vmp_query_image(
        self,
        request: VMPQueryImageRequest | None = None,
        /,
        *,
        sort_key: str | list[str] | None = None,
        sort_dir: str | None = None,
        limit: int | None = None,
        marker: str | None = None,
        ids: str | list[str] | None = None,
        name: str | None = None,
        type: str | None = None,
        state: str | None = None,
    ) -> VMPQueryImageResponse:
        """List one page of images (VMPQueryImage, ``GET /vmp/images``)."""
        return self.core.call(
            VMP_QUERY_IMAGE,
            request,
            **convenient(
                sort_key=sort_key,
                sort_dir=sort_dir,
                limit=limit,
                marker=marker,
                ids=ids,
                name=name,
                type=type,
                state=state,
            ),
        )

    def vmp_create_image(
        self,
        request: VMPCreateImageRequest | None = None,
        /,
        *,
        name: str | None = None,
        instance_uuid: str | None = None,
        image_src_url: str | None = None,
        md5: str | None = None,
        ostype: str | None = None,
        min_disk: int | None = None,
        qga_enabled: bool | str | None = None,
    ) -> VMPCreateImageResponse:
        """Create an image from a VM or a file URL (VMPCreateImage, ``POST /vmp/images``).

        Not idempotent: it is not retried once the request may have reached the server.
        """
        return self.core.call(
            VMP_CREATE_IMAGE,
            request,
            **convenient(
                name=name,
                instance_uuid=instance_uuid,
                image_src_url=image_src_url,
                md5=md5,
                ostype=ostype,
                min_disk=min_disk,
                qga_enabled=qga_enabled,
            ),
        )

    def vmp_remove_image(
        self, request: VMPRemoveImageRequest | None = None, /, *, image_id: str | None = None
    ) -> VMPRemoveImageResponse:
        """Delete one of your custom images (VMPRemoveImage, ``DELETE /vmp/images/{imageId}``)."""
        return self.core.call(VMP_REMOVE_IMAGE, request, **convenient(image_id=image_id))

    def deploy_vmp_image_preheating(
        self,
        request: DeployVmpImagePreheatingRequest | None = None,
        /,
        *,
        image_id: str | None = None,
        node_names: list[str] | None = None,
    ) -> DeployVmpImagePreheatingResponse:
        """Start pre-warming an image on edge nodes (DeployVmpImagePreheating)."""
        return self.core.call(
            DEPLOY_VMP_IMAGE_PREHEATING,
            request,
            **convenient(image_id=image_id, node_names=node_names),
        )

    def query_vmp_image_preheating_state(
        self,
        request: QueryVmpImagePreheatingStateRequest | None = None,
        /,
        *,
        image_id: str | None = None,
    ) -> QueryVmpImagePreheatingStateResponse:
        """Per-node pre-warming state of an image (QueryVmpImagePreheatingState)."""
        return self.core.call(
            QUERY_VMP_IMAGE_PREHEATING_STATE, request, **convenient(image_id=image_id)
        )

    def iter_images(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        sort_key: str | list[str] | None = None,
        sort_dir: str | None = None,
        marker: str | None = None,
        ids: str | list[str] | None = None,
        name: str | None = None,
        type: str | None = None,
        state: str | None = None,
    ) -> Iterator[Image]:
        """Every image matching the filters, page after page (``page_size`` per request).

        ``limit`` caps the number of images in total. Bad filters raise here, before any call.
        """
        walk = ImageWalk(
            convenient(
                sort_key=sort_key,
                sort_dir=sort_dir,
                marker=marker,
                ids=ids,
                name=name,
                type=type,
                state=state,
            ),
            page_size=page_size,
            limit=limit,
        )
        return self._walk(walk)

    def _walk(self, walk: ImageWalk) -> Iterator[Image]:
        while (request := walk.next_request()) is not None:
            yield from walk.feed(self.core.call(VMP_QUERY_IMAGE, request))

    def wait_for_image(
        self,
        image_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float = 5.0,
        max_interval: float = 60.0,
        backoff: float = 1.5,
        ready_states: Collection[str] = IMAGE_READY_STATES,
        failed_states: Collection[str] = IMAGE_FAILED_STATES,
        progress: Callable[[Progress[Image | None]], object] | None = None,
    ) -> Image:
        """Poll until the image is ACTIVE and return it.

        Fails with WaitFailedError as soon as the image is INACTIVE (see failed_states), and
        with WaitTimeoutError after timeout seconds. Polls start poll_interval seconds apart,
        the interval growing by the factor backoff up to max_interval. progress, if given, is
        called with a Progress after every poll.
        """
        schedule = Schedule(timeout, poll_interval, max_interval, backoff)
        return _ready(
            self._wait(
                wait_for_image(
                    image_id,
                    schedule=schedule,
                    ready_states=ready_states,
                    failed_states=failed_states,
                    progress=progress,
                )
            )
        )

    def wait_for_preheating(
        self,
        image_id: str,
        node_names: Collection[str] | None = None,
        *,
        timeout: float = 1800.0,
        poll_interval: float = 10.0,
        max_interval: float = 60.0,
        backoff: float = 1.5,
        done_states: Collection[str] = PREHEATING_DONE_STATES,
        failed_states: Collection[str] = PREHEATING_FAILED_STATES,
        progress: Callable[[Progress[Mapping[str, str | None]]], object] | None = None,
    ) -> Mapping[str, str | None]:
        """Poll until every node pre-warming the image is in a done or failed state.

        node_names: the nodes to wait for (default: every node the service reports). Returns
        {node_name: state}. When all are final and any failed, fails with WaitFailedError
        naming them; after timeout seconds, with WaitTimeoutError. The API lists no states:
        done_states and failed_states (any case) say which are final.
        """
        schedule = Schedule(timeout, poll_interval, max_interval, backoff)
        return self._wait(
            wait_for_preheating(
                image_id,
                node_names,
                schedule=schedule,
                done_states=done_states,
                failed_states=failed_states,
                progress=progress,
            )
        )

    def _wait(self, waiter: Waiter[T]) -> T:
        reply: Any = None
        try:
            while True:
                step = waiter.send(reply)
                if isinstance(step, Pause):
                    time.sleep(step.seconds)
                    reply = None
                else:
                    reply = self.core.call(step.action, step.request)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class AsyncImageManageClient:
    """Asynchronous client of the image-management actions (asyncio or trio).

    Built like `ImageManageClient`, with the core `AsyncClient`'s
    keyword arguments or ``client=``; use ``async with`` or ``await aclose()``.
    """

    def __init__(
        self,
        *,
        client: AsyncClient | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **settings: Unpack[ClientOptions],
    ) -> None:
        settings = _with_http(settings, http_client=http_client, transport=transport)
        self._owns_core = client is None
        #: The core async client: use it for ``invoke``, ``metrics`` or ``plugin_manager``.
        self.core: AsyncClient = _core(AsyncClient, client, settings)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.core!r})"

    async def aclose(self) -> None:
        if self._owns_core:
            await self.core.aclose()

    async def __aenter__(self) -> AsyncImageManageClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def vmp_query_image(
        self,
        request: VMPQueryImageRequest | None = None,
        /,
        *,
        sort_key: str | list[str] | None = None,
        sort_dir: str | None = None,
        limit: int | None = None,
        marker: str | None = None,
        ids: str | list[str] | None = None,
        name: str | None = None,
        type: str | None = None,
        state: str | None = None,
    ) -> VMPQueryImageResponse:
        """List one page of images (VMPQueryImage, ``GET /vmp/images``)."""
        return await self.core.call(
            VMP_QUERY_IMAGE,
            request,
            **convenient(
                sort_key=sort_key,
                sort_dir=sort_dir,
                limit=limit,
                marker=marker,
                ids=ids,
                name=name,
                type=type,
                state=state,
            ),
        )

    async def vmp_create_image(
        self,
        request: VMPCreateImageRequest | None = None,
        /,
        *,
        name: str | None = None,
        instance_uuid: str | None = None,
        image_src_url: str | None = None,
        md5: str | None = None,
        ostype: str | None = None,
        min_disk: int | None = None,
        qga_enabled: bool | str | None = None,
    ) -> VMPCreateImageResponse:
        """Create an image from a VM or a file URL (VMPCreateImage, ``POST /vmp/images``)."""
        return await self.core.call(
            VMP_CREATE_IMAGE,
            request,
            **convenient(
                name=name,
                instance_uuid=instance_uuid,
                image_src_url=image_src_url,
                md5=md5,
                ostype=ostype,
                min_disk=min_disk,
                qga_enabled=qga_enabled,
            ),
        )

    async def vmp_remove_image(
        self, request: VMPRemoveImageRequest | None = None, /, *, image_id: str | None = None
    ) -> VMPRemoveImageResponse:
        """Delete one of your custom images (VMPRemoveImage, ``DELETE /vmp/images/{imageId}``)."""
        return await self.core.call(VMP_REMOVE_IMAGE, request, **convenient(image_id=image_id))

    async def deploy_vmp_image_preheating(
        self,
        request: DeployVmpImagePreheatingRequest | None = None,
        /,
        *,
        image_id: str | None = None,
        node_names: list[str] | None = None,
    ) -> DeployVmpImagePreheatingResponse:
        """Start pre-warming an image on edge nodes (DeployVmpImagePreheating)."""
        return await self.core.call(
            DEPLOY_VMP_IMAGE_PREHEATING,
            request,
            **convenient(image_id=image_id, node_names=node_names),
        )

    async def query_vmp_image_preheating_state(
        self,
        request: QueryVmpImagePreheatingStateRequest | None = None,
        /,
        *,
        image_id: str | None = None,
    ) -> QueryVmpImagePreheatingStateResponse:
        """Per-node pre-warming state of an image (QueryVmpImagePreheatingState)."""
        return await self.core.call(
            QUERY_VMP_IMAGE_PREHEATING_STATE, request, **convenient(image_id=image_id)
        )

    def iter_images(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        sort_key: str | list[str] | None = None,
        sort_dir: str | None = None,
        marker: str | None = None,
        ids: str | list[str] | None = None,
        name: str | None = None,
        type: str | None = None,
        state: str | None = None,
    ) -> AsyncIterator[Image]:
        """Every image matching the filters: ``async for image in client.iter_images(...)``."""
        walk = ImageWalk(
            convenient(
                sort_key=sort_key,
                sort_dir=sort_dir,
                marker=marker,
                ids=ids,
                name=name,
                type=type,
                state=state,
            ),
            page_size=page_size,
            limit=limit,
        )
        return self._walk(walk)

    async def _walk(self, walk: ImageWalk) -> AsyncIterator[Image]:
        while (request := walk.next_request()) is not None:
            for image in walk.feed(await self.core.call(VMP_QUERY_IMAGE, request)):
                yield image

    async def wait_for_image(
        self,
        image_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float = 5.0,
        max_interval: float = 60.0,
        backoff: float = 1.5,
        ready_states: Collection[str] = IMAGE_READY_STATES,
        failed_states: Collection[str] = IMAGE_FAILED_STATES,
        progress: Callable[[Progress[Image | None]], object] | None = None,
    ) -> Image:
        """Async twin of `ImageManageClient.wait_for_image`."""
        schedule = Schedule(timeout, poll_interval, max_interval, backoff)
        return _ready(
            await self._wait(
                wait_for_image(
                    image_id,
                    schedule=schedule,
                    ready_states=ready_states,
                    failed_states=failed_states,
                    progress=progress,
                )
            )
        )

    async def wait_for_preheating(
        self,
        image_id: str,
        node_names: Collection[str] | None = None,
        *,
        timeout: float = 1800.0,
        poll_interval: float = 10.0,
        max_interval: float = 60.0,
        backoff: float = 1.5,
        done_states: Collection[str] = PREHEATING_DONE_STATES,
        failed_states: Collection[str] = PREHEATING_FAILED_STATES,
        progress: Callable[[Progress[Mapping[str, str | None]]], object] | None = None,
    ) -> Mapping[str, str | None]:
        """Async twin of `ImageManageClient.wait_for_preheating`."""
        schedule = Schedule(timeout, poll_interval, max_interval, backoff)
        return await self._wait(
            wait_for_preheating(
                image_id,
                node_names,
                schedule=schedule,
                done_states=done_states,
                failed_states=failed_states,
                progress=progress,
            )
        )

    async def _wait(self, waiter: Waiter[T]) -> T:
        reply: Any = None
        try:
            while True:
                step = waiter.send(reply)
                if isinstance(step, Pause):
                    await anyio.sleep(step.seconds)
                    reply = None
                else:
                    reply = await self.core.call(step.action, step.request)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
