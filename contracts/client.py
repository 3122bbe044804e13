"""The one API client: every request the suite sends goes through :class:`ApiClient`.

- Timeouts on every call.
- Only connection failures of reads are retried: a request that may have reached the gateway is
  never re-sent, so a DELETE is never retried blindly.
- The token is sent but never kept in sight: the client masks it in the request it hands back,
  and errors carry no headers.
- A safety guard: a DELETE may only name credentials (and invented projects) in the run's
  reserved namespace, so the suite cannot delete anybody else's credential on a shared gateway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from contracts.naming import Namespace
from contracts.secrets import PLACEHOLDER, Secret, redact


class GatewayUnreachable(Exception):
    """The gateway did not answer (DNS, refused connection, TLS, timeout)."""


class UnsafeRequest(Exception):
    """The suite tried to send something that could touch a credential it does not own."""


class _Default:
    def __repr__(self) -> str:
        return "<the configured token>"


TOKEN = _Default()  # ``auth=TOKEN``: send ``Bearer <configured token>``
Auth = _Default | str | None

_CREDENTIAL_PATH = re.compile(r"^/projects/(?P<project>[^/]+)/credentials/(?P<username>[^/]+)/")


def segment(value: str) -> str:
    """Percent-encode one path segment; ``/`` included, so a name is always one segment."""
    return quote(value, safe="")


class ApiClient:
    def __init__(
        self,
        api_url: str,
        token: Secret,
        namespace: Namespace,
        *,
        projects: Iterable[str] = (),
        timeout: float = 30.0,
        verify: bool | str = True,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.namespace = namespace
        # Projects a DELETE may name besides invented ones: the configured and the other project.
        self.projects = set(projects)
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.verify = verify
        reads_only = Retry(total=2, connect=2, read=0, status=0, other=0, redirect=0,
                           allowed_methods=frozenset({"GET"}), backoff_factor=0.1)
        self.session.mount("http://", HTTPAdapter(max_retries=reads_only))
        self.session.mount("https://", HTTPAdapter(max_retries=reads_only))

    def __repr__(self) -> str:
        return f"ApiClient({self.api_url!r})"

    # -- the one place that sends -------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        auth: Auth = TOKEN,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send ``method`` to ``{api_url}{path}``; ``path`` is already percent-encoded."""
        if method.upper() == "DELETE":
            self._guard_delete(path)
        sent = dict(headers or {})
        if isinstance(auth, _Default):
            sent["Authorization"] = f"Bearer {self._token.reveal()}"
        elif auth is not None:
            sent["Authorization"] = auth
        url = self.api_url + path
        try:
            response = self.session.request(method, url, json=json, headers=sent, timeout=self.timeout,
                                            allow_redirects=False)
        except requests.RequestException as exc:
            # ``from None``: the chained urllib3 traceback says nothing more, and is long.
            raise GatewayUnreachable(redact(f"{method} {url}: {_reason(exc)}")) from None
        _mask_token(response)
        return response

    def _guard_delete(self, path: str) -> None:
        match = _CREDENTIAL_PATH.match(path)
        if not match:
            raise UnsafeRequest(f"refusing DELETE {path}: the suite deletes credentials only")
        project = unquote(match["project"])
        username = unquote(match["username"])
        if not self.namespace.owns(username):
            raise UnsafeRequest(f"refusing DELETE of credential {username!r}: not created by this run")
        # A case variant of a configured project is allowed: it can only hold this run's username
        # if the gateway wrongly folds case, which is exactly what the case-sensitivity rule probes.
        known = {name.lower() for name in self.projects}
        if project.lower() not in known and not self.namespace.owns(project):
            raise UnsafeRequest(f"refusing DELETE in project {project!r}: not a project of this run")

    # -- the endpoint under contract ----------------------------------------------------------
    def delete_credential(self, project: str, username: str, *, auth: Auth = TOKEN) -> requests.Response:
        """delete-credential.md: ``DELETE /projects/{projectName}/credentials/{username}/``."""
        return self.request("DELETE", credential_path(project, username), auth=auth)

    # -- supporting operations ----------------------------------------------------------------
    def list_projects(self, *, auth: Auth = TOKEN) -> requests.Response:
        return self.request("GET", "/projects/", auth=auth)

    def environments(self, project: str) -> requests.Response:
        # get-environments-by-project.md writes this path without a trailing slash.
        return self.request("GET", f"/environments/{segment(project)}")

    def list_credentials(self, project: str, *, auth: Auth = TOKEN) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/credentials/", auth=auth)

    def create_credential(self, project: str, username: str, **fields: Any) -> requests.Response:
        body = {
            "email": "contract-suite@example.com",
            "fullName": "Contract Suite",
            "description": "created by the delete-credential contract suite; safe to delete",
            "username": username,
            "password": "Contract-Suite-Password-1!",
            "roleNameList": [],
            "enabled": True,
            "ipList": [],
            "expireDate": None,
            **fields,
        }
        return self.request("POST", f"/projects/{segment(project)}/credentials/", json=body)

    def granted_access(self, project: str, username: str) -> requests.Response:
        return self.request("GET", credential_path(project, username) + "access/")

    def grant_access(
        self, project: str, username: str, name: str, type_: str = "API_PROXY"
    ) -> requests.Response:
        body = {"credentialAccessList": [{"name": name, "type": type_}]}
        return self.request("PUT", credential_path(project, username) + "access/", json=body)

    # -- conveniences built on the above ------------------------------------------------------
    def usernames(self, project: str) -> list[str]:
        response = self.list_credentials(project)
        expect(response, 200, "list credentials")
        return [item["username"] for item in response.json()["resultList"]]

    def environment_names(self, project: str) -> list[str]:
        response = self.environments(project)
        expect(response, 200, "environments by project")
        return [item["name"] for item in response.json()["resultList"]]

    def project_names(self) -> list[str]:
        response = self.list_projects()
        expect(response, 200, "list projects")
        return [item["name"] for item in response.json()["resultList"]]


def credential_path(project: str, username: str) -> str:
    return f"/projects/{segment(project)}/credentials/{segment(username)}/"


class UnexpectedResponse(AssertionError):
    """A supporting call (not the one under test) did not do what the suite needs from it."""


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise UnexpectedResponse(
            f"{what}: expected {status}, got {response.status_code} from "
            f"{response.request.method} {response.url}: {redact(response.text[:300])}"
        )
    return response


def _mask_token(response: requests.Response) -> None:
    """The request handed back (to tests, recordings, reports) carries a placeholder, not the token."""
    value = response.request.headers.get("Authorization")
    if value is not None:
        response.request.headers["Authorization"] = redact(value, PLACEHOLDER)
    for earlier in response.history:
        _mask_token(earlier)


def _reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "no answer within the timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed (set REQUESTS_CA_BUNDLE to your CA bundle)"
    if "by Responses" in str(exc):  # replaying a recording: say what it expected instead
        lines = [line.strip() for line in str(exc).splitlines() if "doesn't match" in line or "- " in line]
        return "not in the recording: " + (lines[0] if lines else "no more recorded exchanges")
    if isinstance(exc, requests.ConnectionError):
        return "connection failed (is the URL right and the gateway up?)"
    return type(exc).__name__
