"""The pytest plugin is one package (contracts/plugin/) registered under one name, ``apiops``: pytest finds hooks and
fixtures only as attributes of the package itself, so every one defined in a module of it must be exported there."""

from __future__ import annotations

import importlib
import pkgutil

import contracts.plugin as plugin


def test_every_hook_and_fixture_of_the_plugins_modules_is_registered_through_the_package() -> None:
    defined = set()
    for module_info in pkgutil.iter_modules(plugin.__path__):
        module = importlib.import_module(f"{plugin.__name__}.{module_info.name}")
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__:
                continue  # imported into the module, not defined there
            if name.startswith("pytest_") or type(value).__name__ == "FixtureFunctionDefinition":
                defined.add(name)
    assert defined, "no hook or fixture found: the test no longer sees the plugin's modules"
    missing = sorted(name for name in defined if getattr(plugin, name, None) is None)
    assert missing == [], f"not exported by contracts/plugin/__init__.py (pytest never sees them): {missing}"
    assert sorted(defined) == sorted(plugin.__all__)
