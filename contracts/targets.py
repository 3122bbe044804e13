"""What a target is once opened: a client pointed at a gateway, and what it takes to close it.

- ``live``: the Manager URL from ``--base-url``; nothing is started.
- ``local``: the bundled reference gateway on a free loopback port, for this session only.
- ``stub``: recorded exchanges replayed by ``responses``; no socket is opened.

:func:`preflight` proves, read-only and before any test, that the base URL answers like a
Management API, that the token is accepted and that every name the run was given exists; each
failure is one line (:class:`PreflightError`). It also reads what earlier runs left in the project.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from contracts import clock, editions, published, recording, rules, spec, stack
from contracts.cleanup import Earlier, earlier_runs
from contracts.client import ApiClient, segment
from contracts.editions import Edition
from contracts.http.answer import undecodable
from contracts.http.errors import GatewayMisbehaved, GatewayUnreachable, Redirected
from contracts.naming import Namespace, new_run_id
from contracts.redaction import PLACEHOLDER, Secret, excerpt, register
from contracts.settings import Settings, api_root, contract_document, gateway_named, tls_verify, variable
from contracts.stack import Routing
from contracts.tokens import ClientCredentials, Personal, TokenError, TokenSource


class PreflightError(Exception):
    """The target cannot be tested: one line saying which URL and what went wrong."""


@dataclass
class Target:
    settings: Settings
    api_url: str
    client: ApiClient
    namespace: Namespace
    token: Secret
    server: Any = None  # the GatewayServer of --target local
    recordings: Path = recording.DEFAULT_DIR
    meta: dict[str, Any] = field(default_factory=dict)  # stub: the recording's recording.yaml
    earlier: list[Earlier] = field(default_factory=list)  # live: what earlier runs left in the project
    edition: Edition = field(default_factory=editions.base)  # the edition the run holds the gateway to
    evidence: list[str] = field(default_factory=list)  # what the edition was chosen on
    declared_paths: dict[str, str] = field(default_factory=dict)  # operation id -> path, as the gateway declares
    # The characters of a username the Manager's HTTP stack refuses in a path (learn_routing): never created.
    routing: Routing = field(default_factory=Routing)
    _other_project: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return self.settings.target

    @property
    def project(self) -> str:
        return self.settings.project

    @property
    def other_project(self) -> str | None:
        """``--other-project``, else the first other project the token can see (list-projects.md)."""
        if self.settings.other_project:
            return self.settings.other_project
        if self._other_project is None:
            others = [name for name in self.client.project_names() if name != self.project]
            self._other_project = others[0] if others else ""
            if self._other_project:
                self.client.projects.add(self._other_project)
        return self._other_project or None

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


def target_line(settings: Settings) -> str:
    """What a run with these settings talks to, and where that came from (the report header)."""
    if settings.target == "stub":
        recordings = Path(settings.recordings) if settings.recordings else recording.DEFAULT_DIR
        try:
            meta = recording.read_meta(recordings)
        except recording.RecordingError as exc:
            return str(exc)
        made = (f"{meta.get('gateway', 'a gateway')} {meta.get('gateway_version', '')}".strip()
                + f", recorded {meta.get('recorded_on', 'on an unknown day')}")
        if recordings.resolve() == recording.DEFAULT_DIR.resolve():
            return (f"replays the shipped recordings, of the {made}; to replay your staging's, record them with "
                    "--target live --record --recordings DIR")
        return f"replays the recordings in {recordings}, of the {made}"
    if settings.target == "local":
        slow = (f", answering {settings.latency_ms:g} ms late and deploying in {settings.deploy_ms:g} ms"
                if settings.latency_ms or settings.deploy_ms else "")
        return f"the bundled reference gateway, started on a free loopback port for this session{slow}"
    assert settings.manager_url is not None
    proxy = f", API proxy {settings.api_proxy}" if settings.api_proxy else ""
    return f"{api_root(settings.manager_url)}, project {settings.project}{proxy}"


def open_target(settings: Settings, run_id: str | None = None) -> Target:
    worker = variable("PYTEST_XDIST_WORKER")
    recordings = Path(settings.recordings) if settings.recordings else recording.DEFAULT_DIR
    server = None
    token = settings.token
    meta: dict[str, Any] = {}
    if settings.target == "stub":
        # What the recorded run worked with; each test's names come from its own recording.
        if settings.edition != editions.AUTO and not settings.recordings:
            recordings = recording.default_dir(settings.edition)  # the shipped recordings of that edition
        meta = recording.read_meta(recordings)
        settings = dataclasses.replace(settings, project=meta["project"], api_proxy=meta.get("api_proxy"),
                                       other_project=meta.get("other_project") or None)
        run_id = str(meta["run_id"])
        worker = None
        token = Secret(PLACEHOLDER)
        manager_url = recording.STUB_API_URL
    elif settings.target == "live":
        assert settings.manager_url is not None
        manager_url = settings.manager_url
    else:
        from contracts.gateway.server import GatewayServer

        token = Secret(os.urandom(18).hex())  # a fresh token per session; it never leaves this process
        speaks = settings.local_edition or (settings.edition if settings.edition != editions.AUTO else None)
        server = GatewayServer(token=token.reveal(), latency_ms=settings.latency_ms, deploy_ms=settings.deploy_ms,
                               edition=editions.get(speaks) if speaks else editions.base())
        try:
            server.start()
        except Exception as exc:  # a bind, thread or start-up failure: one line, not a traceback
            raise PreflightError(f"the reference gateway did not start: {exc}") from None
        manager_url = server.url
        if not settings.recordings:  # --record: into the shipped recordings of the edition it speaks
            recordings = recording.default_dir(server.gateway.edition.id)
    register(token)
    api_url = api_root(manager_url)
    source = token_source(settings, token, manager_url)
    projects = {settings.project} | ({settings.other_project} if settings.other_project else set())
    namespace = Namespace(run_id or new_run_id(), worker)
    # A replay answers in the recorded order, one request at a time.
    client = ApiClient(api_url, source, namespace, projects=projects, timeout=settings.timeout,
                       verify=tls_verify(), concurrency=1 if settings.target == "stub" else settings.concurrency,
                       settle=settings.settle)
    target = Target(settings=settings, api_url=api_url, client=client, namespace=namespace, token=token,
                    server=server, recordings=recordings, meta=meta)
    if settings.target == "stub":
        target.edition, target.evidence = _recorded_edition(settings, meta, recordings)
    return target


def token_source(settings: Settings, token: Secret, manager_url: str) -> TokenSource:
    """The personal token, or the service account's tokens (a replay sends the placeholder it recorded)."""
    if settings.target == "live" and settings.client_id and settings.client_secret is not None:
        return ClientCredentials(manager_url, settings.client_id, settings.client_secret, verify=tls_verify(),
                                 timeout=settings.timeout)
    return Personal(token)


