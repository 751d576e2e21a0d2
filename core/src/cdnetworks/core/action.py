"""An API action is data: one declarative value per action, and a product is a set of them.

Typed client methods, the CLI and the docs are derived from these values, so adding an action
to a product is adding one `Action` and its request/response models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

ReqT = TypeVar("ReqT")
RespT = TypeVar("RespT")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    #: method that walks every page of this action (the CLI's ``--paginate`` calls it).
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())

    @property
    def is_idempotent(self) -> bool:
        return self.method in IDEMPOTENT_METHODS if self.idempotent is None else self.idempotent

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.path))

    @property
    def sends_body(self) -> bool:
        return self.method not in ("GET", "HEAD")

    @property
    def method_name(self) -> str:
        """The snake_case client method name: ``VMPQueryImage`` -> ``vmp_query_image``."""
        return snake_case(self.name)


def snake_case(name: str) -> str:
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


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

    def action(self, name: str) -> Action[Any, Any]:
        for action in self.actions:
            if action.name == name:
                return action
        known = ", ".join(a.name for a in self.actions)
        raise KeyError(f"product {self.name!r} has no action {name!r} (it has: {known})")
