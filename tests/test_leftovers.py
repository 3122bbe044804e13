"""Leftovers are counted from the gateway, not from the register (docs/safety.md: No silent leftovers): the summary
lists the run's credentials the gateway still lists after the clean-up; when the list cannot be read, the
names registered for clean-up are shown as an upper bound, and said to be one."""

from __future__ import annotations

import threading
import time
from typing import Any

from contracts.cleanup import Comeback, Leftover, Registry, clean_up, command, delete_registered, still_listed
from contracts.client import ApiClient
from contracts.gateway.server import GatewayServer
from contracts.naming import Namespace
from contracts.redaction import Secret
from tests.conftest import TOKEN

NAMESPACE = Namespace("left42")
MADE, NEVER_MADE = NAMESPACE.name("made"), NAMESPACE.name("create-never-succeeded")


def test_only_what_the_gateway_still_lists_is_left_behind_not_what_was_registered() -> None:
    with GatewayServer(token=TOKEN) as server:
        server.gateway.add_credential("MyProject", MADE)
        client = ApiClient(server.api_url, Secret(TOKEN), NAMESPACE, projects={"MyProject"})
        left = still_listed(client, NAMESPACE, {MADE: "MyProject", NEVER_MADE: "MyProject"},
                            [Leftover("MyProject", MADE, "DELETE … answered 500")], ["MyProject"])
    assert left == [Leftover("MyProject", MADE, "DELETE … answered 500")]


def test_a_credential_a_delete_claimed_to_remove_but_the_gateway_still_lists_is_left_behind() -> None:
    """The register forgot it (its DELETE answered 200); the list still has it: it is named."""
    with GatewayServer(token=TOKEN) as server:
        server.gateway.add_credential("MyProject", MADE)
        client = ApiClient(server.api_url, Secret(TOKEN), NAMESPACE, projects={"MyProject"})
        left = still_listed(client, NAMESPACE, {}, [], ["MyProject"])
    assert [(item.username, item.listed) for item in left] == [(MADE, True)]


def test_the_runs_clean_up_checks_every_deletion_that_answered_200_against_one_read_of_the_list() -> None:
    """delete-not-done answers 200 and deletes nothing: a test's clean-up takes the DELETE's word for now, the
    session's clean-up reads the list once and names every credential still in it, saying what its DELETE said."""
    with GatewayServer(token=TOKEN, faults=["delete-not-done"]) as server:
        model, reads = server.gateway, []
        list_now = model.list_credentials

        def counted(project: str) -> dict[str, Any]:
            reads.append(project)
            return list_now(project)

        names = [NAMESPACE.name("claimed") for _ in range(3)]
        for name in names:
            model.add_credential("MyProject", name)
        model.list_credentials = counted  # type: ignore[method-assign]
        # No settle window (contracts/living.py): the one read is the last word.
        client = ApiClient(server.api_url, Secret(TOKEN), NAMESPACE, projects={"MyProject"}, settle=0)
        registry = Registry({name: "MyProject" for name in names})
        assert delete_registered(client, registry, names[:1]) == [] and reads == []  # a test's clean-up
        left = clean_up(client, registry, NAMESPACE, ["MyProject"])
    assert [(item.username, item.answer, item.listed) for item in left] == \
        [(name, "its DELETE answered 200, yet the gateway still lists it", True) for name in sorted(names)]
    assert reads == ["MyProject"]  # once after the deletes, not once per name


def test_when_the_list_cannot_be_read_the_registered_names_are_an_upper_bound_and_say_so() -> None:
    client = ApiClient("http://127.0.0.1:9/apiops", Secret(TOKEN), NAMESPACE, projects={"MyProject"}, timeout=2)
    left = still_listed(client, NAMESPACE, {MADE: "MyProject", NEVER_MADE: "MyProject"}, [], ["MyProject"])
    assert sorted(item.username for item in left) == sorted([MADE, NEVER_MADE])
    assert not any(item.listed for item in left)
    assert all("the credential list could not be read" in item.answer for item in left)


