"""Opening the session's target, once: settings, preflight, the edition, the judge behind its watches, the
token watch, and the gateway's published description beside the contract document.

Anything that keeps the run from starting is one line, exit 4 (``pytest.exit``), before a test runs.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts import deviations, drift, editions, published, recording, rules
from contracts import settings as settings_module
from contracts import targets as target_module
from contracts.client import CreateBudget
from contracts.http.auth import presents_the_token
from contracts.http.errors import (
    FrontDoorClosed,
    GatewayMisbehaved,
    GatewayUnreachable,
    Redirected,
    TokenNoLongerAccepted,
)
from contracts.judge import Judge
from contracts.plugin.run import CANCELLED, EXIT_USAGE, Run, budget_path, run_of
from contracts.redaction import excerpt, redact
from contracts.settings import contract_document
from contracts.spec import Contract, SpecError, load
from contracts.targets import PreflightError, Target, open_target, preflight, recording_meta


def open_once(config: pytest.Config) -> Target:
    """The session's target: opened and preflighted when first asked for, the same one after."""
    run = run_of(config)
    if run.target is not None:
        return run.target
    try:
        contract = load(contract_document())  # an invalid contract is one clear error, before anything is sent
        resolved = with_baseline(settings_module.resolve(config))
        load_verdict_settings(run, resolved)
        target = open_target(resolved, run.run_id or None)
        if target.kind != "stub" and run.create_cap:
            target.client.create_budget = CreateBudget(run.create_cap, budget_path(target.namespace.run_id))
        target.client.session.rate_limit.rate = target_module.rate_share(resolved)  # --rate-limit, this worker's share
    except (settings_module.SettingsError, SpecError, recording.RecordingError, PreflightError,
            deviations.DeviationsError) as exc:
        pytest.exit(f"apiops: {redact(str(exc))}", returncode=EXIT_USAGE)
    run.target = target
    try:
        preflight(target)
        contract = load(contract_document(target.edition))  # the document of the edition the run holds the gateway to
    except (PreflightError, SpecError) as exc:
        target.close()
        run.target = None
        pytest.exit(f"apiops: {redact(str(exc))}", returncode=EXIT_USAGE)
    # Where the supporting operations are: the edition's paths, and the gateway's own description where it declares
    # one (a Manager's description is generated from its code: it knows where its routes are).
    target.client.paths = {**target.edition.paths, **target.declared_paths}
    # Before anything is created: which characters of a username the Manager's stack refuses in a path.
    target.routing = target.client.routing = target_module.learn_routing(target)
    kinds = set(run.kinds)
    judge = Judge(contract, target.settings.max_response_time,
                  waived=lambda rule_id: run.deviations.waived(rule_id) or rules.RULES[rule_id].kind not in kinds,
                  api_path=_api_path(target.api_url), edition=target.edition, stack_seen=run.stack,
                  routing=target.routing)
    run.judge = judge
    session = target.client.session
    if target.kind == "stub":
        session.observers.append(recording.restore_elapsed)  # first: the recorded time is the answer's time
    # The judge behind a watch that keeps the infrastructure's answers (a proxy's) from it (docs/proxies.md).
    front_door = [] if target.kind == "stub" else [_front_door_watch(run, target)]
    session.observers += [run.registry.observe, *front_door, _token_watch(run, target),
                          session.watch_infrastructure(judge, run.infrastructure, run.went_down)]
    session.on_failure = judge.translate
    if target.settings.record:
        recording.write_meta(target.recordings, recording_meta(target))
    if target.settings.edition == editions.AUTO or config.getoption("verbose") > 0:
        # A pinned edition was named in the header; the evidence that it holds is in the report (and here with -v).
        _say(config, f"apiops edition: {target.edition}, chosen on: {'; '.join(target.evidence)}; contract: "
                     f"{contract_document(target.edition)}")
    run.published = _compare_published(target, contract)
    if run.published:  # one line under the header (an xdist worker cannot print: the summary has it too)
        line = run.published.get("headline") or \
            f"the gateway's published description: not compared: {run.published['note']}"
        _say(config, f"apiops: {line}")
    for earlier in target.earlier:
        _say(config, f"apiops: left in {target.project} by an earlier run: {earlier.line()}")
    stop_cleanly_on_sigterm()
    return target


def _token_watch(run: Run, target: Target) -> Callable[[requests.Response], None]:
    """Session observer, before the judge: a 401 to the suite's own token, which preflight saw accepted, means the
    token stopped being accepted (it expired, or was revoked: authentication.md, Token Expiration). The run's one
    verdict (exit 4), blaming no rule; a service account's token was already fetched again once (the client)."""
    source = target.client.session.token_auth.source

    def observe(response: requests.Response) -> None:
        if response.status_code != 401 or not presents_the_token(response.request.headers.get("Authorization")):
            return
        at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        again = " (a new token fetched for it was refused too)" if source.refreshable else ""
        why = (f"the {source.kind} stopped being accepted at {at}: {response.request.method} "
               f"{redact(str(response.url))} answered 401 {excerpt(response.text, 120)}{again}, after preflight and "
               "the run's earlier requests got through with it; it expired or was revoked (authentication.md, Token "
               "Expiration). No rule is blamed")
        run.token_refused = True
        if response.request.method == "POST":  # a refused create made nothing: not the run's to report
            with contextlib.suppress(ValueError, TypeError, KeyError):
                run.registry.forget(json.loads(response.request.body or b"{}")["username"])
        if run.went_down(why):
            raise TokenNoLongerAccepted(why, str(response.request.method), str(response.url))

    return observe


