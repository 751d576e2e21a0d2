"""Limit proposals: numbers the upstream field descriptions state as limits, for review.

A description saying "should not exceed 500", "at most 400", "maximum length ... 2000" or
"500 per day" states a fact a job needs. The import never applies one: it reports each as a
review note (the field, the phrase's kind and its number), and a reviewer declares what holds
in the product's overrides (``actions.<Action>.batch``, with a ``why``). Notes on an action
that already declares its batch limits say so. Only the number and the kind of phrase are
kept, never the description's prose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

#: Phrases stating a limit, and the kind of limit each suggests.
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("per day", re.compile(r"(\d[\d,]*)\s*(?:[a-z]+\s+){0,2}(?:per day|a day|/day|daily)", re.I)),
    (
        "per call",
        re.compile(
            r"(?:each|per|single|one)\s+(?:api\s+)?(?:call|request)[^.\n]*?"
            r"(?:should not|must not|cannot|can not|not)\s+exceed\s+(\d[\d,]*)",
            re.I,
        ),
    ),
    ("should not exceed", re.compile(r"(?:should|must|can)\s*not\s+exceed\s+(\d[\d,]*)", re.I)),
    ("at most", re.compile(r"at most\s+(\d[\d,]*)", re.I)),
    (
        "maximum",
        re.compile(
            r"maximum(?:\s+(?:of|length|number))?(?:\s+of)?(?:\s+[a-z]+){0,4}?\s+(?:is\s+)?(\d[\d,]*)",
            re.I,
        ),
    ),
    ("up to", re.compile(r"up to\s+(\d[\d,]*)", re.I)),
    ("no more than", re.compile(r"no more than\s+(\d[\d,]*)", re.I)),
    ("at most (<=)", re.compile(r"<=\s*(\d[\d,]*)\s+items", re.I)),
)


@dataclass(frozen=True)
class Proposal:
    struct: str
    wire: str
    repeated: bool
    kind: str
    number: int
    line: int

    def note(self, declared: bool) -> str:
        shape = "list field" if self.repeated else "field"
        state = "declared in overrides (reviewed)" if declared else "review: declare in overrides"
        return (
            f"limit proposal: {self.struct}.{self.wire} ({shape}, models.go:{self.line}): "
            f"{self.kind} {self.number} - {state}"
        )


def _english(comment: str) -> str:
    try:
        data = json.loads(comment, strict=False)
    except ValueError:
        match = re.search(r"""["']en["']\s*:\s*["']((?:[^"'\\]|\\.)*)""", comment)
        return match.group(1) if match else ""
    return str(data.get("en", "")) if isinstance(data, dict) else ""


def proposals(models_text: str) -> list[Proposal]:
    """Every limit phrase of the field descriptions of ``models.go``."""
    found: list[Proposal] = []
    struct = ""
    comment = ""
    for number, raw in enumerate(models_text.split("\n"), start=1):
        line = raw.strip()
        opened = re.match(r"^type\s+(\w+)\s+struct", line)
        if opened:
            struct = opened.group(1)
            continue
        if line.startswith("//"):
            comment = line[2:].strip()
            continue
        field = re.match(r"^([A-Za-z_]\w*)\s+(\S+)\s+`([^`]*)`", line)
        if field and struct and comment:
            wire = re.search(r'json:"([^",]*)', field.group(3))
            repeated = 'type:"Repeated"' in field.group(3)
            text = _english(comment)
            seen: set[tuple[str, int]] = set()
            for kind, pattern in _PHRASES:
                for match in pattern.finditer(text):
                    value = int(match.group(1).replace(",", ""))
                    # A phrase counted as "per call" is not counted again as "should not exceed".
                    if any(n == value for _, n in seen):
                        continue
                    seen.add((kind, value))
                    found.append(
                        Proposal(
                            struct,
                            wire.group(1) if wire else field.group(1),
                            repeated,
                            kind,
                            value,
                            number,
                        )
                    )
        comment = "" if field else comment
    return found


def declared_batches(overrides: Path) -> set[str]:
    """Actions whose overrides declare batch limits."""
    try:
        data = json.loads(overrides.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    actions = data.get("actions", {}) if isinstance(data, dict) else {}
    return {name for name, patch in actions.items() if isinstance(patch, dict) and "batch" in patch}


def notes(models_text: str, overrides: Path) -> list[str]:
    """The review notes of one product (request structs only: ``<Action>Request``)."""
    declared = declared_batches(overrides)
    out = []
    for proposal in proposals(models_text):
        if not proposal.struct.endswith("Request"):
            continue
        action = proposal.struct[: -len("Request")]
        out.append(proposal.note(action in declared))
    return out
