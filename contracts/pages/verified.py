"""Which tests verify which rule: every test of the contract suite with the rules its ``@pytest.mark.rule`` names."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from contracts import rules
from contracts.pages.common import ROOT, DocsError

TEST_MODULES = ("contracts/scenarios/test_delete_credential.py",
                "contracts/properties/test_delete_credential_properties.py")
SCENARIOS = "contracts/scenarios/"  # the tests whose exchanges a recording keeps (property tests draw at random)


@dataclass(frozen=True)
class ContractTest:
    module: str  # its file, relative to the project root
    name: str
    function: Callable[..., Any]  # unwrapped (schemathesis wraps the schema-driven test)
    rules: tuple[str, ...]  # from its @pytest.mark.rule markers

    @property
    def recorded(self) -> bool:
        return self.module.startswith(SCENARIOS)


def contract_tests() -> list[ContractTest]:
    """Every test of the contract suite with the rules it declares, in the order of its file (a module's
    namespace keeps the order of definition)."""
    found = []
    for module in TEST_MODULES:
        loaded = _import(module)
        for name, value in vars(loaded).items():
            if name.startswith("test_") and callable(value):
                marks = getattr(value, "pytestmark", [])
                ids = tuple(rule_id for mark in marks if mark.name == "rule" for rule_id in mark.args)
                found.append(ContractTest(module, name, inspect.unwrap(value), ids))
    return found


def tests_by_rule() -> dict[str, list[ContractTest]]:
    by_rule: dict[str, list[ContractTest]] = {rule_id: [] for rule_id in rules.RULES}
    for test in contract_tests():
        for rule_id in test.rules:
            by_rule[rule_id].append(test)
    return by_rule


_modules: dict[str, ModuleType] = {}


def _import(module: str) -> ModuleType:
    """Import a test file by path (the test directories are no packages: pytest imports them by path too)."""
    if module not in _modules:
        path = ROOT / module
        name = "_apiops_docs_" + re.sub(r"\W", "_", module.removesuffix(".py"))
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise DocsError(f"cannot import {module}")
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[name] = loaded  # before running it, as an import would
        spec.loader.exec_module(loaded)
        _modules[module] = loaded
    return _modules[module]
