"""The reference gateway's state: projects and their environments, credentials and their access grants, as
the Apinizer Management API pages' objects, and the seed a fresh gateway starts from.

Plain records, no rules: model.py's :class:`~contracts.gateway.model.Gateway` checks and changes them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

API_PROXY = "API_PROXY"
API_PROXY_GROUP = "API_PROXY_GROUP"
ACCESS_TYPES = (API_PROXY, API_PROXY_GROUP)  # EnumAccessType, get-granted-access-list.md


@dataclass
class Environment:
    """Environment object of get-environments-by-project.md."""

    name: str
    description: str = ""
    type: str = "PRODUCTION"  # EnumEnvironmentType: PRODUCTION, SANDBOX, TEST
    status: str = "PUBLISHED"  # EnumPublishStatus
    access_url: str = ""
    deployed: bool | None = True  # "may be null"
    redeploy_required: bool | None = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "status": self.status,
            "accessUrl": self.access_url,
            "deployed": self.deployed,
            "redeployRequired": self.redeploy_required,
        }


@dataclass
class Project:
    name: str
    description: str = ""
    environments: list[Environment] = field(default_factory=list)
    api_proxies: set[str] = field(default_factory=set)
    api_proxy_groups: set[str] = field(default_factory=set)


def hash_password(password: str) -> str:
    """create-credential.md: "Passwords are stored securely (hashed)"; no response ever carries one."""
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass
class Credential:
    """Credential object of list-credentials.md; ``project`` is the project it belongs to."""

    username: str
    project: str
    email: str = ""
    full_name: str = ""
    description: str = ""
    password_hash: str = ""
    role_name_list: list[str] = field(default_factory=list)
    enabled: bool = True
    ip_list: list[str] = field(default_factory=list)
    expire_date: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "fullName": self.full_name,
            "description": self.description,
            "username": self.username,
            "password": None,  # list-credentials.md: "always null in list responses"
            "roleNameList": list(self.role_name_list),
            "enabled": self.enabled,
            "ipList": list(self.ip_list),
            "expireDate": self.expire_date,
        }


@dataclass(frozen=True)
class Access:
    """One grant: Access Item Object of get-granted-access-list.md."""

    name: str
    type: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type}

    def label(self) -> str:
        kind = "API Proxy" if self.type == API_PROXY else "API Proxy Group"
        return f"{kind} (name:{self.name})"


@dataclass
class State:
    """Everything the gateway knows; what a seed function returns."""

    projects: dict[str, Project] = field(default_factory=dict)
    # Keyed by username alone: "username must be unique across all credentials" (create-credential.md).
    credentials: dict[str, Credential] = field(default_factory=dict)
    # The grant table, keyed by username like the credentials; deleting a credential deletes its rows.
    grants: dict[str, list[Access]] = field(default_factory=dict)


def default_seed() -> State:
    """The deterministic state of a fresh reference gateway, built from the pages' own examples."""

    def env(name: str, kind: str) -> Environment:
        return Environment(name, f"{name.capitalize()} environment", kind, "PUBLISHED",
                           f"https://api.{name}.example.com")

    projects = [
        Project(
            "MyProject",
            "My project description",
            [env("production", "PRODUCTION"), env("staging", "SANDBOX"), env("test", "TEST")],
            {"MyAPI", "PaymentAPI"},
            {"MyAPIGroup"},
        ),
        Project(
            "OtherProject",
            "Another project, for project-scoping checks",
            [Environment("production", "Production environment of OtherProject", "PRODUCTION", "PUBLISHED",
                         "https://api.other.example.com")],
            {"OtherAPI"},
        ),
        Project("EmptyProject", "A project with no environments"),
    ]
    credentials = [
        Credential("api-user", "MyProject", "user@example.com", "John Doe", "API user credential",
                   hash_password("SecurePassword123!"), ["API_USER", "DEVELOPER"], True,
                   ["192.168.1.100", "10.0.0.0/8"], "2024-12-31T23:59:59.000Z"),
        Credential("admin-user", "MyProject", "admin@example.com", "Admin User", "Administrator credential",
                   hash_password("SecurePassword123!"), ["ADMIN"]),
        Credential("other-user", "OtherProject", "other@example.com", "Other User", "OtherProject credential",
                   hash_password("SecurePassword123!"), ["API_USER"]),
    ]
    return State(
        projects={project.name: project for project in projects},
        credentials={credential.username: credential for credential in credentials},
        grants={"api-user": [Access("MyAPI", API_PROXY)], "admin-user": [], "other-user": []},
    )
