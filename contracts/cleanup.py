"""What a run created, what it leaves behind, and the command that removes it.

Only what this run created is ever deleted: a credential joins the :class:`Registry` once its
create answered 200 (usernames are unique across all credentials, create-credential.md, so a
create that succeeds made a credential nobody else had), and leaves it when a DELETE of it
answered 200 (or the missing-credential answer): a deletion claimed, not yet checked. A DELETE's
answer is never taken for the deletion: at the end of a session, :func:`clean_up` deletes what is
still registered, then reads each project's credential list once, and every credential of the run
the gateway still lists is left behind (:class:`Leftover`), whatever its DELETE answered.

    python -m contracts.cleanup --run-id ID [--base-url URL] [--project NAME] [--yes]

lists the credentials of run ``ID`` still in the project (a dry run), and with ``--yes`` deletes
them, then reads the list again: every credential of the run it still lists is named, and the
command exits 1. It touches nothing outside ``apiops-ct-<ID>-``. Settings come from
the same ``APIOPS_*`` variables as the suite (the token from ``APIOPS_TOKEN`` only).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from contracts import editions, rules
from contracts.client import CREATED_AT, ApiClient, UnexpectedResponse, answer_line, credential_path, result_list
from contracts.http.errors import GatewayMisbehaved, GatewayUnreachable
from contracts.http.ratelimit import CLEANUP_ALLOWANCE
from contracts.naming import PREFIX, Namespace, folded
from contracts.redaction import Secret, register
from contracts.settings import (
    DEFAULT_CONCURRENCY,
    SettingsError,
    api_root,
    check_name,
    check_run_id,
    commands,
    count,
    rate,
    service_account,
    tls_verify,
    variable,
)
from contracts.tokens import ClientCredentials, Personal, TokenError, TokenSource

_RUN = re.compile(re.escape(PREFIX) + r"([a-z0-9]+)-")


@dataclass(frozen=True)
class Leftover:
    project: str
    username: str
    answer: str  # what the gateway answered to the clean-up's DELETE
    listed: bool = True  # the gateway still lists it; False: its list could not be read (an upper bound)

    def line(self) -> str:
        return f"{self.project}/{self.username}: {self.answer}"


@dataclass
class Registry:
    """The credentials this run created and has not seen deleted (``alive``: username -> project), and
    those a DELETE answered were gone (``claimed``: username -> (project, that answer)), which only the
    gateway's credential list can confirm (:func:`still_listed`)."""

    alive: dict[str, str] = field(default_factory=dict)
    claimed: dict[str, tuple[str, str]] = field(default_factory=dict)

    def created(self, project: str, username: str) -> None:
        self.alive[username] = project
        self.claimed.pop(username, None)

    def forget(self, username: str) -> None:
        """Its create answered that it made nothing: not the run's to delete."""
        self.alive.pop(username, None)

    def deleted(self, username: str, answer: str) -> None:
        """A DELETE answered it is gone: not deleted again, checked against the list at the end."""
        project = self.alive.pop(username, None)
        if project is not None:
            self.claimed[username] = (project, answer)

    def observe(self, response: requests.Response) -> None:
        """Session observer: a DELETE of a registered credential that answered 200 claims it removed it."""
        if response.request.method != "DELETE" or response.status_code != 200:
            return
        for username in [name for name in self.alive if _deletes(response, self.alive[name], name)]:
            self.deleted(username, "a test's DELETE answered 200")


def _deletes(response: requests.Response, project: str, username: str) -> bool:
    return str(response.request.url).endswith(credential_path(project, username))


def gone(response: requests.Response) -> bool:
    """A clean-up DELETE that left nothing behind: deleted now (200), or already gone (the missing answer)."""
    if response.status_code == 200:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return any(edition.answered(response.status_code, body, (rules.MISSING_CREDENTIAL,)) for edition in
               editions.all_editions())


def delete_checked(client: ApiClient, project: str, username: str) -> tuple[str, Leftover | None]:
    """Delete one credential: what the DELETE answered, in short, and a :class:`Leftover` saying why when that
    answer says it may still be there. None is only the DELETE's word for it, which :func:`still_listed`
    checks against the gateway's list."""
    try:
        response = client.delete_credential(project, username)
    except (GatewayUnreachable, GatewayMisbehaved) as exc:
        return str(exc), Leftover(project, username, str(exc))
    if gone(response):
        return f"its DELETE answered {response.status_code}", None
    return answer_line(response), Leftover(project, username, answer_line(response))


