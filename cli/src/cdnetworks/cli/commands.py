"""The command tree, generated from the registered products.

``cdnetworks PRODUCT ACTION [options]``: one subcommand per `Action`
(options from its request model) and per method the product lists in ``Product.commands``
(options from the method's signature; required parameters become positionals).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass
from typing import Any

from cdnetworks.core import Action, Client, Product, ValidationError

from .input_json import read_json, request_arguments
from .options import Option, model_options, signature_options
from .output import paged
from .parser import UsageError, add_global_options
from .progress import Progress

#: Parameters the CLI supplies itself rather than exposing as options.
SUPPLIED = frozenset({"progress", "request"})


def kebab(name: str) -> str:
    return name.replace("_", "-")


@dataclass(frozen=True)
class ActionCommand:
    product: Product
    action: Action[Any, Any]
    options: tuple[Option, ...]
    #: ``(old, new)`` when the command was called by its deprecated name.
    renamed: tuple[str, str] | None = None

    def check(self, args: argparse.Namespace, stdin: Any) -> None:
        """Read ``--cli-input-json`` before the client is built: bad input sends nothing."""
        if self.renamed is not None:
            old, new = self.renamed
            print(
                f"cdnetworks: warning: {old} is deprecated, use {new} (the old name goes in 1.0)",
                file=sys.stderr,
            )
        source = getattr(args, "_input_json", None)
        if source is not None:
            document = read_json(source, "--cli-input-json", stdin)
            args._input_arguments = request_arguments(document, self.action.request)
        given = {**getattr(args, "_input_arguments", {}), **_values(self.options, args)}
        missing = [o.flag for o in self.options if o.required and o.dest not in given]
        if missing:
            raise UsageError(
                f"{self.action.name}: the following arguments are required: {', '.join(missing)}"
                " (as options or in --cli-input-json)"
            )

    def run(self, client: Client, args: argparse.Namespace, progress: Progress) -> Any:
        # Options typed on the command line override the same keys of --cli-input-json.
        kwargs = {**getattr(args, "_input_arguments", {}), **_values(self.options, args)}
        paginate = paginator(self.action)
        if paginate is not None and getattr(args, "_paginate", False):
            method, page_size_field = paginate
            page = self.action.paging.page if self.action.paging else None
            if page is not None and page in kwargs:
                # The walk numbers the pages itself; its method takes no page number.
                raise ValidationError(
                    f"--{kebab(page)} does not go with --paginate, which walks every page",
                    field=page,
                    action=self.action.name,
                )
            if page_size_field and page_size_field in kwargs:
                # The option keeps its per-request meaning: the page size of each request.
                kwargs["page_size"] = kwargs.pop(page_size_field)
            items = getattr(client.product(self.product.name), method)(**kwargs)
            # Every page's items in the shape of one page, so scripts read both alike.
            return paged(self.action.response, items)
        return client.call(self.action, **kwargs)


@dataclass(frozen=True)
class MethodCommand:
    product: Product
    method: str
    options: tuple[Option, ...]
    wants_progress: bool

    def run(self, client: Client, args: argparse.Namespace, progress: Progress) -> Any:
        kwargs = _values(self.options, args)
        if self.wants_progress:
            kwargs["progress"] = progress
        return getattr(client.product(self.product.name), self.method)(**kwargs)


def paginator(action: Action[Any, Any]) -> tuple[str, str | None] | None:
    """``(client method, page-size field)`` from the action's ``paging`` declaration, or from
    ``extras["paginate"]`` for actions that declare none.

    The extra is the method name, or ``{"method": ..., "page_size": field}`` when a request
    field is the page size and the method takes it as ``page_size``.
    """
    if action.paging is not None:
        return action.paging.method, action.paging.page_size
    spec = action.extras.get("paginate")
    if isinstance(spec, str):
        return spec, None
    if isinstance(spec, dict):
        return str(spec["method"]), spec.get("page_size")
    return None


def _values(options: tuple[Option, ...], args: argparse.Namespace) -> dict[str, Any]:
    return {o.dest: getattr(args, o.dest) for o in options if getattr(args, o.dest) is not None}


def _doc(obj: Any, options: tuple[Option, ...] = ()) -> tuple[str, str]:
    doc = _shell_wording(inspect.getdoc(obj) or "", options)
    return (doc.split("\n\n")[0].replace("\n", " "), doc)


def _shell_wording(doc: str, options: tuple[Option, ...]) -> str:
    """A method's docstring as command help: options instead of parameter names, no Python.

    Sentences about the ``progress`` callback go (the command draws progress itself); the
    waiters' exception names become the exit status; paragraphs are re-flowed.
    """
    paragraphs = []
    for paragraph in doc.split("\n\n"):
        text = " ".join(paragraph.split())
        sentences = re.split(r"(?<=[.:;])\s+(?=[A-Za-z{])", text)
        text = " ".join(s for s in sentences if not re.search(r"\bprogress\b", s))
        for option in options:
            shown = option.dest.upper() if option.positional else option.flag
            text = re.sub(rf"(?<![\w-]){re.escape(option.dest)}(?![\w-])", shown, text)
        text = re.sub(r"\bwith Wait(Failed|Timeout)Error\b", "with exit status 1", text)
        text = re.sub(r"\bWait(Failed|Timeout)Error\b", "an error (exit status 1)", text)
        text = re.sub(r"\band return it\b", "and print it", text)
        text = re.sub(r"\bReturns\b", "Prints", text)
        text = text.replace("``", "").replace("`", "")
        if text:
            paragraphs.append(textwrap.fill(text, 78))
    return "\n\n".join(paragraphs)


def _late_globals(parser: argparse.ArgumentParser) -> None:
    """Let the global options follow the command too (``... vmp-query-image --output table``)."""
    add_global_options(parser, late=True)


def _add_action(
    commands: Any, product: Product, action: Action[Any, Any], name: str, *, listed: bool
) -> None:
    options = tuple(model_options(action.request))
    summary = action.summary or action.name
    current = kebab(action.method_name)
    extra = {"help": summary} if listed else {}
    note = "" if listed else f"\n\nDeprecated name of {current}; it goes in 1.0."
    sub = commands.add_parser(
        name,
        description=f"{summary}\n\nAPI action {action.name}: {action.method} {action.path}{note}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **extra,
    )
    for option in options:
        # Required options may come from --cli-input-json: ActionCommand.check checks them.
        option.add_to(sub, enforce_required=False)
    if paginator(action) is not None:
        sub.add_argument(
            "--paginate",
            dest="_paginate",
            action="store_true",
            help="walk every page and print all items, in the shape of one page",
        )
    sub.add_argument(
        "--cli-input-json",
        dest="_input_json",
        metavar="FILE",
        help="take the parameters from a JSON object in FILE (- for stdin), keyed by the "
        "API's names or the option names; options given here override it",
    )
    _late_globals(sub)
    renamed = None if listed else (name, current)
    sub.set_defaults(_run=ActionCommand(product, action, options, renamed))


def add_product(subparsers: Any, product: Product) -> None:
    parser = subparsers.add_parser(
        product.name, help=product.summary, description=product.summary or None
    )
    _late_globals(parser)
    commands = parser.add_subparsers(
        dest="_command", metavar="COMMAND", required=True, parser_class=type(parser)
    )
    for action in product.actions:
        _add_action(commands, product, action, kebab(action.method_name), listed=True)
        legacy = action.legacy_method_name
        if legacy is not None:
            # The name releases before 0.2 used: it still works, warns, and is not listed.
            _add_action(commands, product, action, kebab(legacy), listed=False)
    if product.client is None:
        return
    from .job_commands import add_job_commands

    add_job_commands(commands, product, _late_globals)
    for name in product.commands:
        method = getattr(product.client, name)
        options = tuple(signature_options(method, SUPPLIED))
        short, full = _doc(method, options)
        sub = commands.add_parser(
            kebab(name),
            help=short,
            description=full or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for option in options:
            option.add_to(sub)
        _late_globals(sub)
        wants = "progress" in inspect.signature(method).parameters
        sub.set_defaults(_run=MethodCommand(product, name, options, wants))
