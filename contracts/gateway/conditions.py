"""The conditions of a shared staging Manager that lives while a run goes on, each off by default.

A real staging Manager is shared, and it moves (issue 28): another writer creates and deletes its own credentials in
the project (a second pipeline, or Apinizer 2026.09's Credential Synchronization, APNZ-6445); its lists are read from
a replica and lag behind its writes; it restarts; a login page or a front door starts answering; it is busy deploying
and answers 503; its store compares usernames case-insensitively. :class:`Conditions` is one value that says which of
them the reference gateway shows (``GatewayServer(conditions=...)``, ``Gateway(conditions=...)``, and the flags of
``python -m contracts.gateway``: :func:`add_arguments`, :func:`from_arguments`).

Here too: :class:`CredentialStore`, the credentials as the model keeps them, which folds usernames
(:func:`caseless`) for a case-insensitive store and gives a replica's lagging view of them. The other writer is
writer.py's; the login page and the 503s front.py's; the server (server.py) starts and stops the writer and restarts.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
import unicodedata
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, fields

from contracts.gateway.state import Access, Credential


def caseless(name: str) -> str:
    """Unicode's caseless matching of a name (NFKC, then case folding, then NFKC again): ``Alice``, ``alice`` and
    ``ＡＬＩＣＥ`` are one name, and so are ``Straße`` and ``STRASSE``."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


