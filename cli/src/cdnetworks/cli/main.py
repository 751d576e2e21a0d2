"""``cdnetworks``: parse, build the client, run the command, print, map errors to exit codes.

Exit codes: 0 success; 1 the call failed (API, transport or decoding error); 2 invalid usage or
input (refused before sending); 3 configuration or credentials problem; 130 interrupted; 141
the reader of stdout went away (``cdnetworks ... | head``), as for ``cat``.

``--help`` and ``--version`` at the top level never import the core, httpx or a product: the
products are listed from their entry points' metadata. Everything else imports what it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from ._version import __version__
from .api_command import add_api_command
from .completion import add_completion_command
from .configure_command import add_configure_command
from .parser import (
    EXIT_BROKEN_PIPE,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    GLOBAL_OPTIONS,
    CliParser,
    UsageError,
    abbreviation_warnings,
    add_global_options,
)
from .streams import check_arguments, silence_stdout, write_line, write_result

if TYPE_CHECKING:
    from cdnetworks.core import CdnetworksError, Client

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "build_parser",
    "describe_error",
    "main",
]

PRODUCTS_GROUP = "cdnetworks.products"
CONFIGURE_HINT = "run `cdnetworks configure` to save a profile"


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        core = version("cdnetworks-core")
    except PackageNotFoundError:  # pragma: no cover - a dependency of the distribution
        core = "not installed"
    return f"cdnetworks {__version__} (core {core})"


def _top_parser() -> CliParser:
    parser = CliParser(
        prog="cdnetworks",
        description="Call the CDNetworks OpenAPI from the shell. Commands come from the "
        "installed products; output is JSON unless --output table.",
        epilog="Global options may come before or after the command. Credentials: --profile, "
        "or CDNETWORKS_ACCESS_KEY/CDNETWORKS_SECRET_KEY, or ~/.cdnetworks/credentials (see "
        "`cdnetworks configure`). The secret key is never accepted on the command line.",
    )
    parser.add_argument("--version", action="version", version=version_text())
    add_global_options(parser)
    return parser


def _builtins(subparsers: Any) -> None:
    add_configure_command(subparsers, CliParser)
    add_api_command(subparsers)
    add_global_options(subparsers.choices["api"], late=True)
    add_completion_command(subparsers)
    from .emulator_command import add_emulator_command

    add_emulator_command(subparsers)


def build_parser(
    plugins: Iterable[object] = (), *, only: str | None = None
) -> argparse.ArgumentParser:
    """The command tree: every installed product (and ``plugins``) and the built-ins.

    With ``only`` naming a product, that product's commands are built and the others are
    named with their summaries, unimported: ``cdnetworks <product> ...`` imports one product.
    """
    from cdnetworks.core import products as discover_products

    from .commands import add_product

    parser = _top_parser()
    subparsers = parser.add_subparsers(
        dest="_product", metavar="COMMAND", required=True, parser_class=CliParser
    )
    products = discover_products(plugins=tuple(plugins))
    for name in sorted(products):
        if only is None or name == only or only not in products:
            add_product(subparsers, products[name])
        else:
            subparsers.add_parser(name, help=products.summary(name))
    _builtins(subparsers)
    return parser


def _light_parser() -> argparse.ArgumentParser:
    """The top level for ``--help`` and ``--version``: products named, none imported."""
    from importlib.metadata import entry_points

    parser = _top_parser()
    subparsers = parser.add_subparsers(
        dest="_product", metavar="COMMAND", required=True, parser_class=CliParser
    )
    for ep in sorted(entry_points(group=PRODUCTS_GROUP), key=lambda e: e.name):
        summary = ep.dist.metadata["Summary"] if ep.dist is not None else ""
        subparsers.add_parser(ep.name, help=summary)
    _builtins(subparsers)
    return parser


_VALUED = frozenset(f for o in GLOBAL_OPTIONS if o.takes_value for f in o.flags)


def _command_named(argv: Sequence[str]) -> str | None:
    """The first argument that is not a global option or its value: the command asked for."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _top_level_only(argv: Sequence[str]) -> bool:
    """Whether argv asks for the top level's help or version, before naming any command."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-h", "--help", "--version"):
            return True
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            return False
    return False


def _client(
    args: argparse.Namespace,
    plugins: Iterable[object],
    extra: dict[str, Any],
    closing: contextlib.ExitStack,
) -> Client:
    import os

    from cdnetworks.core import Client, ConfigurationError, Timeout
    from cdnetworks.core.credentials import ENV_SECRET_KEY

    kwargs: dict[str, Any] = {"plugins": plugins, **extra}
    if args.g_emulator:
        from .emulator_command import emulator_client_kwargs

        kwargs.update(emulator_client_kwargs())
    else:
        if args.g_access_key:
            secret = os.environ.get(ENV_SECRET_KEY)
            if not secret:
                raise ConfigurationError(f"--access-key needs {ENV_SECRET_KEY} in the environment")
            kwargs.update(access_key=args.g_access_key, secret_key=secret)
        kwargs.update(profile=args.g_profile, endpoint=args.g_endpoint)
    if args.g_timeout is not None:
        kwargs["timeout"] = args.g_timeout
    if args.g_max_attempts is not None:
        kwargs["max_attempts"] = args.g_max_attempts
    if args.g_ca_bundle is not None and "transport" not in kwargs:
        # A lent httpx client is not closed by the SDK's client: ``closing`` closes it.
        kwargs["http_client"] = closing.enter_context(_http_client(args.g_ca_bundle))
        kwargs.setdefault("timeout", Timeout())
    return Client(**kwargs)


def _http_client(ca_bundle: str) -> Any:
    """An httpx client that trusts the CAs in ``ca_bundle`` (and still honours proxy variables)."""
    import ssl

    import httpx

    try:
        context = ssl.create_default_context(cafile=ca_bundle)
    except FileNotFoundError:
        raise UsageError(f"--ca-bundle: {ca_bundle} does not exist", EXIT_CONFIG) from None
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or "no PEM certificates in it"
        raise UsageError(f"--ca-bundle: cannot use {ca_bundle}: {reason}", EXIT_CONFIG) from None
    return httpx.Client(verify=context)


def describe_error(error: CdnetworksError) -> str:
    """One line: action, HTTP status, API code, message, request id, attempts."""
    from cdnetworks.core import CredentialsError, ValidationError

    facts = []
    message = " ".join(error.message.split())
    if isinstance(error, CredentialsError):
        # The core names its keyword arguments; on the command line they are options.
        message = message.replace("arguments access_key/secret_key", "--access-key")
        if "configure" not in message:
            message += f" ({CONFIGURE_HINT})"
    status = getattr(error, "status_code", None)
    if status is not None and not message.startswith(f"HTTP {status}"):
        facts.append(f"HTTP {status}")
    code = getattr(error, "code", None)
    if code:
        facts.append(f"code {code}")
    request_id = getattr(error, "request_id", None)
    tail = [f"request id {request_id}"] if request_id else []
    if error.attempts > 1:
        tail.append(f"{error.attempts} attempts")
    field = getattr(error, "field", None)
    if isinstance(error, ValidationError) and field and not message.startswith(field):
        message = f"{field}: {message}"
    head = f"{error.action}: " if error.action else ""
    line = head + ", ".join(facts) + (": " if facts else "") + message
    return line + (f" ({'; '.join(tail)})" if tail else "")


def main(
    argv: Sequence[str] | None = None,
    *,
    plugins: Iterable[object] = (),
    client_kwargs: dict[str, Any] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run the command line; ``plugins`` and ``client_kwargs`` let programs embed or test it."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    plugins = tuple(plugins)
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(arguments, plugins, client_kwargs or {}, out, err, stdin or sys.stdin)
    except BrokenPipeError:
        # The reader left (`| head`, `| true`): nobody is listening, so say nothing, as cat.
        silence_stdout(out)
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        write_line(err, "cdnetworks: interrupted\n")
        return EXIT_INTERRUPTED
    except UsageError as exc:
        write_line(err, f"cdnetworks: error: {exc}\n")
        return exc.exit_code


def _main(
    argv: list[str],
    plugins: tuple[object, ...],
    client_kwargs: dict[str, Any],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
) -> int:
    check_arguments(argv)
    light = not plugins and _top_level_only(argv)
    parser = _light_parser() if light else build_parser(plugins, only=_command_named(argv))
    if isinstance(parser, CliParser):
        parser.check_leading_options(argv)
    abbreviation_warnings()  # nothing left from an earlier run in this process
    args = parser.parse_args(argv)
    for warning in abbreviation_warnings():
        write_line(err, warning)
    if args.g_debug:
        import logging

        handler = logging.StreamHandler(err)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logging.getLogger("cdnetworks").addHandler(handler)
        logging.getLogger("cdnetworks").setLevel(logging.DEBUG)
    if getattr(args, "_serve", None) is not None:
        return int(args._serve(args, out))
    if getattr(args, "_completion", False):
        from .completion import script

        write_result(out, script(args.shell, parser, __version__), is_json=False)
        return 0

    from cdnetworks.core import CdnetworksError, ConfigurationError, ValidationError

    query = None
    if args.g_query is not None:
        from .query import compile_query

        query = compile_query(args.g_query)
    try:
        if getattr(args, "_local", None) is not None:
            data = args._local(args, out, err, stdin)
            output = args.g_output or "table"
        else:
            data = _call(args, plugins, client_kwargs, err, stdin)
            output = args.g_output or "json"
    except CdnetworksError as exc:
        if args.g_debug:
            raise
        write_line(err, f"cdnetworks: error: {describe_error(exc)}\n")
        if isinstance(exc, ValidationError):
            return EXIT_USAGE
        return EXIT_CONFIG if isinstance(exc, ConfigurationError) else EXIT_FAILED
    if query is not None:
        from .query import apply_query

        data = apply_query(query, data)
    _print(out, data, output)
    # A command may end with another status after printing (a job with failed targets).
    return int(getattr(args, "_exit_code", 0))


def _call(
    args: argparse.Namespace,
    plugins: tuple[object, ...],
    client_kwargs: dict[str, Any],
    err: TextIO,
    stdin: TextIO,
) -> Any:
    from .output import to_data
    from .progress import Progress

    command = getattr(args, "_invoke", None) or args._run
    # Commands that stream input or talk to the user beyond their result read these.
    args._stdin, args._stderr = stdin, err
    check = getattr(command, "check", None)
    if check is not None:
        check(args, stdin)
    progress = Progress(err)
    with (
        contextlib.ExitStack() as closing,
        _client(args, plugins, dict(client_kwargs), closing) as client,
    ):
        try:
            if getattr(args, "_invoke", None) is not None:
                result = command.run(client, args)
            else:
                result = command.run(client, args, progress)
            return to_data(result)
        finally:
            progress.close()


def _print(out: TextIO, data: Any, output: str) -> None:
    from .output import render_json, render_table

    if output == "table":
        write_result(out, render_table(data) + "\n", is_json=False)
    elif output == "text":
        from .text_output import render_text

        text = render_text(data)
        write_result(out, text + "\n" if text else "", is_json=False)
    else:
        write_result(out, render_json(data) + "\n", is_json=True)
