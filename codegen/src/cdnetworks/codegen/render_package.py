"""The package around the models and clients: ``__init__``, plugin, version, packaging, README."""

from __future__ import annotations

from .annotations import GENERATED
from .examples import first_usage
from .load import ProductModel
from .render_actions import action_exports
from .render_docs import spelling_note

PYTHONS = ("3.10", "3.11", "3.12", "3.13")
REPO = "https://github.com/cdnetworks/cdnetworks-sdk-python"


#: Core names the packages re-exported before 0.2 (where users met them), and where they live.
CORE_REEXPORTS = {
    "PaginationError": "cdnetworks.core.paging",
    "Progress": "cdnetworks.core.waiters",
    "WaitFailedError": "cdnetworks.core.waiters",
    "WaitTimeoutError": "cdnetworks.core.waiters",
    "WaiterError": "cdnetworks.core.waiters",
}


def deprecated_names(model: ProductModel) -> dict[str, str]:
    """Names the package answers with a `DeprecationWarning`: old name -> ``"module:name"``
    (the old client spellings, and the core names it used to re-export)."""
    out = {old: f".client:{new}" for old, new in model.legacy_clients.items()}
    out |= {old: f".models:{new}" for old, new in model.shape_aliases.items()}
    paged = any(a.spec.paging for a in model.actions)
    for name, module in CORE_REEXPORTS.items():
        if (module.endswith("paging") and paged) or (
            module.endswith("waiters") and model.overrides.waiters
        ):
            out[name] = f"{module}:{name}"
    return dict(sorted(out.items()))


def _exports(model: ProductModel) -> dict[str, list[str]]:
    """Module of the package -> the names its ``__init__`` exports from it."""
    modules = {
        ".actions": action_exports(model),
        ".client": sorted([model.async_client_class, model.client_class]),
        ".models": model_names(model),
        ".product": [model.constant],
    }
    for export in model.overrides.exports:
        key = f".{export.module}"
        modules[key] = sorted({*modules.get(key, []), *export.names})
    return modules


def render_init(model: ProductModel) -> str:
    """The package's ``__init__``: every public name, each imported from its module when first
    used (PEP 562), so ``import cdnetworks.<product>`` costs about the same for 5 actions or 165.
    Each name is written once here; type checkers read the modules' own ``__all__`` through
    the ``TYPE_CHECKING`` star imports."""
    intro = (model.overrides.intro or model.summary).strip().splitlines()
    sample = _readme_sample(model)
    usage = sample[:-1] if sample else []  # the README's sample, which the docs tests run
    modules = _exports(model)
    deprecated = deprecated_names(model)
    out = [
        GENERATED,
        '"""' + intro[0],
        *intro[1:],
        "",
        *usage,
        '"""',
        "",
        "from typing import TYPE_CHECKING",
        "",
        "from cdnetworks.core.lazy import lazy_module_exports",
        "",
        "from ._version import __version__ as __version__",
        "",
        "if TYPE_CHECKING:",
    ]
    for module, names in modules.items():
        if module in (".actions", ".models"):  # their __all__ lists the names
            out.append(f"    from {module} import *  # noqa: F403")
        else:
            # "X as X": an explicit re-export, as type checkers read one without a literal __all__.
            out.append(f"    from {module} import {', '.join(f'{n} as {n}' for n in names)}")
    out += ["", "# Public names, by the module each is imported from on first use.", "_MODULES = {"]
    for module, names in modules.items():
        out += [f"    {module!r}: (", *(f"        {n!r}," for n in names), "    ),"]
    out.append("}")
    if deprecated:
        out += [
            "# Read with a DeprecationWarning: old name -> where it lives now.",
            "_DEPRECATED = {",
        ]
        out += [f"    {old!r}: {target!r}," for old, target in deprecated.items()]
        out.append("}")
    args = "__name__, _MODULES" + (", _DEPRECATED" if deprecated else "")
    out += [f"__getattr__, __dir__, __all__ = lazy_module_exports({args})", ""]
    return "\n".join(out)


def model_names(model: ProductModel) -> list[str]:
    """Every class and ``Literal`` alias ``models.py`` defines, sorted."""
    names = set(model.types) | {a.request_class for a in model.actions}
    names |= {a.response_class for a in model.actions}
    fields = [f for t in model.types.values() for f in t.fields]
    fields += [f for a in model.actions for f in a.fields]
    names |= {f.enum_name for f in fields if f.enum_name}
    return sorted(names)


