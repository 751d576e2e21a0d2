"""``cdnetworks-codegen generate``: the pipeline from a Go-layout product to a callable package.

A product the project has never seen (the invented ``widgetbox``, in the Go SDK's layout) is
imported, refused while a path segment is unnamed, corrected in its overrides, generated, and
then called through its typed clients against the emulator, which answers from the same
declarations. The repository's own products are checked to be in step with their specs.
"""

from __future__ import annotations

import importlib
import io
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cdnetworks.codegen.cli import main
from cdnetworks.core import ApiError, BusinessError, ValidationError
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.emulator.spec_service import ProductService
from cdnetworks.core.response import body_decoder

ROOT = Path(__file__).resolve().parents[2]
GO_SDK = Path(__file__).parent / "fixtures" / "gosdk"

FIX_PATH = {
    "summary": "Widgets of an invented catalogue.",
    "actions": {
        "UpdateWidget": {
            "why": "the second path segment is the part number, which upstream leaves unnamed",
            "path": "/api/widgets/{widgetId}/parts/{partNo}",
            "add": [{"wire": "partNo", "type": "int", "in": "path", "required": True}],
        },
        "CreateWidget": {
            "fields": {"class": {"enum": ["small", "large"], "description": "Widget size class"}}
        },
    },
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(argv))
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with the files the generator fills in, and no product yet."""
    for name in ("pyproject.toml", "mkdocs.yml", "LICENSE"):
        shutil.copy(ROOT / name, tmp_path / name)
    version = tmp_path / "core/src/cdnetworks/core/_version.py"
    version.parent.mkdir(parents=True)
    shutil.copy(ROOT / "core/src/cdnetworks/core/_version.py", version)
    (tmp_path / "products").mkdir()
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    return tmp_path


def files_under(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def widgetbox(project: Path) -> Iterator[Any]:
    """``widgetbox`` imported, corrected and generated; its package importable."""
    assert run("--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox")[0] == 0
    overrides = project / "products/widgetbox/spec/overrides.json"
    overrides.write_text(json.dumps(FIX_PATH), encoding="utf-8")
    code, out, err = run("--root", str(project), "generate")
    assert (code, err) == (0, ""), out
    src = str(project / "products/widgetbox/src")
    sys.path.insert(0, src)
    try:
        yield importlib.import_module("cdnetworks.widgetbox")
    finally:
        sys.path.remove(src)
        for name in [m for m in sys.modules if m.startswith("cdnetworks.widgetbox")]:
            del sys.modules[name]


def test_the_repository_is_in_step_with_its_specs() -> None:
    code, out, _ = run("--root", str(ROOT), "generate", "--check")
    assert code == 0, out
    assert "up to date" in out


def test_an_unnamed_path_segment_is_refused_in_one_line_and_nothing_is_written(
    project: Path,
) -> None:
    run("--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox")
    before = files_under(project)
    code, out, err = run("--root", str(project), "generate")
    assert code == 2
    assert out == ""
    line = err.strip()
    assert "\n" not in line
    assert "products/widgetbox/spec/overrides.json" in line
    assert "product widgetbox" in line
    assert "action UpdateWidget" in line
    assert "unnamed segment" in line
    assert files_under(project) == before


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"actions": {"NoSuchAction": {"summary": "x"}}}, ["action NoSuchAction"]),
        # A row paired with a model the last import did not bring in: import again first.
        ({"rows": {"Resetwidgetnow": "ResetWidget"}}, ["action ResetWidget", "import-go"]),
        ({"actions": {"ListWidgets": {"fields": {"nope": {"ge": 1}}}}}, ["field nope"]),
        (
            {"actions": {"ListWidgets": {"fields": {"colour": {"colour": 1}}}}},
            ["Object contains unknown field"],
        ),
        (
            {"types": {"WidgetSpec": {"fields": {"size": {"type": "Nowhere"}}}}},
            ["field size", "Nowhere"],
        ),
        (
            {"types": {"WidgetSpec": {"fields": {"size": {"lenient_number": True}}}}},
            ["field size", "lenient_number"],
        ),
        (
            {"actions": {"ListWidgets": {"fields": {"pageSize": {"lenient_number": True}}}}},
            ["field pageSize", "lenient_number"],
        ),
        (
            {"actions": {"ListWidgets": {"fields": {"pageSize": {"int_text": True}}}}},
            ["field pageSize", "int_text applies to str fields"],
        ),
        (
            # WidgetSpec is in ListWidgets' answer too: a number answered as text is an int.
            {
                "types": {
                    "WidgetSpec": {"add": [{"wire": "batch", "type": "str", "int_text": True}]}
                }
            },
            ["type WidgetSpec", "field batch", "lenient_number"],
        ),
        (
            {
                "waiters": [
                    {
                        "method": "wait",
                        "action": "ListWidgets",
                        "subject": "x",
                        "subject_field": "colour",
                        "items": "nothing",
                        "key": "k",
                        "state": "s",
                        "success": ["A"],
                        "label": "w",
                    }
                ]
            },
            ["action wait", "field waiters"],
        ),
    ],
)
def test_malformed_overrides_are_refused_naming_where(
    project: Path, overrides: dict[str, Any], names: list[str]
) -> None:
    run("--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox")
    fixed = json.loads(json.dumps(FIX_PATH))
    for key, value in overrides.items():
        if isinstance(value, dict):
            fixed.setdefault(key, {}).update(value)
        else:
            fixed[key] = value
    (project / "products/widgetbox/spec/overrides.json").write_text(json.dumps(fixed))
    before = files_under(project)
    code, _, err = run("--root", str(project), "generate")
    assert code == 2
    assert err.count("\n") == 1
    assert "overrides.json" in err
    for name in names:
        assert name in err
    assert files_under(project) == before


def test_a_new_product_is_generated_typed_and_served(widgetbox: Any, project: Path) -> None:
    folder = project / "products/widgetbox"
    for generated in ("models.py", "actions.py", "client.py", "plugin.py", "__init__.py"):
        first = (folder / "src/cdnetworks/widgetbox" / generated).read_text().splitlines()[0]
        assert first.startswith("# @generated by cdnetworks-codegen")
    pyproject = (folder / "pyproject.toml").read_text()
    assert 'widgetbox = "cdnetworks.widgetbox.plugin"' in pyproject
    root = (project / "pyproject.toml").read_text()
    assert '"products/widgetbox",' in root
    assert 'widgetbox = ["cdnetworks-widgetbox>=' in root
    assert "[widgetbox,cli,redis]" in root
    reference = (project / "docs/reference/widgetbox.md").read_text()
    assert "| `colour` | `colour` | query | `str` | yes |" in reference
    assert "ResetWidget" not in reference  # a model no README row names is not an action

    emu = Emulator(services=[ProductService(widgetbox.WIDGETBOX)])
    with widgetbox.WidgetboxClient(**emu.client_kwargs(), transport=emu.transport()) as client:
        listed = client.list_widgets(colour="red", page_size=5, timezone="UTC")
        assert listed.items[0].spec is not None
        made = client.create_widget(name="w", spec=widgetbox.WidgetSpec(size=2), class_="small")
        assert made.location == "https://emulator.invalid/CreateWidget"
        client.update_widget(widget_id="w 1", part_no=3, dry_run=True, dry_run_query="yes")
        with pytest.raises(ValidationError) as refused:
            client.create_widget(name="w", spec=widgetbox.WidgetSpec(size=2), class_="huge")
    assert refused.value.field == "class_"
    sent = [(x.method, x.path, x.action) for x in emu.exchanges]
    assert sent == [
        ("GET", "/api/widgets", "ListWidgets"),
        ("POST", "/api/widgets", "CreateWidget"),
        ("PUT", "/api/widgets/w 1/parts/3", "UpdateWidget"),
    ]


def test_the_emulator_refuses_what_the_spec_forbids(widgetbox: Any) -> None:
    emu = Emulator(services=[ProductService(widgetbox.WIDGETBOX)])
    with widgetbox.WidgetboxClient(**emu.client_kwargs(), transport=emu.transport()) as client:
        with pytest.raises(ApiError) as missing:
            client.core.invoke("POST", "/api/widgets", json={"name": "w"})  # no spec
        with pytest.raises(ApiError) as mistyped:
            client.core.invoke("GET", "/api/widgets", params={"colour": "red", "pageSize": "x"})
    for refused in (missing.value, mistyped.value):
        assert (refused.status_code, refused.code) == (400, "InvalidParameter")
    assert "spec" in missing.value.message
    assert "pageSize" in mistyped.value.message


def test_a_failing_business_code_raises(widgetbox: Any) -> None:
    class Refusing(ProductService):
        def answer(self, action: Any, request: Any, raw: Any) -> Any:
            return self.sample_reply(action, code="Denied", message="no widgets today")

    emu = Emulator(services=[Refusing(widgetbox.WIDGETBOX)])
    client = widgetbox.WidgetboxClient(**emu.client_kwargs(), transport=emu.transport())
    with client, pytest.raises(BusinessError) as caught:
        client.create_widget(name="w", spec=widgetbox.WidgetSpec(size=2))
    assert (caught.value.code, caught.value.message) == ("Denied", "no widgets today")


def test_a_lenient_number_decodes_numeric_text_without_a_hook(project: Path) -> None:
    """``lenient_number``: numeric text is a number, other text is kept, other fields stay
    strict (lax decoding never reaches them), and the model has no ``__post_init__``."""
    run("--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox")
    fixed = json.loads(json.dumps(FIX_PATH))
    weight = {"wire": "weight", "type": "int|float", "lenient_number": True}
    fixed["types"] = {"ListWidgetsResponseItems": {"add": [weight]}}
    (project / "products/widgetbox/spec/overrides.json").write_text(json.dumps(fixed))
    assert run("--root", str(project), "generate")[0] == 0
    models = (project / "products/widgetbox/src/cdnetworks/widgetbox/models.py").read_text()
    assert 'extra={"lenient_number": True}' in models
    assert (
        "__post_init__" not in models.split("class ListWidgetsResponseItems")[1].split("class ")[0]
    )
    schema = json.loads((ROOT / "codegen/spec.schema.json").read_text())
    assert "lenient_number" in schema["$defs"]["Field"]["properties"]

    src = str(project / "products/widgetbox/src")
    sys.path.insert(0, src)
    try:
        models_module = importlib.import_module("cdnetworks.widgetbox.models")
        decode = body_decoder(models_module.ListWidgetsResponse)

        def page(size: str, weight: str) -> bytes:
            item = f'{{"widget-id": "w", "spec": {{"size": {size}}}, "weight": {weight}}}'
            return f'{{"code": 0, "items": [{item}]}}'.encode()

        weights = [
            decode(page("1", w)).items[0].weight
            for w in ('"20"', '"2.5"', "3", "4.5", '"heavy"', "null")
        ]
        assert weights == [20, 2.5, 3, 4.5, "heavy", None]
        assert [type(w) for w in weights[:4]] == [int, float, int, float]
        with pytest.raises(
            msgspec.ValidationError, match=r"got `str` - at `\$\.items\[0\]\.spec\.size`"
        ):
            decode(page('"1"', '"2"'))
        with pytest.raises(msgspec.ValidationError, match=r"int \| float \| str \| null"):
            decode(page("1", "true"))
    finally:
        sys.path.remove(src)
        for name in [m for m in sys.modules if m.startswith("cdnetworks.widgetbox")]:
            del sys.modules[name]


def test_text_flags_and_whole_numbers_take_python_values_and_send_text(project: Path) -> None:
    """``flag`` and ``int_text``, on a request's own fields and on a nested request type: the
    generated code takes a bool or an int (its annotations say so), the wire carries the text,
    and other text is refused before sending; ``lenient_number`` on an ``int`` answer field."""
    run("--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox")
    fixed = json.loads(json.dumps(FIX_PATH))
    fixed["actions"]["CreateWidget"]["add"] = [{"wire": "batch", "type": "str", "int_text": True}]
    shiny = {"wire": "shiny", "type": "str", "flag": ["ON", "OFF"]}
    fixed["types"] = {
        "CreateWidgetRequestOptions": {"fields": {"value": {"int_text": True}}, "add": [shiny]},
        "ListWidgetsResponseItems": {
            "add": [{"wire": "stock", "type": "int", "lenient_number": True}]
        },
    }
    (project / "products/widgetbox/spec/overrides.json").write_text(json.dumps(fixed))
    assert run("--root", str(project), "generate")[0] == 0
    package = project / "products/widgetbox/src/cdnetworks/widgetbox"
    models = (package / "models.py").read_text()
    assert 'shiny: bool | Literal["ON", "OFF"] | None = None' in models
    assert 'value: int | Annotated[str, Meta(extra={"int_text": True})] | None = None' in models
    # The request class keeps the wire type (the CLI reads it); its keyword argument widens.
    assert 'batch: Annotated[str, Meta(extra={"int_text": True})] | None = None' in models
    assert "batch: int | str | None = None" in (package / "client.py").read_text()
    assert 'int_texts=("batch",)' in (package / "actions.py").read_text()
    reference = (project / "docs/reference/widgetbox.md").read_text()
    assert "| `batch` | `batch` | body | `str` |  | an int, sent as text |" in reference
    assert "| `shiny` | `shiny` | `str` | a bool, sent as `ON` / `OFF` |" in reference
    schema = json.loads((ROOT / "codegen/spec.schema.json").read_text())
    assert "int_text" in schema["$defs"]["Field"]["properties"]
    assert "int_text" in schema["$defs"]["FieldPatch"]["properties"]

    bodies: list[Any] = []

    class Recording(ProductService):
        def answer(self, action: Any, request: Any, raw: Any) -> Any:
            bodies.append(raw.json())
            return super().answer(action, request, raw)

    src = str(project / "products/widgetbox/src")
    sys.path.insert(0, src)
    try:
        widgetbox = importlib.import_module("cdnetworks.widgetbox")
        options = importlib.import_module("cdnetworks.widgetbox.models").CreateWidgetRequestOptions
        emu = Emulator(services=[Recording(widgetbox.WIDGETBOX)])
        with widgetbox.WidgetboxClient(**emu.client_kwargs(), transport=emu.transport()) as client:
            spec = widgetbox.WidgetSpec(size=2)
            client.create_widget(
                name="w", spec=spec, batch=7, options=[options(key="k", value=5, shiny=True)]
            )
            as_dicts = [{"key": "k", "value": 6, "shiny": False}]  # wire-named data
            client.create_widget(name="w", spec=spec, batch="8", options=as_dicts)
            with pytest.raises(ValidationError) as refused:
                client.create_widget(name="w", spec=spec, batch="eight")
            with pytest.raises(ValidationError) as nested:
                options(key="k", value="five")
            listed = client.list_widgets(colour="red")
        assert (refused.value.field, refused.value.action) == ("batch", "CreateWidget")
        assert nested.value.field == "value"
        assert len(bodies) == 3  # the refused call sent nothing
        assert bodies[0]["batch"] == "7"
        assert bodies[0]["options"] == [{"key": "k", "value": "5", "shiny": "ON"}]
        assert bodies[1]["batch"] == "8"
        assert bodies[1]["options"] == [{"key": "k", "value": "6", "shiny": "OFF"}]
        assert isinstance(listed.items[0].stock, int)
    finally:
        sys.path.remove(src)
        for name in [m for m in sys.modules if m.startswith("cdnetworks.widgetbox")]:
            del sys.modules[name]


def test_renaming_a_field_is_reported_as_breaking(widgetbox: Any, project: Path) -> None:
    overrides = project / "products/widgetbox/spec/overrides.json"
    renamed = json.loads(overrides.read_text())
    renamed["actions"]["ListWidgets"] = {"fields": {"colour": {"name": "color"}}}
    overrides.write_text(json.dumps(renamed))
    code, out, _ = run("--root", str(project), "generate", "--check")
    assert code == 1
    assert "widgetbox: breaking: method list_widgets: argument(s) colour removed" in out
    assert "out of date: products/widgetbox/src/cdnetworks/widgetbox/client.py" in out


def test_check_finds_a_hand_edit(widgetbox: Any, project: Path) -> None:
    client = project / "products/widgetbox/src/cdnetworks/widgetbox/client.py"
    client.write_text(client.read_text() + "\n# a hand edit\n")
    code, out, _ = run("--root", str(project), "generate", "--check")
    assert code == 1
    assert "out of date: products/widgetbox/src/cdnetworks/widgetbox/client.py" in out
    assert run("--root", str(project), "generate")[0] == 0
    assert run("--root", str(project), "generate", "--check")[0] == 0


def test_a_module_no_longer_generated_is_found_and_removed(widgetbox: Any, project: Path) -> None:
    package = project / "products/widgetbox/src/cdnetworks/widgetbox"
    left = package / "old_module.py"
    left.write_text((package / "product.py").read_text(encoding="utf-8"), encoding="utf-8")
    hand_written = package / "checks.py"
    hand_written.write_text('"""Hand-written: left alone."""\n', encoding="utf-8")
    code, out, _ = run("--root", str(project), "generate", "--check")
    assert code == 1
    assert "no longer generated: products/widgetbox/src/cdnetworks/widgetbox/old_module.py" in out
    assert "checks.py" not in out
    code, out, _ = run("--root", str(project), "generate")
    assert code == 0 and "removed products/widgetbox/src/cdnetworks/widgetbox/old_module.py" in out
    assert not left.exists() and hand_written.exists()
    assert run("--root", str(project), "generate", "--check")[0] == 0


def test_a_misspelt_package_name_is_kept_and_its_pages_say_so(
    widgetbox: Any, project: Path
) -> None:
    overrides = project / "products/widgetbox/spec/overrides.json"
    overrides.write_text(json.dumps({**FIX_PATH, "spelling": "widget box"}), encoding="utf-8")
    assert run("--root", str(project), "generate")[0] == 0
    note = "keeps the Go SDK's spelling (for *widget box*)"
    assert note in (project / "docs/reference/widgetbox.md").read_text(encoding="utf-8")
    assert note in (project / "products/widgetbox/README.md").read_text(encoding="utf-8")
    index = (project / "docs/products.md").read_text(encoding="utf-8")
    assert "Names kept as the Go SDK spells them: `widgetbox` (*widget box*)." in index


def test_actions_not_covered_are_listed_with_why(widgetbox: Any, project: Path) -> None:
    page = (project / "docs/reference/widgetbox.md").read_text(encoding="utf-8")
    summary = (project / "docs/not-covered.md").read_text(encoding="utf-8")
    for row in ("| Rebootwidget | POST | `/api/widgets/*/reboot` |", "| Resetwidgetnow | POST |"):
        assert row in page
    assert "| [widgetbox](reference/widgetbox.md) | Rebootwidget | POST |" in summary
    # The README's second Listwidgets row (another URI) is listed, not silently dropped.
    assert "| Listwidgets | GET | `/api/v2/widgets` | a second row for ListWidgets |" in page
    assert "client.invoke(" in summary
    assert "(not-covered.md)" in (project / "docs/products.md").read_text(encoding="utf-8")


def test_a_field_named_like_a_builtin_gets_another_python_name(project: Path) -> None:
    run("--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox")
    fixed = json.loads(json.dumps(FIX_PATH))
    fixed["types"] = {
        "ListWidgetsResponse": {"add": [{"wire": "list", "type": "list[str]"}]},
    }
    (project / "products/widgetbox/spec/overrides.json").write_text(json.dumps(fixed))
    code, out, err = run("--root", str(project), "generate")
    assert (code, err) == (0, ""), out
    models = (project / "products/widgetbox/src/cdnetworks/widgetbox/models.py").read_text()
    assert "    list_: list[str]" in models
