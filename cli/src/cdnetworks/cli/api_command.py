"""``cdnetworks api METHOD PATH``: a signed call to any path, for actions no product models yet.

The command line's `cdnetworks.core.Client.invoke`: same signing, retries, errors and output.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from .input_json import read_json
from .parser import UsageError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


def add_api_command(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "api",
        help="a signed call to any API path (for actions no product models yet)",
        description="Send a signed request to any path of the API and print the JSON answer, "
        "with the same credentials, retries, errors and exit codes as the product commands. "
        "GET, HEAD, PUT and DELETE are retried on transient failures; POST and PATCH are not.",
        epilog="example: cdnetworks api GET /vmp/images --query-param limit=2",
    )
    parser.add_argument(
        "method",
        metavar="METHOD",
        type=str.upper,
        choices=METHODS,
        help="HTTP method: " + ", ".join(METHODS),
    )
    parser.add_argument("path", metavar="PATH", help="the API path, e.g. /vmp/images")
    parser.add_argument(
        "--query-param",
        dest="api_params",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a query parameter; repeat for more (a key may repeat)",
    )
    parser.add_argument(
        "--body",
        dest="api_body",
        metavar="FILE",
        help="the JSON body, from a file or - for stdin (not with GET or HEAD)",
    )
    parser.set_defaults(_invoke=ApiCall())
    return parser


class ApiCall:
    """What ``cdnetworks api`` runs once the client is built."""

    def check(self, args: argparse.Namespace, stdin: TextIO) -> None:
        """Everything refused before the client is built or anything is sent."""
        if not args.path.startswith("/"):
            raise UsageError(f"api: PATH must start with '/', got {args.path!r}")
        params = []
        for item in args.api_params:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UsageError(f"api: --query-param takes KEY=VALUE, got {item!r}")
            params.append((key, value))
        args.api_params = params
        if args.api_body is not None:
            if args.method in ("GET", "HEAD"):
                raise UsageError(f"api: a {args.method} request carries no body (drop --body)")
            args.api_body_data = read_json(args.api_body, "--body", stdin)

    def run(self, client: Any, args: argparse.Namespace) -> Any:
        body = getattr(args, "api_body_data", None)
        result = client.invoke(args.method, args.path, params=args.api_params or None, json=body)
        data = result.data
        if isinstance(data, dict) and result.request_id and "requestId" not in data:
            data = {**data, "requestId": result.request_id}
        return data