def render_plugin(model: ProductModel) -> str:
    """The entry-point module: it names the product and where it lives, importing none of it
    (every installed product's plugin is loaded when a client starts)."""
    target = f"cdnetworks.{model.name}.product:{model.constant}"
    return "\n".join(
        [
            GENERATED,
            '"""The product plugin: the core finds it through the ``cdnetworks.products`` entry '
            "point",
            "and imports the product's modules (``product.py``) only when the product is used.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            *(["import warnings"] if model.overrides.released else []),
            "from collections.abc import Callable",
            *(["from typing import Any"] if model.overrides.released else []),
            "",
            "from cdnetworks.core import DeferredProduct, Product, hookimpl",
            "",
            f"{model.constant}_ENTRY = DeferredProduct(",
            f"    name={model.name!r},",
            f"    target={target!r},",
            f"    summary={model.summary!r},",
            ")",
            "",
            "",
            "@hookimpl",
            "def cdnetworks_register_products(",
            "    register: Callable[[Product | DeferredProduct], None],",
            ") -> None:",
            f"    register({model.constant}_ENTRY)",
            *_plugin_shim(model),
            "",
        ]
    )


def _plugin_shim(model: ProductModel) -> list[str]:
    """Releases up to 0.1.0 defined the product in ``plugin.py``: a product they published
    keeps the old name importable there, with a warning. Unpublished products need none."""
    if not model.overrides.released:
        return []
    return [
        "",
        "",
        "def __getattr__(name: str) -> Any:",
        "    # The product used to live here: still found, with a warning, for a while.",
        f"    if name == {model.constant!r}:",
        "        warnings.warn(",
        f'            "cdnetworks.{model.name}.plugin.{model.constant} moved: import it from "',
        f'            "cdnetworks.{model.name}",',
        "            DeprecationWarning,",
        "            stacklevel=2,",
        "        )",
        f"        return {model.constant}_ENTRY.load()",
        '    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
    ]


def render_product(model: ProductModel) -> str:
    """``product.py``: the `Product` the plugin defers to (its actions and clients)."""
    commands = [w.method for w in model.overrides.waiters]
    commands_text = (
        "(" + ", ".join(repr(c) for c in commands) + ("," if len(commands) == 1 else "") + ")"
    )
    return "\n".join(
        [
            GENERATED,
            f'"""The {model.name} product as the core sees it: its actions and its clients."""',
            "",
            "from __future__ import annotations",
            "",
            "from cdnetworks.core import Product",
            "",
            "from ._version import __version__",
            "from .actions import ACTIONS, PRODUCT",
            f"from .client import {model.async_client_class}, {model.client_class}",
            "",
            f"{model.constant} = Product(",
            "    name=PRODUCT,",
            "    actions=ACTIONS,",
            f"    client={model.client_class},",
            f"    async_client={model.async_client_class},",
            f"    summary={model.summary!r},",
            "    version=__version__,",
            f"    commands={commands_text},",
            f"    docs_url={(model.overrides.docs_url or '')!r},",
            ")",
            "",
        ]
    )


def render_version(model: ProductModel) -> str:
    return f'{GENERATED}\n__version__ = "{model.overrides.version}"\n'


def render_emulator_factory(model: ProductModel) -> str:
    return "\n".join(
        [
            GENERATED,
            f'"""The emulated {model.name} service: the generic emulation of every action."""',
            "",
            "from __future__ import annotations",
            "",
            "from cdnetworks.core.emulator.spec_service import ProductService",
            "",
            "from .product import " + model.constant,
            "",
            "",
            "def service() -> ProductService:",
            f'    """Answers every {model.name} action from its declaration."""',
            f"    return ProductService({model.constant})",
            "",
        ]
    )


def emulator_entry(model: ProductModel) -> str:
    if model.overrides.emulator:
        module, _, factory = model.overrides.emulator.partition(":")
        return f"cdnetworks.{model.name}.{module}:{factory}"
    return f"cdnetworks.{model.name}._emulator:service"


