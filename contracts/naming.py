"""The suite's reserved namespace on a shared gateway.

Every credential the suite creates, and every project name it invents, starts with
``PREFIX + run id``. The client refuses to send a DELETE for any other username, so a run can
only ever delete what it (or, on replay, the recorded run) created.

A Manager may compare names as a case-insensitive, Unicode-normalising store does: ``Alice`` and
``alice`` one credential, ``Straße`` and ``STRASSE`` one project. Names are therefore compared
:func:`folded` (Unicode's compatibility caseless matching, NFKC casefold) wherever the run decides what
a request can reach: a name of another's that folds into the run's namespace (a case variant of one of
its names) is :meth:`Namespace.avoid`-ed: never generated, and never sent a change (contracts/http/guard.py).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import unicodedata

from contracts.settings import run_id

PREFIX = "apiops-ct-"


def new_run_id() -> str:
    """A fresh run id, or the one in APIOPS_RUN_ID (so a CI job can name its own)."""
    given = run_id()
    return given if given is not None else secrets.token_hex(4)


def folded(name: str) -> str:
    """``name`` as a case-insensitive, Unicode-normalising Manager may compare it: NFKC(casefold(NFKC(name))),
    Unicode's compatibility caseless match (The Unicode Standard, 3.13 Default Case Algorithms, D146)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


class Namespace:
    """Names under ``apiops-ct-<run>[-<worker>]-``; xdist workers never collide."""

    def __init__(self, run_id: str, worker: str | None = None, avoided: set[str] | None = None) -> None:
        self.run_id = run_id
        self.root = f"{PREFIX}{run_id}-" + (f"{worker}-" if worker else "")
        self._counter = itertools.count(1)
        # Folded names of others' credentials that fold into the run's namespace, shared by every scoped namespace.
        self.avoided: set[str] = avoided if avoided is not None else set()

    def owns(self, name: str) -> bool:
        return name.startswith(self.root)

    def of_the_run(self, name: str) -> bool:
        """A name that a Manager which folds names may take for one of this run's (any worker's), exact or not."""
        return folded(name).startswith(folded(PREFIX + self.run_id + "-"))

    def avoid(self, listed: list[str]) -> list[str]:
        """Of the names a project lists, those of others that fold into the run's namespace: remembered, so that
        no name of the run a folding Manager would take for one of them is generated or sent a change."""
        strangers = [name for name in listed if self.of_the_run(name) and not name.startswith(PREFIX + self.run_id)]
        self.avoided.update(folded(name) for name in strangers)
        return strangers

    def reaches_another(self, name: str) -> bool:
        """Whether a Manager that folds names would take ``name`` for a credential of another's it lists."""
        return folded(name) in self.avoided

    def busy_elsewhere(self, name: str) -> bool:
        """A name of this run (or another suite run) that is not this namespace's: another test's."""
        return name.startswith(PREFIX) and not self.owns(name)

    def name(self, label: str = "cred") -> str:
        """A new name, unique in this run: ``<root><label>-<n>``; one that a folding Manager would take for the
        start of another's name (avoided) is passed over, so no name built on it reaches another's either."""
        while True:
            name = f"{self.root}{label}-{next(self._counter)}"
            if not any(other.startswith(folded(name)) for other in self.avoided):
                return name

    @classmethod
    def from_root(cls, root: str, run_id: str, avoided: set[str] | None = None) -> Namespace:
        """The namespace a recorded test used, so that its replay sends the very same names."""
        namespace = cls(run_id, avoided=avoided)
        namespace.root = root
        return namespace

    def scoped(self, scope: str) -> Namespace:
        """A namespace for one test, whose names do not depend on what ran before it.

        Recordings are replayed per test, so a test must send the same names whatever the
        order or selection of tests.
        """
        return Namespace.from_root(f"{self.root}{_slug(scope)}-", self.run_id, self.avoided)


def _slug(text: str) -> str:
    """A short readable tail of the test name plus a hash of all of it: deterministic, unique."""
    tail = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[-24:].strip("-")
    return f"{tail}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