def _recorded_edition(settings: Settings, meta: dict[str, Any], recordings: Path) -> tuple[Edition, list[str]]:
    """A replay answers in the edition it was recorded in (recording.yaml names it)."""
    recorded = editions.get(str(meta.get("edition") or editions.base().id))
    if settings.edition not in (editions.AUTO, recorded.id):
        raise PreflightError(f"--edition {settings.edition}: the recordings in {recordings} are of the {recorded} "
                             f"edition; replay them with --edition {recorded.id} (or auto), or record the other")
    return recorded, [f"the recording names it ({recordings / recording.META_FILE})"]


def recording_meta(target: Target) -> dict[str, Any]:
    """What a recording says of where it came from (recording.yaml)."""
    if target.kind == "local":
        from contracts.gateway.version import VERSION

        gateway = "bundled reference gateway (python -m contracts.gateway)"
        version = VERSION
    else:
        named, given = gateway_named()
        gateway, version = named or "live Apinizer gateway", given or "unknown (set APIOPS_GATEWAY_VERSION)"
    return {
        "gateway": gateway,
        "gateway_version": version,
        "recorded_on": clock.now().date().isoformat(),
        "target": target.kind,
        "run_id": target.namespace.run_id,
        "edition": target.edition.id,
        "project": target.project,
        "api_proxy": target.settings.api_proxy,
        "other_project": target.other_project,
        # What the run learned before creating anything: a replay creates, and judges, as the recorded run did.
        "refused_characters": target.routing.to_json(),
    }


