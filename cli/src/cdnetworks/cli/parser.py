"""The argument parser's behaviour: global options anywhere, "did you mean", one-line refusals.

Nothing here imports the core or httpx, so ``cdnetworks --help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 3, 130
#: What a shell reports for a process ended by SIGPIPE; ``cat`` in a closed pipe exits so.
EXIT_BROKEN_PIPE = 141


class UsageError(Exception):
    """Input the CLI refuses before sending anything: one line on stderr and exit 2 (or 3)."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def seconds(text: str) -> float:
    """A positive, finite number of seconds (``inf`` and ``nan`` would never time out)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive, finite number of seconds")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of 1 or more")
    return value


@dataclass(frozen=True)
class GlobalOption:
    flags: tuple[str, ...]
    dest: str
    help: str
    metavar: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def takes_value(self) -> bool:
        return self.kwargs.get("action") not in ("store_true",)


#: Accepted before or after the command; their ``g_`` names keep clear of command options.
GLOBAL_OPTIONS = (
    GlobalOption(("--profile",), "g_profile", "profile of the credentials file", "NAME"),
    GlobalOption(
        ("--endpoint",), "g_endpoint", "API endpoint (default: https://api.cdnetworks.com)", "URL"
    ),
    GlobalOption(
        ("--access-key",),
        "g_access_key",
        "access key; its secret comes from CDNETWORKS_SECRET_KEY or the profile",
        "KEY",
    ),
    GlobalOption(
        ("--emulator",),
        "g_emulator",
        "run against an in-process emulator seeded with demo data (no credentials needed)",
        kwargs={"action": "store_true"},
    ),
    GlobalOption(
        ("--output",),
        "g_output",
        "output format: json (default), table (for people), or text (tab-separated values, "
        "one line a row, for shell scripts)",
        "FORMAT",
        {"choices": ("json", "table", "text")},
    ),
    GlobalOption(
        ("--query",),
        "g_query",
        "JMESPath expression applied to the JSON result, e.g. 'images[].id'",
        "EXPR",
    ),
    GlobalOption(
        ("--timeout",),
        "g_timeout",
        "connect, read and write timeout of each attempt, in seconds (default: 5 to connect, "
        "30 to read and write)",
        "SECONDS",
        {"type": seconds},
    ),
    GlobalOption(
        ("--max-attempts",),
        "g_max_attempts",
        "attempts per call, retries included (default: 3)",
        "N",
        {"type": positive_int},
    ),
    GlobalOption(
        ("--ca-bundle",),
        "g_ca_bundle",
        "PEM file of the certificate authorities to trust (a private CA or a TLS-inspecting "
        "proxy); default: the system's",
        "PATH",
    ),
    GlobalOption(
        ("--debug",),
        "g_debug",
        "log each attempt to stderr; show tracebacks",
        kwargs={"action": "store_true"},
    ),
)
GLOBAL_DEFAULTS: dict[str, Any] = {
    o.dest: (None if o.takes_value else False) for o in GLOBAL_OPTIONS
}


def add_global_options(parser: argparse.ArgumentParser, *, late: bool = False) -> None:
    """Add the global options; ``late`` (on a command) leaves unset ones to the top level.

    A command's own option of the same name wins: it keeps its meaning there.
    """
    group = parser.add_argument_group("global options") if late else parser
    if late:
        parser.set_defaults(_usage_hides_globals=True)
    for option in GLOBAL_OPTIONS:
        if any(flag in parser._option_string_actions for flag in option.flags):
            continue
        kwargs = dict(option.kwargs)
        if option.metavar and option.takes_value and "choices" not in kwargs:
            kwargs["metavar"] = option.metavar
        group.add_argument(
            *option.flags,
            dest=option.dest,
            help=option.help,
            default=argparse.SUPPRESS if late else GLOBAL_DEFAULTS[option.dest],
            **kwargs,
        )


_GLOBAL_DESTS = frozenset(o.dest for o in GLOBAL_OPTIONS)
_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)")


#: Past this many choices an invalid one is answered with a suggestion, not the whole list.
_LISTED_CHOICES = 12
#: The release that stops accepting abbreviated options.
ABBREVIATIONS_REMOVED_IN = "0.2.0"
#: Abbreviations met while parsing (typed -> full option), for `abbreviation_warnings`.
ABBREVIATED: dict[str, str] = {}


def abbreviation_warnings() -> list[str]:
    """One deprecation line per abbreviated option of the last parse (and forget them)."""
    lines = [
        f"cdnetworks: warning: {typed} is an abbreviation of {full}; abbreviated options are "
        f"deprecated and stop working in {ABBREVIATIONS_REMOVED_IN}\n"
        for typed, full in ABBREVIATED.items()
    ]
    ABBREVIATED.clear()
    return lines


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose commands report their own mistakes with their own usage.

    Abbreviated options (``--out`` for ``--output``) are deprecated: a prefix that works today
    breaks a script the day a product adds an option starting the same way. They still work,
    with a warning on stderr, until `ABBREVIATIONS_REMOVED_IN`.
    """

    def _get_option_tuples(self, option_string: str) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = super()._get_option_tuples(option_string)
        if len(found) == 1 and option_string.startswith("--"):
            # Every level of the command tree looks at every argument: collect, warn once.
            ABBREVIATED[option_string.split("=", 1)[0]] = str(found[0][1])
        return found

    def format_usage(self) -> str:
        with self._short_usage():
            return super().format_usage()

    def format_help(self) -> str:
        with self._short_usage():
            return super().format_help()

    @contextlib.contextmanager
    def _short_usage(self) -> Iterator[None]:
        """A command's usage lists its own options; the globals are one ``[global options]``."""
        if self.usage is not None or not self.get_default("_usage_hides_globals"):
            yield
            return
        own = [a for a in self._actions if a.dest not in _GLOBAL_DESTS]
        formatter = self._get_formatter()
        formatter.add_usage(None, own, self._mutually_exclusive_groups, prefix="")
        text = formatter.format_help().strip()
        # argparse puts "usage: " before it: continuation lines move along.
        self.usage = text.replace("\n", "\n" + " " * len("usage: ")) + " [global options]"
        try:
            yield
        finally:
            self.usage = None

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        # Every level refuses what it does not know, so a mistyped option is reported with the
        # usage of the command it was typed for, not the top level's.
        unknown = [a for a in extras if a.startswith("-")]
        if unknown:
            self.error(f"unrecognized option {unknown[0]}{self._suggest(unknown[0])}")
        if extras:
            self.error(f"unexpected argument {extras[0]!r}")
        return parsed, extras

    def check_leading_options(self, argv: Sequence[str]) -> None:
        """Refuse an unknown option before the command, before argparse takes its value for
        the command's name (``--outptu table imagemanage ...``)."""
        skip = False
        for arg in argv:
            flag = arg.split("=", 1)[0]
            if skip:
                skip = False
            elif not arg.startswith("-"):
                return
            elif not any(known.startswith(flag) for known in self._option_string_actions):
                self.error(f"unrecognized option {flag}{self._suggest(flag)}")
            elif flag not in self._option_string_actions:
                return  # an abbreviation: argparse resolves it (and warns)
            elif "=" not in arg and self._option_string_actions[flag].nargs != 0:
                skip = True

    def _suggest(self, word: str) -> str:
        flag = word.split("=", 1)[0]
        close = difflib.get_close_matches(flag, list(self._option_string_actions), n=1)
        return f" (did you mean {close[0]}?)" if close else ""

    def error(self, message: str) -> NoReturn:
        found = _CHOICE.search(message)
        if found:
            choices = [c.strip().strip("'") for c in found["choices"].split(",")]
            close = difflib.get_close_matches(found["word"], choices, n=1)
            if len(choices) > _LISTED_CHOICES:
                # A product or command name: a suggestion and where the list is, not a wall
                # of every choice.
                head = message[: found.start()] + f"invalid choice: {found['word']!r}"
                where = f"{self.prog} --help lists them"
                message = (
                    f"{head} (did you mean {close[0]}? {where})" if close else (f"{head} ({where})")
                )
            elif close:
                message += f" (did you mean {close[0]}?)"
        super().error(message)
