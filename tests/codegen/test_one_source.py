"""Facts declared once: the paging facts of a spec are the core's `Paging` fields."""

from __future__ import annotations

import dataclasses

import msgspec

from cdnetworks.codegen.render_actions import paging_value
from cdnetworks.codegen.spec import Paging as SpecPaging
from cdnetworks.core.action import Paging


def test_the_spec_record_holds_every_core_paging_fact_with_its_default() -> None:
    spec_fields = {f.name: f for f in msgspec.structs.fields(SpecPaging)}
    for f in dataclasses.fields(Paging):
        assert f.name in spec_fields, f"spec Paging lacks {f.name}"
        required = f.default is dataclasses.MISSING
        if required:
            assert spec_fields[f.name].required, f.name
        else:
            assert spec_fields[f.name].default == f.default, f.name


def test_the_rendered_paging_is_the_core_value_of_the_declaration() -> None:
    declared = SpecPaging(
        style="page", method="iter_things", items="data.rows", page_size="size", page="page_no"
    )
    text = paging_value(declared)
    value = eval(text, {"Paging": Paging})  # noqa: S307 - our own generated expression
    assert value == Paging(
        style="page", method="iter_things", items="data.rows", page_size="size", page="page_no"
    )
    assert "default_page_size" not in text  # defaults come from the core's declaration