def learn_routing(target: Target) -> Routing:
    """Which characters of a username the Manager's HTTP stack refuses in a path, before anything is created.

    For each character a username of the suite may carry (contracts/stack.py, ``PROBED``), a DELETE of a name of the
    run's namespace that was never created: the Manager's code answers it (whatever it answers: its rules judge
    that later, on names it routes), or the stack refuses it (its firewall's status, Spring Boot's error body or
    none, not the Manager's envelope). Nothing exists under these names, so nothing is deleted. A replay reads
    what the recorded run learned (recording.yaml).
    """
    if target.kind == "stub":
        return Routing(dict(target.meta.get("refused_characters") or {}))
    client, data = target.client, stack.load()
    root = target.namespace.name("route")
    names = {char: f"{root}-{index}{char}" for index, char in enumerate(stack.PROBED)}

    def probe(name: str) -> requests.Response | None:
        try:
            return client.delete_credential(target.project, name)
        except (GatewayMisbehaved, GatewayUnreachable):
            return None  # no usable answer: nothing learned (the tests meet the same gateway)

    answers = client.concurrently([functools.partial(probe, name) for name in names.values()])
    refused = {}
    for char, answer in zip(names, answers, strict=True):
        if answer is not None and data.is_refusal(answer.status_code, answer.headers, answer.text):
            body = "Spring Boot's error body" if answer.text.strip() else "no body"
            refused[char] = f"answered {answer.status_code} with {body}, not the Manager's envelope"
    return Routing(refused)


# -- the gateway's own description ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    """What the gateway published at ``{manager}/apiops/openapi.yaml`` (openapi-spec.md), or why nothing."""

    url: str
    document: dict[str, Any] | None = None
    note: str = ""  # why there is no document: absent, unreadable, unreachable


def fetch_published(target: Target) -> Published:
    """Read-only, the token sent as for every call: the YAML description, else the JSON one."""
    tried = []
    for name in ("openapi.yaml", "openapi.json"):
        url = f"{target.api_url}/{name}"
        try:
            response = target.client.request("GET", f"/{name}")
        except (GatewayUnreachable, GatewayMisbehaved) as exc:
            tried.append(f"{url}: {exc}")
            continue
        if response.status_code != 200:
            tried.append(f"{url} answered {response.status_code}")
            continue
        try:
            return Published(url, published.parse(response.text, url))
        except published.PublishedSpecError as exc:
            return Published(url, note=f"unreadable: {exc}")
    return Published(tried and tried[0].split(" ")[0] or target.api_url, note="absent: " + "; ".join(tried))


# -- preflight ---------------------------------------------------------------------------------------------
def preflight(target: Target) -> None:
    """Read-only calls that prove the base URL, the token and every name given; one line when one fails.

    A stub target has nothing to reach: reading its recording.yaml was its preflight.
    """
    if target.kind == "stub":
        return
    try:  # a service account's first token, before anything else is sent
        target.client.session.token_auth.source.current()
    except TokenError as exc:
        raise PreflightError(f"preflight: {exc}") from None
    project = target.project
    credentials = _call(target, f"/projects/{_seg(project)}/credentials/", f"project {project!r}")
    target.edition, target.evidence = choose_edition(target, credentials)
    items = credentials.get("resultList")
    if not isinstance(items, list):
        raise PreflightError(f"preflight: GET {target.api_url}/projects/{_seg(project)}/credentials/ answered "
                             "JSON without a resultList: is --base-url the Manager URL?")
    taken = sorted(str(item.get("username")) for item in items
                   if isinstance(item, dict) and target.namespace.owns(str(item.get("username", ""))))
    if taken:
        raise PreflightError(f"preflight: project {project!r} already holds {len(taken)} credential(s) of this run's "
                             f"namespace ({taken[0]} ...): the run id {target.namespace.run_id!r} is not this run's "
                             "alone (a reused APIOPS_RUN_ID?); nothing of it will be touched")
    # Others' credentials that a Manager folding names would take for the run's: no name of the run reaches them.
    target.namespace.avoid([str(item.get("username", "")) for item in items if isinstance(item, dict)])
    if target.kind == "live":
        target.earlier = earlier_runs([item for item in items if isinstance(item, dict)], target.namespace.run_id)
    if target.settings.api_proxy:
        _check_api_proxy(target, target.settings.api_proxy)
    if target.settings.other_project:
        other = target.settings.other_project
        names = [item.get("name") for item in _list(target, "/projects/", "list projects")]
        if other not in names:
            raise PreflightError(f"preflight: --other-project {other!r} is not among the {len(names)} projects this "
                                 "token can see (GET /apiops/projects/)")
        if other == project:
            raise PreflightError("preflight: --other-project names the project itself: give a second project")


