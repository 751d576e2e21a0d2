"""``cdnetworks``: parse, build the client, run the command, print, map errors to exit codes.

Exit codes: 0 success; 1 the call failed (API, transport or decoding error); 2 invalid usage or
input (refused before sending); 3 configuration or credentials problem; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from cdnetworks.core import (
    CdnetworksError,
    Client,
    ConfigurationError,
    ValidationError,
)
from cdnetworks.core import (
    __version__ as core_version,
)
from cdnetworks.core import (
    products as discover_products,
)
from cdnetworks.core.credentials import ENV_SECRET_KEY

from ._version import __version__
from .commands import add_products
from .emulator_command import add_emulator_command, emulator_client_kwargs
from .output import render_json, render_table, to_data
from .progress import Progress

EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 3, 130


def build_parser(plugins: Iterable[object] = ()) -> argparse.ArgumentParser:
    # Global options keep to their own ``g_`` namespace: a command may have a --timeout too.
    parser = argparse.ArgumentParser(
        prog="cdnetworks",
        description="Call the CDNetworks OpenAPI from the shell. Commands come from the "
        "installed products; output is JSON unless --output table.",
        epilog="Credentials: --profile, or CDNETWORKS_ACCESS_KEY/CDNETWORKS_SECRET_KEY, or "
        "~/.cdnetworks/credentials. The secret key is never accepted on the command line.",
    )
    parser.add_argument(
        "--version", action="version", version=f"cdnetworks {__version__} (core {core_version})"
    )
    parser.add_argument("--profile", dest="g_profile", help="profile of the credentials file")
    parser.add_argument(
        "--endpoint", dest="g_endpoint", help="API endpoint (default https://api.cdnetworks.com)"
    )
    parser.add_argument(
        "--access-key",
        dest="g_access_key",
        help=f"access key; its secret comes from {ENV_SECRET_KEY} or the profile",
    )
    parser.add_argument(
        "--emulator",
        dest="g_emulator",
        action="store_true",
        help="run against an in-process emulator seeded with demo data (no credentials needed)",
    )
    parser.add_argument(
        "--output",
        dest="g_output",
        choices=("json", "table"),
        default="json",
        help="output format (default json)",
    )
    parser.add_argument(
        "--timeout", dest="g_timeout", type=float, help="per-attempt timeout in seconds"
    )
    parser.add_argument(
        "--max-attempts",
        dest="g_max_attempts",
        type=int,
        help="attempts per call, retries included",
    )
    parser.add_argument(
        "--debug",
        dest="g_debug",
        action="store_true",
        help="log each attempt to stderr; show tracebacks",
    )
    subparsers = parser.add_subparsers(dest="_product", metavar="PRODUCT", required=True)
    add_products(subparsers, discover_products(plugins=tuple(plugins)))
    add_emulator_command(subparsers)
    return parser


def _client(args: argparse.Namespace, plugins: Iterable[object], extra: dict[str, Any]) -> Client:
    kwargs: dict[str, Any] = {"plugins": plugins, **extra}
    if args.g_emulator:
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
    return Client(**kwargs)


def describe_error(error: CdnetworksError) -> str:
    """One line: action, HTTP status, API code, message, request id, attempts."""
    facts = []
    message = " ".join(error.message.split())
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
) -> int:
    """Run the command line; ``plugins`` and ``client_kwargs`` let programs embed or test it."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    plugins = tuple(plugins)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        parser = build_parser(plugins)
        args = parser.parse_args(argv)
        if args.g_debug:
            handler = logging.StreamHandler(err)
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            logging.getLogger("cdnetworks").addHandler(handler)
            logging.getLogger("cdnetworks").setLevel(logging.DEBUG)
        if getattr(args, "_serve", None) is not None:
            return int(args._serve(args, out))
        progress = Progress(err)
        with _client(args, plugins, dict(client_kwargs or {})) as client:
            try:
                result = args._run.run(client, args, progress)
                data = to_data(result)
            finally:
                progress.close()
        out.write((render_table(data) if args.g_output == "table" else render_json(data)) + "\n")
        return 0
    except KeyboardInterrupt:
        err.write("cdnetworks: interrupted\n")
        return EXIT_INTERRUPTED
    except CdnetworksError as exc:
        if debug:
            raise
        err.write(f"cdnetworks: error: {describe_error(exc)}\n")
        if isinstance(exc, ValidationError):
            return EXIT_USAGE
        return EXIT_CONFIG if isinstance(exc, ConfigurationError) else EXIT_FAILED
