"""The Apinizer Management API client: the operations the suite calls, and what it makes of their answers.

:class:`ApiClient` names the endpoint under contract and the supporting operations (projects, credentials,
environments, grants), encodes their paths, caps what a run creates, and runs independent calls at once. Every
request it builds is sent through the transport's :class:`~contracts.http.session.ContractSession`
(contracts/http/), which holds it to the suite's rules.
"""

from __future__ import annotations

import fcntl
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from contracts import clock
from contracts.http.batch import T, run_concurrently
from contracts.http.errors import GatewayUnreachable, UnsafeRequest, reason, shown
from contracts.http.guard import Guard
from contracts.http.ratelimit import RateLimit
from contracts.http.session import MAX_BODY, ContractSession
from contracts.living import Others, Settler, V
from contracts.naming import Namespace
from contracts.redaction import PLACEHOLDER, Secret, excerpt
from contracts.stack import Routing
from contracts.tokens import TokenSource

# Written into every credential the suite creates, so that a later run can tell how old a leftover is.
CREATED_BY = "created by the delete-credential contract suite at "
CREATED_AT = re.compile(re.escape(CREATED_BY) + r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")


class _Default:
    def __repr__(self) -> str:
        return "<the configured token>"


TOKEN = _Default()  # ``auth=TOKEN``: send ``Bearer <configured token>``
Auth = _Default | str | None
BEARER = f"Bearer {PLACEHOLDER}"


def segment(value: str) -> str:
    """Percent-encode one path segment; ``/`` included, so a name is always one segment.

    A name of ``.`` or ``..`` cannot be sent: ``requests`` decodes ``%2E`` back into a dot segment,
    which the server resolves into another path.
    """
    if value in (".", ".."):
        raise UnsafeRequest(f"a name of {value!r} cannot be sent as a path segment: it would be resolved away")
    return quote(value, safe="")


class CreateCapReached(UnsafeRequest):
    """The run would create more credentials than its cap (contracts/profiles.py, ``create_cap``): it stops."""


class CreateBudget:
    """At most ``cap`` creates in the whole run, counted in one file per run (``path``) that every xdist worker
    shares, under an exclusive lock: a gateway that keeps failing cannot make a run deploy without end."""

    def __init__(self, cap: int, path: Path) -> None:
        self.cap, self.path = cap, path
        self._lock = threading.Lock()

    @classmethod
    def start(cls, cap: int, path: Path) -> CreateBudget:
        """A new count at zero (the controller, or a sequential run, before any worker creates anything)."""
        path.write_text("0", encoding="utf-8")
        return cls(cap, path)

    def take(self, username: str) -> None:
        with self._lock, self.path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            used = int(handle.read().strip() or 0)
            if used >= self.cap:
                raise CreateCapReached(f"the run reached its cap of {self.cap} credentials created (it would create "
                                       f"{username!r} next): it stops here, cleanly, instead of deploying more "
                                       "(--hypothesis-profile sets how many the property tests create)")
            handle.seek(0)
            handle.truncate()
            handle.write(str(used + 1))

    def used(self) -> int:
        try:
            return int(self.path.read_text(encoding="utf-8").strip() or 0)
        except (OSError, ValueError):
            return 0


class ApiClient:
    def __init__(
        self,
        api_url: str,
        token: Secret | TokenSource,
        namespace: Namespace,
        *,
        projects: Iterable[str] = (),
        timeout: float = 30.0,
        verify: bool | str = True,
        max_body: int = MAX_BODY,
        concurrency: int = 1,
        rate_limit: float | None = None,
        settle: float = 5.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.namespace = namespace
        self.concurrency = concurrency  # independent requests at once (1 on a replay: the recorded order)
        # operation id -> path template, where the edition in force moves a supporting operation (contracts/editions)
        self.paths: dict[str, str] = {}
        # The characters the Manager's HTTP stack refuses in a path, as the run learned them (contracts/stack.py):
        # a credential named with one could never be deleted, so it is never created.
        self.routing: Routing = Routing()
        self.create_budget: CreateBudget | None = None  # the run's cap on what it creates (None: no cap)
        # A staging that lives (contracts/living.py): claims read again until they hold, others' changes counted.
        self.settler = Settler(settle)
        self.others = Others()
        guard = Guard(urlsplit(self.api_url).path, namespace, set(projects))
        self.session = ContractSession(token, guard, deadline=timeout, max_body=max_body, verify=verify,
                                       rate_limit=RateLimit(rate_limit))

    @property
    def projects(self) -> set[str]:
        return self.session.guard.projects

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
        sent = dict(headers or {})
        if isinstance(auth, _Default):
            sent["Authorization"] = BEARER
        elif auth is not None:
            sent["Authorization"] = auth
        return self.send(method=method, url=self.api_url + path, json=json, headers=sent)

    def send(self, **request: Any) -> requests.Response:
        """Send a request given as ``requests`` arguments (e.g. a schemathesis case's transport kwargs)."""
        method, url = str(request.get("method", "GET")), str(request.get("url", ""))
        try:
            return self.session.request(**request)
        except requests.RequestException as exc:
            # ``from None``: the chained urllib3 traceback says nothing more, and is long.
            raise GatewayUnreachable(f"{method} {shown(url)}: {reason(exc, url)}") from None

    def concurrently(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Independent calls (creates or deletes of distinct credentials) at most ``concurrency`` at a time."""
        return run_concurrently(calls, self.concurrency)

    # -- the endpoint under contract ----------------------------------------------------------
    def delete_credential(self, project: str, username: str, *, auth: Auth = TOKEN) -> requests.Response:
        """delete-credential.md: ``DELETE /projects/{projectName}/credentials/{username}/``."""
        return self.request("DELETE", credential_path(project, username), auth=auth)

    # -- supporting operations ----------------------------------------------------------------
    def list_projects(self, *, auth: Auth = TOKEN) -> requests.Response:
        return self.request("GET", "/projects/", auth=auth)

    def environments(self, project: str) -> requests.Response:
        # get-environments-by-project.md: the older pages write this path without a trailing slash; the edition
        # in force may move it (/projects/{projectName}/environments/).
        template = self.paths.get("getEnvironmentsByProject", "/environments/{projectName}")
        return self.request("GET", template.replace("{projectName}", segment(project)))

    def list_credentials(self, project: str, *, auth: Auth = TOKEN) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/credentials/", auth=auth)

    def api_proxies(self, project: str) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/apiProxies/")  # list-api-proxies.md

    def api_proxy_groups(self, project: str) -> requests.Response:
        return self.request("GET", f"/projects/{segment(project)}/apiProxyGroups/")  # list-api-proxy-groups.md

    def create_credential(self, project: str, username: str, **fields: Any) -> requests.Response:
        refused = self.routing.undeletable(username)
        if refused:
            raise UnsafeRequest(f"not creating {username!r}: the Manager's HTTP stack refuses "
                                f"{' '.join(refused)} in a path, so it could never be deleted through its path")
        if self.create_budget is not None:
            self.create_budget.take(username)
        body = {
            "email": "contract-suite@example.com",
            "fullName": "Contract Suite",
            "description": f"{CREATED_BY}{clock.now().strftime('%Y-%m-%dT%H:%M:%SZ')}; safe to delete",
            "username": username,
            "password": "Contract-Suite-Password-1!",
            "roleNameList": [],
            "enabled": True,
            "ipList": [],
            "expireDate": None,
            **fields,
        }
        return self.request("POST", f"/projects/{segment(project)}/credentials/", json=body)

    def change_password(self, project: str, username: str, password: str) -> requests.Response:
        """change-credential-password.md: ``PATCH`` on the credential path, the path's other method."""
        return self.request("PATCH", credential_path(project, username), json={"password": password})

    def granted_access(self, project: str, username: str) -> requests.Response:
        return self.request("GET", credential_path(project, username) + "access/")

    def grant_access(
        self, project: str, username: str, name: str, type_: str = "API_PROXY"
    ) -> requests.Response:
        body = {"credentialAccessList": [{"name": name, "type": type_}]}
        return self.request("PUT", credential_path(project, username) + "access/", json=body)

    # -- conveniences built on the above ------------------------------------------------------
    def usernames(self, project: str) -> list[str]:
        return self._usernames(project, self.list_credentials(project))

    def _usernames(self, project: str, response: requests.Response) -> list[str]:
        """Every read of a list tells the run of others' names that fold into its namespace (never to be reached)
        and of others' changes to the project (living.Others)."""
        names = [str(item.get("username")) for item in result_list(response, "list credentials")]
        self.namespace.avoid(names)
        self.others.saw(project, names, self.namespace.of_the_run)
        return names

    # -- reads that settle (contracts/living.py) -------------------------------------------------
    def settled(self, read: Callable[[], requests.Response], value: Callable[[requests.Response], V],
                holds: Callable[[V], bool], claim: str | None) -> V:
        """``value`` of ``read()``, read again until it ``holds`` or the settle window passes (--settle)."""
        return self.settler.settle(read, value, holds, claim)

    def listed(self, project: str, holds: Callable[[set[str]], bool], claim: str) -> set[str]:
        """The project's usernames, read again until they ``hold`` (or the window passes)."""
        return self.settled(lambda: self.list_credentials(project),
                            lambda response: set(self._usernames(project, response)), holds, claim)

    def shows(self, project: str, username: str) -> bool:
        """Whether the project lists ``username``, once a write that made it had time to show."""
        return username in self.listed(project, lambda names: username in names, "a credential listed")

    def drops(self, project: str, username: str) -> bool:
        """Whether the project no longer lists ``username``, once a delete had time to show."""
        return username not in self.listed(project, lambda names: username not in names,
                                           "a deleted credential gone from the list")

    def environment_names(self, project: str) -> list[str]:
        return [item["name"] for item in result_list(self.environments(project), "environments by project")]

    def project_names(self) -> list[str]:
        return [item["name"] for item in result_list(self.list_projects(), "list projects")]


def credential_path(project: str, username: str) -> str:
    return f"/projects/{segment(project)}/credentials/{segment(username)}/"


class UnexpectedResponse(AssertionError):
    """A supporting call (not the one under test) did not do what the suite needs from it."""


def answer_line(response: requests.Response) -> str:
    """``METHOD URL answered STATUS: <first bytes>`` (or that it is not JSON): what a failure must name."""
    body = response.text
    kind = "" if _is_json(response) else (" (not JSON)" if body.strip() else " (no body)")
    first_bytes = f": {excerpt(body, 200)}" if body.strip() else ""
    return f"{response.request.method} {shown(str(response.url))} answered {response.status_code}{kind}{first_bytes}"


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def expect(response: requests.Response, status: int, what: str) -> requests.Response:
    if response.status_code != status:
        raise UnexpectedResponse(f"{what}: expected {status}, but {answer_line(response)}")
    return response


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The body as a JSON object, or a failure that says what came instead."""
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedResponse(f"{what}: expected a JSON object, but {answer_line(response)}") from None
    if not isinstance(body, dict):
        raise UnexpectedResponse(f"{what}: expected a JSON object, but {answer_line(response)}")
    return body


def result_list(response: requests.Response, what: str) -> list[dict[str, Any]]:
    expect(response, 200, what)
    items = json_object(response, what).get("resultList")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise UnexpectedResponse(f"{what}: expected a resultList of objects, but {answer_line(response)}")
    return items

