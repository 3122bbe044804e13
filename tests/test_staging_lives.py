"""The suite on a staging that lives, end to end: real projects' names, others' credentials that fold into the run's
names, a Manager that compares usernames case-insensitively (contracts/naming.py, contracts/living.py)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from contracts import editions, recording, stack
from contracts.gateway.conditions import Conditions
from contracts.gateway.server import GatewayServer
from contracts.naming import PREFIX
from tests.conftest import TOKEN, RunSuite, live

EDITIONS = editions.ids()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[GatewayServer]:
    edition = getattr(request, "param", None)
    with GatewayServer(token=TOKEN, edition=editions.get(edition) if edition else None) as started:
        yield started


@pytest.mark.parametrize("server", EDITIONS, indirect=True)
def test_a_project_named_strasse_is_green_its_case_variant_probed_as_the_runs(
        server: GatewayServer, run_suite: RunSuite) -> None:
    # 'Straße'.swapcase() is 'sTRASSE', one letter longer: a case variant that only folding recognises.
    gateway = server.gateway
    gateway.projects["Straße"] = dataclasses.replace(gateway.projects["MyProject"], name="Straße")
    args = live(server.url, "--edition", server.gateway.edition.id, "-p", "no:randomly")
    run = run_suite(*[arg if arg != "MyProject" else "Straße" for arg in args], "--api-proxy", "MyAPI",
                    "--other-project", "OtherProject", "-k", "not properties",
                    env={"APIOPS_TOKEN": TOKEN})
    assert run.returncode == 0, run.output
    assert "test_project_names_are_case_sensitive" not in run.output  # passed, not skipped nor failed
    assert gateway.usernames("Straße") == []  # and nothing left


def left_behind(server: GatewayServer) -> list[str]:
    return [name for name in server.gateway.usernames("MyProject") if name.startswith("apiops-ct-")]


# A second pipeline (or the Manager's Credential Synchronization) creates and deletes its own every 0.5 s; one every
# 50 ms is sure to delete one of its own while a DELETE of the run is under way (the neighbour rule's blind spot).
@pytest.mark.parametrize(("edition", "interval"), [*((edition, 0.5) for edition in EDITIONS), (EDITIONS[-1], 0.05)])
def test_another_writer_in_the_project_is_no_failure_of_the_manager_and_is_said_once(
        edition: str, interval: float, run_suite: RunSuite) -> None:
    writer = Conditions(writer=True, writer_interval=interval)
    with GatewayServer(token=TOKEN, edition=editions.get(edition), conditions=writer) as server:
        run = run_suite(*live(server.url, "--edition", edition), env={"APIOPS_TOKEN": TOKEN})
        assert left_behind(server) == []
    assert run.returncode == 0, run.output
    assert "the project changed under the run:" in run.output and "left out of the neighbour rules" in run.output


@pytest.mark.long
@pytest.mark.parametrize("edition", EDITIONS)
def test_lists_that_show_writes_late_are_read_again_until_they_settle_and_the_lag_is_the_one_finding(
        edition: str, run_suite: RunSuite) -> None:
    lagging = Conditions(create_lag=1.0, delete_lag=1.5)  # a Manager that lists from a replica
    with GatewayServer(token=TOKEN, edition=editions.get(edition), conditions=lagging) as server:
        run = run_suite(*live(server.url, "--edition", edition), env={"APIOPS_TOKEN": TOKEN})
        time.sleep(1.6)  # the gateway's own list, as its replica shows it, once the last delete had time to
        assert left_behind(server) == []
    assert run.returncode == 0, run.output
    assert "the Manager lists its writes late, as a replica read would" in run.output
    assert "left behind" not in run.output


def names_sent(recordings: Path) -> set[str]:
    """Every username a recorded run sent in a credential path of MyProject."""
    found = set()
    for path in [*recordings.glob("scenarios/**/*.yaml"), *recordings.glob("properties/**/*.yaml")]:
        for interaction in recording.load_file(path).interactions:
            parts = interaction.path.split("/")
            if len(parts) > 4 and parts[1:3] == ["projects", "MyProject"] and parts[3] == "credentials" and parts[4]:
                found.add(unquote(parts[4]))
    return found


@pytest.mark.long
@pytest.mark.parametrize("edition", EDITIONS)
def test_a_case_insensitive_manager_fails_usernames_are_case_sensitive_and_no_other_teams_case_variant_is_touched(
        edition: str, run_suite: RunSuite, tmp_path: Path) -> None:
    env = {"APIOPS_TOKEN": TOKEN, "APIOPS_RUN_ID": "casefold1"}
    # What a run of this id sends, learned from a recorded run against a Manager that keeps the rule.
    with GatewayServer(token=TOKEN, edition=editions.get(edition)) as clean:
        first = run_suite(*live(clean.url, "--edition", edition, "-p", "no:randomly", "--record", "--recordings",
                                str(tmp_path / "first")), env=env)
    assert first.returncode == 0, first.output
    sent = names_sent(tmp_path / "first")
    assert len(sent) > 30, sent
    # Other teams' credentials: each a case variant of a name the run sends.
    # The routing probes of the session's start (contracts/targets.py, learn_routing) are in no test's recording.
    probes = {f"{PREFIX}casefold1-route-1-{index}{char}" for index, char in enumerate(stack.PROBED)}
    others = sorted({name.upper() for name in sent | probes} - sent)
    folding = Conditions(case_insensitive=True)
    with GatewayServer(token=TOKEN, edition=editions.get(edition), conditions=folding) as server:
        for name in others:
            server.gateway.add_credential("MyProject", name)
        run = run_suite(*live(server.url, "--edition", edition, "-p", "no:randomly"), env=env)
        listed = server.gateway.usernames("MyProject")
    assert run.returncode == 1, run.output
    assert "FAILED" in run.output and "usernames-are-case-sensitive" in run.output, run.output
    untouched = set(others) & set(listed)
    assert untouched == set(others), f"touched: {sorted(set(others) - untouched)[:5]}"
    assert not [name for name in listed if name.startswith("apiops-ct-")], "left behind"
