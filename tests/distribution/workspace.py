"""The repository's distributions, read from the workspace the root ``pyproject.toml`` declares."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the suite runs on 3.11+
    import pytest

    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = sorted(p.name for p in (ROOT / "products").glob("*") if (p / "pyproject.toml").exists())
EXAMPLE = ROOT / "examples" / "tracing-plugin"


def version_of(path: Path) -> str:
    namespace: dict[str, str] = {}
    exec(path.read_text(), namespace)  # noqa: S102 - the project's own version file
    return namespace["__version__"]


@dataclass(frozen=True)
class Dist:
    name: str  # distribution name
    version_file: Path  # its single version source
    typed_package: str | None  # the folder inside the wheel that must hold py.typed


def _dist(folder: Path) -> Dist:
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    name = project["project"]["name"]
    version_file = folder / project["tool"]["hatch"]["version"]["path"]
    leaf = name.removeprefix("cdnetworks-")
    return Dist(name, version_file, None if folder == ROOT else f"cdnetworks/{leaf}")


#: Workspace members that are the project's own development tools, not part of the SDK users
#: install (not in ``[all]``, not held to the released distributions' metadata).
DEV_TOOLS = {"cdnetworks-codegen"}


def _members() -> list[Dist]:
    """The root (the full install) and every workspace member the SDK ships, as the root
    declares them."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    folders = [ROOT]
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        folders += sorted(p for p in ROOT.glob(pattern) if (p / "pyproject.toml").exists())
    return [d for d in map(_dist, folders) if d.name not in DEV_TOOLS]


DISTS = _members()
CORE = next(d for d in DISTS if d.name == "cdnetworks-core")
