"""One version per distribution, from one source, reported where users see it (fast checks).

The wheel-building checks are in ``test_wheels.py`` (marked ``distribution``).
"""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import cdnetworks.core
from cdnetworks.core import Client, hookimpl
from tests.conftest import Mode
from tests.distribution.workspace import DISTS, ROOT, Dist, tomllib, version_of


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.name)
def test_installed_version_is_the_version_source(dist: Dist) -> None:
    assert importlib.metadata.version(dist.name) == version_of(dist.version_file)


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.name)
def test_changelog_has_a_section_for_the_version(dist: Dist) -> None:
    version = version_of(dist.version_file)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M), version


def test_internal_requirements_accept_the_versions_in_the_tree() -> None:
    versions = {d.name: Version(version_of(d.version_file)) for d in DISTS}
    for dist in DISTS:
        folder = ROOT if dist.typed_package is None else dist.version_file.parents[3]
        project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
        requirements = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            requirements += extra
        for text in requirements:
            req = Requirement(text)
            if req.name in versions and req.name != dist.name:
                assert versions[req.name] in req.specifier, f"{dist.name}: {text}"


def test_user_agent_reports_the_core_version_and_a_suffix() -> None:
    sent: list[str] = []

    class Spy:
        @hookimpl
        def cdnetworks_after_response(self, request: httpx.Request) -> None:
            sent.append(request.headers["user-agent"])

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with Client(
        access_key="AK",
        secret_key="SK",
        endpoint="https://api.example.com",
        transport=transport,
        load_entry_points=False,
        plugins=[Spy()],
        user_agent_suffix="cdnetworks-example/9.9",
    ) as client:
        client.invoke("GET", "/vmp/images")
    version = cdnetworks.core.__version__
    assert version == importlib.metadata.version("cdnetworks-core")
    assert re.fullmatch(
        rf"cdnetworks-sdk-python/{re.escape(version)} python/\S+ httpx/\S+ cdnetworks-example/9\.9",
        sent[0],
    )


@pytest.mark.parametrize("suffix", [None, "my-deployer/2.1"])
def test_product_clients_add_their_name_and_version(mode: Mode, suffix: str | None) -> None:
    from cdnetworks.imagemanage import AsyncImageManageClient, ImageManageClient
    from cdnetworks.imagemanage import __version__ as product_version

    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["user-agent"])
        return httpx.Response(200, json={"images": []})

    cls = AsyncImageManageClient if mode.is_async else ImageManageClient
    images: Any = cls(
        access_key="AK",
        secret_key="SK",
        endpoint="https://api.example.com",
        transport=httpx.MockTransport(handler),
        load_entry_points=False,
        user_agent_suffix=suffix,
    )
    mode.run(images.vmp_query_image, limit=1)
    mode.run(images.aclose if mode.is_async else images.close)
    expected = f" cdnetworks-imagemanage/{product_version}" + (f" {suffix}" if suffix else "")
    assert sent[0].startswith(f"cdnetworks-sdk-python/{cdnetworks.core.__version__} ")
    assert sent[0].endswith(expected)