def _front_door_watch(run: Run, target: Target) -> Callable[[requests.Response], None]:
    """Session observer, before the token watch and the judge, seeing redirects too: an answer that looks like a
    login page (a 3xx, or an HTML page where the API answers JSON) is checked once with a read preflight saw
    answered, the project's credential list. When that read gets one too, the Manager or its front door (an SSO
    proxy) stopped accepting the token: the run's one verdict (exit 4), blaming no rule, and the clean-up waits for
    it as for a Manager that went away. A redirect the read does not reproduce stays the Manager's, judged."""
    client = target.client

    def observe(response: requests.Response) -> None:
        if run.down is not None or run.finishing or not _login_like(response):
            return
        with client.session.unobserved():  # the probe is neither judged nor recorded
            try:
                probe = client.list_credentials(target.project)
            except Redirected as redirect:
                read = f"GET {redact(str(redirect.url))} answered {redirect.status} to {redirect.location}"
            except (GatewayMisbehaved, GatewayUnreachable):
                return  # not the same answer: the first one is judged as the Manager's
            else:
                if not _login_like(probe):
                    return
                read = f"GET {redact(str(probe.url))} answered {probe.status_code} with an HTML page"
        first = f"{response.request.method} {redact(str(response.url))} answered {response.status_code}"
        where = response.headers.get("Location")
        why = (f"the Manager or its front door stopped accepting the token ({read}, a read preflight saw answered; "
               f"first {first}{f' to {excerpt(where, 120)}' if where else ' with an HTML page'}): a login page "
               "answers instead of the Management API (an SSO session or proxy in front of it). No rule is blamed")
        if run.went_down(why):
            raise FrontDoorClosed(why, str(response.request.method), str(response.url))

    return observe


def _login_like(response: requests.Response) -> bool:
    """A redirect, or an HTML page with a status a login page answers with (an error page of the Manager's servlet
    container, 404, 405 or 500, is not one: that is judged as the Manager's)."""
    status = response.status_code
    if 300 <= status < 400:
        return True
    html = "html" in response.headers.get("Content-Type", "").lower() or response.text.lstrip().startswith("<")
    return html and (status < 300 or status in (401, 403, 407))


def load_verdict_settings(run: Run, resolved: settings_module.Settings) -> None:
    """The known deviations, ``--rules`` and ``--fail-on``: read by every process that judges or reports, so that
    the xdist controller's report and exit code are those of a sequential run."""
    run.deviations = deviations.load(resolved.deviations)
    run.kinds, run.fail_on, run.verdicts_loaded = resolved.kinds, resolved.fail_on, True


def target_info_of(target: Target) -> dict[str, Any]:
    """What the report says of the target; an xdist worker hands it to the controller, which opens none."""
    return {"base_url": target.api_url, "project": target.project, "run_id": target.namespace.run_id,
            "edition": str(target.edition), "edition_evidence": list(target.evidence),
            "gateway": target.meta.get("gateway"), "gateway_version": target.meta.get("gateway_version")}


def _compare_published(target: Target, contract: Contract) -> dict[str, Any]:
    """The gateway's own description of the DELETE beside openapi.yaml (information; strict: breaking fails).

    Recorded beside the recording's metadata, so that drift compares what two gateways declared.
    """
    mode = target.settings.published_spec
    if target.kind == "stub" or mode == "off":
        return {}
    found = target_module.fetch_published(target)
    if found.document is None:
        return {"note": found.note, "url": found.url}
    if target.settings.record:
        recording.write_published(target.recordings, found.document)
    comparison = published.compare(contract.document, found.document, document=contract.name)
    return {"url": found.url, "headline": f"the gateway's published description ({found.url}): "
            f"{comparison.headline()}", "lines": comparison.to_lines(),
            "breaking_lines": comparison.to_lines(everything=False), "json": comparison.to_json(),
            "breaking": comparison.has_breaking, "strict": mode == "strict"}


def manager_url(api_url: str) -> str:
    """The Manager URL the run was given (base-url.md): the API root without its ``/apiops``."""
    return api_url[: -len("/apiops")] if api_url.endswith("/apiops") else api_url


def _api_path(api_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(api_url).path


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(config, "workerinput"):
        reporter.write_line(redact(line))


def with_baseline(resolved: settings_module.Settings) -> settings_module.Settings:
    """``--baseline DIR``: check DIR now, before anything is tested."""
    if resolved.baseline:
        drift.check_baseline(Path(resolved.baseline))
    return resolved


def stop_cleanly_on_sigterm() -> None:
    # CI cancels a job with SIGTERM: turn it into KeyboardInterrupt so that fixtures tear down and
    # the session's clean-up runs, as on Ctrl-C.
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(CANCELLED)  # the run's line says so (run.py)

    # Not the main thread (e.g. an embedding runner): keep its handler.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, interrupt)
