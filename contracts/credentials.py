"""Throwaway credentials for test authors: the ``credential`` fixture's :class:`Credentials`.

A test creates what it needs through it, in the run's namespace and registered for clean-up before its
create is sent; whatever survives the test is deleted after it (the plugin's ``credential`` fixture).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import requests

from contracts import cleanup, rules
from contracts.client import answer_line
from contracts.judge import Judge
from contracts.naming import Namespace, folded
from contracts.targets import Target


class Credentials:
    """Throwaway credentials of one test: ``credentials()`` creates one, ``credentials.all(names)`` several at once.

    create-credential.md: usernames are unique across all credentials. A name is registered for
    clean-up before its create is sent, because a create whose answer never arrives (Ctrl-C, a
    timeout, a dropped connection) may have made it; the name is the run's own (its namespace holds
    the run id, and preflight refused a namespace with credentials in it), and deleting one that was
    never made finds nothing. Any answer other than 200 unregisters it: it made nothing of ours. A
    create that answers "already exists" for a name that differs only in case (folded, contracts/naming.py)
    from one the run made is the Manager folding usernames: ``usernames-are-case-sensitive`` fails, and the
    run goes on. Otherwise it means the run's namespace is not its alone: the run stops, and nothing of that
    name is deleted.
    """

    def __init__(self, target: Target, namespace: Namespace, registry: cleanup.Registry, judge: Judge) -> None:
        self.target, self.namespace, self.registry, self.judge = target, namespace, registry, judge
        self.mine: list[str] = []
        self.made: set[str] = set()  # the names whose create answered 200

    def __call__(self, label: str = "cred", *, username: str | None = None, **fields: Any) -> str:
        name = username or self.namespace.name(label)
        self._sending([name])
        self._created(name, self.target.client.create_credential(self.target.project, name, **fields))
        return name

    def all(self, usernames: list[str]) -> list[str]:
        """Create these at once (as far as --concurrency lets the client): independent deployments overlap."""
        client, project = self.target.client, self.target.project
        self._sending(usernames)
        responses = client.concurrently([functools.partial(client.create_credential, project, name)
                                         for name in usernames])
        # Every answer is settled before the first failure is raised: the register then holds exactly the
        # creates that succeeded (a failed create made nothing of ours to delete or report).
        failures = []
        # The creates that succeeded first: a name refused as existing is then told apart from its case twin's.
        answered = sorted(zip(usernames, responses, strict=True), key=lambda pair: pair[1].status_code != 200)
        for name, response in answered:
            try:
                self._created(name, response)
            except BaseException as failure:  # noqa: B036 - pytest.fail and pytest.exit are BaseExceptions
                failures.append(failure)
        if failures:
            raise failures[0]
        return usernames

    def _sending(self, usernames: list[str]) -> None:
        for name in usernames:
            assert self.namespace.owns(name), f"{name!r} is outside the run's namespace"
            self.registry.created(self.target.project, name)
            self.mine.append(name)

    def _created(self, name: str, response: requests.Response) -> None:
        if response.status_code == 200:
            self.made.add(name)
            return
        self.registry.forget(name)
        self.mine.remove(name)
        edition = self.target.edition
        said = edition.answered(response.status_code, _body(response))
        if said == rules.MISSING_PERMISSION:
            pytest.exit(f"apiops: creating a credential in {self.target.project!r} answered {response.status_code} "
                        f"{edition.message(_body(response))!r}: the token's user lacks the permission the run needs: "
                        f"{edition.permissions}; give the token's user that permission in the project (nothing was "
                        "created)", returncode=pytest.ExitCode.USAGE_ERROR)
        if said == rules.ALREADY_EXISTS or "already" in response.text.lower():
            twin = next((other for other in self.made if other != name and folded(other) == folded(name)), None)
            if twin is not None:
                self.judge.that(rules.USERNAME_CASE, False, f"creating {name!r} answered {response.status_code} that "
                                f"it already exists: the Manager takes it for {twin!r}, which differs only in case")
            pytest.exit(f"apiops: creating {name!r} answered that it already exists: the namespace "
                        f"{self.namespace.root!r} is not this run's alone (a reused APIOPS_RUN_ID?); nothing of it "
                        "is deleted", returncode=pytest.ExitCode.USAGE_ERROR)
        pytest.fail(f"set-up: creating credential {name!r}: {answer_line(response)}", pytrace=False)

    def clean_up(self, judge: Judge) -> None:
        """What is still registered: one a test saw deleted is not deleted again; one that fails stays
        registered, for the session's clean-up to try again and report. The deletions are checked by the
        session's clean-up, against one read of the list (cleanup.delete_registered)."""
        with judge.aside():
            cleanup.delete_registered(self.target.client, self.registry, self.mine)


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
