"""Text that cannot be UTF-8 (a lone surrogate) is a ValidationError naming the field."""

from __future__ import annotations

from typing import Literal

import pytest

from cdnetworks.core import RequestModel, ValidationError
from cdnetworks.core.encoding import validate


class Flags(RequestModel):
    qga_enabled: Literal["TRUE", "FALSE"] | None = None


def test_a_lone_surrogate_for_a_literal_field_is_refused_naming_it() -> None:
    # msgspec encodes the text to compare it with the Literal's values, which a surrogate fails.
    with pytest.raises(ValidationError, match="lone surrogate") as info:
        validate(Flags, {"qgaEnabled": "\ud800"}, "SetFlags")
    assert info.value.field == "qga_enabled"
    assert info.value.action == "SetFlags"
