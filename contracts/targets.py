"""What a target is once opened: a client pointed at a gateway, and what it takes to close it.

- ``live``: the Manager URL from ``--base-url``; nothing is started.
- ``local``: the bundled reference gateway on a free loopback port, for this session only.
- ``stub``: recorded exchanges replayed by ``responses``; no socket is opened.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from contracts import recording
from contracts.client import ApiClient, GatewayUnreachable
from contracts.naming import Namespace, new_run_id
from contracts.secrets import PLACEHOLDER, Secret, register
from contracts.settings import Settings, api_root, tls_verify


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


def open_target(settings: Settings, run_id: str | None = None) -> Target:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    recordings = Path(settings.recordings) if settings.recordings else recording.DEFAULT_DIR
    server = None
    token = settings.token
    if settings.target == "stub":
        # What the recorded run worked with; each test's names come from its own recording.
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
        server = GatewayServer(token=token.reveal())
        try:
            server.start()
        except Exception as exc:  # a bind, thread or start-up failure: one line, not a traceback
            raise PreflightError(f"the reference gateway did not start: {exc}") from None
        manager_url = server.url
    register(token)
    api_url = api_root(manager_url)
    projects = {settings.project} | ({settings.other_project} if settings.other_project else set())
    namespace = Namespace(run_id or new_run_id(), worker)
    client = ApiClient(api_url, token, namespace, projects=projects, timeout=settings.timeout,
                       verify=tls_verify())
    return Target(settings=settings, api_url=api_url, client=client, namespace=namespace, token=token,
                  server=server, recordings=recordings)


def recording_meta(target: Target) -> dict[str, Any]:
    """What a recording says of where it came from (recording.yaml)."""
    if target.kind == "local":
        from contracts.gateway import server as gateway_server

        gateway = "bundled reference gateway (python -m contracts.gateway)"
        version = getattr(gateway_server, "VERSION", "0.1.0")
    else:
        gateway = os.environ.get("APIOPS_GATEWAY_NAME", "live Apinizer gateway")
        version = os.environ.get("APIOPS_GATEWAY_VERSION", "unknown (set APIOPS_GATEWAY_VERSION)")
    return {
        "gateway": gateway,
        "gateway_version": version,
        "recorded_on": date.today().isoformat(),
        "target": target.kind,
        "run_id": target.namespace.run_id,
        "project": target.project,
        "api_proxy": target.settings.api_proxy,
        "other_project": target.other_project,
    }


def preflight(target: Target) -> None:
    """One read-only call that proves base URL, token and project together.

    A stub target has nothing to reach: reading its recording.yaml was its preflight.
    """
    if target.kind == "stub":
        return
    url = f"{target.api_url}/projects/{target.project}/credentials/"
    try:
        response = target.client.list_credentials(target.project)
    except GatewayUnreachable as exc:
        raise PreflightError(f"preflight: cannot reach the gateway: {exc}") from None
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = ""
    if isinstance(body, dict) and "error" in body:
        detail = f" ({body.get('error')}: {body.get('error_description')})"
    if status == 401:
        raise PreflightError(
            f"preflight: GET {url} answered 401: the token in APIOPS_TOKEN was refused{detail}"
        )
    if status == 404:
        raise PreflightError(
            f"preflight: GET {url} answered 404: project {target.project!r} is unknown or not visible "
            f"to this token{detail}"
        )
    if status != 200 or not isinstance(body, dict):
        kind = "a JSON object" if status == 200 else f"{status}{detail}"
        raise PreflightError(
            f"preflight: GET {url} answered {kind}, expected 200 with JSON: is --base-url the Manager URL?"
        )