def test_the_clean_up_command_is_complete_and_leaves_the_token_to_the_environment() -> None:
    line = command("left42", "https://apinizer-staging.example.com", "Contract Tests")
    assert line == ("python -m contracts.cleanup --run-id left42 --base-url https://apinizer-staging.example.com "
                    "--project 'Contract Tests' --yes")


def restarting(server: GatewayServer, seconds: float) -> None:
    """The gateway, gone down for ``seconds`` (connections refused, its store kept), as its restart condition does."""
    threading.Thread(target=server.restart, args=(seconds, threading.Event()), daemon=True).start()
    time.sleep(0.2)


def test_the_clean_up_of_a_run_the_manager_left_waits_for_it_to_come_back_then_deletes_and_checks_everything(
) -> None:
    """Issue 28: the clean-up ran while a restarting Manager was still down, and left what it could not delete."""
    with GatewayServer(token=TOKEN) as server:
        names = [NAMESPACE.name("restart") for _ in range(3)]
        for name in names:
            server.gateway.add_credential("MyProject", name)
        restarting(server, 2.0)
        client = ApiClient(server.api_url, Secret(TOKEN), NAMESPACE, projects={"MyProject"}, timeout=5)
        comeback = Comeback(20)
        left = clean_up(client, Registry({name: "MyProject" for name in names}), NAMESPACE, ["MyProject"],
                        comeback=comeback, away=True)
        still = [name for name in server.gateway.usernames("MyProject") if name in names]
    assert (left, still) == ([], [])
    assert comeback.back and comeback.waited is not None and 1.0 < comeback.waited < 6, comeback
    assert "came back" in str(comeback.line())


def test_a_clean_up_whose_deletes_meet_a_restart_waits_for_the_manager_and_sends_them_again() -> None:
    """Not known to be away (an xdist worker that did not see it go): the failed deletes and a failed read say so."""
    with GatewayServer(token=TOKEN) as server:
        server.gateway.add_credential("MyProject", MADE)
        restarting(server, 2.0)
        client = ApiClient(server.api_url, Secret(TOKEN), NAMESPACE, projects={"MyProject"}, timeout=5)
        comeback = Comeback(20)
        left = clean_up(client, Registry({MADE: "MyProject"}), NAMESPACE, ["MyProject"], comeback=comeback)
        still = MADE in server.gateway.usernames("MyProject")
    assert (left, still, comeback.back) == ([], False, True)


def test_a_manager_that_does_not_come_back_within_the_wait_is_sent_no_delete_and_leaves_an_upper_bound_saying_so(
) -> None:
    client = ApiClient("http://127.0.0.1:9/apiops", Secret(TOKEN), NAMESPACE, projects={"MyProject"}, timeout=2)
    comeback = Comeback(1.5)
    started = time.monotonic()
    left = clean_up(client, Registry({MADE: "MyProject"}), NAMESPACE, ["MyProject"], comeback=comeback, away=True)
    assert 1.0 <= time.monotonic() - started < 5
    assert [(item.username, item.listed) for item in left] == [(MADE, False)]
    assert "not deleted: the Manager did not answer again within 1.5 s" in left[0].answer, left[0].answer
    assert not comeback.back and "did not answer again" in str(comeback.line())


def test_a_clean_up_whose_deletes_the_manager_refuses_does_not_wait() -> None:
    """A DELETE refused by a Manager that answers its list at once is a refusal, not an absence: no wait."""
    with GatewayServer(token=TOKEN) as server:
        server.gateway.add_credential("MyProject", MADE)

        def refused(project: str, username: str) -> dict[str, Any]:
            raise RuntimeError("the delete broke")  # the gateway answers 500

        server.gateway.delete_credential = refused  # type: ignore[method-assign]
        # No settle window: the credential stays listed, and the list's own reads again are not this test's.
        client = ApiClient(server.api_url, Secret(TOKEN), NAMESPACE, projects={"MyProject"}, settle=0)
        comeback = Comeback(30)
        started = time.monotonic()
        left = clean_up(client, Registry({MADE: "MyProject"}), NAMESPACE, ["MyProject"], comeback=comeback)
    assert [item.username for item in left] == [MADE] and "answered 500" in left[0].answer
    assert time.monotonic() - started < 3 and comeback.waited is None and comeback.line() is None
