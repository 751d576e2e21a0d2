"""``cdnetworks configure``: write the credentials file the SDK reads, and show where each
setting comes from.

``configure`` asks (the secret without echo), ``configure set KEY VALUE`` is for scripts (the
secret only from stdin), ``configure list`` shows each setting, masked, with its source.
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from .credentials_file import (
    ENV_FILE,
    ENV_PROFILE,
    check_profile,
    check_value,
    credentials_path,
    read_profile,
    read_text,
    update,
    write_atomically,
)
from .parser import UsageError, add_global_options

ENV_ACCESS_KEY, ENV_SECRET_KEY, ENV_ENDPOINT = (
    "CDNETWORKS_ACCESS_KEY",
    "CDNETWORKS_SECRET_KEY",
    "CDNETWORKS_ENDPOINT",
)
DEFAULT_ENDPOINT = "https://api.cdnetworks.com"
SETTABLE = ("access_key", "secret_key", "endpoint")


def add_configure_command(subparsers: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "configure",
        help="set up credentials: write ~/.cdnetworks/credentials",
        description="Ask for the access key, the secret key (not echoed) and an optional "
        "endpoint, and save them as a profile of the credentials file "
        "(~/.cdnetworks/credentials, or CDNETWORKS_CREDENTIALS_FILE), mode 0600. Other "
        "profiles and comments are kept. An empty answer keeps the current value.",
    )
    add_global_options(parser, late=True)
    actions = parser.add_subparsers(dest="_configure", metavar="ACTION", parser_class=parser_class)
    setter = actions.add_parser(
        "set",
        help="set one value of a profile, without prompts",
        description="Set one value of a profile without prompts: KEY is access_key or endpoint "
        "(with a VALUE), or the secret key with --secret-key-stdin (never from the command "
        "line, where it would land in the shell history and the process list).",
        epilog="example: printf '%%s\\n' \"$SECRET\" | cdnetworks configure set "
        "--secret-key-stdin --profile ci",
    )
    setter.add_argument("key", metavar="KEY", nargs="?", help="access_key or endpoint")
    setter.add_argument("value", metavar="VALUE", nargs="?", help="its value")
    setter.add_argument(
        "--secret-key-stdin",
        action="store_true",
        help="read the secret key from the first line of stdin",
    )
    add_global_options(setter, late=True)
    lister = actions.add_parser(
        "list",
        help="show each setting, its value (secret masked) and where it comes from",
        description="Show the profile, credentials file, access key, secret key (all but its "
        "last 4 characters masked) and endpoint the SDK would use, and where each comes from: "
        "argument, environment, file or default.",
    )
    add_global_options(lister, late=True)
    parser.set_defaults(_local=run_configure)


def _profile(args: argparse.Namespace) -> tuple[str, str]:
    if args.g_profile:
        return check_profile(args.g_profile), "argument"
    if os.environ.get(ENV_PROFILE):
        return check_profile(os.environ[ENV_PROFILE]), "environment"
    return "default", "default"


def run_configure(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> Any:
    if args._configure == "list":
        return {"settings": settings(args)}
    profile, _ = _profile(args)
    path = credentials_path()
    text = read_text(path)
    if args._configure == "set":
        values = _set_values(args, stdin)
    else:
        values = _ask(read_profile(text, profile), err, stdin)
    if values:
        write_atomically(path, update(text, profile, values))
    return {"profile": profile, "file": str(path), "updated": ", ".join(values) or "nothing"}


def _set_values(args: argparse.Namespace, stdin: TextIO) -> dict[str, str]:
    key = (args.key or "").replace("-", "_").lower()
    if args.secret_key_stdin:
        if key not in ("", "secret_key") or args.value is not None:
            raise UsageError("configure set: --secret-key-stdin takes no KEY or VALUE")
        return {"secret_key": check_value("secret_key", _first_line(stdin))}
    if key == "secret_key":
        # Deliberately not echoing VALUE: it is the secret.
        raise UsageError(
            "configure set: the secret key is read from stdin only: "
            "cdnetworks configure set --secret-key-stdin"
        )
    if key not in SETTABLE:
        raise UsageError(
            f"configure set: KEY must be access_key or endpoint (or --secret-key-stdin), "
            f"got {args.key!r}"
        )
    if args.value is None:
        raise UsageError(f"configure set: {key} needs a VALUE")
    return {key: _checked(key, args.value)}


def _checked(key: str, value: str) -> str:
    value = check_value(key, value)
    if key == "access_key" and not value.isascii():
        raise UsageError("access_key: must be printable ASCII")
    if key == "endpoint":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"endpoint: expected a URL such as {DEFAULT_ENDPOINT}, got {value!r}")
        if parts.username or parts.password:
            raise UsageError("endpoint: must not carry a user name or password")
    return value


def _first_line(stdin: TextIO) -> str:
    line = stdin.readline()
    return line.rstrip("\r\n")


def _ask(current: dict[str, str], err: TextIO, stdin: TextIO) -> dict[str, str]:
    """Prompt on stderr; an empty answer keeps the current value."""
    values: dict[str, str] = {}
    questions = (
        ("access_key", "Access key", current.get("access_key", "")),
        ("secret_key", "Secret key", mask(current.get("secret_key", ""))),
        ("endpoint", "Endpoint (optional)", current.get("endpoint", DEFAULT_ENDPOINT)),
    )
    for key, label, shown in questions:
        prompt = f"{label} [{shown}]: " if shown else f"{label}: "
        if key == "secret_key" and stdin.isatty():
            answer = getpass.getpass(prompt, stream=err)
        else:
            err.write(prompt)
            err.flush()
            answer = stdin.readline().rstrip("\r\n")
            if not stdin.isatty():
                err.write("\n")  # nothing echoed the answer's line break
        answer = answer.strip()
        if answer and answer != current.get(key):
            values[key] = _checked(key, answer)
    missing = [k for k in ("access_key", "secret_key") if not (values.get(k) or current.get(k))]
    if missing:
        raise UsageError(f"configure: {' and '.join(missing)} cannot stay empty")
    return values


def mask(secret: str) -> str:
    """All but the last 4 characters hidden (and all of a short secret)."""
    if not secret:
        return ""
    return "****" + (secret[-4:] if len(secret) >= 8 else "")


def settings(args: argparse.Namespace) -> list[dict[str, str]]:
    """Each setting as the SDK would resolve it, with its source (the core's precedence)."""
    env = os.environ
    profile, profile_source = _profile(args)
    path = credentials_path()
    file_source = "environment" if env.get(ENV_FILE) else "default"
    section = read_profile(read_text(path), profile) if path.exists() else {}
    in_file = f"file {_home(path)} [{profile}]"
    rows = [("profile", profile, profile_source), ("credentials_file", str(path), file_source)]
    access: tuple[str, str] = ("", "not set")
    secret: tuple[str, str] = ("", "not set")
    if args.g_access_key:
        access = (args.g_access_key, "argument")
        secret = (
            env.get(ENV_SECRET_KEY, ""),
            "environment" if env.get(ENV_SECRET_KEY) else "not set",
        )
    elif args.g_profile and section:
        access, secret = _pair(section, in_file)
    elif env.get(ENV_ACCESS_KEY) and env.get(ENV_SECRET_KEY):
        access = (env[ENV_ACCESS_KEY], "environment")
        secret = (env[ENV_SECRET_KEY], "environment")
    elif section:
        access, secret = _pair(section, in_file)
    rows += [("access_key", *access), ("secret_key", mask(secret[0]), secret[1])]
    if args.g_endpoint:
        endpoint = (args.g_endpoint, "argument")
    elif not args.g_profile and env.get(ENV_ENDPOINT):
        endpoint = (env[ENV_ENDPOINT], "environment")
    elif section.get("endpoint"):
        endpoint = (section["endpoint"], in_file)
    elif env.get(ENV_ENDPOINT):
        endpoint = (env[ENV_ENDPOINT], "environment")
    else:
        endpoint = (DEFAULT_ENDPOINT, "default")
    rows.append(("endpoint", *endpoint))
    rows += _rate_limit_rows(args.g_profile)
    return [{"name": n, "value": v, "source": s} for n, v, s in rows]


def _rate_limit_rows(profile: str | None) -> list[tuple[str, str, str]]:
    """The client-side rate limit the SDK would use; the store's password is masked."""
    from cdnetworks.core import ConfigurationError
    from cdnetworks.core.fleet.settings import rate_limit_settings

    try:
        found = rate_limit_settings(profile=profile)
    except ConfigurationError as exc:  # its message masks the store's password
        return [("rate_limit", f"invalid: {exc}", "error")]
    if found is None:
        return [("rate_limit", "none", "not set")]
    sources = dict(found.sources)
    per_action = found.per_action
    return [
        (
            "rate_limit",
            f"{found.requests}/{found.per_seconds:g}",
            sources.get("rate_limit", "default (documented limit)"),
        ),
        (
            "rate_limit_per_action",
            "off" if per_action is None else f"{per_action[0]}/{per_action[1]:g}",
            sources.get("rate_limit_per_action", "default"),
        ),
        (
            "rate_limit_backend",
            found.backend_shown or "none (each process limits itself)",
            sources.get("rate_limit_backend", "not set"),
        ),
    ]


def _pair(section: dict[str, str], source: str) -> tuple[tuple[str, str], tuple[str, str]]:
    ak, sk = section.get("access_key", ""), section.get("secret_key", "")
    return (ak, source if ak else "not set"), (sk, source if sk else "not set")


def _home(path: Path) -> str:
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)
