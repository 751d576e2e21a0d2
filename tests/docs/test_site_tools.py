"""The site's generators: model field tables and command-reference pages."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from tests.docs.samples import ROOT


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "mkdocs" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_field_table_shows_wire_names_types_constraints_and_values() -> None:
    pytest.importorskip("griffe", reason="the docs dependency group is not installed")
    from cdnetworks.imagemanage import VMPQueryImageRequest, VMPQueryImageResponse

    table = load("msgspec_fields").field_table(VMPQueryImageRequest)
    lines = table.splitlines()
    assert lines[0].startswith("| field | wire name | type | required |")
    row = next(line for line in lines if line.startswith("| `sort_key` "))
    assert "`sortKey`" in row and "`list[str]`" in row and "at least 1 items" in row
    assert "one of `createdAt`, `name`, `size`, `state`, `type`" in row
    limit = next(line for line in lines if line.startswith("| `limit` "))
    assert "`int`" in limit and "≥ 1" in limit and "Page size" in limit
    response = load("msgspec_fields").field_table(VMPQueryImageResponse)
    assert "| `images` | `images` | `list[Image]` | no (default `[]`) |" in response


def test_command_pages_cover_every_command_of_a_group() -> None:
    pages = load("cli_pages")
    text = pages.group("imagemanage")
    for command in ("vmp-query-image", "vmp-create-image", "wait-for-image", "wait-for-preheating"):
        assert f"## `cdnetworks imagemanage {command}`" in text
    assert "| `--type` | `COMMON` \\| `CUSTOM` \\| `SNAPSHOT` |" in text
    assert "--profile" not in pages.group("api").split("| option |")[0]  # globals listed apart
    assert "| `--profile` | `NAME` |" in pages.group("global-options")
    configure = pages.group("configure")
    assert "### `cdnetworks configure set`" in configure and "--secret-key-stdin" in configure
    marked = pages.on_page_markdown("# t\n\n<!-- cdnetworks-cli: completion -->\n")
    assert "`cdnetworks completion`" in marked and "<!--" not in marked
