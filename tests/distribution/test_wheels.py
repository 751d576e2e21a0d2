"""Build the distributions and install them with plain pip into fresh virtualenvs.

Marked ``distribution`` and left out of the default run (it builds wheels and creates
virtualenvs, about a minute); ``.ci/run`` runs it with ``pytest -m distribution``. Third-party
dependencies come from pip's usual index (PyPI, or its cache); the SDK's own distributions only
from the freshly built wheel folder (``--find-links``).
"""

from __future__ import annotations

import email.parser
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.distribution.workspace import (
    CORE,
    DISTS,
    EXAMPLE,
    PRODUCTS,
    ROOT,
    Dist,
    tomllib,
    version_of,
)

pytestmark = pytest.mark.distribution


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build per session: wheels and sdists of every workspace member and the example."""
    out = tmp_path_factory.mktemp("wheelhouse")
    # `uv run` exports UV (its own binary), which may not be on PATH when pip installed it.
    uv = os.environ.get("UV") or shutil.which("uv")
    command = [uv] if uv else [sys.executable, "-m", "uv"]
    for args in (["--all-packages"], [str(EXAMPLE)]):
        subprocess.run(
            [*command, "build", "--quiet", "--out-dir", str(out), *args],
            cwd=ROOT,
            check=True,
            timeout=300,
        )
    return out


def _wheel(wheelhouse: Path, dist: str) -> Path:
    (found,) = wheelhouse.glob(f"{canonicalize_name(dist).replace('-', '_')}-*.whl")
    return found


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(zf.read(name).decode())


class Venv:
    """A fresh virtualenv with the interpreter's own pip; installs go through plain pip."""

    def __init__(self, path: Path, wheelhouse: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
        self.python = str(path / "bin" / "python")
        self.wheelhouse = wheelhouse

    def pip_install(self, *requirements: str) -> None:
        subprocess.run(
            [
                self.python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "--find-links",
                str(self.wheelhouse),
                *requirements,
            ],
            check=True,
            timeout=300,
            env={**os.environ, "PIP_NO_WARN_SCRIPT_LOCATION": "1"},
        )

    def run(self, script: str) -> dict[str, object]:
        """Run ``script`` in the venv (not in this repository) and decode its JSON output."""
        done = subprocess.run(
            [self.python, "-c", script],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.python.rsplit("/bin/", 1)[0],
        )
        result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def installed(self) -> set[str]:
        out = self.run(
            "import json, importlib.metadata as m; "
            "print(json.dumps({'names': sorted({d.metadata['Name'] for d in m.distributions()})}))"
        )
        names = out["names"]
        assert isinstance(names, list)
        return {str(canonicalize_name(n)) for n in names}


@pytest.fixture
def venv(tmp_path: Path, wheelhouse: Path) -> Venv:
    return Venv(tmp_path / "venv", wheelhouse)


def _forbidden_for_lean_installs(wheelhouse: Path) -> set[str]:
    """Distributions only the CLI extra or the docs group bring in (the core's own excluded)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    names = {Requirement(r).name for r in pyproject["dependency-groups"]["docs"]}
    for req in _metadata(_wheel(wheelhouse, "cdnetworks-sdk")).get_all("Requires-Dist") or []:
        parsed = Requirement(req)
        if parsed.marker is not None and parsed.marker.evaluate({"extra": "cli"}):
            names.add(parsed.name)
    core = _metadata(_wheel(wheelhouse, "cdnetworks-core")).get_all("Requires-Dist") or []
    allowed = {str(canonicalize_name(Requirement(r).name)) for r in core}
    forbidden = {str(canonicalize_name(n)) for n in names} - allowed
    assert "cdnetworks-cli" in forbidden or "cli" not in pyproject["project"].get(
        "optional-dependencies", {}
    )
    return forbidden


# -- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.name)
def test_wheel_and_sdist_have_complete_metadata(wheelhouse: Path, dist: Dist) -> None:
    version = version_of(dist.version_file)
    wheel = _wheel(wheelhouse, dist.name)
    sdist = wheelhouse / f"{canonicalize_name(dist.name).replace('-', '_')}-{version}.tar.gz"
    assert sdist.exists(), f"no sdist for {dist.name}"
    meta = _metadata(wheel)
    assert meta["Name"] == dist.name
    assert meta["Version"] == version  # the one version source is what ships
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["License-Expression"] == "Apache-2.0"
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in classifiers)
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Changelog"} <= set(urls)
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = meta.get_payload()
    assert isinstance(readme, str)
    folder = dist.version_file.parents[3] if dist.typed_package else ROOT
    assert readme.strip() == (folder / "README.md").read_text().strip()  # its own README
    assert len(readme) > 200
    with zipfile.ZipFile(wheel) as zf:
        files = zf.namelist()
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files)
    assert "cdnetworks/__init__.py" not in files  # the namespace stays shared
    if dist.typed_package:
        assert f"{dist.typed_package}/py.typed" in files
    else:
        assert not [f for f in files if f.endswith(".py")]  # the meta package ships no code


def test_internal_dependencies_are_pinned_to_the_release_line(wheelhouse: Path) -> None:
    for dist in DISTS:
        for req in _metadata(_wheel(wheelhouse, dist.name)).get_all("Requires-Dist") or []:
            parsed = Requirement(req)
            if parsed.name.startswith("cdnetworks-"):
                assert parsed.specifier, f"{dist.name} needs {req} without a version range"
                assert any(s.operator == "<" for s in parsed.specifier), req


# -- installs ---------------------------------------------------------------------------------

INVOKE_SCRIPT = """
import importlib.metadata, json
import httpx
import cdnetworks.core
from cdnetworks.core import Client, products

seen = []
def handler(request):
    seen.append(request)
    return httpx.Response(200, json={"images": []}, headers={"x-cnc-request-id": "req-1"})

with Client(access_key="AKWHEEL", secret_key="wheel-secret", endpoint="https://api.example.com",
            transport=httpx.MockTransport(handler)) as client:
    result = client.invoke("GET", "/vmp/images", params={"limit": 1})
    plugins = sorted(name for name, _ in client.plugin_manager.list_name_plugin())
print(json.dumps({
    "file": cdnetworks.core.__file__,
    "version": cdnetworks.core.__version__,
    "dist_version": importlib.metadata.version("cdnetworks-core"),
    "request_id": result.request_id,
    "data": result.data,
    "authorization": seen[0].headers["authorization"].split(" ")[0],
    "user_agent": seen[0].headers["user-agent"],
    "traceparent": seen[0].headers.get("traceparent"),
    "products": sorted(products()),
    "plugins": plugins,
}))
"""


def test_core_alone_imports_and_invokes_then_loads_a_plugin_by_entry_point(
    venv: Venv, wheelhouse: Path
) -> None:
    venv.pip_install("cdnetworks-core")
    out = venv.run(INVOKE_SCRIPT)
    assert "site-packages" in str(out["file"])  # the installed wheel, not the checkout
    assert out["version"] == out["dist_version"] == version_of(CORE.version_file)
    assert out["request_id"] == "req-1"
    assert out["data"] == {"images": []}
    assert out["authorization"] == "CNC-HMAC-SHA256"
    assert str(out["user_agent"]).startswith(f"cdnetworks-sdk-python/{out['version']} python/")
    assert out["products"] == []
    assert out["traceparent"] is None
    assert not venv.installed() & _forbidden_for_lean_installs(wheelhouse)

    # The example plugin, installed as a third party would: found through its entry point.
    venv.pip_install("cdnetworks-tracing-example")
    out = venv.run(
        INVOKE_SCRIPT
        + "import cdnetworks_tracing; span = cdnetworks_tracing.plugin.spans[-1]\n"
        + "print(json.dumps({'traceparent': seen[0].headers['traceparent'],"
        + " 'trace_id': span.trace_id, 'outcome': span.outcome, 'action': span.action,"
        + " 'plugins': plugins}))"
    )
    assert str(out["traceparent"]).startswith(f"00-{out['trace_id']}-")
    assert out["outcome"] == "success"
    assert out["action"] == "GET /vmp/images"
    assert "tracing" in out["plugins"]  # type: ignore[operator]


PRODUCT_SCRIPT = """
import json
from cdnetworks.core import Client, products
with Client(access_key="AKWHEEL", secret_key="wheel-secret",
            endpoint="https://api.example.com") as client:
    found = {name: type(client.product(name)).__module__ for name in client.products}
print(json.dumps({"discovered": sorted(products()), "clients": found}))
"""


#: Products installed alone into a fresh venv each (a venv per product of the whole catalogue would
#: take most of CI's time): the hand-reviewed ones, the largest, and one whose Go name is misspelt.
#: Every wheel's contents are still checked above, and ``[all]`` installs every product below.
INSTALL_SAMPLE = [
    p
    for p in PRODUCTS
    if p in {"imagemanage", "cacherefresh", "fileprefetch", "securitypolicy", "domainconfigurtion"}
] or PRODUCTS[:3]


@pytest.mark.skipif(not PRODUCTS, reason="no product distribution in products/ yet")
@pytest.mark.parametrize("product", INSTALL_SAMPLE)
def test_one_product_registers_through_its_entry_point(
    venv: Venv, wheelhouse: Path, product: str
) -> None:
    venv.pip_install(f"cdnetworks-{product}")
    out = venv.run(PRODUCT_SCRIPT)
    assert out["discovered"] == [product]
    assert str(out["clients"][product]).startswith(f"cdnetworks.{product}")  # type: ignore[index]
    installed = venv.installed()
    assert {"cdnetworks-core", f"cdnetworks-{product}"} <= installed
    assert "cdnetworks-sdk" not in installed
    assert not installed & _forbidden_for_lean_installs(wheelhouse)


def test_full_install_extras_resolve_from_the_wheel_folder(venv: Venv, wheelhouse: Path) -> None:
    for product in PRODUCTS[:1]:  # one product's extra pulls in that product and the core only
        venv.pip_install(f"cdnetworks-sdk[{product}]")
        ours = {n for n in venv.installed() if n.startswith("cdnetworks-")}
        assert ours == {"cdnetworks-sdk", "cdnetworks-core", f"cdnetworks-{product}"}
        assert not venv.installed() & _forbidden_for_lean_installs(wheelhouse)

    venv.pip_install("cdnetworks-sdk[all]")
    ours = {n for n in venv.installed() if n.startswith("cdnetworks-")}
    # Every product, the CLI, the core and the full install itself; the code generator is a
    # maintainers' tool, not part of any install, and OpenTelemetry is asked for on its own.
    every = {d.name for d in DISTS} - {"cdnetworks-codegen", "cdnetworks-otel"}
    assert ours == every
    assert not venv.installed() & {"mkdocs", "mkdocs-material", "mkdocstrings-python"}
    out = venv.run(PRODUCT_SCRIPT)
    assert out["discovered"] == PRODUCTS
    cli = Path(venv.python).parent / "cdnetworks"
    done = subprocess.run([str(cli), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


OTEL_SCRIPT = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import httpx
from cdnetworks.core import Client

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
answer = httpx.Response(200, json={}, headers={"x-cnc-request-id": "req-otel"})
with Client(access_key="AKWHEEL", secret_key="wheel-secret", endpoint="https://api.example.com",
            transport=httpx.MockTransport(lambda request: answer)) as client:
    client.invoke("GET", "/vmp/images")
(span,) = exporter.get_finished_spans()
print(json.dumps({"name": span.name, "attributes": dict(span.attributes)}))
"""


def test_the_otel_extra_brings_the_plugin_and_the_opentelemetry_api_only(
    venv: Venv, wheelhouse: Path
) -> None:
    venv.pip_install("cdnetworks-sdk[otel]")
    installed = venv.installed()
    ours = {"cdnetworks-sdk", "cdnetworks-core", "cdnetworks-otel"}
    assert {n for n in installed if n.startswith("cdnetworks-")} == ours
    assert "opentelemetry-api" in installed
    assert "opentelemetry-sdk" not in installed  # the application chooses its SDK
    out = venv.run(INVOKE_SCRIPT)  # found through its entry point; without an SDK, a no-op
    assert "cdnetworks.otel" in out["plugins"]  # type: ignore[operator]
    assert out["request_id"] == "req-1"

    venv.pip_install("opentelemetry-sdk")
    out = venv.run(OTEL_SCRIPT)
    assert out["name"] == "GET /vmp/images"
    attributes = out["attributes"]
    assert isinstance(attributes, dict)
    assert attributes["cdnetworks.request_id"] == "req-otel"
    assert attributes["rpc.system"] == "cdnetworks"
