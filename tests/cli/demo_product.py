"""A small product used to test that the CLI is derived from any product's declarations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from cdnetworks.core import Action, Client, Product, RequestModel, ResponseModel, hookimpl


class ListThings(RequestModel):
    state: Annotated[
        Literal["ON", "OFF"] | None, msgspec.Meta(description="Only things in this state")
    ] = None
    limit: Annotated[int, msgspec.Meta(gt=0, le=50, description="Page size")] | None = None
    ids: list[str] | None = None
    marker: str | None = None


class Thing(msgspec.Struct, rename="camel"):
    id: str
    name: str
    size_gb: int | str | None = None


class ThingList(ResponseModel):
    things: list[Thing] = msgspec.field(default_factory=list)


class MakeThing(RequestModel):
    name: Annotated[str, msgspec.Meta(description="Name of the new thing", min_length=1)]
    fast: bool | None = None


class MadeThing(ResponseModel):
    id: str


LIST = Action(
    "ListThings",
    "GET",
    "/things",
    ListThings,
    ThingList,
    summary="List your things.",
    extras={"paginate": "iter_things"},
)
MAKE = Action("MakeThing", "POST", "/things", MakeThing, MadeThing, summary="Make a thing.")


@dataclass
class Tick:
    done: int
    total: int

    def summary(self) -> str:
        return f"{self.done} of {self.total} ready"


class DemoClient:
    def __init__(self, client: Client) -> None:
        self._client = client

    def iter_things(self, **kwargs: Any) -> Iterator[Thing]:
        """Every thing, page after page."""
        marker = None
        while True:
            page = self._client.call(LIST, **kwargs, **({"marker": marker} if marker else {}))
            yield from page.things
            if not page.things:
                return
            marker = page.things[-1].id

    def wait_for_thing(
        self, thing_id: str, *, polls: int = 3, progress: Callable[[Tick], None] | None = None
    ) -> dict[str, Any]:
        """Wait until the thing is ready.

        Polls ``polls`` times, reporting progress after each poll.
        """
        for n in range(1, polls + 1):
            if progress:
                progress(Tick(n, polls))
        return {"id": thing_id, "ready": True}


class DemoPlugin:
    @hookimpl
    def cdnetworks_register_products(self, register: Any) -> None:
        register(
            Product(
                "demo",
                (LIST, MAKE),
                client=DemoClient,
                summary="The demo product.",
                commands=("iter_things", "wait_for_thing"),
            )
        )