WRONG_TOKEN = "apiops-contract-suite-wrong-token"  # deliberately wrong: what a refusal looks like
# Supporting operations whose path is read from the gateway's own description where it declares them: our operation
# id -> the ids a description may give it (a Manager's springdoc output names it findForProject, at
# /apiops/environments/{projectName} in December 2025 and /apiops/projects/{projectName}/environments/ in August 2026).
SUPPORTING_PATHS = {"getEnvironmentsByProject": ("getEnvironmentsByProject", "findForProject")}


def choose_edition(target: Target, credentials: dict[str, Any]) -> tuple[Edition, list[str]]:
    """The edition the gateway speaks, from read-only evidence: the envelope of the project's credential list, of
    a refusal of a deliberately wrong token, and of the gateway's own published description where it has one;
    where editions share an envelope, the statuses (and codes) of the answers the preflight may ask (``_ask``).

    ``--edition auto`` takes what the evidence agrees on; a pinned edition must be what it says. Evidence that
    conflicts, or that matches no edition, is one line (:class:`PreflightError`) naming what was seen."""
    path = f"/projects/{_seg(target.project)}/credentials/"
    seen: list[tuple[str, list[Edition], str]] = []
    uncounted: set[str] = set()  # evidence that says nothing either way: shown, not weighed
    listed = editions.recognise(credentials, failure=False)
    seen.append((f"GET {path} (the credential list)", listed, _shape(credentials)))
    probe = f"GET {path} with a wrong token (a refusal)"
    try:
        refused = target.client.request("GET", path, auth=f"Bearer {WRONG_TOKEN}")
        body = refused.json() if refused.content else None
    except (GatewayUnreachable, GatewayMisbehaved, ValueError):
        refused, body = None, None
    if refused is not None and refused.status_code < 400:
        # A gateway that takes a deliberately wrong token shows no refusal to read: not counted; the token rules
        # of the run say what is wrong with it.
        seen.append((probe + f" answered {refused.status_code}: not counted", [], _shape(body)))
        uncounted.add(seen[-1][0])
    else:
        seen.append((probe, editions.recognise(body, failure=True), _shape(body)))
    if target.settings.published_spec != "off":
        found = fetch_published(target)
        if found.document is not None:
            target.declared_paths = published.supporting_paths(found.document, SUPPORTING_PATHS)
            described = published.editions_described(found.document)
            seen.append((f"the published description {found.url}", described,
                         ", ".join(str(e) for e in described) or "declares no edition's envelope: not counted"))
            if not described:
                uncounted.add(seen[-1][0])
    evidence = [f"{what}: {', '.join(e.id for e in matched) or 'none'} ({shape})" for what, matched, shape in seen]
    # A description that declares no envelope at all (no 200 body, say) says nothing either way: the answers decide.
    counted = [matched for what, matched, _ in seen if what not in uncounted]
    agreed = [edition for edition in editions.all_editions() if all(edition in matched for matched in counted)]
    pinned = target.settings.edition
    if pinned == editions.AUTO and len(agreed) > 1:  # one envelope: the answers the preflight may ask decide
        asked, alike = _ask(target, path, refused), agreed
        agreed = editions.answering(alike, [(name, status, body) for name, _, status, body in asked])
        evidence += [f"{what}: {', '.join(e.id for e in alike if editions.gives(e, name, status, body)) or 'none'} "
                     f"({status} {_shape(body)})" for name, what, status, body in asked]
    how = f"pin it with --edition {{{','.join(editions.ids())}}} (APIOPS_EDITION)"
    if pinned != editions.AUTO:
        edition = editions.get(pinned)
        if edition not in agreed:
            speaks = ", ".join(str(e) for e in agreed) or "no known edition"
            raise PreflightError(f"preflight: --edition {pinned} ({edition.title}), but the gateway answers as "
                                 f"{speaks}: {'; '.join(evidence)}. A pinned run fails when the wire format changes "
                                 "(e.g. after an upgrade): follow the change with --edition, or look at the upgrade")
        return edition, [f"pinned ({target.settings.sources and target.settings.sources.get('apiops_edition')})",
                         *evidence]
    if len(agreed) == 1:
        return agreed[0], evidence
    if line := editions.alike(agreed):
        raise PreflightError(f"preflight: {line}")
    what = "matches no edition" if not agreed else f"fits {' and '.join(str(e) for e in agreed)} alike"
    raise PreflightError(f"preflight: the gateway's answers decide no edition (the evidence {what}): "
                         f"{'; '.join(evidence)}; {how}")


