"""Generated code a reviewer can read: large products split by resource group, one class per
request or answer shape, long nested names shortened by rule, old names still importable."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import pytest

from cdnetworks.codegen.groups import MAX_ACTIONS, SPLIT_ABOVE, path_segments, resource_groups
from cdnetworks.codegen.load import load_product
from cdnetworks.core import Client
from cdnetworks.core.emulator import Emulator
from cdnetworks.core.emulator.spec_service import ProductService

ROOT = Path(__file__).resolve().parents[2]
#: A generated module past this many lines is too long to review.
MODULE_LINES = 2000
SPLIT = ["domainconfigurtion", "securitypolicy", "securityreport", "sharedconfiguration"]


def test_no_generated_module_passes_the_limit() -> None:
    sizes = {
        p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "products").glob("*/src/cdnetworks/*/**/*.py")
    }
    assert len(sizes) > 72 * 5
    assert {path: n for path, n in sizes.items() if n > MODULE_LINES} == {}


def test_the_group_is_read_from_the_path() -> None:
    assert path_segments("/api/v1/waf/rule-exception/create") == ["waf", "rule_exception", "create"]
    assert path_segments("/api/bot/domainConfig/{id}/list") == ["bot", "domain_config", "list"]


@pytest.mark.parametrize("name", SPLIT)
def test_a_large_product_is_split_into_groups_each_action_once(name: str) -> None:
    model = load_product(ROOT / "products" / name)
    assert len(model.actions) > SPLIT_ABOVE
    groups = resource_groups(model)
    assert groups is not None
    grouped = [a.spec.name for actions in groups.values() for a in actions]
    assert sorted(grouped) == sorted(a.spec.name for a in model.actions)
    assert max(len(actions) for actions in groups.values()) <= MAX_ACTIONS
    package = ROOT / "products" / name / "src" / "cdnetworks" / name
    for folder in ("models", "actions", "_methods"):
        modules = {p.stem for p in (package / folder).glob("*.py")}
        assert set(groups) <= modules
    assert not (package / "models.py").exists()
    assert not (package / "actions.py").exists()


def test_a_small_product_keeps_flat_modules() -> None:
    model = load_product(ROOT / "products" / "cacherefresh")
    assert resource_groups(model) is None
    assert (ROOT / "products/cacherefresh/src/cdnetworks/cacherefresh/models.py").is_file()


@pytest.mark.parametrize("name", SPLIT)
def test_every_model_is_importable_from_models_and_the_package(name: str) -> None:
    package = importlib.import_module(f"cdnetworks.{name}")
    models = importlib.import_module(f"cdnetworks.{name}.models")
    actions = importlib.import_module(f"cdnetworks.{name}.actions")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for model_name in models.__all__:
            assert getattr(models, model_name) is getattr(package, model_name)
        for constant in actions.__all__:
            assert getattr(actions, constant) is getattr(package, constant)
    assert len(actions.ACTIONS) == len({a.name for a in actions.ACTIONS})


def test_identical_answers_are_one_class_and_old_names_warn() -> None:
    from cdnetworks.securitypolicy import SECURITYPOLICY, SecurityPolicyClient
    from cdnetworks.securitypolicy.actions import UPGRADE_WAF_RULESET, WSS_MP_NETWORK_SERVICE_ADD
    from cdnetworks.securitypolicy.models import CodeMsgResponse

    assert UPGRADE_WAF_RULESET.response is CodeMsgResponse
    assert WSS_MP_NETWORK_SERVICE_ADD.response is CodeMsgResponse
    models = importlib.import_module("cdnetworks.securitypolicy.models")
    with pytest.warns(DeprecationWarning, match="UpgradeWAFRulesetResponse is deprecated"):
        old = models.UpgradeWAFRulesetResponse
    assert old is CodeMsgResponse
    # The method inherited from its group's class answers with the shared class.
    emu = Emulator(services=[ProductService(SECURITYPOLICY)])
    with Client(**emu.client_kwargs(), transport=emu.transport(), max_attempts=1) as core:
        answer = SecurityPolicyClient(client=core).upgrade_waf_ruleset(
            domain_list=["www.example.com"], service_type="waf"
        )
    assert isinstance(answer, CodeMsgResponse)
    method = SecurityPolicyClient.upgrade_waf_ruleset
    assert method.__module__ == "cdnetworks.securitypolicy._methods.waf_rule"


def test_long_nested_names_are_short_by_rule_and_the_old_ones_warn() -> None:
    import cdnetworks.securitypolicy as package

    longest = max(len(n) for n in package.__all__)
    assert longest <= 80
    old = (
        "GetRateLimitingRulesForTheSharedConfiguration"
        "AsociatedWithDomainResponseDataRateLimitRuleCondition"
    )
    with pytest.warns(DeprecationWarning, match=f"{old} is deprecated"):
        cls = getattr(package, old)
    assert len(cls.__name__) < 40