def delete_registered(client: ApiClient, registry: Registry, usernames: list[str] | None = None) -> list[Leftover]:
    """Delete what is still registered (of ``usernames``, or all), at once as far as the client sends at
    once; the credentials whose DELETE did not answer they are gone (they stay registered), with the answer.
    One whose DELETE answered it is gone leaves the register as ``claimed``: the DELETE's word only, which
    :func:`clean_up` checks against the gateway's list (a test's clean-up reads no list: its requests are
    part of its recording, and one list read per project at the end checks every test's deletions)."""
    with client.session.rate_limit.allowance(CLEANUP_ALLOWANCE):  # a rate limit must not keep what the run made
        return _delete_registered(client, registry, usernames)


def _delete_registered(client: ApiClient, registry: Registry, usernames: list[str] | None = None) -> list[Leftover]:
    alive = [(name, project) for name, project in registry.alive.items() if usernames is None or name in usernames]
    outcomes = client.concurrently([functools.partial(delete_checked, client, project, name)
                                    for name, project in alive])
    leftovers = []
    for (username, _), (answer, leftover) in zip(alive, outcomes, strict=True):
        if leftover is None:
            registry.deleted(username, answer)
        else:
            leftovers.append(leftover)
    return leftovers


@dataclass
class Comeback:
    """The clean-up's wait for a Manager that stopped answering (a restart, a front door that shut): at most
    ``seconds`` (``--cleanup-wait``), polling a read-only request, the project's credential list, with a short
    backoff. ``waited``: how long it waited, once it did; ``back``: whether the Manager answered the read again."""

    seconds: float
    waited: float | None = None
    back: bool = False

    def line(self) -> str | None:
        """What the summary says of the wait; None when there was none."""
        if self.waited is None:
            return None
        if self.back:
            return (f"apiops: the Manager came back {self.waited:.1f} s into the clean-up's wait (--cleanup-wait "
                    f"{self.seconds:g} s): the clean-up deleted what the run created and checked each deletion "
                    "against the gateway's credential list")
        return (f"apiops: the Manager did not answer again within the clean-up's wait of {self.seconds:g} s "
                "(--cleanup-wait): what the run created is under \"credentials left behind\", as far as it could be "
                "checked")

    def wait(self, client: ApiClient, project: str) -> bool:
        """Until the Manager answers ``project``'s credential list with 200 again, at most :attr:`seconds`
        (a refused token ends the wait: waiting does not bring it back). Whether it answered."""
        started = time.monotonic()
        end, pause, deadline = started + self.seconds, 0.25, client.session.deadline
        try:
            while True:
                # No read outlasts the wait (a Manager that drops packets keeps a connect waiting).
                client.session.deadline = max(0.5, min(deadline, end - time.monotonic()))
                status = _list_status(client, project)
                if status in (200, 401) or time.monotonic() + pause > end:
                    break
                time.sleep(pause)
                pause = min(2.0, pause * 2)
        finally:
            client.session.deadline = deadline
        self.waited, self.back = time.monotonic() - started, status == 200
        return self.back


def _list_status(client: ApiClient, project: str) -> int | None:
    """The status of a read of the project's credential list, 200 only with a list in it; None: no answer."""
    try:
        result_list(client.list_credentials(project), "list credentials")
    except (GatewayUnreachable, GatewayMisbehaved):
        return None
    except UnexpectedResponse:
        return -1  # an answer, not the Management API's list (a proxy's 502, a login page)
    return 200


