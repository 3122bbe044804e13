"""Target settings resolve once: command line > APIOPS_* environment > ini > default."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from contracts import settings as settings_module
from contracts.settings import SettingsError, api_root, resolve


class FakeConfig:
    """Just what resolve() reads from a pytest.Config."""

    def __init__(self, options: dict[str, Any] | None = None, ini: dict[str, str] | None = None) -> None:
        self.options, self.ini = options or {}, ini or {}

    def getoption(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def getini(self, name: str) -> str:
        return self.ini.get(name, "")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APIOPS_TARGET", "APIOPS_PROJECT", "APIOPS_TOKEN", "APIOPS_BASE_URL", "APIOPS_TIMEOUT",
                 "APIOPS_API_PROXY"):
        monkeypatch.delenv(name, raising=False)


def settings(**kwargs: Any) -> Any:
    return resolve(FakeConfig(**kwargs))  # type: ignore[arg-type]


def test_the_default_target_is_the_recorded_stubs() -> None:
    assert settings().target == "stub"


def test_the_command_line_beats_the_environment_which_beats_the_ini(monkeypatch: pytest.MonkeyPatch) -> None:
    ini = {"apiops_project": "FromIni", "apiops_request_timeout": "7"}
    assert settings(ini=ini).project == "FromIni"
    monkeypatch.setenv("APIOPS_PROJECT", "FromEnv")
    assert settings(ini=ini).project == "FromEnv"
    assert settings(options={"apiops_project": "FromCli"}, ini=ini).project == "FromCli"
    assert settings(ini=ini).timeout == 7.0


def test_live_needs_a_base_url_a_token_and_a_project(monkeypatch: pytest.MonkeyPatch) -> None:
    live = {"apiops_target": "live"}
    with pytest.raises(SettingsError, match="--base-url"):
        settings(options=live)
    with pytest.raises(SettingsError, match="APIOPS_TOKEN"):
        settings(options={**live, "base_url": "https://gw.example.com"})
    monkeypatch.setenv("APIOPS_TOKEN", "t-123")
    with pytest.raises(SettingsError, match="--project"):
        settings(options={**live, "base_url": "https://gw.example.com"})
    monkeypatch.setenv("APIOPS_BASE_URL", "https://gw.example.com")
    resolved = settings(options={**live, "apiops_project": "P"})
    assert resolved.manager_url == "https://gw.example.com" and resolved.project == "P"
    assert "t-123" not in repr(resolved)


def test_the_token_is_never_an_option() -> None:
    with pytest.raises(SettingsError, match="APIOPS_TOKEN"):
        settings(options={"apiops_target": "live", "base_url": "https://gw", "apiops_project": "P",
                          "token": "t-123", "apiops_token": "t-123"})


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "inf", "nan"])
def test_a_time_setting_must_be_a_positive_number(raw: str) -> None:
    with pytest.raises(SettingsError, match="--request-timeout must be a positive, finite number"):
        settings(options={"apiops_request_timeout": raw})


def test_recording_needs_a_gateway_to_record_from() -> None:
    with pytest.raises(SettingsError, match="--record needs a gateway"):
        settings(options={"apiops_record": True})


@pytest.mark.parametrize("manager, api", [
    ("https://gw.example.com", "https://gw.example.com/apiops"),
    ("https://gw.example.com/", "https://gw.example.com/apiops"),
    ("https://gw.example.com/apiops", "https://gw.example.com/apiops"),
    ("https://gw.example.com/apiops/", "https://gw.example.com/apiops"),
    ("http://localhost:8080", "http://localhost:8080/apiops"),
])
def test_the_api_root_is_the_manager_url_with_apiops_appended_once(manager: str, api: str) -> None:
    """base-url.md: {management_console_url}/apiops/."""
    assert api_root(manager) == api


def test_nothing_in_contracts_reads_the_environment_but_the_settings_module_and_its_three_allowed_readers() -> None:
    # The reference gateway's own command line (it may not import the suite), the regeneration's cleaning of its
    # children's environment, and the clock's SOURCE_DATE_EPOCH: everything else asks contracts/settings/.
    allowed = {"settings/__init__.py", "clock.py", "regenerate.py", "gateway/__main__.py"}
    root = Path(__file__).resolve().parent.parent / "contracts"
    readers = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                     if re.search(r"os\.environ|os\.getenv", path.read_text(encoding="utf-8"))
                     and str(path.relative_to(root)) not in allowed)
    assert readers == []


OPTION_DECLARATION = re.compile(r"\b(?:add_argument|addoption|addini)\s*\(|\bArgumentParser\s*\(")


def test_no_command_line_option_is_declared_outside_the_settings_module_but_the_gateways_own() -> None:
    # The tools' options are data in contracts/settings/ (OPTIONS, commands.py), each declared once; the reference
    # gateway's command line stays its own, since the gateway may not import the suite (pyproject's import-linter).
    allowed = {"gateway/__main__.py", "gateway/conditions.py"}
    root = Path(__file__).resolve().parent.parent / "contracts"
    declaring = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                       if OPTION_DECLARATION.search(path.read_text(encoding="utf-8"))
                       and path.relative_to(root).parts[0] != "settings" and str(path.relative_to(root)) not in allowed)
    assert declaring == [], f"declare their options in contracts/settings/ (OPTIONS, or commands.py): {declaring}"


class Declared:
    """A stand-in for pytest's parser and its option group: what is declared on it, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> Declared:
        self.calls.append(("getgroup", args, kwargs))
        return self

    def addoption(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("addoption", args, kwargs))

    def addini(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("addini", args, kwargs))


def test_the_plugins_pytest_options_are_exactly_the_settings_modules() -> None:
    from contracts.plugin import options

    by_plugin, by_settings = Declared(), Declared()
    options.pytest_addoption(by_plugin)  # type: ignore[arg-type]
    settings_module.add_options(by_settings)  # type: ignore[arg-type]
    assert by_plugin.calls == by_settings.calls
    assert len([call for call in by_settings.calls if call[0] == "addoption"]) == len(settings_module.OPTIONS)


def test_python_m_contracts_settings_prints_every_setting_with_its_source_and_masks_secrets() -> None:
    import subprocess
    import sys

    environment = {**os.environ, "APIOPS_TOKEN": "a-secret-token-value-1234", "APIOPS_SETTLE": "2"}
    done = subprocess.run([sys.executable, "-m", "contracts.settings"], capture_output=True, text=True, check=True,
                          env=environment)
    assert "a-secret-token-value-1234" not in done.stdout
    assert "APIOPS_TOKEN           [REDACTED]" in done.stdout
    assert "--settle               2  (env APIOPS_SETTLE)" in done.stdout
    assert all(f"--{option.flag} " in done.stdout for option in settings_module.OPTIONS)
