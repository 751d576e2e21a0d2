"""A product the project has never seen, from the Go SDK's layout to a pip install and a CLI call.

The invented ``widgetbox`` (``tests/codegen/fixtures``) is imported and generated into a scratch
copy of the project's root files, its wheel is built, and it is installed with plain pip beside
the core's and the CLI's wheels: the CLI finds it through its entry point and calls it against
the emulator, which serves it from its declarations.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cdnetworks.codegen.cli import main

from .test_wheels import Venv
from .test_wheels import wheelhouse as wheelhouse  # the session-wide wheel build
from .workspace import ROOT

pytestmark = pytest.mark.distribution

GO_SDK = ROOT / "tests" / "codegen" / "fixtures" / "gosdk"
OVERRIDES = {
    "summary": "Widgets of an invented catalogue.",
    "actions": {
        "UpdateWidget": {
            "why": "the second path segment is the part number, which upstream leaves unnamed",
            "path": "/api/widgets/{widgetId}/parts/{partNo}",
            "add": [{"wire": "partNo", "type": "int", "in": "path", "required": True}],
        }
    },
}


def _uv() -> list[str]:
    uv = os.environ.get("UV") or shutil.which("uv")
    return [uv] if uv else [sys.executable, "-m", "uv"]


def test_an_imported_product_installs_and_answers_through_the_cli(
    tmp_path: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "project"
    (project / "products").mkdir(parents=True)
    (project / "docs" / "reference").mkdir(parents=True)
    for name in ("pyproject.toml", "mkdocs.yml", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    version = project / "core/src/cdnetworks/core/_version.py"
    version.parent.mkdir(parents=True)
    shutil.copy(ROOT / "core/src/cdnetworks/core/_version.py", version)

    assert main(["--root", str(project), "import-go", str(GO_SDK), "--product", "widgetbox"]) == 0
    spec = project / "products/widgetbox/spec"
    (spec / "overrides.json").write_text(json.dumps(OVERRIDES))
    assert main(["--root", str(project), "generate", "--product", "widgetbox"]) == 0

    # Built on its own, as a release would build it (the scratch root is no full workspace).
    alone = shutil.copytree(project / "products/widgetbox", tmp_path / "widgetbox")
    built = tmp_path / "built"
    subprocess.run(
        [*_uv(), "build", "--quiet", "--wheel", "--out-dir", str(built)],
        cwd=alone,
        check=True,
        timeout=300,
    )
    wheel = next(built.glob("cdnetworks_widgetbox-*.whl"))
    venv = Venv(tmp_path / "venv", wheelhouse)
    venv.pip_install("cdnetworks-cli", str(wheel))

    cli = Path(venv.python).parent / "cdnetworks"
    done = subprocess.run(
        [
            str(cli),
            "--emulator",
            "widgetbox",
            "list-widgets",
            "--colour",
            "red",
            "--page-size",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["code"] == "0"
    assert answer["items"]

    refused = subprocess.run(
        [str(cli), "--emulator", "widgetbox", "list-widgets"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert refused.returncode == 2  # colour is required: a usage error, nothing sent
    assert "--colour" in refused.stderr
