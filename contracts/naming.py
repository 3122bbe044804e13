"""The suite's reserved namespace on a shared gateway.

Every credential the suite creates, and every project name it invents, starts with
``PREFIX + run id``. The client refuses to send a DELETE for any other username, so a run can
only ever delete what it (or, on replay, the recorded run) created.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import secrets

from contracts.settings import check_run_id

PREFIX = "apiops-ct-"


def new_run_id() -> str:
    """A fresh run id, or the one in APIOPS_RUN_ID (so a CI job can name its own)."""
    given = os.environ.get("APIOPS_RUN_ID")
    return check_run_id(given, "APIOPS_RUN_ID") if given is not None else secrets.token_hex(4)


class Namespace:
    """Names under ``apiops-ct-<run>[-<worker>]-``; xdist workers never collide."""

    def __init__(self, run_id: str, worker: str | None = None) -> None:
        self.run_id = run_id
        self.root = f"{PREFIX}{run_id}-" + (f"{worker}-" if worker else "")
        self._counter = itertools.count(1)

    def owns(self, name: str) -> bool:
        return name.startswith(self.root)

    def busy_elsewhere(self, name: str) -> bool:
        """A name of this run (or another suite run) that is not this namespace's: another test's."""
        return name.startswith(PREFIX) and not self.owns(name)

    def name(self, label: str = "cred") -> str:
        """A new name, unique in this run: ``<root><label>-<n>``."""
        return f"{self.root}{label}-{next(self._counter)}"

    @classmethod
    def from_root(cls, root: str, run_id: str) -> Namespace:
        """The namespace a recorded test used, so that its replay sends the very same names."""
        namespace = cls(run_id)
        namespace.root = root
        return namespace

    def scoped(self, scope: str) -> Namespace:
        """A namespace for one test, whose names do not depend on what ran before it.

        Recordings are replayed per test, so a test must send the same names whatever the
        order or selection of tests.
        """
        return Namespace.from_root(f"{self.root}{_slug(scope)}-", self.run_id)


def _slug(text: str) -> str:
    """A short readable tail of the test name plus a hash of all of it: deterministic, unique."""
    tail = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[-24:].strip("-")
    return f"{tail}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"
