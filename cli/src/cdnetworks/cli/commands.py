"""The command tree, generated from the registered products.

``cdnetworks PRODUCT ACTION [options]``: one subcommand per `Action`
(options from its request model) and per method the product lists in ``Product.commands``
(options from the method's signature; required parameters become positionals).
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdnetworks.core import Action, Client, Product, ValidationError

from .options import Option, model_options, signature_options
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

    def run(self, client: Client, args: argparse.Namespace, progress: Progress) -> Any:
        kwargs = _values(self.options, args)
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
            return getattr(client.product(self.product.name), method)(**kwargs)
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
    """``(client method, page-size field)`` from ``extras["paginate"]``.

    The extra is the method name, or ``{"method": ..., "page_size": field}`` when a request
    field is the page size and the method takes it as ``page_size``.
    """
    spec = action.extras.get("paginate")
    if isinstance(spec, str):
        return spec, None
    if isinstance(spec, dict):
        return str(spec["method"]), spec.get("page_size")
    return None


def _values(options: tuple[Option, ...], args: argparse.Namespace) -> dict[str, Any]:
    return {o.dest: getattr(args, o.dest) for o in options if getattr(args, o.dest) is not None}


def _doc(obj: Any) -> tuple[str, str]:
    doc = inspect.getdoc(obj) or ""
    return (doc.split("\n\n")[0].replace("\n", " "), doc)


def _late_globals(parser: argparse.ArgumentParser) -> None:
    """Let ``--output`` follow the command too (``... vmp-query-image --output table``)."""
    parser.add_argument(
        "--output",
        dest="g_output",
        choices=("json", "table"),
        default=argparse.SUPPRESS,  # absent here: keep what the global option said
        help="output format (default json)",
    )


def add_product(subparsers: Any, product: Product) -> None:
    parser = subparsers.add_parser(
        product.name, help=product.summary, description=product.summary or None
    )
    commands = parser.add_subparsers(dest="_command", metavar="COMMAND", required=True)
    for action in product.actions:
        options = tuple(model_options(action.request))
        summary = action.summary or action.name
        sub = commands.add_parser(
            kebab(action.method_name),
            help=summary,
            description=f"{summary}\n\nAPI action {action.name}: {action.method} {action.path}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for option in options:
            option.add_to(sub)
        _late_globals(sub)
        if paginator(action) is not None:
            sub.add_argument(
                "--paginate",
                dest="_paginate",
                action="store_true",
                help="walk every page and print all items",
            )
        sub.set_defaults(_run=ActionCommand(product, action, options))
    if product.client is None:
        return
    for name in product.commands:
        method = getattr(product.client, name)
        options = tuple(signature_options(method, SUPPLIED))
        short, full = _doc(method)
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


def add_products(subparsers: Any, products: Mapping[str, Product]) -> None:
    for name in sorted(products):
        add_product(subparsers, products[name])
