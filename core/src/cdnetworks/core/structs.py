"""Copies of a model's struct class with other field types and no ``__post_init__``.

Two parts of the core need one: validating a request model a caller built (its own
``__post_init__`` already ran) and decoding answers whose numbers the service sometimes sends as
text (the fields widened to accept it). Both keep the model's names, defaults and config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec


def twin_struct(model: type[msgspec.Struct], types: Mapping[str, Any]) -> type[msgspec.Struct]:
    """A struct named as ``model``, each field typed ``types[field]``, with ``model``'s wire names,
    defaults and config, keyword-only, and without ``model``'s methods (``__post_init__``)."""
    config = model.__struct_config__
    fields: list[Any] = []
    for f in msgspec.structs.fields(model):
        if f.default is not msgspec.NODEFAULT:
            fields.append((f.name, types[f.name], f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, types[f.name], msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, types[f.name]))
    return msgspec.defstruct(
        model.__name__,
        fields,
        rename={f.name: f.encode_name for f in msgspec.structs.fields(model)},
        kw_only=True,
        omit_defaults=config.omit_defaults,
        forbid_unknown_fields=config.forbid_unknown_fields,
        tag=config.tag,
        tag_field=config.tag_field,
        array_like=config.array_like,
    )
