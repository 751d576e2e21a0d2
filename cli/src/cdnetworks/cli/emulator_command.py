"""``cdnetworks emulator`` (a local server) and ``--emulator`` (an in-process one).

The emulator lives in the core (``cdnetworks.core.emulator``) and serves every installed
product that ships an emulator service; it is imported only when asked for.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any, TextIO


def add_emulator_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="serve a local, signature-checking emulator of the API",
        description="Serve an in-memory emulator of the installed products' APIs over HTTP. "
        "It checks every request's AK/SK signature and timestamp like the service does. "
        "Stop it with Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    parser.add_argument("--access-key", dest="emu_access_key", help="access key it accepts")
    parser.add_argument("--secret-key", dest="emu_secret_key", help="secret key it accepts")
    parser.add_argument(
        "--throttle", action="store_true", help="enforce the documented rate limits (429)"
    )
    parser.add_argument(
        "--throttle-account",
        type=_positive_int,
        metavar="N",
        help="requests per window per account (default 300; implies --throttle)",
    )
    parser.add_argument(
        "--throttle-action",
        type=_positive_int,
        metavar="N",
        help="requests per window per action (default 30; implies --throttle)",
    )
    parser.add_argument(
        "--throttle-window",
        type=_positive_float,
        metavar="SECONDS",
        help="the sliding window (default 300; e.g. 2 compresses 5 minutes into 2 s)",
    )
    parser.add_argument(
        "--task-seconds",
        type=_positive_float,
        metavar="SECONDS",
        help="how long a purge or prefetch task takes to finish (default 2)",
    )
    parser.add_argument(
        "--fail",
        action="append",
        metavar="TARGET",
        default=[],
        help="purges and prefetches of this target end in failure (repeatable)",
    )
    parser.set_defaults(_serve=serve)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of seconds")
    return value


def throttle_of(args: argparse.Namespace) -> Any:
    """``True``, ``False`` or the `ThrottleLimits` the options ask for."""
    given = {
        "per_account": getattr(args, "throttle_account", None),
        "per_action": getattr(args, "throttle_action", None),
        "window": getattr(args, "throttle_window", None),
    }
    if not any(v is not None for v in given.values()):
        return bool(args.throttle)
    from cdnetworks.core.emulator import ThrottleLimits

    return ThrottleLimits(**{k: v for k, v in given.items() if v is not None})


def configure_tasks(emulator: Any, args: argparse.Namespace) -> None:
    """Apply --task-seconds and --fail to the services that keep tasks."""
    for service in emulator.services.values():
        if not hasattr(service, "mark_failing"):
            continue
        seconds = getattr(args, "task_seconds", None)
        if seconds is not None and hasattr(service, "task_seconds"):
            service.task_seconds = seconds
            service.reset()
        for target in getattr(args, "fail", None) or ():
            service.mark_failing(target)


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to 65535)")
    return port


def _emulator(**kwargs: Any) -> Any:
    from cdnetworks.core.emulator import Emulator

    return Emulator(**{k: v for k, v in kwargs.items() if v is not None})


def serve(args: argparse.Namespace, out: TextIO, stop: threading.Event | None = None) -> int:
    emulator = _emulator(
        access_key=args.emu_access_key, secret_key=args.emu_secret_key, throttle=throttle_of(args)
    )
    configure_tasks(emulator, args)
    with emulator.serve(host=args.host, port=args.port) as server:
        creds = emulator.client_kwargs()
        out.write(
            f"cdnetworks emulator listening on {server.endpoint}\n"
            f"  access key: {creds['access_key']}\n"
            f"  secret key: {creds['secret_key']}  (the emulator's own test key)\n"
            f"  try: CDNETWORKS_ENDPOINT={server.endpoint} "
            f"CDNETWORKS_ACCESS_KEY={creds['access_key']} "
            f"CDNETWORKS_SECRET_KEY={creds['secret_key']} cdnetworks imagemanage vmp-query-image\n"
        )
        out.flush()
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            out.write("stopped\n")
    return 0


def emulator_client_kwargs() -> dict[str, Any]:
    """Client arguments for an in-process emulator with demo data."""
    emulator = _emulator()
    kwargs: dict[str, Any] = dict(emulator.client_kwargs())
    kwargs["transport"] = emulator.transport()
    return kwargs