def clean_up(client: ApiClient, registry: Registry, namespace: Namespace,
             projects: Sequence[str] = (), *, comeback: Comeback | None = None, away: bool = False) -> list[Leftover]:
    """Delete what is still registered, then read each project's credential list once (not once per name: a
    project may hold thousands): every credential of the run the gateway still lists is left, named as the
    gateway lists it, whatever its DELETE answered (a 200 that deleted nothing included). Where the list
    cannot be read, the names whose deletion could not be checked, as an upper bound (:func:`still_listed`).

    ``comeback``: a Manager that stopped answering is waited for. ``away`` (the run stopped because it did): before
    anything is deleted; else when a deletion failed and a read of the list fails too, and then the failed
    deletions are sent again. A Manager that did not come back within the wait is not sent the deletes (each would
    fail as the read did): the last resort is the upper bound."""
    with client.session.rate_limit.allowance(CLEANUP_ALLOWANCE):  # a rate limit must not keep what the run made
        registered = dict(registry.alive)
        project = sorted({*projects, *registered.values()} or {""})[0]
        if comeback is not None and away and registered | registry.claimed and not comeback.wait(client, project):
            failed = [Leftover(where, name, f"not deleted: the Manager did not answer again within "
                               f"{comeback.seconds:g} s") for name, where in sorted(registered.items())]
            return still_listed(client, namespace, registered, failed, projects, claimed=registry.claimed)
        failed = _delete_registered(client, registry)
        if failed and comeback is not None and comeback.waited is None and _list_status(client, project) != 200 \
                and comeback.wait(client, project):
            failed = _delete_registered(client, registry, [item.username for item in failed])
        return still_listed(client, namespace, registered, failed, projects, claimed=registry.claimed)


def still_listed(client: ApiClient, namespace: Namespace, registered: dict[str, str],
                 failed: list[Leftover], projects: Sequence[str] = (),
                 claimed: dict[str, tuple[str, str]] | None = None) -> list[Leftover]:
    """What the run left, as the gateway lists it after the clean-up: its credentials (its namespace, or a
    name it registered, e.g. a case variant) in every project it worked in. A name registered whose create
    never made anything is not a leftover. ``claimed``: deletions a DELETE's answer claimed (username ->
    (project, that answer)); one the list still holds is left, saying so. A project whose list cannot be read
    keeps the names registered or claimed there, marked ``listed=False``: an upper bound, not a count."""
    claimed = claimed or {}
    answers = {name: f"{answer}, yet the gateway still lists it" for name, (_, answer) in claimed.items()}
    unchecked = {name: f"{answer}, unchecked" for name, (_, answer) in claimed.items()}
    answers |= {item.username: item.answer for item in failed}
    unchecked |= {item.username: item.answer for item in failed}
    left: list[Leftover] = []
    for project in sorted({*projects, *registered.values(), *(item.project for item in failed),
                           *(where for where, _ in claimed.values())}):
        mine = {name for name, where in registered.items() if where == project} | \
            {item.username for item in failed if item.project == project} | \
            {name for name, (where, _) in claimed.items() if where == project}
        ours = functools.partial(_ours, namespace, {folded(name) for name in mine})
        try:  # a Manager that lists a delete late had the settle window to show it (contracts/living.py)
            listed = client.listed(project, functools.partial(_none_of, ours),
                                   "a deleted credential gone from the list")
        except (GatewayUnreachable, GatewayMisbehaved, UnexpectedResponse) as exc:
            left += [Leftover(project, name, f"{unchecked.get(name, 'not deleted')}; the credential list could not "
                              f"be read ({exc})", listed=False) for name in sorted(mine)]
            continue
        left += [Leftover(project, name, answers.get(name, "still listed by the gateway after the clean-up"))
                 for name in sorted(listed) if ours(name)]
    return left


def _none_of(ours: Callable[[str], bool], names: set[str]) -> bool:
    return not any(ours(name) for name in names)


def _ours(namespace: Namespace, mine: set[str], name: str) -> bool:
    """A listed name of the run's, compared as a Manager that folds names would (naming.folded); never another's."""
    return namespace.owns(name) or (folded(name) in mine and not namespace.reaches_another(name))


def command(run_id: str, manager_url: str, project: str) -> str:
    """The clean-up command of one project, ready to paste; the token stays in APIOPS_TOKEN (never a flag)."""
    return f"python -m contracts.cleanup --run-id {run_id} --base-url {shlex.quote(manager_url)} " \
           f"--project {shlex.quote(project)} --yes"