@dataclass(frozen=True)
class Conditions:
    """What the gateway does besides keeping the contract; the defaults are a quiet Manager of its own.

    - ``writer``: another writer creates ``team-x-00001``, ``team-x-00002`` ... in ``writer_project`` every
      ``writer_interval`` seconds, and deletes its older ones (writer.py);
    - ``create_lag``, ``delete_lag``: the credentials list and the granted-access list show a create that many
      seconds late, and a delete that many seconds late; writes and the lookups they do are not late;
    - ``restart_after`` (requests) or ``restart_at`` (seconds after start): then it stops listening for
      ``restart_for`` seconds (connections refused) and listens again on the same port, its store intact;
    - ``login_after``: from that request on, every request is answered ``302 Found`` to a login page;
    - ``busy_after``: from that request on, for ``busy_for`` seconds, every request is answered 503 with
      ``Retry-After: 1``;
    - ``case_insensitive``: usernames are compared as :func:`caseless` names (lookup, create's conflict, delete).

    Requests are counted from 1, every request the server receives (a refused or unrouted one too).
    """

    writer: bool = False
    writer_interval: float = 0.5
    writer_project: str = "MyProject"
    create_lag: float = 0.0
    delete_lag: float = 0.0
    restart_after: int | None = None
    restart_at: float | None = None
    restart_for: float = 5.0
    login_after: int | None = None
    busy_after: int | None = None
    busy_for: float = 3.0
    case_insensitive: bool = False

    def __post_init__(self) -> None:
        for name in ("create_lag", "delete_lag", "restart_for", "busy_for"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.writer_interval <= 0:
            raise ValueError("writer_interval must be more than 0 seconds")
        if self.restart_at is not None and self.restart_at < 0:
            raise ValueError("restart_at cannot be negative")
        for name in ("restart_after", "login_after", "busy_after"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} counts requests from 1")

    @property
    def restarts(self) -> bool:
        return self.restart_after is not None or self.restart_at is not None

    @property
    def lagging(self) -> bool:
        return bool(self.create_lag or self.delete_lag)

    def lines(self) -> list[str]:
        """What a person starting the gateway is told: one line a condition that is on."""
        said = []
        if self.writer:
            said.append(f"another writer in {self.writer_project}, every {self.writer_interval:g} s")
        if self.lagging:
            said.append(f"lists show a create {self.create_lag:g} s late, a delete {self.delete_lag:g} s late")
        if self.restarts:
            when = (f"after request {self.restart_after}" if self.restart_after is not None
                    else f"{self.restart_at:g} s after start")
            said.append(f"restarts {when}, refusing connections for {self.restart_for:g} s")
        if self.login_after is not None:
            said.append(f"a login page answers from request {self.login_after} on")
        if self.busy_after is not None:
            said.append(f"busy (503, Retry-After: 1) from request {self.busy_after}, for {self.busy_for:g} s")
        if self.case_insensitive:
            said.append("usernames compared case-insensitively")
        return said


QUIET = Conditions()

# flag -> (field, type, metavar, help): the command line's names of the fields (python -m contracts.gateway).
_FLAGS: dict[str, tuple[str, type, str | None, str]] = {
    "--writer": ("writer", bool, None, "another writer creates and deletes its own credentials team-x-NNNNN in the "
                                       "project, as a second pipeline or Credential Synchronization would"),
    "--writer-interval": ("writer_interval", float, "S", "seconds between the writer's changes (default 0.5)"),
    "--writer-project": ("writer_project", str, "NAME", "the project the writer writes in (default MyProject)"),
    "--create-lag": ("create_lag", float, "S", "the lists show a created credential S seconds late (a replica)"),
    "--delete-lag": ("delete_lag", float, "S", "the lists show a deleted credential for S seconds more"),
    "--restart-after": ("restart_after", int, "N", "after the Nth request, refuse connections for --restart-for "
                                                   "seconds, then listen again on the same port, store intact"),
    "--restart-at": ("restart_at", float, "S", "restart S seconds after start instead"),
    "--restart-for": ("restart_for", float, "S", "seconds a restart refuses connections (default 5)"),
    "--login-after": ("login_after", int, "N", "from the Nth request on, answer 302 Found to a login page"),
    "--busy-after": ("busy_after", int, "N", "from the Nth request, answer 503 with Retry-After: 1 for "
                                             "--busy-for seconds"),
    "--busy-for": ("busy_for", float, "S", "seconds the gateway is busy (default 3)"),
    "--case-insensitive": ("case_insensitive", bool, None, "compare usernames case-insensitively (Unicode "
                                                           "caseless), as some Managers' stores do"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The conditions' flags, in a group of their own, every one off by default."""
    group = parser.add_argument_group("a living Manager (contracts/gateway/conditions.py; all off by default)")
    for flag, (name, kind, metavar, text) in _FLAGS.items():
        if kind is bool:
            group.add_argument(flag, dest=f"condition_{name}", action="store_true", help=text)
        else:
            group.add_argument(flag, dest=f"condition_{name}", type=kind, metavar=metavar, default=None, help=text)


def from_arguments(arguments: argparse.Namespace) -> Conditions:
    """The :class:`Conditions` the flags of :func:`add_arguments` ask for; ValueError names a wrong one."""
    given = {field.name: getattr(arguments, f"condition_{field.name}", None) for field in fields(Conditions)}
    return Conditions(**{name: value for name, value in given.items() if value is not None and value is not False})


# -- the store -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Grave:
    """A deleted credential, as a lagging replica still shows it for ``delete_lag`` seconds."""

    credential: Credential
    order: int
    born: float
    died: float
    grants: list[Access]


class CredentialStore(MutableMapping[str, Credential]):
    """The credentials, keyed by username (the model's and the faults' dict), with what a living Manager adds:

    - :meth:`find`: the credential of a username, or of its :func:`caseless` equal in a case-insensitive store;
    - :meth:`listed` and :meth:`seen`: what a replica shows ``create_lag`` / ``delete_lag`` seconds behind.
      Every write (a create, a delete, a fault's ``pop``) goes through this mapping, so each is timed where it
      happens; seeded credentials are listed from the start.

    ``grants`` is the model's grant table, read when a credential is deleted (a replica still shows its grants).
    """

    def __init__(self, items: dict[str, Credential], grants: dict[str, list[Access]],
                 conditions: Conditions = QUIET, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, Credential] = {}
        self._order = itertools.count()
        self._born: dict[str, tuple[int, float]] = {}
        self._graves: list[_Grave] = []
        self.grants, self.conditions, self.clock = grants, conditions, clock
        for name, credential in items.items():
            self._items[name] = credential
            self._born[name] = (next(self._order), -math.inf)

    def __getitem__(self, username: str) -> Credential:
        return self._items[username]

    def __setitem__(self, username: str, credential: Credential) -> None:
        self._items[username] = credential
        self._born[username] = (next(self._order), self.clock())

    def __delitem__(self, username: str) -> None:
        credential = self._items.pop(username)
        order, born = self._born.pop(username, (0, -math.inf))
        if self.conditions.delete_lag:
            now = self.clock()
            self._graves = [grave for grave in self._graves if now < grave.died + self.conditions.delete_lag]
            self._graves.append(_Grave(credential, order, born, now, list(self.grants.get(username, []))))

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"CredentialStore({self._items!r})"

    def find(self, username: str) -> Credential | None:
        """The stored credential of ``username``: exactly, or (case-insensitive store) its caseless equal."""
        found = self._items.get(username)
        if found is None and self.conditions.case_insensitive:
            folded = caseless(username)
            found = next((c for c in self._items.values() if caseless(c.username) == folded), None)
        return found

    def listed(self) -> list[Credential]:
        """The credentials as the lists show them: a create from ``create_lag`` seconds after it, a delete from
        ``delete_lag`` seconds after it; in the order they were created."""
        if not self.conditions.lagging:
            return list(self._items.values())
        now, lag = self.clock(), self.conditions.create_lag
        shown = {name: (self._born[name][0], credential) for name, credential in self._items.items()
                 if now >= self._born[name][1] + lag}
        for grave in self._graves:  # a replica that has not seen the delete yet, and had seen the create
            name = grave.credential.username
            if now < grave.died + self.conditions.delete_lag and now >= grave.born + lag and name not in shown:
                shown[name] = (grave.order, grave.credential)
        return [credential for _, credential in sorted(shown.values(), key=lambda entry: entry[0])]

    def seen(self, username: str) -> tuple[Credential, list[Access]] | None:
        """The credential of ``username`` and its grants as the replica shows them, or None where it shows none."""
        folded = caseless(username) if self.conditions.case_insensitive else username
        for credential in reversed(self.listed()):
            name = caseless(credential.username) if self.conditions.case_insensitive else credential.username
            if name == folded:
                if self._items.get(credential.username) is credential:
                    return credential, list(self.grants.get(credential.username, []))
                return credential, next(grave.grants for grave in self._graves if grave.credential is credential)
        return None
