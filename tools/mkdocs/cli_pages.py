"""A mkdocs hook: the command-line reference pages, generated from the CLI's own parser.

A page holds a marker line and gets, in its place, the reference of a command group built from
`cdnetworks.cli.main.build_parser` (the parser ``cdnetworks`` itself runs with), so the pages
cannot drift from the command:

* ``<!-- cdnetworks-cli: GROUP -->``: every command of GROUP (a product such as
  ``imagemanage``, or a built-in such as ``configure``): usage, description, options;
* ``<!-- cdnetworks-cli: global-options -->``: the table of global options.

Loaded by ``mkdocs.yml`` (``hooks:``).
"""

from __future__ import annotations

import argparse
import functools
import re
from typing import Any

MARKER = re.compile(r"^<!-- cdnetworks-cli: (?P<group>[\w-]+) -->$", re.MULTILINE)
COLUMNS = 88


@functools.cache
def _parser() -> argparse.ArgumentParser:
    from cdnetworks.cli.main import build_parser

    return build_parser()


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help(action: argparse.Action) -> str:
    text = " ".join((action.help or "").split())
    if "%(" in text:
        text = text % {"default": action.default, "prog": ""}
    return text.replace("|", "\\|")


def _value(action: argparse.Action) -> str:
    if action.nargs == 0:
        return ""
    if action.choices:
        return " \\| ".join(f"`{c}`" for c in action.choices)
    metavar = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    return f"`{metavar}`" + (" ..." if action.nargs in ("+", "*") else "")


def _own_options(parser: argparse.ArgumentParser, skip_globals: bool) -> list[argparse.Action]:
    from cdnetworks.cli.parser import GLOBAL_OPTIONS

    global_dests = {o.dest for o in GLOBAL_OPTIONS}
    return [
        a
        for a in parser._actions
        if a.option_strings
        and a.help != argparse.SUPPRESS
        and "--help" not in a.option_strings
        and not (skip_globals and a.dest in global_dests)
    ]


def _options_table(actions: list[argparse.Action]) -> str:
    rows = ["| option | value | meaning |", "|---|---|---|"]
    for action in actions:
        flags = ", ".join(f"`{f}`" for f in action.option_strings)
        rows.append(f"| {flags} | {_value(action)} | {_help(action)} |")
    return "\n".join(rows)


def _positionals(parser: argparse.ArgumentParser) -> str:
    rows = []
    for action in parser._actions:
        if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
            metavar = action.metavar if isinstance(action.metavar, str) else action.dest
            rows.append(f"| `{metavar}` | {_help(action)} |")
    if not rows:
        return ""
    return "\n".join(["| argument | meaning |", "|---|---|", *rows])


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=COLUMNS)
    own = [a for a in parser._actions if a in _own_options(parser, True) or not a.option_strings]
    formatter.add_usage(None, own, [], prefix="")
    return formatter.format_help().strip()


def command(parser: argparse.ArgumentParser, level: str = "##") -> str:
    """The Markdown reference of one command (and of its subcommands, if it has any)."""
    parts = [f"{level} `{parser.prog}`", ""]
    if parser.description:
        parts += [parser.description.replace("\n\n", "\n\n").strip(), ""]
    parts += ["```text", _usage(parser) + " [global options]", "```", ""]
    positionals = _positionals(parser)
    if positionals:
        parts += [positionals, ""]
    options = _own_options(parser, True)
    if options:
        parts += [_options_table(options), ""]
    if parser.epilog:
        parts += [" ".join(parser.epilog.split()).replace("%%", "%"), ""]
    for child in _children(parser).values():
        parts.append(command(child, level + "#"))
    return "\n".join(parts)


def group(name: str) -> str:
    top = _parser()
    if name == "global-options":
        return _options_table([a for a in _own_options(top, False) if a.dest != "version"])
    children = _children(top)
    if name not in children:
        known = ", ".join(children)
        raise ValueError(f"cdnetworks-cli marker names {name!r}; the command has: {known}")
    parser = children[name]
    subcommands = _children(parser)
    if not subcommands or name == "configure":
        return command(parser)
    return "\n".join(command(sub) for sub in subcommands.values())


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return MARKER.sub(lambda m: group(m["group"]), markdown)
