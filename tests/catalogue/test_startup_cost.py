"""With the whole catalogue installed, a program pays for the products it uses and no others.

Each check runs a fresh interpreter (this one has imported everything already) and reads which
modules it imported: importing a product, starting a client, ``cdnetworks <product> --help``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

from cdnetworks.core import (
    Client,
    ConfigurationError,
    DeferredProduct,
    Product,
    ProductRegistry,
    hookimpl,
    products,
)

#: Prints, as JSON, the modules of products (beyond their ``__init__``/``plugin``) and of the
#: machinery deferred until first use, after running the snippet it is formatted with.
PROBE = """
import json, sys
{snippet}
heavy = sorted(
    m for m in sys.modules
    if m.startswith("cdnetworks.") and m.split(".")[1] not in ("core", "cli")
    and m.rsplit(".", 1)[-1] in ("models", "actions", "client", "product")
)
deferred = sorted(
    m for m in ("asyncio", "anyio", "httpcore", "importlib.metadata", "configparser")
    if m in sys.modules
)
print(json.dumps({{"heavy": heavy, "deferred": deferred}}))
"""


def probe(snippet: str) -> dict[str, list[str]]:
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", PROBE.format(snippet=snippet)],
        capture_output=True,
        text=True,
        check=True,
        env={"CDNETWORKS_ACCESS_KEY": "AK", "CDNETWORKS_SECRET_KEY": "SK", "PATH": ""},
    )
    result: dict[str, list[str]] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_importing_the_core_defers_the_transport_and_event_loop_machinery() -> None:
    assert probe("import cdnetworks.core") == {"heavy": [], "deferred": []}


def test_importing_the_largest_product_imports_none_of_its_modules() -> None:
    # securitypolicy: 164 actions, about 700 models; they load when a name is first read.
    assert probe("import cdnetworks.securitypolicy")["heavy"] == []
    used = probe("from cdnetworks.securitypolicy import SecurityPolicyClient")["heavy"]
    assert used == [f"cdnetworks.securitypolicy.{m}" for m in ("actions", "client", "models")], used


def test_a_client_starts_without_importing_other_products() -> None:
    loaded = probe(
        "from cdnetworks.imagemanage import ImageManageClient\n"
        "ImageManageClient().close()\n"
        "import cdnetworks.core\n"
        "assert len(cdnetworks.core.products()) > 70"
    )["heavy"]
    assert loaded == [f"cdnetworks.imagemanage.{m}" for m in ("actions", "client", "models")]


def test_the_cli_builds_only_the_product_it_is_asked_for() -> None:
    loaded = probe(
        "from cdnetworks.cli.main import main\n"
        "try:\n    main(['--output', 'table', 'imagemanage', '--help'])\n"
        "except SystemExit:\n    pass"
    )["heavy"]
    assert loaded == [
        f"cdnetworks.imagemanage.{m}" for m in ("actions", "client", "models", "product")
    ]


def test_lazy_names_behave_like_attributes() -> None:
    import cdnetworks.imagemanage as im

    assert "VMPQueryImageRequest" in dir(im)
    assert "VMPQueryImageRequest" in im.__all__
    assert im.ImageManageClient.__name__ == "ImageManageClient"
    assert "ImageManageClient" in vars(im)  # kept once read
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        im.NoSuchThing  # noqa: B018 - the attribute read is the test
    namespace: dict[str, object] = {}
    exec("from cdnetworks.imagemanage import *", namespace)  # noqa: S102 - fixed text
    assert set(im.__all__) <= set(namespace)


def test_the_products_old_home_still_answers_with_a_warning() -> None:
    from cdnetworks.imagemanage import IMAGEMANAGE, plugin

    with pytest.warns(DeprecationWarning, match=r"import it from cdnetworks\.imagemanage"):
        assert plugin.IMAGEMANAGE is IMAGEMANAGE
    with pytest.raises(AttributeError):
        plugin.NOTHING  # noqa: B018


# --- deferred registration, as a third-party product would use it -------------------------


class Deferring:
    """A product plugin that registers a deferred product (the generated ones do the same)."""

    def __init__(self, entry: DeferredProduct) -> None:
        self.name = f"deferring-{entry.name}"
        self.entry = entry

    @hookimpl
    def cdnetworks_register_products(self, register: object) -> None:
        register(self.entry)  # type: ignore[operator]


def registry(*entries: DeferredProduct) -> ProductRegistry:
    return products(load_entry_points=False, plugins=tuple(Deferring(e) for e in entries))


def test_a_deferred_product_is_imported_when_looked_up() -> None:
    found = registry(
        DeferredProduct("imagemanage", "cdnetworks.imagemanage.product:IMAGEMANAGE", "images")
    )
    assert list(found) == ["imagemanage"] and "imagemanage" in found and len(found) == 1
    assert found.summary("imagemanage") == "images"
    assert not found.loaded("imagemanage")
    product = found["imagemanage"]
    assert isinstance(product, Product) and product.name == "imagemanage"
    assert found.loaded("imagemanage") and found["imagemanage"] is product


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("cdnetworks.no_such_product.product:X", "cannot be loaded from .*ModuleNotFoundError"),
        ("cdnetworks.imagemanage.product:NOPE", "cannot be loaded from .*AttributeError"),
        ("cdnetworks.imagemanage.actions:VMP_QUERY_IMAGE", "should be the Product named"),
        ("cdnetworks.cacherefresh.product:CACHEREFRESH", "found Product 'cacherefresh'"),
    ],
)
def test_a_broken_deferred_product_fails_clearly_when_used(target: str, message: str) -> None:
    found = registry(DeferredProduct("imagemanage", target))
    assert "imagemanage" in found  # registering it cost nothing and broke nothing
    with pytest.raises(ConfigurationError, match=message):
        found["imagemanage"]


def test_a_client_with_a_broken_product_still_serves_the_others() -> None:
    client = Client(
        access_key="AK",
        secret_key="SK",
        plugins=[Deferring(DeferredProduct("halfinstalled", "cdnetworks.gone.product:GONE"))],
    )
    with client:
        assert client.products["imagemanage"].name == "imagemanage"
        with pytest.raises(ConfigurationError, match="'halfinstalled' cannot be loaded"):
            client.products["halfinstalled"]


@pytest.mark.parametrize("target", ["no-colon", "module:", ":ATTR", "m:not an identifier"])
def test_a_deferred_products_target_is_checked_when_declared(target: str) -> None:
    with pytest.raises(ConfigurationError, match="module:ATTRIBUTE"):
        DeferredProduct("x", target)


def test_registering_something_else_is_refused_naming_the_plugin() -> None:
    class Odd:
        name = "odd-plugin"

        @hookimpl
        def cdnetworks_register_products(self, register: object) -> None:
            register("imagemanage")  # type: ignore[operator]

    with warnings.catch_warnings(), pytest.raises(ConfigurationError, match="'odd-plugin'"):
        products(load_entry_points=False, plugins=(Odd(),))