@dataclass(frozen=True)
class Earlier:
    """Credentials of earlier runs found in the project (read-only)."""

    run_id: str
    usernames: list[str]
    oldest: datetime.datetime | None

    def line(self, now: datetime.datetime | None = None) -> str:
        age = ""
        if self.oldest is not None:
            hours = ((now or datetime.datetime.now(datetime.UTC)) - self.oldest).total_seconds() / 3600
            age = f", oldest {hours:.0f} h old" if hours >= 1 else ", under an hour old"
        return (f"run {self.run_id}: {len(self.usernames)} credential{'s' if len(self.usernames) != 1 else ''}"
                f"{age} (e.g. {self.usernames[0]}); remove with: python -m contracts.cleanup --run-id "
                f"{self.run_id} --yes")


def earlier_runs(credentials: list[dict[str, Any]], run_id: str) -> list[Earlier]:
    """Credentials under the suite's prefix that another run left, grouped by run."""
    by_run: dict[str, list[dict[str, Any]]] = {}
    for item in credentials:
        username = str(item.get("username", ""))
        found = _RUN.match(username)
        if found and found[1] != run_id:
            by_run.setdefault(found[1], []).append(item)
    return [Earlier(run, sorted(str(item["username"]) for item in items), _oldest(items))
            for run, items in sorted(by_run.items())]


def _oldest(items: list[dict[str, Any]]) -> datetime.datetime | None:
    times = []
    for item in items:
        found = CREATED_AT.search(str(item.get("description") or ""))
        if found:
            times.append(datetime.datetime.strptime(found[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC))
    return min(times) if times else None


# -- python -m contracts.cleanup ---------------------------------------------------------------------------
def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    return commands.parser("cleanup").parse_args(argv)  # declared in contracts/settings/commands.py


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    args.concurrency = args.concurrency or str(DEFAULT_CONCURRENCY)
    try:
        run_id = check_run_id(args.run_id)
        if not args.base_url or not args.project:
            raise SettingsError("needs --base-url and --project (or APIOPS_BASE_URL and APIOPS_PROJECT)")
        check_name("--project", args.project)
        token = Secret(variable("APIOPS_TOKEN") or "")
        client_id, client_secret = service_account()  # or a service account's, as the suite takes it
        if not token and not client_id:
            raise SettingsError("needs the token in APIOPS_TOKEN, or APIOPS_CLIENT_ID and APIOPS_CLIENT_SECRET")
        register(token)
        source: TokenSource = Personal(token)
        if client_id and client_secret is not None:
            source = ClientCredentials(args.base_url, client_id, client_secret, verify=tls_verify())
            source.current()
        namespace = Namespace(run_id)
        concurrency = count("--concurrency", args.concurrency)
        client = ApiClient(api_root(args.base_url), source, namespace, projects={args.project}, verify=tls_verify(),
                           concurrency=concurrency, rate_limit=rate("--rate-limit", args.rate_limit))
        names = sorted(name for name in client.usernames(args.project) if namespace.owns(name))
    except (SettingsError, TokenError, GatewayUnreachable, GatewayMisbehaved, UnexpectedResponse) as exc:
        print(f"cleanup: {exc}", file=sys.stderr)
        return 4
    if not names:
        print(f"cleanup: no credential of run {run_id} in {args.project}")
        return 0
    if not args.yes:
        print(f"cleanup: {len(names)} credential(s) of run {run_id} in {args.project} (dry run; --yes deletes):")
        print("\n".join(f"  {name}" for name in names))
        return 0
    # Each deletion checked: the list is read again once after the deletes; what it still holds is left.
    left = clean_up(client, Registry({name: args.project for name in names}), namespace, [args.project])
    if not left:
        print(f"cleanup: deleted {len(names)} of {len(names)} credential(s) of run {run_id}; the gateway lists "
              "none of them now")
        return 0
    if all(item.listed for item in left):
        print(f"cleanup: the gateway still lists {len(left)} credential(s) of run {run_id} in {args.project} "
              f"after the deletes ({len(names)} DELETEs sent):")
    else:
        print(f"cleanup: {len(names)} credential(s) of run {run_id}: the deletes could not be checked, the "
              f"credential list of {args.project} could not be read; these may remain (an upper bound):")
    for leftover in left:
        print(f"  left: {leftover.line()}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
