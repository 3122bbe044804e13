"""The reference gateway's state and rules, as the Apinizer Management API pages describe them.

No HTTP here: every method takes plain values, returns a JSON-able ``dict`` for a 200 body, and
raises :class:`ApiError` for a documented error. ``app.py`` puts this on the wire; the records it keeps
(projects, credentials, grants) and the seed are state.py's.

Pages (``shared/apinizer-docs``): delete-credential.md (the endpoint under contract),
create-credential.md, list-credentials.md, get-granted-access-list.md, grant-access.md,
revoke-access.md, get-environments-by-project.md, list-projects.md, authentication.md,
base-url.md, error-handling.md.

Names are compared exactly everywhere: "Path parameters are Case Sensitive" (base-url.md), unless the gateway's
:class:`~contracts.gateway.conditions.Conditions` make its store case-insensitive; they also make its lists lag
(conditions.py's :class:`~contracts.gateway.conditions.CredentialStore` keeps the credentials).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from contracts import editions, rules
from contracts.editions import Edition
from contracts.gateway.conditions import QUIET, Conditions, CredentialStore
from contracts.gateway.state import (
    ACCESS_TYPES,
    API_PROXY,
    Access,
    Credential,
    Project,
    State,
    default_seed,
    hash_password,
)

# (overall message, per-environment message): create-credential.md / delete-credential.md.
DEPLOY = ("Deployment completed successfully", "Deployed successfully")
UNDEPLOY = ("Undeployment completed successfully", "Undeployed successfully")


class ApiError(Exception):
    """A documented error: HTTP ``status``, an error ``code`` and a message; the edition writes its body."""

    def __init__(self, status: int, error: str | None, description: str) -> None:
        super().__init__(f"{status} {error or ''}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self, edition: Edition) -> dict[str, Any]:
        return edition.failure_body(self.error, self.description)


class OAuthError(ApiError):
    """An answer of the token endpoint (authentication.md, Method 2): OAuth's ``{error, error_description}`` in
    every edition, not the edition's envelope."""

    def body(self, edition: Edition) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


def bad_request(description: str) -> ApiError:
    """A validation error of the model (400; ``bad_request`` where the edition has codes)."""
    return ApiError(400, "bad_request", description)


def answer(edition: Edition, name: str, **names: str) -> ApiError:
    """The edition's expected answer ``name`` as an error of the model."""
    expected = edition.answer(name)
    return ApiError(expected.status, expected.code, expected.text(**names))