def _ask(target: Target, path: str, refused: requests.Response | None) -> list[tuple[str, str, int, Any]]:
    """The answers of ``editions.ASKABLE``, read-only: a wrong token's (read), no token's, an unknown project's list."""
    unknown = f"/projects/{_seg(target.namespace.name('no-such-project'))}/credentials/"
    answers = [(editions.REFUSED_TOKEN, f"GET {path} with a wrong token", refused)]
    for name, what, at, auth in ((editions.NO_TOKEN, f"GET {path} with no token", path, {"auth": None}),
                                 (editions.UNKNOWN_PROJECT, f"GET {unknown} (no such project)", unknown, {})):
        with contextlib.suppress(GatewayUnreachable, GatewayMisbehaved):  # no answer: nothing learned
            answers.append((name, what, target.client.request("GET", at, **auth)))
    return [(name, what, got.status_code, _json(got)) for name, what, got in answers if got is not None]


def _shape(body: Any) -> str:
    if not isinstance(body, dict):
        return "not a JSON object" if body is not None else "no JSON body"
    return "{" + ", ".join(f"{key}: {value!r}" if isinstance(value, str | bool) and len(repr(value)) < 24 else key
                           for key, value in list(body.items())[:4]) + "}"


def _check_api_proxy(target: Target, name: str) -> None:
    """--api-proxy must be an API proxy of the project (list-api-proxies.md)."""
    project = target.project
    proxies = _list(target, f"/projects/{_seg(project)}/apiProxies/", f"the API proxies of {project!r}")
    if any(item.get("name") == name for item in proxies):
        return
    groups = _list(target, f"/projects/{_seg(project)}/apiProxyGroups/", f"the API proxy groups of {project!r}")
    if any(item.get("name") == name for item in groups):
        raise PreflightError(f"preflight: --api-proxy {name!r} is an API proxy group of {project!r}, not an API "
                             "proxy: give one of its API proxies")
    known = ", ".join(sorted(str(item.get("name")) for item in proxies)[:5]) or "none"
    raise PreflightError(f"preflight: --api-proxy {name!r} is not an API proxy of project {project!r} "
                         f"(it has: {known})")


def _list(target: Target, path: str, what: str) -> list[dict[str, Any]]:
    body = _call(target, path, what)
    items = body.get("resultList")
    if not isinstance(items, list):
        raise PreflightError(f"preflight: GET {target.api_url}{path} answered JSON without a resultList ({what})")
    return [item for item in items if isinstance(item, dict)]


def _seg(name: str) -> str:
    return segment(name)


