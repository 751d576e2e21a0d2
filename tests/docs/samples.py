"""Find the runnable samples in Markdown pages.

A sample is a fenced block opened by a line of three backticks followed by ``python`` (with
optional attributes such as ``title="..."``), at any indentation (blocks inside admonitions are
indented). A ``console`` block is a shell transcript: its ``$ `` lines are the commands (the
other lines show their output) and run as one bash script; one without prompts is only shown.
Blocks for commands a reader should only read, such as installs, use ``bash`` and are not run.

A block whose first line is ``# docs: no-run (reason)`` is shown but not run; the reason is
compulsory. Snippet includes inside a block (``--8<-- "path"`` on one line, or paths one per
line between two ``--8<--`` lines) are replaced by the files, relative to the repository root,
as the site's ``pymdownx.snippets`` extension does, so a page can show and run a real source
file. (The block form also keeps ``ruff format`` from rewriting the include as Python.)
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

ROOT = Path(__file__).resolve().parents[2]
OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)(?P<attrs>[^`]*)$")
SNIPPET = re.compile(r'^--8<--\s+"(?P<path>[^"]+)"\s*$')
SNIPPET_BLOCK = "--8<--"
RUNNABLE = ("python", "console")
NO_RUN = re.compile(r"^#\s*docs:\s*no-run\b(?P<reason>.*)$")


@dataclass(frozen=True)
class Sample:
    page: str
    line: int  # 1-based line of the first code line in the page
    code: str
    skip_reason: str | None
    lang: str = "python"  # "python", or "console": shell commands, run as one bash script

    def compiled(self) -> CodeType:
        # Pad with newlines so tracebacks show the page's own line numbers.
        return compile("\n" * (self.line - 1) + self.code, self.page, "exec")


def pages() -> list[Path]:
    """Every page whose samples must run: the site's pages and the READMEs."""
    found = sorted((ROOT / "docs").rglob("*.md"))
    found.append(ROOT / "README.md")
    # Every distribution's README (its PyPI description), the example plugin's included.
    for pattern in (
        "*/README.md",
        "products/*/README.md",
        "plugins/*/README.md",
        "examples/*/README.md",
    ):
        found += sorted(p for p in ROOT.glob(pattern) if (p.parent / "pyproject.toml").exists())
    return found


def extract(path: Path) -> list[Sample]:
    """The page's fenced ``python`` blocks, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    samples: list[Sample] = []
    i = 0
    while i < len(lines):
        match = OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        start = i + 1
        end = start
        while end < len(lines) and not (
            lines[end].strip().startswith(fence) and lines[end].strip().strip(fence[0]) == ""
        ):
            end += 1
        if end == len(lines):
            raise ValueError(f"{rel}:{i + 1}: code fence never closed")
        if match["lang"] in RUNNABLE:
            body = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[start:end]]
            text = textwrap.dedent("\n".join(body)) + "\n"
            lang = match["lang"]
            code = _expand(text) if lang == "python" else _commands(text)
            first = text.lstrip().splitlines()[0] if text.strip() else ""
            no_run = NO_RUN.match(first)
            reason = None
            if no_run:
                reason = no_run["reason"].strip(" -:()")
                if not reason:
                    raise ValueError(f"{rel}:{start + 1}: '# docs: no-run' needs a reason")
            if code.strip():  # a console block without prompts is shown, not run
                samples.append(Sample(rel, start + 1, code, reason, lang))
        i = end + 1
    return samples


def _expand(code: str) -> str:
    out: list[str] = []
    in_block = False
    for line in code.splitlines(keepends=True):
        text = line.strip()
        if text == SNIPPET_BLOCK:
            in_block = not in_block
            continue
        snippet = SNIPPET.match(text)
        path = text if in_block and text else snippet["path"] if snippet else None
        out.append((ROOT / path).read_text(encoding="utf-8") if path else line)
    if in_block:
        raise ValueError("a '--8<--' snippet block is never closed")
    return "".join(out)


def _commands(text: str) -> str:
    """The commands of a console transcript: ``$ `` lines (and their ``\\`` continuations)."""
    commands: list[str] = []
    continued = False
    for line in text.splitlines():
        if continued:
            commands.append(line)
        elif line.startswith("$ "):
            commands.append(line[2:])
        else:
            continue  # output, or a comment such as the no-run marker
        continued = line.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"