# -- the gateway --------------------------------------------------------------------------------
class Gateway:
    """The Management API's behaviour over :class:`State`.

    One re-entrant lock around every public method: uvicorn calls from one event loop, but tests
    and benchmarks call the model from other threads. ``authenticate``, ``find_credential`` and
    ``remove_credential`` are the steps that faults (faults/) replace on an instance.
    """

    def __init__(self, token: str, seed: Callable[[], State] = default_seed, edition: Edition | None = None,
                 permitted: bool = True, service_accounts: dict[str, str] | None = None, token_ttl: int = 3600,
                 token_uses: int | None = None, conditions: Conditions = QUIET) -> None:
        if not token:
            raise ValueError("the gateway needs a non-empty token")
        self.token = token
        # authentication.md, Method 2: service accounts (client id -> secret) exchange their client credentials
        # for tokens that expire after ``token_ttl`` seconds (``expires_in``).
        self.service_accounts = dict(service_accounts or {})
        self.token_ttl = token_ttl
        self.minted: dict[str, float] = {}  # token -> when it expires (time.monotonic)
        self.issued = 0  # tokens issued since start
        # authentication.md, Token Expiration: the personal token expires after this many accepted requests.
        self.token_uses = token_uses
        self.accepted = 0
        self.edition = edition or editions.base()  # the wire format it answers in
        # Whether the token's user may manage and deploy credentials (delete-credential.md, Permissions).
        self.permitted = permitted
        self._seed = seed
        self.conditions = conditions  # a living Manager's store: case-insensitive, lagging lists (conditions.py)
        self._lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.credentials = CredentialStore({}, {}, conditions)
        self.grants: dict[str, list[Access]] = {}
        # What a fault (faults/) keeps between requests, by the fault's name: the model's, not a module's.
        self.fault_state: dict[str, Any] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the seed (a fresh copy, so nothing a test did survives)."""
        state = self._seed()
        with self._lock:
            self.projects, self.grants = state.projects, state.grants
            self.credentials = CredentialStore(state.credentials, state.grants, self.conditions)

    # -- authentication.md --------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> None:
        """``Authorization: Bearer <token>``; anything else is 401 ``unauthorized_client``.

        The scheme is case-insensitive (RFC 7235 §2.1) and separated by one or more spaces; the
        token must match exactly ("no extra spaces", authentication.md, Troubleshooting).
        """
        if authorization is None:
            raise answer(self.edition, rules.NO_TOKEN)
        scheme, _, presented = authorization.partition(" ")
        presented = presented.lstrip(" ")
        if scheme.lower() != "bearer" or not presented:
            raise answer(self.edition, rules.REFUSED_TOKEN)
        with self._lock:
            expires = self.minted.get(presented)
            if expires is not None:  # a service account's token: refused once it expired
                if time.monotonic() > expires:
                    raise answer(self.edition, rules.REFUSED_TOKEN)
                return
            if not hmac.compare_digest(presented.encode(), self.token.encode()):
                raise answer(self.edition, rules.REFUSED_TOKEN)
            self.accepted += 1
            if self.token_uses is not None and self.accepted > self.token_uses:
                raise answer(self.edition, rules.REFUSED_TOKEN)  # expired (or revoked) mid-run

    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        """authentication.md, Method 2: ``POST /apiops/auth/token``, form-encoded client credentials."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        known = self.service_accounts.get(client_id)
        if form.get("grant_type") != "client_credentials" or known is None or not secret or \
                not hmac.compare_digest(secret.encode(), known.encode()):
            raise OAuthError(401, "unauthorized_client", "Bad credentials")
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.minted[token] = time.monotonic() + self.token_ttl
            self.issued += 1
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}

    def _may_manage(self) -> None:
        """A change needs the permission to manage credentials and to deploy them."""
        if not self.permitted:
            raise answer(self.edition, rules.MISSING_PERMISSION)

    # -- projects and environments --------------------------------------------------------------
    def list_projects(self) -> dict[str, Any]:
        """list-projects.md (this page says ``status: SUCCESS``, not ``success: true``)."""
        with self._lock:
            items = [{"name": p.name, "description": p.description} for p in self.projects.values()]
        return self.edition.success_body({"resultList": items, "resultCount": len(items)}, "listProjects")

    def environments(self, project: str) -> dict[str, Any]:
        """get-environments-by-project.md: an unknown project has this page's own answer and message."""
        with self._lock:
            found = self.projects.get(project)
            if found is None:
                raise answer(self.edition, rules.UNKNOWN_PROJECT_ENVIRONMENTS, projectName=project)
            items = [environment.to_json() for environment in found.environments]
        return self.edition.success_body({"resultList": items, "resultCount": len(items)}, "getEnvironmentsByProject")

    def api_proxies(self, project: str) -> dict[str, Any]:
        """list-api-proxies.md: the project's API proxies, ordered by name (this page says ``status``)."""
        with self._lock:
            names = sorted(self.find_project(project).api_proxies)
        items = [{"name": name, "description": f"{name} of the reference gateway", "type": "REST",
                  "relativePath": f"/{name.lower()}", "soapToRest": False} for name in names]
        return self.edition.success_body({"resultList": items, "resultCount": len(items)}, "listApiProxies")

    def api_proxy_groups(self, project: str) -> dict[str, Any]:
        """list-api-proxy-groups.md: the project's API proxy groups."""
        with self._lock:
            names = sorted(self.find_project(project).api_proxy_groups)
        items = [{"id": f"group-{name.lower()}", "name": name, "description": f"{name} of the reference gateway"}
                 for name in names]
        return self.edition.success_body({"resultList": items, "resultCount": len(items)}, "listApiProxyGroups")

    def has_project(self, name: str) -> bool:
        return name in self.projects

    def find_project(self, name: str) -> Project:
        project = self.projects.get(name)
        if project is None:
            raise answer(self.edition, rules.UNKNOWN_PROJECT, projectName=name)
        return project

    # -- credentials ------------------------------------------------------------------------------
    def find_credential(self, project: Project, username: str) -> Credential:
        """A credential of ``project``; another project's is not found (list-credentials.md, Scope)."""
        credential = self.credentials.find(username)
        if credential is None or credential.project != project.name:
            raise answer(self.edition, rules.MISSING_CREDENTIAL, username=username)
        return credential

    def remove_credential(self, credential: Credential) -> None:
        """The credential and all its grants (delete-credential.md, Access Revocation)."""
        self.credentials.pop(credential.username, None)
        self.grants.pop(credential.username, None)

    def list_credentials(self, project: str) -> dict[str, Any]:
        """list-credentials.md: only the project's own credentials, password always null."""
        with self._lock:
            name = self.find_project(project).name
            items = [c.to_json() for c in self.credentials.listed() if c.project == name]
        return self.edition.success_body({"resultList": items}, "listCredentials")

    def usernames(self, project: str) -> list[str]:
        """The project's usernames (a convenience for tests and benchmarks)."""
        return [item["username"] for item in self.list_credentials(project)["resultList"]]

    def create_credential(self, project: str, body: object) -> dict[str, Any]:
        """create-credential.md: validate, store, deploy to every environment of the project."""
        with self._lock:
            found = self.find_project(project)
            self._may_manage()
            credential = _credential_from(found.name, body)
            self._insert(credential)
            return self._deployment(found, DEPLOY)

    def add_credential(self, project: str, username: str, *, password: str = "Seeded-Password-1!",
                       **fields: Any) -> Credential:
        """Seed a credential directly, without create's field checks (any username, e.g. ``a``, ``0``).

        ``fields`` are :class:`Credential` fields (``email``, ``full_name``, ...). The project must
        exist and the username be free, as for create.
        """
        with self._lock:
            found = self.find_project(project)
            credential = Credential(username, found.name, password_hash=hash_password(password), **fields)
            self._insert(credential)
            return credential

    def drop_credential(self, project: str, username: str) -> bool:
        """Remove a credential of ``project`` directly, without delete's checks (add_credential's counterpart: another
        writer's, writer.py); whether there was one."""
        with self._lock:
            credential = self.credentials.find(username)
            if credential is None or credential.project != project:
                return False
            self.remove_credential(credential)
            return True

    def _insert(self, credential: Credential) -> None:
        if self.credentials.find(credential.username):  # in any project: usernames are unique across all of them
            raise answer(self.edition, rules.ALREADY_EXISTS, username=credential.username)
        self.credentials[credential.username] = credential
        # setdefault, not assignment: the grant table is its own table, so a credential that is
        # created finds only rows that a deletion left behind, and a correct deletion leaves none.
        self.grants.setdefault(credential.username, [])

    def delete_credential(self, project: str, username: str) -> dict[str, Any]:
        """delete-credential.md, the endpoint under contract.

        An unknown project, then no such credential in *this* project, each get the edition's answer
        (``unknown-project``, ``missing-credential``). Else the credential and its grants go, and it is
        undeployed from every environment of the project (an empty list for a project without environments).
        """
        with self._lock:
            found = self.find_project(project)
            self._may_manage()  # the project's permission, before anything of the project is looked up
            credential = self.find_credential(found, username)
            self.remove_credential(credential)
            return self._deployment(found, UNDEPLOY)

    def update_credential(self, project: str, body: object) -> dict[str, Any]:
        """update-credential.md (docs.apinizer.com): PUT on the credentials path with create's body, whose username
        names the credential (it must exist in the project, and keeps its username); every other field is replaced,
        the password too, then it is redeployed. Create's answers: its checks, its Deployment Result."""
        with self._lock:
            found = self.find_project(project)
            self._may_manage()
            given = _credential_from(found.name, body)
            credential = self.find_credential(found, given.username)
            for name in ("email", "full_name", "description", "password_hash", "role_name_list", "enabled", "ip_list",
                         "expire_date"):
                setattr(credential, name, getattr(given, name))
            return self._deployment(found, DEPLOY)

    def change_password(self, project: str, username: str, body: object) -> dict[str, Any]:
        """change-credential-password.md: PATCH on the credential path; only ``password`` changes, then redeployed."""
        with self._lock:
            found = self.find_project(project)
            credential = self.find_credential(found, username)
            self._may_manage()
            password = _text(body, "password", "password", required=True) if isinstance(body, dict) else ""
            if not password:
                raise bad_request("Credential password can not be empty!")
            credential.password_hash = hash_password(password)
            return self._deployment(found, DEPLOY)

    # -- access grants ------------------------------------------------------------------------------
    def granted_access(self, project: str, username: str) -> dict[str, Any]:
        """get-granted-access-list.md."""
        with self._lock:
            found = self.find_project(project)
            if self.conditions.lagging:  # as a replica shows it (conditions.py)
                seen = self.credentials.seen(username)
                if seen is None or seen[0].project != found.name:
                    raise answer(self.edition, rules.MISSING_CREDENTIAL, username=username)
                items = [access.to_json() for access in seen[1]]
            else:
                credential = self.find_credential(found, username)
                items = [access.to_json() for access in self.grants.get(credential.username, [])]
        return self.edition.success_body({"resultList": items}, "getGrantedAccessList")

    def grant_access(self, project: str, username: str, body: object) -> dict[str, Any]:
        """grant-access.md: all items are checked before any is granted (all or nothing)."""
        with self._lock:
            found = self.find_project(project)
            credential = self.find_credential(found, username)
            self._may_manage()
            granted = self.grants.setdefault(credential.username, [])
            wanted: list[Access] = []
            for access in _access_list(found, body):
                if access in granted or access in wanted:
                    who = f"Credential (username:{credential.username})"
                    raise bad_request(f"{who} has already access to {access.label()}!")
                wanted.append(access)
            granted.extend(wanted)
            return self._deployment(found, DEPLOY)

    def revoke_access(self, project: str, username: str, body: object) -> dict[str, Any]:
        """revoke-access.md: "Access must exist to be revoked" (400 when it does not)."""
        with self._lock:
            found = self.find_project(project)
            credential = self.find_credential(found, username)
            self._may_manage()
            granted = self.grants.setdefault(credential.username, [])
            unwanted = _access_list(found, body)
            for access in unwanted:
                if access not in granted:
                    who = f"Credential (username:{credential.username})"
                    raise bad_request(f"{who} has no access to {access.label()}!")
            granted[:] = [access for access in granted if access not in unwanted]
            return self._deployment(found, UNDEPLOY)

    def _deployment(self, project: Project, messages: tuple[str, str]) -> dict[str, Any]:
        """The Deployment Result (create-credential.md): every environment of the project, in project order,
        as the edition reports it (once each, or once per pod)."""
        overall, each = messages
        return self.edition.deployment_result([e.name for e in project.environments], overall, each)


