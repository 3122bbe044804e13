"""The suite on a staging that lives, end to end: real projects' names, others' credentials that fold into the run's
names, a Manager that compares usernames case-insensitively (contracts/naming.py, contracts/living.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from contracts import editions
from contracts.gateway.server import GatewayServer
from contracts.gateway.state import Credential, hash_password
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


def seed_case_variants(server: GatewayServer, run_id: str) -> list[str]:
    """Others' credentials that differ from the names a run with this id would use only in case."""
    names = [f"APIOPS-CT-{run_id.upper()}-{tail}" for tail in ("ROUTE-1", "ROUTE-1%41Z", "NEVER-CREATED-1")]
    for name in names:
        server.gateway._insert(Credential(name, "MyProject", "team@example.com", "Team", "another team's",
                                          hash_password("Team-Password-1!")))
    return names
