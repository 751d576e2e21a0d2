"""Every documented input rule: a ValidationError naming the field, and nothing sent."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from cdnetworks.core import ValidationError
from tests.conftest import Mode

URL = "https://files.example.com/web.qcow2"
MD5 = "0123456789abcdef0123456789abcdef"

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # (method, arguments, field named, text the message must contain)
    ("vmp_query_image", {"type": "PUBLIC"}, "type", "COMMON, SNAPSHOT, CUSTOM"),
    ("vmp_query_image", {"state": "active"}, "state", "ACTIVE, BUILDING, INACTIVE"),
    ("vmp_query_image", {"sort_key": "created_at"}, "sort_key", "name, createdAt, type, size"),
    ("vmp_query_image", {"sort_key": ["name", "age"]}, "sort_key", "'age'; expected one of"),
    ("vmp_query_image", {"sort_key": ["name", "name"]}, "sort_key", "twice"),
    ("vmp_query_image", {"sort_key": "name", "sort_dir": "up"}, "sort_dir", "asc, desc"),
    ("vmp_query_image", {"sort_dir": "asc"}, "sort_dir", "with sort_key"),
    ("vmp_query_image", {"limit": 0}, "limit", ">= 1"),
    ("vmp_query_image", {"limit": "20"}, "limit", "int"),
    ("vmp_query_image", {"limit": True}, "limit", "bool"),
    ("vmp_query_image", {"ids": [f"img-{i}" for i in range(101)]}, "ids", "<= 100"),
    ("vmp_query_image", {"ids": ",".join(f"i{i}" for i in range(101))}, "ids", "<= 100"),
    ("vmp_query_image", {"ids": ["img-1", " "]}, "ids", "blank"),
    ("vmp_query_image", {"ids": []}, "ids", ">= 1"),
    ("vmp_create_image", {"instance_uuid": "vm-1"}, "name", "required"),
    ("vmp_create_image", {"name": "  ", "instance_uuid": "vm-1"}, "name", "blank"),
    ("vmp_create_image", {"name": "n"}, "image_src_url", "exactly one"),
    (
        "vmp_create_image",
        {"name": "n", "instance_uuid": "vm-1", "image_src_url": URL, "ostype": "linux"},
        "instance_uuid",
        "exactly one",
    ),
    ("vmp_create_image", {"name": "n", "image_src_url": URL}, "ostype", "required"),
    (
        "vmp_create_image",
        {"name": "n", "image_src_url": URL, "ostype": "macos"},
        "ostype",
        "windows, linux",
    ),
    (
        "vmp_create_image",
        {"name": "n", "image_src_url": "file:///etc/passwd", "ostype": "linux"},
        "image_src_url",
        "http(s) URL",
    ),
    ("vmp_create_image", {"name": "n", "instance_uuid": "vm-1", "md5": MD5}, "md5", "only with"),
    (
        "vmp_create_image",
        {"name": "n", "image_src_url": URL, "ostype": "linux", "md5": "abc"},
        "md5",
        "32 hexadecimal",
    ),
    ("vmp_create_image", {"name": "n", "instance_uuid": "vm-1", "min_disk": 0}, "min_disk", ">= 1"),
    ("vmp_create_image", {"name": "n", "instance_uuid": "vm-1", "min_disk": -5}, "min_disk", ">="),
    (
        "vmp_create_image",
        {"name": "n", "instance_uuid": "vm-1", "min_disk": 1.5},
        "min_disk",
        "int",
    ),
    (
        "vmp_create_image",
        {"name": "n", "instance_uuid": "vm-1", "qga_enabled": "yes"},
        "qga_enabled",
        "expected one of TRUE, FALSE",
    ),
    ("vmp_remove_image", {}, "image_id", "required"),
    ("vmp_remove_image", {"image_id": ""}, "image_id", "empty"),
    ("vmp_remove_image", {"image_id": "   "}, "image_id", "empty"),
    ("vmp_remove_image", {"image_id": ".."}, "image_id", "not a valid"),
    ("vmp_remove_image", {"image_id": "."}, "image_id", "not a valid"),
    ("deploy_vmp_image_preheating", {"image_id": "img-1"}, "node_names", "required"),
    ("deploy_vmp_image_preheating", {"image_id": "img-1", "node_names": []}, "node_names", ">= 1"),
    (
        "deploy_vmp_image_preheating",
        {"image_id": "img-1", "node_names": ["node-a", " "]},
        "node_names",
        "blank",
    ),
    ("deploy_vmp_image_preheating", {"node_names": ["node-a"]}, "image_id", "required"),
    (
        "deploy_vmp_image_preheating",
        {"image_id": "", "node_names": ["node-a"]},
        "image_id",
        "blank",
    ),
    ("query_vmp_image_preheating_state", {}, "image_id", "required"),
    ("query_vmp_image_preheating_state", {"image_id": ""}, "image_id", "empty"),
    ("query_vmp_image_preheating_state", {"image_id": ".."}, "image_id", "not a valid"),
]


@pytest.mark.parametrize(
    ("method", "arguments", "field", "text"),
    CASES,
    ids=[f"{m}-{f}-{i}" for i, (m, _, f, _) in enumerate(CASES)],
)
def test_bad_input_names_the_field_and_sends_nothing(
    mode: Mode,
    api: respx.MockRouter,
    images: Any,
    method: str,
    arguments: dict[str, Any],
    field: str,
    text: str,
) -> None:
    route = api.route().respond(200, json={})
    with pytest.raises(ValidationError) as caught:
        mode.run(getattr(images, method), **arguments)
    assert caught.value.field == field
    assert text in str(caught.value)
    assert caught.value.action is not None
    assert route.call_count == 0


def test_unknown_keyword_is_refused_by_the_method(images: Any) -> None:
    with pytest.raises(TypeError):
        images.vmp_query_image(page=2)