# -- request bodies -------------------------------------------------------------------------------
def _text(body: Mapping[str, Any], key: str, label: str, *, required: bool) -> str:
    value = body.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise bad_request(f"Credential {label} can not be empty!")
        return ""
    if not isinstance(value, str):
        raise bad_request(f"Credential {label} must be a string!")
    return value


def _strings(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"{key} must be an array of strings!")
    return list(value)


def _credential_from(project: str, body: object) -> Credential:
    """create-credential.md, Request Body Fields; the empty-field checks in the page's order."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object!")
    username = _text(body, "username", "username", required=True)
    password = _text(body, "password", "password", required=True)
    full_name = _text(body, "fullName", "full name", required=True)
    email = _text(body, "email", "email", required=True)
    local, at, domain = email.rpartition("@")
    if not (local and at and domain) or " " in email:
        raise bad_request("Credential email is not a valid email address!")
    ip_list = _strings(body, "ipList")
    for ip in ip_list:
        try:
            ipaddress.ip_network(ip, strict=False)
        except ValueError:
            raise bad_request(f"Invalid IP address or CIDR range: {ip}") from None
    expire_date = body.get("expireDate")
    if expire_date is not None:
        if not isinstance(expire_date, str):
            raise bad_request("expireDate must be an ISO 8601 string or null!")
        try:
            datetime.fromisoformat(expire_date.replace("Z", "+00:00"))  # 3.10 does not read "Z"
        except ValueError:
            raise bad_request(f"Invalid date format for expireDate: {expire_date}") from None
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad_request("enabled must be a boolean!")
    return Credential(
        username=username,
        project=project,
        email=email,
        full_name=full_name,
        description=_text(body, "description", "description", required=False),
        password_hash=hash_password(password),
        role_name_list=_strings(body, "roleNameList"),
        enabled=enabled,
        ip_list=ip_list,
        expire_date=expire_date,
    )


def _access_list(project: Project, body: object) -> list[Access]:
    """grant-access.md, Request Body Object: ``{"credentialAccessList": [{name, type}, ...]}``."""
    items = body.get("credentialAccessList") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request("Credential access list can not be empty!")
    accesses = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("Credential access object can not be empty!")
        name, kind = item.get("name"), item.get("type")
        if not isinstance(name, str) or not name:
            raise bad_request("Credential access object name can not be empty!")
        if not isinstance(kind, str) or not kind:
            raise bad_request("Credential access object type can not be empty!")
        if kind not in ACCESS_TYPES:
            raise bad_request(f"Credential access object type is not valid: {kind}")
        access = Access(name, kind)
        known = project.api_proxies if kind == API_PROXY else project.api_proxy_groups
        if name not in known:
            raise bad_request(
                f"{access.label()} is not found or user does not have privilege to access it!")
        accesses.append(access)
    return accesses
