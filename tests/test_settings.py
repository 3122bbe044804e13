"""Target settings resolve once: command line > APIOPS_* environment > ini > default."""

from __future__ import annotations

from typing import Any

import pytest

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
