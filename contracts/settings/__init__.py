"""Target settings: the one place that says which gateway a run talks to and how.

Every option is declared once in :data:`OPTIONS` (flag, environment variable, ini key, default,
help) and resolves once, in this order: command line > ``APIOPS_*`` environment variable > ini
value (``[tool.pytest.ini_options]``) > default. The token is the exception: it is read from
``APIOPS_TOKEN`` only, never from a flag, so it cannot end up in shell history or CI logs.
The command lines of the suite's own tools (contracts.cleanup, .drift, .pages, .regenerate) are declared in
:mod:`contracts.settings.commands`, sharing these options where a tool has one of them.

Anything wrong is a :class:`SettingsError`: one line, exit 4, never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from contracts import editions, rules, spec
from contracts.redaction import Secret, header_problem
from contracts.settings.values import (
    SettingsError,
    check_name,
    check_run_id,
    count,
    directory,
    kinds,
    milliseconds,
    rate,
    seconds,
    writable,
)

__all__ = ["SettingsError", "check_name", "check_run_id", "count", "directory", "kinds", "milliseconds", "rate",
           "seconds", "writable"]

TARGETS = ("stub", "live", "local")
DEFAULT_TARGET = "stub"  # offline: the shipped recordings of the reference gateway
PROFILES = ("dev", "ci", "thorough")  # hypothesis profiles (contracts/properties)
PUBLISHED_SPEC = ("off", "report", "strict")

# The reference gateway used by --target local works in this project, grants this proxy.
LOCAL_PROJECT = "MyProject"
LOCAL_API_PROXY = "MyAPI"


@dataclass(frozen=True)
class Option:
    flag: str  # without the leading "--"
    env: str | None
    help: str
    default: str | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    ini: bool = True
    flag_only: bool = False  # a switch (store_true)
    repeatable: bool = False  # the flag may be given again: every value is kept, os.pathsep-joined as in its env

    @property
    def dest(self) -> str:
        return "apiops_" + self.flag.replace("-", "_")

    @property
    def ini_name(self) -> str | None:
        return self.dest if self.ini else None


DEFAULT_CONCURRENCY = 4  # independent requests at once per worker: see --concurrency

OPTIONS: tuple[Option, ...] = (
    Option("target", "APIOPS_TARGET", "which gateway to test: stub (the recordings, offline), live (your gateway, "
           "--base-url), local (the bundled reference gateway)", DEFAULT_TARGET, TARGETS),
    Option("edition", "APIOPS_EDITION", "the edition of the docs the gateway is held to (contracts/editions): auto "
           "decides from read-only evidence before any test (live, local), or from the recording (stub); pin it in "
           "CI, so that an upgrade that changes the wire format fails the run instead of being re-detected",
           editions.AUTO, (editions.AUTO, *editions.ids())),
    Option("local-edition", "APIOPS_LOCAL_EDITION", "local: the edition the reference gateway answers in (default: "
           "--edition's, else the base edition); with --edition auto the suite must recognise it",
           None, editions.ids()),
    Option("project", "APIOPS_PROJECT", "the project the suite creates and deletes its own credentials in "
           f"(live: required; else {LOCAL_PROJECT})", metavar="NAME"),
    Option("api-proxy", "APIOPS_API_PROXY", "an API proxy of the project the suite may grant its own credentials "
           "access to; without it the grant scenario is skipped", metavar="NAME"),
    Option("other-project", "APIOPS_OTHER_PROJECT", "a second project the token can see, for the project-scoping "
           "scenario (default: the first other project listed)", metavar="NAME"),
    Option("request-timeout", "APIOPS_TIMEOUT", "seconds from connecting to the last byte of an answer, per request",
           "30", metavar="SECONDS"),
    Option("max-response-time", "APIOPS_MAX_RESPONSE_TIME", "response-time budget of the DELETE, to the last byte",
           "5", metavar="SECONDS"),
    Option("settle", "APIOPS_SETTLE", "seconds a read that proves something (a credential listed, gone, granted) is "
           "read again until it holds, for a Manager that lists its writes late (a replica); 0: read once",
           "5", metavar="SECONDS"),
    Option("concurrency", "APIOPS_CONCURRENCY", "independent requests sent at once, per xdist worker: the creates "
           "and deletes of distinct credentials, the clean-up (against a shared staging, workers x this is the "
           "most in flight); 1: one at a time", str(DEFAULT_CONCURRENCY), metavar="N"),
    Option("latency-ms", "APIOPS_LATENCY_MS", "local: the reference gateway adds this to every answer, as a remote "
           "staging would", "0", metavar="MS"),
    Option("deploy-ms", "APIOPS_DEPLOY_MS", "local: the reference gateway adds this to every successful create, "
           "delete, grant and revoke (a deployment)", "0", metavar="MS"),
    Option("published-spec", "APIOPS_PUBLISHED_SPEC", "live/local: the gateway's own OpenAPI description "
           "({manager}/apiops/openapi.yaml) compared with openapi.yaml: report the differences, or strict: fail on a "
           "breaking one, or off", "report", PUBLISHED_SPEC),
    Option("record", None, "write every exchange of a live or local run into recordings (--recordings)", ini=False,
           flag_only=True),
    Option("recordings", "APIOPS_RECORDINGS", "recordings directory to replay (stub) or to record into (--record); "
           "default: the shipped recordings of the reference gateway", metavar="DIR"),
    Option("baseline", "APIOPS_BASELINE", "live/local: a recordings directory to report drift against",
           metavar="DIR"),
    Option("deviations", "APIOPS_DEVIATIONS", "YAML file of known deviations: rules that fail on this gateway "
           "and are reported, not failed", metavar="FILE"),
    Option("deviations-update", "APIOPS_DEVIATIONS_UPDATE", "write this run's failing rules to FILE as known "
           "deviations (a baseline to adopt the suite on a gateway that deviates today; each entry expires in 90 "
           "days, edit as you like), then run with --deviations=FILE", metavar="FILE"),
    Option("report", "APIOPS_REPORT", "write the conformance report here: Markdown, or one HTML page that opens "
           "offline when PATH ends in .html; repeatable (--report r.md --report r.html; the variable takes paths "
           "separated by os.pathsep)", metavar="PATH", repeatable=True),
    Option("report-json", "APIOPS_REPORT_JSON", "write the conformance report (JSON) here", metavar="PATH"),
    Option("rate-limit", "APIOPS_RATE_LIMIT", "requests per second the whole run sends at most (all xdist workers "
           "and --concurrency share it), e.g. 10/s; without it the run paces itself once a 429 limits it",
           metavar="N/s"),
    Option("cleanup-wait", "APIOPS_CLEANUP_WAIT", "seconds the clean-up waits for a Manager that stopped answering "
           "mid-run (a restart, a front door that shut) to answer a read again, before it deletes what the run "
           "created and checks each deletion; only a Manager that did not come back leaves an upper bound; 0: no "
           "wait", "60", metavar="SECONDS"),
    Option("fail-on", "APIOPS_FAIL_ON", "rule classes whose failures fail the run, comma-separated: "
           + ", ".join(rules.KINDS) + "; a failure of another class is reported as a warning (security rules, "
           "e.g. no-answer-carries-the-token, fail whatever this says)", ",".join(rules.KINDS), metavar="CLASSES"),
    Option("rules", "APIOPS_RULES", "run only the rules of these classes, comma-separated: "
           + ", ".join(rules.KINDS), ",".join(rules.KINDS), metavar="CLASSES"),
)
BY_DEST = {option.dest: option for option in OPTIONS}


BASE_URL_HELP = "the Manager URL"  # --base-url: pytest-base-url's option in a run, contracts.cleanup's own


@dataclass(frozen=True)
class Variable:
    """An environment variable the suite reads besides the options' own: read here, and only here (:func:`variable`)."""

    name: str
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable("APIOPS_BASE_URL", f"{BASE_URL_HELP}, when --base-url is not given (pytest-base-url's option)"),
    Variable("APIOPS_TOKEN", "a Personal API Access Token; never a flag", secret=True),
    Variable("APIOPS_CLIENT_ID", "a service account's client id (with APIOPS_CLIENT_SECRET)"),
    Variable("APIOPS_CLIENT_SECRET", "a service account's client secret", secret=True),
    Variable("APIOPS_RUN_ID", "the run id every name of the run holds (6-24 lowercase letters or digits); "
             "default: a fresh random one"),
    Variable("APIOPS_SPEC", "a contract document to hold the gateway to instead of the edition's (a draft)"),
    Variable("APIOPS_GATEWAY_NAME", "what the report calls the live gateway"),
    Variable("APIOPS_GATEWAY_VERSION", "the live gateway's version, for the report"),
    Variable("GITHUB_STEP_SUMMARY", "GitHub Actions' job summary file: the report's Markdown is appended to it"),
    Variable("CI", "set by CI systems: the property tests' default hypothesis profile is then ci"),
    Variable("PYTEST_ADDOPTS", "pytest's extra options, read to tell the two option forms apart"),
    Variable("PYTEST_XDIST_WORKER", "set by pytest-xdist in a worker: its name, part of the run's names"),
    Variable("PYTEST_XDIST_WORKER_COUNT", "set by pytest-xdist: how many workers share the rate limit"),
    *(Variable(name, "a CA bundle for TLS verification") for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                                                                     "SSL_CERT_FILE")),
)
READ = {variable.name: variable for variable in VARIABLES} | \
    {option.env: Variable(option.env, option.help) for option in OPTIONS if option.env}


