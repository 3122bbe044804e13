"""What a live run may cost a shared staging: an economical profile by default, whatever CI says, and a cap on the
credentials a run creates, stated and kept (contracts/profiles.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import Phase

from contracts import profiles, recording
from contracts.gateway.server import GatewayServer
from contracts.settings import DEFAULT_CONCURRENCY
from tests.conftest import TOKEN, RunSuite, live


def test_the_scenarios_create_no_more_than_the_budget_counts_for_them() -> None:
    """SCENARIO_CREATES is what the scenarios (and the schema-driven property test) create: counted in the shipped
    recordings of every edition."""
    for edition in ("2025-12", "2026-08"):
        creates = sum(text.count("method: POST") for path in recording.default_dir(edition).rglob("*.yaml")
                      if "scenarios" in path.parts or "answered_as_documented" in path.name
                      for text in [path.read_text(encoding="utf-8")])
        assert 0 < creates <= profiles.SCENARIO_CREATES, (edition, creates)


def test_a_live_run_defaults_to_the_staging_profile_whatever_ci_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert profiles.default_profile("live") == "staging"
    assert profiles.default_profile("local") == "ci"
    monkeypatch.delenv("CI")
    assert profiles.default_profile("stub") == "dev"


def test_the_staging_profile_creates_the_fewest_and_never_shrinks() -> None:
    caps = {name: profiles.create_cap(name, DEFAULT_CONCURRENCY) for name in profiles.PROFILES}
    assert caps["staging"] == min(caps.values()), caps
    assert Phase.shrink not in profiles.PROFILES["staging"].phases


@pytest.mark.parametrize("profile", [None, "dev"])
def test_a_live_run_against_a_gateway_that_never_deletes_creates_at_most_its_stated_cap(
        run_suite: RunSuite, tmp_path: Path, profile: str | None) -> None:
    """delete-not-done: every property fails; a shrinking profile would create without end. The run creates at
    most the cap it states, and says how many it created."""
    with GatewayServer(token=TOKEN, faults=["delete-not-done"]) as server:
        # --settle 1: each claim that the credential is gone never holds; a second of re-reads says so.
        run = run_suite("contracts/scenarios", "contracts/properties", "-p", "no:randomly", "--settle", "1",
                        *(["--hypothesis-profile", profile] if profile else []),
                        *live(server.url, "--api-proxy", "MyAPI"), env={"APIOPS_TOKEN": TOKEN})
        created = server.stats()["by_operation"].get("createCredential", 0)
    stated = re.search(r"created (\d+) credential\(s\), of the (\d+) this run may create", run.output)
    assert stated, run.output[-3000:]
    cap = profiles.create_cap(profile or "staging", DEFAULT_CONCURRENCY)
    assert int(stated[2]) == cap and created <= cap, (created, cap, run.output[-2000:])
    assert run.returncode in (1, 4), run.output[-3000:]