def _call(target: Target, path: str, what: str) -> dict[str, Any]:
    """One read-only GET; its JSON object, or one line that says what is wrong with the target."""
    url = f"{target.api_url}{path}"
    https = target.api_url.startswith("https://")
    try:
        response = target.client.request("GET", path)
    except Redirected as exc:
        raise PreflightError(f"preflight: {exc}; is --base-url the Manager URL"
                             f"{'' if https else ' (perhaps https://)'}?") from None
    except (GatewayUnreachable, GatewayMisbehaved) as exc:
        raise PreflightError(f"preflight: cannot reach the gateway: {exc}") from None
    status = response.status_code
    content_type = response.headers.get("Content-Type", "")
    body = _json(response)
    detail = ""
    spoken = editions.recognise(body, failure=True)
    if spoken:  # an error in an edition's envelope: what it says
        edition = spoken[0]
        said = ": ".join(excerpt(str(part), 160) for part in (edition.code(body), edition.message(body)) if part)
        detail = f" ({said})"
    if any(edition.answered(status, body, (rules.REFUSED_TOKEN, rules.NO_TOKEN)) for edition in spoken) or \
            status == 401:
        raise PreflightError(f"preflight: GET {url} answered {status}: the token in APIOPS_TOKEN was refused{detail}")
    if any(_unknown_project(edition, status, body) for edition in spoken):
        raise PreflightError(f"preflight: GET {url} answered {status}: {what} is unknown or not visible to this "
                             f"token{detail}{_visible_projects(target)}")
    if status in (502, 503, 504):  # a proxy's: the Manager behind it did not answer it
        server = response.headers.get("Server")
        html = " with an HTML page" if "html" in content_type.lower() or response.text.lstrip().startswith("<") else ""
        raise PreflightError(f"preflight: GET {url} answered {status}{html}{f' from {server}' if server else ''}: the "
                             "proxy in front of the Manager answered, so the Manager behind it is down or "
                             "unreachable")
    if status == 404:
        raise PreflightError(f"preflight: GET {url} answered 404 without the API's error format: no Management API "
                             "there; is --base-url the Manager URL (without a path beyond it)?")
    if "html" in content_type.lower() or response.text.lstrip().startswith("<"):
        raise PreflightError(f"preflight: GET {url} answered {status} with an HTML page, not the Management API's "
                             "JSON: is --base-url the Manager URL (not a login page or a proxy)?")
    if body is None and undecodable(response):  # the Manager's answer, broken: not a wrong URL
        raise PreflightError(f"preflight: GET {url} answered {status}, but {undecodable(response)}: the run cannot "
                             "read the Manager's answers")
    if body is None:
        raise PreflightError(f"preflight: GET {url} answered {status} with a body that is not JSON: is --base-url "
                             "the Manager URL?")
    if status != 200 or not isinstance(body, dict):
        raise PreflightError(f"preflight: GET {url} answered {status}{detail}, expected 200 with a JSON object: is "
                             "--base-url the Manager URL?")
    return body


def _visible_projects(target: Target) -> str:
    """The projects the token can see (list-projects.md), as a hint after an unknown project; nothing if unreadable."""
    try:
        names = sorted(target.client.project_names())
    except Exception:  # noqa: BLE001 - a hint only: the unknown project is the line's news
        return ""
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return f"; the projects this token can see: {shown}" if names else "; this token can see no project"


def _unknown_project(edition: Edition, status: int, body: Any) -> bool:
    """An answer of the edition's unknown project to a read of the project: its status, and where the edition
    has codes, a code its contract document allows for that answer (error-handling.md lists more than one),
    whatever the wording."""
    if edition.answered(status, body, (rules.UNKNOWN_PROJECT, rules.UNKNOWN_PROJECT_ENVIRONMENTS)):
        return True
    expected = edition.answer(rules.UNKNOWN_PROJECT)
    if status != expected.status or not edition.envelope.code:
        return False
    allowed = spec.load(contract_document(edition)).error_codes("listCredentials", status, edition.envelope.code)
    return edition.code(body) in {expected.code, *allowed}


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def rate_share(settings: Settings) -> float | None:
    """This process's share of ``--rate-limit``: the rate is the whole run's, split evenly between xdist workers
    (each paces its own threads); a replay is never paced."""
    workers = int(variable("PYTEST_XDIST_WORKER_COUNT") or 1)
    return settings.rate_limit / workers if settings.rate_limit and settings.target != "stub" else None
