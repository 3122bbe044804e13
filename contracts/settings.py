"""Target settings: the one place that says which gateway a run talks to and how.

Every option resolves once, in this order: command line > ``APIOPS_*`` environment variable >
ini value (``[tool.pytest.ini_options]``) > default. The token is the exception: it is read
from ``APIOPS_TOKEN`` only, never from a flag, so it cannot end up in shell history or CI logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from contracts.secrets import Secret

TARGETS = ("stub", "live", "local")
DEFAULT_TARGET = "stub"  # offline: the shipped recordings of the reference gateway

# option dest -> (environment variable, ini name, default, help)
OPTIONS: dict[str, tuple[str, str, str | None, str]] = {
    "apiops_target": (
        "APIOPS_TARGET",
        "apiops_target",
        DEFAULT_TARGET,
        "which gateway to test: stub (recorded, offline), live (--base-url), local (bundled reference)",
    ),
    "apiops_project": ("APIOPS_PROJECT", "apiops_project", None, "project the suite works in"),
    "apiops_api_proxy": (
        "APIOPS_API_PROXY",
        "apiops_api_proxy",
        None,
        "an API proxy of the project that the suite may grant to its own credentials",
    ),
    "apiops_other_project": (
        "APIOPS_OTHER_PROJECT",
        "apiops_other_project",
        None,
        "a second project, for project-scoping scenarios (else discovered from the projects list)",
    ),
    "apiops_timeout": ("APIOPS_TIMEOUT", "apiops_timeout", "30", "seconds before a request is abandoned"),
    "apiops_max_response_time": (
        "APIOPS_MAX_RESPONSE_TIME",
        "apiops_max_response_time",
        "5",
        "response-time budget in seconds for the operation under contract",
    ),
    "apiops_recordings": (
        "APIOPS_RECORDINGS",
        "apiops_recordings",
        None,
        "recordings directory (default: contracts/recordings)",
    ),
    "apiops_baseline": (
        "APIOPS_BASELINE",
        "apiops_baseline",
        None,
        "a recordings directory to report drift against (live or local runs)",
    ),
}

# The reference gateway used by --target local works in this project, grants this proxy.
LOCAL_PROJECT = "MyProject"
LOCAL_API_PROXY = "MyAPI"


class SettingsError(Exception):
    """A setting is missing or wrong: one clear line, no traceback."""


@dataclass(frozen=True)
class Settings:
    target: str
    project: str
    token: Secret
    manager_url: str | None = None  # live only; local learns its URL when the server starts
    api_proxy: str | None = None
    other_project: str | None = None
    timeout: float = 30.0
    max_response_time: float = 5.0
    record: bool = False
    recordings: str | None = None
    baseline: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def api_root(manager_url: str) -> str:
    """``{manager}/apiops`` (base-url.md); a URL that already ends in ``/apiops`` is accepted too."""
    url = manager_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"--base-url must be an http(s) URL, got {manager_url!r}")
    if not url.endswith("/apiops"):
        url += "/apiops"
    return url


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiops", "Apinizer delete-credential contract")
    group.addoption(
        "--target",
        dest="apiops_target",
        choices=TARGETS,
        default=None,
        help=OPTIONS["apiops_target"][3] + f" (env APIOPS_TARGET, default {DEFAULT_TARGET})",
    )
    for flag in ("project", "api-proxy", "other-project", "timeout", "max-response-time", "recordings",
                 "baseline"):
        dest = "apiops_" + flag.replace("-", "_")
        env, _ini, default, text = OPTIONS[dest]
        suffix = f" (env {env}" + (f", default {default})" if default else ")")
        group.addoption(f"--{flag}", dest=dest, default=None, metavar=flag.upper().replace("-", "_"),
                        help=text + suffix)
    group.addoption(
        "--record",
        dest="apiops_record",
        action="store_true",
        default=False,
        help="write every exchange of a live or local run into recordings",
    )
    for _env, ini, _default, text in OPTIONS.values():
        parser.addini(ini, help=text)


def resolve(config: pytest.Config) -> Settings:
    """Resolve every setting once, CLI > env > ini > default."""

    def value(dest: str) -> str | None:
        env, ini, default, _ = OPTIONS[dest]
        cli = config.getoption(dest, default=None)
        if cli not in (None, ""):
            return str(cli)
        if os.environ.get(env):
            return os.environ[env]
        ini_value = config.getini(ini)
        if ini_value:
            return str(ini_value)
        return default

    target = value("apiops_target") or DEFAULT_TARGET
    if target not in TARGETS:
        raise SettingsError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")

    token = Secret(os.environ.get("APIOPS_TOKEN", ""))
    project = value("apiops_project")
    api_proxy = value("apiops_api_proxy")
    manager_url = None
    if target == "live":
        manager_url = config.getoption("base_url", default=None) or os.environ.get("APIOPS_BASE_URL")
        if not manager_url:
            raise SettingsError("--target live needs --base-url (or APIOPS_BASE_URL): the Manager URL")
        api_root(manager_url)  # fail early on a malformed URL
        if not token:
            raise SettingsError("--target live needs the token in APIOPS_TOKEN (never on the command line)")
        if not project:
            raise SettingsError("--target live needs --project (or APIOPS_PROJECT)")
    else:
        project = project or LOCAL_PROJECT
        api_proxy = api_proxy or LOCAL_API_PROXY

    def number(dest: str) -> float:
        raw = value(dest)
        try:
            result = float(raw or "nan")
        except ValueError:
            result = float("nan")
        if not result > 0:
            raise SettingsError(f"--{dest[7:].replace('_', '-')} must be a positive number, got {raw!r}")
        return result

    record = bool(config.getoption("apiops_record", default=False))
    if record and target == "stub":
        raise SettingsError("--record needs a gateway to record from: use --target local or --target live")
    return Settings(
        target=target,
        project=project,
        token=token,
        manager_url=manager_url,
        api_proxy=api_proxy,
        other_project=value("apiops_other_project"),
        timeout=number("apiops_timeout"),
        max_response_time=number("apiops_max_response_time"),
        record=record,
        recordings=value("apiops_recordings"),
        baseline=value("apiops_baseline"),
    )


def tls_verify() -> bool | str:
    """TLS verification is on; a CA bundle from the usual variables is honoured.

    requests reads REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE itself; SSL_CERT_FILE is the variable
    OpenSSL-based tools use, so it is honoured here too.
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.environ.get(name):
            return os.environ[name]
    return True