def core_requirement(version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"cdnetworks-core>={major}.{minor}.0,<{major}.{int(minor) + 1}"


def render_pyproject(model: ProductModel, core_version: str) -> str:
    keywords = ["cdnetworks", *model.overrides.keywords, "sdk"]
    classifiers = [
        "Development Status :: 4 - Beta",
        "Framework :: AsyncIO",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        *[f"Programming Language :: Python :: {v}" for v in PYTHONS],
        "Typing :: Typed",
    ]
    description = f"{model.summary.rstrip('.')}: typed sync and async clients for Python."
    lines = [
        GENERATED,
        "[project]",
        f'name = "{model.distribution}"',
        'dynamic = ["version"]',
        f"description = {_toml(description)}",
        'readme = "README.md"',
        'requires-python = ">=3.10"',
        'license = "Apache-2.0"',
        'authors = [{ name = "CDNetworks SDK for Python contributors" }]',
        "keywords = [" + ", ".join(_toml(k) for k in dict.fromkeys(keywords)) + "]",
        "classifiers = [",
        *[f"    {_toml(c)}," for c in classifiers],
        "]",
        f'dependencies = ["{core_requirement(core_version)}"]',
        "",
        "[project.urls]",
        f'Homepage = "{REPO}"',
        f'Documentation = "{REPO}/tree/main/docs/reference/{model.name}.md"',
        f'Changelog = "{REPO}/blob/main/CHANGELOG.md"',
        f'Issues = "{REPO}/issues"',
        "",
        "# How the core finds this product: the plugin module implements",
        "# cdnetworks_register_products.",
        '[project.entry-points."cdnetworks.products"]',
        f'{model.name} = "cdnetworks.{model.name}.plugin"',
        "",
        "# How the emulator finds this product's emulated service (cdnetworks.core.emulator).",
        '[project.entry-points."cdnetworks.emulators"]',
        f'{model.name} = "{emulator_entry(model)}"',
        "",
        "[build-system]",
        'requires = ["hatchling>=1.27"]',
        'build-backend = "hatchling.build"',
        "",
        "[tool.hatch.version]",
        f'path = "src/cdnetworks/{model.name}/_version.py"',
        "",
        "# Ship the namespace folder (no __init__.py in it), so the wheel installs",
        f"# cdnetworks/{model.name} and nothing else.",
        "[tool.hatch.build.targets.wheel]",
        'packages = ["src/cdnetworks"]',
        "",
    ]
    return "\n".join(lines)


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _readme_sample(model: ProductModel) -> list[str]:
    if model.overrides.example:
        code = model.overrides.example.strip().splitlines()
    else:
        # Only a call the spec's own examples make whole (issue 21): none rather than one
        # that raises.
        call = first_usage(model)
        if call is None:
            return []
        code = [
            f"from cdnetworks.{model.name} import {model.client_class}",
            "",
            "# Keys from the environment (CDNETWORKS_ACCESS_KEY, CDNETWORKS_SECRET_KEY)",
            "# or from ~/.cdnetworks/credentials.",
            f"with {model.client_class}() as client:",
            f"    print(client.{call})",
        ]
    return ["```python", *code, "```", ""]


def render_readme(model: ProductModel) -> str:
    lines = [
        f"<!-- {GENERATED[2:]} -->",
        f"# {model.distribution}",
        "",
        model.overrides.intro.strip() if model.overrides.intro else model.summary,
        "",
        f"Install it alone with `pip install {model.distribution}`, or with every product through",
        '`pip install "cdnetworks-sdk[all]"` (until the names are published on PyPI, install the',
        "wheels from the project's own release). Import `cdnetworks."
        f"{model.name}`; the clients are `{model.client_class}` and `{model.async_client_class}`.",
        "",
        *_readme_sample(model),
        "| method | action | HTTP |",
        "|---|---|---|",
    ]
    for action in model.actions:
        spec = action.spec
        lines.append(f"| `{action.method_name}` | {spec.name} | `{spec.method} {spec.path}` |")
    extra = [a.spec.paging.method for a in model.actions if a.spec.paging]
    extra += [w.method for w in model.overrides.waiters]
    if extra:
        lines += ["", "Also: " + ", ".join(f"`{m}`" for m in extra) + "."]
    lines += [
        "",
        f"Reference: [docs/reference/{model.name}.md]({REPO}/tree/main/docs/reference/"
        f"{model.name}.md).",
    ]
    if model.overrides.docs_url:
        lines.append(f"Official API documentation: <{model.overrides.docs_url}>.")
    if model.overrides.spelling:
        lines += ["", spelling_note(model)]
    return "\n".join(lines) + "\n"
