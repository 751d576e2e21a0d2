"""``cdnetworks-codegen``: import product specs from the Go SDK's layout, generate packages.

Exit codes: 0 done (``generate --check``: everything up to date), 1 ``--check`` found generated
files out of date, 2 a malformed spec or bad arguments (one line naming file, product, action
and field; nothing written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import SpecError


def _root() -> Path:
    """The project root: the nearest folder above the working directory holding ``products/``."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "products").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    raise SpecError("no project root (a folder with products/ and pyproject.toml) above here")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdnetworks-codegen", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, help="project root (default: found from here)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    imp = sub.add_parser(
        "import-go",
        help="write products' spec/api.json from a Go SDK work tree",
        description="Read GO_SDK_DIR/cdnetworks/<product>/README_EN.md and models.go and write "
        "products/<product>/spec/api.json (overrides are never touched).",
    )
    imp.add_argument("go_sdk_dir", type=Path, metavar="GO_SDK_DIR")
    imp.add_argument("--product", action="append", dest="products", metavar="NAME")
    gen = sub.add_parser(
        "generate",
        help="write each product's package from its spec and overrides",
        description="Write models, actions, clients, plugin, packaging and reference docs.",
    )
    gen.add_argument("--product", action="append", dest="products", metavar="NAME")
    gen.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any file would change"
    )
    sub.add_parser("schema", help="print the JSON schema of api.json and overrides.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        root = args.root.resolve() if args.root else _root()
        if args.command == "import-go":
            from .goimport import import_products

            return import_products(args.go_sdk_dir, args.products, root, out=sys.stdout)
        if args.command == "generate":
            from .generate import generate

            return generate(root, args.products, check=args.check, out=sys.stdout)
        from .spec import schema
        from .writer import dump_json

        sys.stdout.write(dump_json(schema()))
        return 0
    except SpecError as exc:
        print(f"cdnetworks-codegen: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
