"""A declared job method (`JobSpec`): light to import, as the generated ``actions.py`` does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..action import Action
from ..errors import ValidationError
from .facts import BatchLimits

#: What job methods take as a target: its text, or ``(position, text)`` (a line number).
JobTarget = str | tuple[int, str]

#: The status action's request and answer attributes, as both purge and prefetch name them.
STATUS_FIELDS: Mapping[str, str] = {
    "item_id": "item_id",
    "url": "url",
    "status": "status",
    "start_time": "start_time",
    "end_time": "end_time",
    "page_no": "page_no",
    "page_size": "page_size",
    "items": "result_detail",
    "key": "url",
    "state": "status",
    "count": "count",
}


@dataclass(frozen=True)
class JobSpec:
    """A declared job method: ``params`` maps each argument (``urls``) to the batched request
    attribute it fills (`ItemRule.field`); ``status`` follows the tasks; ``batch_size`` is used
    when the action declares no per-call limit."""

    method: str
    action: Action[Any, Any]
    params: Mapping[str, str]
    status: Action[Any, Any] | None = None
    label: str = "job"
    batch_size: int = 100
    #: The action reading the quota, when it is this product's (else found by name).
    quota: Action[Any, Any] | None = None
    status_fields: Mapping[str, str] = field(default_factory=lambda: dict(STATUS_FIELDS))

    @property
    def limits(self) -> BatchLimits:
        if self.action.batch is None:
            raise ValidationError(
                f"{self.action.name} declares no batch limits", action=self.action.name
            )
        return self.action.batch