def variable(name: str) -> str | None:
    """The one reader of the environment: a declared variable's value (empty reads as unset)."""
    if name not in READ:
        raise KeyError(f"{name} is not declared in contracts/settings/ (VARIABLES or OPTIONS)")
    return os.environ.get(name) or None


@dataclass(frozen=True)
class Settings:
    target: str
    project: str
    token: Secret
    edition: str = editions.AUTO  # an edition id, or auto
    local_edition: str | None = None  # local: the reference gateway's
    manager_url: str | None = None  # live only; local learns its URL when the server starts
    api_proxy: str | None = None
    other_project: str | None = None
    timeout: float = 30.0
    max_response_time: float = 5.0
    settle: float = 5.0  # seconds a claim is read again until it holds (contracts/living.py)
    record: bool = False
    recordings: str | None = None
    baseline: str | None = None
    deviations: str | None = None
    deviations_update: str | None = None
    report: tuple[str, ...] = ()  # each written: Markdown, or HTML for a .html path
    report_json: str | None = None
    kinds: tuple[str, ...] = rules.KINDS
    fail_on: tuple[str, ...] = rules.KINDS
    concurrency: int = DEFAULT_CONCURRENCY
    published_spec: str = "report"
    latency_ms: float = 0.0
    deploy_ms: float = 0.0
    rate_limit: float | None = None  # requests per second, the whole run
    cleanup_wait: float = 60.0  # seconds the clean-up waits for a Manager that stopped answering
    # A service account (authentication.md, Method 2): APIOPS_CLIENT_ID and APIOPS_CLIENT_SECRET, environment only.
    client_id: str | None = None
    client_secret: Secret | None = None
    sources: dict[str, str] | None = None  # where each resolved setting came from (cli, env, ini, default)


