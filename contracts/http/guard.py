"""Only its own: what a request may touch, checked before anything is sent.

A request that could change a credential (any method but GET, HEAD, OPTIONS) must name one in the run's
namespace, in a project of the run, and none that a Manager folding names (``Alice`` = ``alice``) would take
for another's credential it lists (contracts/naming.py); no path may hold a dot segment (``requests`` turns
``%2E%2E`` back into ``..``, which servers resolve). :class:`~contracts.http.errors.UnsafeRequest` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from contracts.http.errors import UnsafeRequest
from contracts.naming import Namespace, folded

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Guard:
    """What a request may touch: credentials of the run's namespace, in the run's projects."""

    api_path: str  # the API root's path, e.g. "/apiops"
    namespace: Namespace
    projects: set[str] = field(default_factory=set)

    def check(self, method: str, url: str) -> None:
        path = urlsplit(url).path
        pieces = path.split("/")
        if any(piece in (".", "..") for piece in pieces):
            raise UnsafeRequest(f"refusing {method} {path}: a dot segment would be resolved into another path")
        if method.upper() in READ_METHODS:
            return
        rest = path[len(self.api_path):] if path.startswith(self.api_path + "/") else path
        parts = rest.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "projects":
            self._project(method, unquote(parts[1]))
        if len(parts) >= 4 and parts[0] == "projects" and parts[2] == "credentials":
            username = unquote(parts[3])
            if not self.namespace.owns(username):
                raise UnsafeRequest(f"refusing {method} of credential {username!r}: not created by this run")
            if self.namespace.reaches_another(username):
                raise UnsafeRequest(f"refusing {method} of credential {username!r}: a Manager comparing names "
                                    "case-insensitively would take it for another's credential the project lists")
        elif method.upper() == "DELETE":
            raise UnsafeRequest(f"refusing DELETE {path}: the suite deletes credentials only")

    def _project(self, method: str, project: str) -> None:
        # A case variant of a configured project is allowed (compared folded: 'Straße' and 'sTRASSE' are one): it can
        # only hold this run's username if the gateway wrongly folds case, which the case-sensitivity rule probes.
        if folded(project) not in {folded(name) for name in self.projects} and not self.namespace.owns(project):
            raise UnsafeRequest(f"refusing {method} in project {project!r}: not a project of this run")
