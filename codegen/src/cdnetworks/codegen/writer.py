"""Writing files: JSON as the specs keep it, and whole files only when they changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def dump_json(data: Any) -> str:
    """Stable, diff-friendly JSON: two-space indent, keys in the order given, UTF-8 kept."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds it; whether it wrote."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True
