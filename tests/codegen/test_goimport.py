"""``cdnetworks-codegen import-go`` run the way a developer runs it, on an invented product.

The fixture tree (``fixtures/gosdk``) follows the Go SDK's layout with our own names and fields.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cdnetworks.codegen.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "gosdk"
API = Path("products") / "widgetbox" / "spec" / "api.json"


def run(root: Path, source: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(["--root", str(root), "import-go", str(source), *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def load(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / API).read_text(encoding="utf-8"))
    return data


def action(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in spec["actions"] if a["name"] == name)
    return found


def field(fields: list[dict[str, Any]], wire: str, location: str = "body") -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for f in fields if f["wire"] == wire and f.get("in", "body") == location
    )
    return found


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the fixture tree a test may edit."""
    copy = tmp_path / "gosdk"
    shutil.copytree(FIXTURES, copy)
    return copy


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "products").mkdir(parents=True)
    return folder


def test_actions_methods_and_paths(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(root, FIXTURES, capsys)
    spec = load(root)
    assert spec["product"] == "widgetbox"
    assert spec["go_package"] == "widgetbox"
    routes = [(a["name"], a["method"], a["path"]) for a in spec["actions"]]
    assert routes == [
        ("ListWidgets", "GET", "/api/widgets"),
        ("CreateWidget", "POST", "/api/widgets"),
        # One Paths field for two `*`: the second stays for an override to name.
        ("UpdateWidget", "PUT", "/api/widgets/{widgetId}/parts/*"),
        ("DeleteWidget", "DELETE", "/api/widgets/{widgetId}"),
        # README name with a suffix: "Getwidgetlogs(archive)".
        ("GetWidgetLogs", "GET", "/api/widgets/{widgetId}/logs"),
    ]
    assert not (root / "products" / "widgetbox" / "spec" / "overrides.json").exists()
    assert not (root / "products" / "common").exists()


def test_request_fields_by_location(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(root, FIXTURES, capsys)
    spec = load(root)
    listing = action(spec, "ListWidgets")["request"]
    assert field(listing, "pageSize", "query") == {
        "wire": "pageSize",
        "type": "int",
        "in": "query",
        "default": 20,
        "example": "50",
    }
    assert field(listing, "colour", "query")["required"] is True
    assert field(listing, "timezone", "header")["default"] == "UTC"
    create = action(spec, "CreateWidget")["request"]
    assert field(create, "name") == {
        "wire": "name",
        "type": "str",
        "required": True,
        "example": "gear-1",
    }
    assert field(create, "class")["name"] == "class_"  # a Python keyword
    assert field(create, "tags")["type"] == "list[str]"
    assert field(create, "enabled")["default"] is True
    assert field(create, "weight")["default"] == 2.5  # from a comment spanning two lines
    assert field(create, "weight")["example"] == "3"
    assert "default" not in field(create, "count")  # "many" is no int
    assert "default" not in field(create, "spec")  # a comment that is not JSON
    assert field(create, "spec")["type"] == "WidgetSpec"
    assert field(create, "options")["type"] == "list[CreateWidgetRequestOptions]"
    assert field(action(spec, "DeleteWidget")["request"], "widgetId", "path")["required"] is True


def test_name_clash_between_locations(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(root, FIXTURES, capsys)
    update = action(load(root), "UpdateWidget")["request"]
    assert "name" not in field(update, "dryRun", "body")
    assert field(update, "dryRun", "query")["name"] == "dry_run_query"
    assert (
        "  name clash: action UpdateWidget: query field 'dryRun' named dry_run_query "
        "(body field 'dryRun' is dry_run)\n"
    ) in out


def test_responses_and_nested_types(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(root, FIXTURES, capsys)
    spec = load(root)
    types = spec["types"]
    assert action(spec, "ListWidgets")["response"] == {"type": "ListWidgetsResponse"}
    assert types["ListWidgetsResponse"]["fields"] == [
        {"wire": "code", "type": "int"},
        {"wire": "items", "type": "list[ListWidgetsResponseItems]"},
    ]
    assert types["ListWidgetsResponseItems"]["fields"] == [
        {"wire": "widget-id", "type": "str", "name": "widget_id"},
        {"wire": "labels", "type": "map[any]"},
        {"wire": "notes", "type": "map[str]"},
        {"wire": "spec", "type": "WidgetSpec"},
    ]
    # Shared by a request and a response: one type, and the tags' "require" says nothing.
    assert types["WidgetSpec"]["fields"] == [
        {"wire": "size", "type": "int"},
        {"wire": "parts", "type": "list[WidgetPart]"},
    ]
    assert types["WidgetPart"]["fields"] == [{"wire": "number", "type": "int"}]
    # Reached from requests only: "require" counts.
    assert types["CreateWidgetRequestOptions"]["fields"] == [
        {"wire": "key", "type": "str", "required": True},
        {"wire": "value", "type": "str"},
    ]
    assert action(spec, "CreateWidget")["response"] == {
        "type": "CreateWidgetResponse",
        "headers": [{"wire": "Location", "type": "str"}],
    }
    # Declared twice: the first (empty) declaration is kept, so there is no body.
    assert action(spec, "DeleteWidget")["response"] == {"body": "none"}
    assert "DeleteWidgetResponse" not in types
    assert types["GetWidgetLogsResponse"]["fields"] == [
        {"wire": "lines", "type": "list[str]"},
        {"wire": "extra", "type": "any"},  # Gizmo is never declared
        {"wire": "hours", "type": "list[int]"},
        {"wire": "raw", "type": "any"},
    ]


def test_report(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = run(root, FIXTURES, capsys)
    assert out.splitlines() == [
        "common: skipped, no README_EN.md or models.go",
        "widgetbox: 5 actions imported, 3 skipped",
        "  no model: Rebootwidget (README line 15)",
        "  no model: Resetwidgetnow (README line 16)",
        "  duplicate row: Listwidgets (README line 17): ListWidgets is already the row of line 9 "
        "(GET /api/v2/widgets not imported)",
        "  duplicate declaration: DeleteWidgetResponse (line 133): the first one is kept",
        "  name clash: action UpdateWidget: query field 'dryRun' named dry_run_query "
        "(body field 'dryRun' is dry_run)",
        "  path segment * has no field: UpdateWidget: PUT /api/widgets/*/parts/* (* number 2)",
        "  undeclared type: Gizmo (used by GetWidgetLogsResponse.extra): typed any",
        # A hint only: the pair is not imported on a guess.
        "  model without row: ResetWidget (renamed from Resetwidgetnow?)",
        "  products/widgetbox/spec/api.json: created",
        "total: 1 products, 5 actions imported, 3 skipped, 5 problems, 1 files written; "
        "by kind: 1 duplicate declaration, 1 duplicate row, 1 model without row, 1 name clash, "
        "2 no model, 1 path segment * has no field, 1 undeclared type",
    ]


def test_reimport_rewrites_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(root, FIXTURES, capsys)
    path = root / API
    before = path.stat().st_mtime_ns
    out = run(root, FIXTURES, capsys, "--product", "widgetbox")
    assert path.stat().st_mtime_ns == before
    assert "  products/widgetbox/spec/api.json: unchanged\n" in out
    assert "breaking" not in out
    assert out.endswith(", 0 files written; " + out.split("; ", 1)[1])
    assert "1 products, 5 actions imported" in out


def test_removed_action_is_breaking(
    root: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(root, source, capsys)
    readme = source / "cdnetworks" / "widgetbox" / "README_EN.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(
        "".join(line for line in text.splitlines(True) if not line.startswith("| Deletewidget")),
        encoding="utf-8",
    )
    out = run(root, source, capsys)
    assert "widgetbox: 4 actions imported, 3 skipped\n" in out
    assert "  breaking: action DeleteWidget removed\n" in out
    assert "  products/widgetbox/spec/api.json: updated\n" in out
    assert [a["name"] for a in load(root)["actions"]] == [
        "ListWidgets",
        "CreateWidget",
        "UpdateWidget",
        "GetWidgetLogs",
    ]


def test_changes_reported_against_the_old_spec(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(root, FIXTURES, capsys)
    path = root / API
    old = load(root)
    # As if upstream had called it RemoveWidget before, and ListWidgets' fields had changed.
    action(old, "DeleteWidget")["name"] = "RemoveWidget"
    listing = action(old, "ListWidgets")["request"]
    field(listing, "pageSize", "query")["type"] = "str"
    listing.append({"wire": "legacy", "type": "str", "in": "query"})
    old["actions"].append({"name": "Gone", "method": "GET", "path": "/api/gone"})
    path.write_text(json.dumps(old), encoding="utf-8")
    out = run(root, FIXTURES, capsys)
    assert "  breaking: action RemoveWidget renamed to DeleteWidget\n" in out
    assert "  breaking: action Gone removed\n" in out
    assert "  breaking: action ListWidgets: query field 'pageSize' retyped str -> int\n" in out
    assert "  breaking: action ListWidgets: query field 'legacy' removed\n" in out
    assert action(load(root), "DeleteWidget")["path"] == "/api/widgets/{widgetId}"


def test_only_named_products(root: Path, source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(source / "cdnetworks" / "widgetbox", source / "cdnetworks" / "otherbox")
    out = run(root, source, capsys, "--product", "otherbox")
    assert out.startswith("otherbox: 5 actions imported")
    assert not (root / API).exists()
    assert (root / "products" / "otherbox" / "spec" / "api.json").is_file()


def broken(source: Path, capsys: pytest.CaptureFixture[str], root: Path) -> str:
    code = main(["--root", str(root), "import-go", str(source)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert not list((root / "products").iterdir())  # nothing written, not even good products
    return lines[0]


def test_malformed_models_exit_2(
    root: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = source / "cdnetworks" / "zzbroken"
    shutil.copytree(source / "cdnetworks" / "widgetbox", bad)
    models = bad / "models.go"
    text = models.read_text(encoding="utf-8")
    models.write_text(text.replace('`json:"colour,omitempty" ', "`"), encoding="utf-8")
    assert broken(source, capsys, root) == (
        f"cdnetworks-codegen: {models}: product zzbroken: field Colour: "
        "line 15: struct ListWidgetsParameters has no json name"
    )


def test_malformed_readme_exit_2(
    root: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = source / "cdnetworks" / "widgetbox" / "README_EN.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("| DELETE |", "| REMOVE |"), encoding="utf-8")
    line = broken(source, capsys, root)
    assert line == (
        f"cdnetworks-codegen: {readme}: product widgetbox: action Deletewidget: "
        "line 13: unknown HTTP method 'REMOVE'"
    )


def test_unknown_go_type_exit_2(
    root: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = source / "cdnetworks" / "widgetbox" / "models.go"
    text = models.read_text(encoding="utf-8")
    models.write_text(text.replace("Enabled *bool", "Enabled chan<-bool"), encoding="utf-8")
    assert broken(source, capsys, root) == (
        f"cdnetworks-codegen: {models}: product widgetbox: action CreateWidget: field enabled: "
        "line 59: unsupported Go type 'chan<-bool' in struct CreateWidgetRequest"
    )


def test_unknown_product_exit_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--root", str(root), "import-go", str(FIXTURES), "--product", "nosuch"])
    assert code == 2
    assert "product nosuch: no README_EN.md and models.go here" in capsys.readouterr().err


def test_product_gone_from_the_sdk(
    root: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(root, source, capsys)
    shutil.move(source / "cdnetworks" / "widgetbox", source / "cdnetworks" / "newbox")
    out = run(root, source, capsys)
    assert "widgetbox: breaking: no longer in the Go SDK (its api.json is kept)\n" in out
    assert "newbox: 5 actions imported, 3 skipped\n" in out
    assert (root / API).is_file()


@pytest.mark.parametrize("name", ["../escape", "Widget Box", ""])
def test_bad_product_name_exit_2(name: str, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--root", str(root), "import-go", str(FIXTURES), "--product", name])
    assert code == 2
    assert capsys.readouterr().err == f"cdnetworks-codegen: not a product name: {name!r}\n"


def test_existing_spec_unreadable_exit_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = root / API
    path.parent.mkdir(parents=True)
    path.write_text('{"product": "widgetbox", "colour": "red"}', encoding="utf-8")
    code = main(["--root", str(root), "import-go", str(FIXTURES)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"cdnetworks-codegen: {path}: the existing file is not a spec: ")
    assert len(err.splitlines()) == 1
    assert path.read_text(encoding="utf-8") == '{"product": "widgetbox", "colour": "red"}'


def test_reviewed_row_pairs_import_renamed_models(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = root / "products" / "widgetbox" / "spec" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    text = json.dumps({"rows": {"resetwidgetnow": "ResetWidget", "Nosuchrow": "ListWidgets"}})
    overrides.write_text(text, encoding="utf-8")
    out = run(root, FIXTURES, capsys)
    spec = load(root)
    reset = action(spec, "ResetWidget")  # the Go model's name, on the README row's route
    assert (reset["method"], reset["path"]) == ("POST", "/api/widgets/*/reset")
    assert "model without row" not in out
    assert "no model: Resetwidgetnow" not in out
    assert "  unused row pair: the overrides pair row 'nosuchrow', which is not unmatched\n" in out
    assert "widgetbox: 6 actions imported, 2 skipped" in out
    assert overrides.read_text(encoding="utf-8") == text  # the import never writes overrides


def test_row_pair_to_a_model_that_does_not_exist(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = root / "products" / "widgetbox" / "spec" / "overrides.json"
    overrides.parent.mkdir(parents=True)
    overrides.write_text(json.dumps({"rows": {"Rebootwidget": "RebootWidget"}}), encoding="utf-8")
    out = run(root, FIXTURES, capsys)
    assert (
        "  no model: Rebootwidget (README line 15): the overrides pair it with RebootWidget, "
        "which models.go does not declare\n"
    ) in out
    assert all(a["name"] != "RebootWidget" for a in load(root)["actions"])


def test_limit_phrases_are_proposed_for_review_never_applied(
    root: Path, source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = source / "cdnetworks" / "widgetbox" / "models.go"
    text = models.read_text(encoding="utf-8")
    lines = text.split("\n")
    tags = next(i for i, line in enumerate(lines) if line.strip().startswith("Tags []*string"))
    lines[tags - 1] = (
        '  // {"en":"Tags. The total number of tags in each API call should not exceed 50; '
        'each tag has a maximum length of 64 characters; at most 2,000 tags per day."}'
    )
    models.write_text("\n".join(lines), encoding="utf-8")

    out = run(root, source, capsys, "--product", "widgetbox")
    where = f"CreateWidgetRequest.tags (list field, models.go:{tags + 1})"
    assert f"  limit proposal: {where}: per call 50 - review: declare in overrides" in out
    assert f"  limit proposal: {where}: maximum 64 - review: declare in overrides" in out
    assert f"  limit proposal: {where}: per day 2000 - review: declare in overrides" in out
    # Never applied: the facts file holds no limit the description stated.
    tags_field = field(action(load(root), "CreateWidget")["request"], "tags")
    assert "max_length" not in tags_field

    # Once reviewed and declared in the overrides, the note says so.
    overrides = root / "products" / "widgetbox" / "spec" / "overrides.json"
    batch = {"why": "reviewed", "max_items": 50, "items": [{"field": "tags", "kind": "tag"}]}
    overrides.write_text(json.dumps({"actions": {"CreateWidget": {"batch": batch}}}))
    out = run(root, source, capsys, "--product", "widgetbox")
    assert f"  limit proposal: {where}: per call 50 - declared in overrides (reviewed)" in out