def api_root(manager_url: str) -> str:
    """``{manager}/apiops`` (base-url.md); a URL that already ends in ``/apiops`` is accepted too."""
    url = manager_url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"--base-url must be an http(s) URL, got {_shown_url(url)!r}")
    parts = urlsplit(url)
    if parts.username or parts.password or "@" in parts.netloc:
        # Refused, and never echoed: requests would send those instead of the token.
        raise SettingsError("--base-url must not hold a user name or password (requests would send them "
                            "instead of the token): give the Manager URL alone")
    if parts.query or parts.fragment:
        raise SettingsError("--base-url must be the Manager URL, without a query or fragment")
    if not url.endswith("/apiops"):
        url += "/apiops"
    return url


def _shown_url(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(parts.netloc, parts.netloc.rpartition("@")[2]) if "@" in parts.netloc else url


def add_options(parser: pytest.Parser) -> None:
    # --base-url is pytest-base-url's option (under "Custom options" in --help); this group says what it is for.
    group = parser.getgroup("apiops", "Apinizer delete-credential contract. --base-url URL is the Apinizer Manager "
                                      "URL (env APIOPS_BASE_URL or PYTEST_BASE_URL, ini base_url; the suite appends "
                                      "/apiops). The token: APIOPS_TOKEN, from the environment only, never a flag")
    for option in OPTIONS:
        where = [f"env {option.env}"] if option.env else []
        if option.ini_name:
            where.append(f"ini {option.ini_name}")
        if option.default and not option.flag_only:
            where.append(f"default {option.default}")
        text = option.help + (f" ({'; '.join(where)})" if where else "")
        if option.flag_only:
            group.addoption(f"--{option.flag}", dest=option.dest, action="store_true", default=False, help=text)
        elif option.repeatable:
            group.addoption(f"--{option.flag}", dest=option.dest, action="append", default=None,
                            metavar=option.metavar, help=text)
        else:
            group.addoption(f"--{option.flag}", dest=option.dest, default=None, choices=option.choices,
                            metavar=option.metavar, help=text)
        if option.ini_name:
            parser.addini(option.ini_name, help=option.help)


def sourced(config: pytest.Config, dest: str) -> tuple[str | None, str]:
    """One setting's value, CLI > env > ini > default, and where it came from; unchecked."""
    option = BY_DEST[dest]
    cli = config.getoption(dest, default=None)
    if isinstance(cli, list):  # a repeatable option, given once or more
        cli = os.pathsep.join(str(item) for item in cli)
    if cli not in (None, "", False):
        return str(cli), "command line"
    if option.env and variable(option.env):
        return variable(option.env), f"env {option.env}"
    ini_value = config.getini(option.ini_name) if option.ini_name else None
    if ini_value:
        return str(ini_value), f"ini {option.ini_name}"
    return option.default, "default"


def raw(config: pytest.Config, dest: str) -> str | None:
    """One setting's value, unchecked (for the plugin's early decisions)."""
    return sourced(config, dest)[0]


def resolve(config: pytest.Config) -> Settings:
    """Resolve every setting once, CLI > env > ini > default."""
    sources: dict[str, str] = {}

    def value(dest: str) -> str | None:
        found, sources[dest] = sourced(config, dest)
        return found

    target = value("apiops_target") or DEFAULT_TARGET
    if target not in TARGETS:
        raise SettingsError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    edition = value("apiops_edition") or editions.AUTO
    if edition != editions.AUTO and edition not in editions.ids():
        raise SettingsError(f"unknown edition {edition!r}: choose {editions.AUTO} or one of "
                            f"{', '.join(editions.ids())}")

    run_id()
    token = Secret(variable("APIOPS_TOKEN") or "")
    if token and (problem := header_problem(token.reveal())):
        raise SettingsError(f"APIOPS_TOKEN cannot be sent in an Authorization header: {problem}")
    client_id, client_secret = service_account()
    project = value("apiops_project")
    api_proxy = value("apiops_api_proxy")
    manager_url = None
    if target == "live":
        manager_url = config.getoption("base_url", default=None) or variable("APIOPS_BASE_URL")
        if not manager_url:
            raise SettingsError("--target live needs --base-url (or APIOPS_BASE_URL): the Manager URL")
        api_root(manager_url)  # fail early on a malformed URL
        if not token and not client_id:
            raise SettingsError("--target live needs the token in APIOPS_TOKEN, or a service account's "
                                "APIOPS_CLIENT_ID and APIOPS_CLIENT_SECRET (never on the command line)")
        if not project:
            raise SettingsError("--target live needs --project (or APIOPS_PROJECT)")
    else:
        project = project or LOCAL_PROJECT
        api_proxy = api_proxy or LOCAL_API_PROXY
    other_project = value("apiops_other_project")
    for flag, name in (("--project", project), ("--api-proxy", api_proxy), ("--other-project", other_project)):
        if name is not None:
            check_name(flag, name)

    record = bool(config.getoption("apiops_record", default=False))
    if value("apiops_baseline") and target == "stub":
        raise SettingsError("--baseline compares a live or local run: a replay has nothing new")
    if record and target == "stub":
        raise SettingsError("--record needs a gateway to record from: use --target local or --target live")
    if record and target == "live" and not value("apiops_recordings"):
        raise SettingsError("--record on a live target needs --recordings DIR: the default directory holds the "
                            "shipped recordings of the reference gateway")
    return Settings(
        target=target,
        project=project,
        token=token,
        client_id=client_id,
        client_secret=client_secret,
        edition=edition,
        local_edition=value("apiops_local_edition"),
        manager_url=manager_url,
        api_proxy=api_proxy,
        other_project=other_project,
        timeout=seconds("--request-timeout", value("apiops_request_timeout")),
        max_response_time=seconds("--max-response-time", value("apiops_max_response_time")),
        settle=seconds("--settle", value("apiops_settle"), zero=True),
        record=record,
        recordings=directory("--recordings", value("apiops_recordings"), must_exist=not record),
        baseline=directory("--baseline", value("apiops_baseline"), must_exist=True),
        deviations=value("apiops_deviations"),
        deviations_update=value("apiops_deviations_update"),
        report=tuple(writable("--report", path) or path for path in (value("apiops_report") or "").split(os.pathsep)
                     if path),
        report_json=writable("--report-json", value("apiops_report_json")),
        kinds=kinds(value("apiops_rules") or ""),
        fail_on=kinds(value("apiops_fail_on") or "", "--fail-on"),
        concurrency=count("--concurrency", value("apiops_concurrency")),
        published_spec=value("apiops_published_spec") or "report",
        latency_ms=milliseconds("--latency-ms", value("apiops_latency_ms")),
        deploy_ms=milliseconds("--deploy-ms", value("apiops_deploy_ms")),
        rate_limit=rate("--rate-limit", value("apiops_rate_limit")),
        cleanup_wait=milliseconds("--cleanup-wait", value("apiops_cleanup_wait"), "seconds"),
        sources=sources,
    )


def run_id() -> str | None:
    """APIOPS_RUN_ID, checked, or None (the run draws a fresh one: contracts/naming.py)."""
    given = os.environ.get("APIOPS_RUN_ID")  # unset and empty differ here: an empty run id is refused
    return None if given is None else check_run_id(given)


def contract_document(edition: editions.Edition | None = None) -> Path:
    """The contract in force: APIOPS_SPEC if set (e.g. a draft of the next spec), else the edition's document."""
    return Path(draft) if (draft := variable("APIOPS_SPEC")) else spec.spec_path(edition)


def gateway_named() -> tuple[str | None, str | None]:
    """What the report calls a live gateway, and its version, as the environment says (APIOPS_GATEWAY_*)."""
    return variable("APIOPS_GATEWAY_NAME"), variable("APIOPS_GATEWAY_VERSION")


def service_account() -> tuple[str | None, Secret | None]:
    """A service account's client credentials (authentication.md, Method 2), from the environment only."""
    client_id, secret = variable("APIOPS_CLIENT_ID"), variable("APIOPS_CLIENT_SECRET")
    if not client_id and not secret:
        return None, None
    if not client_id or not secret:
        raise SettingsError("a service account needs both APIOPS_CLIENT_ID and APIOPS_CLIENT_SECRET")
    if variable("APIOPS_TOKEN"):
        raise SettingsError("APIOPS_TOKEN and a service account (APIOPS_CLIENT_ID) are both set: keep one")
    return client_id, Secret(secret)


def tls_verify() -> bool | str:
    """TLS verification is on; a CA bundle from the usual variables is honoured.

    The session does not read the environment itself (``trust_env`` is off, so that ``.netrc``
    cannot replace the token): the CA bundle variables are read here instead.
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        if found := variable(name):
            return found
    return True
