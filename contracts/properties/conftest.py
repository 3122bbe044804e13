"""Fixtures of the property tests: the schemathesis schema of the DELETE, throwaway credentials, a judge.

The hypothesis profiles are registered by the plugin (``contracts.properties.configure_hypothesis``),
so ``--hypothesis-profile`` works for any selection of tests.
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import settings
from schemathesis import BaseSchema
from schemathesis.config import SchemathesisConfig

from contracts import checks
from contracts.checks import time_problems
from contracts.client import ApiClient
from contracts.naming import Namespace
from contracts.plugin import CREATED_KEY, TARGET_KEY
from contracts.properties import curl, has_dot_segment, problems, replay_seed
from contracts.spec import Contract, spec_path
from contracts.targets import Target

SCHEMATHESIS_TOML = Path(__file__).resolve().parent.parent.parent / "schemathesis.toml"
SEED_KEY = pytest.StashKey[int]()


@pytest.fixture(scope="session")
def property_seed(pytestconfig: pytest.Config) -> int | None:
    """The seed of this session's generated cases; ``None`` under a derandomized profile (``ci``).

    ``--hypothesis-seed`` sets it, so the seed a failure report names replays that failure; without
    it each session draws a fresh one. A derandomized profile generates the same cases every run.
    """
    current = settings.default
    if current is not None and current.derandomize:
        return None
    given = pytestconfig.getoption("hypothesis_seed", default=None)
    seed = replay_seed(given) if given is not None else random.getrandbits(32)
    pytestconfig.stash[SEED_KEY] = seed
    return seed


@pytest.fixture(scope="session")
def delete_credential_schema(target: Target, property_seed: int | None) -> BaseSchema:
    """openapi.yaml as a schemathesis schema, pointed at the target, with the target's token.

    Checks and phases come from schemathesis.toml; what depends on the target is set here.
    """
    config = SchemathesisConfig.from_path(SCHEMATHESIS_TOML)
    schema = schemathesis.openapi.from_path(spec_path(), config=config)
    # TLS as the suite's session has it: schemathesis passes `verify` on every request, which would
    # otherwise override a CA bundle configured for the session.
    schema.config.update(base_url=target.api_url, request_timeout=target.settings.timeout,
                         tls_verify=target.client.session.verify)
    schema.config.checks.update(max_response_time=target.settings.max_response_time)
    checks.set_budget(target.settings.max_response_time)
    if property_seed is not None:
        schema.config.seed = property_seed
    if target.kind == "stub":
        # A replay checks the recorded requests again (the test rebuilds them); hypothesis cannot
        # regenerate them, so the schema yields one example, which only carries the test there.
        schema.config.phases.coverage.enabled = False
        schema.config.phases.fuzzing.enabled = False
        schema.config.phases.examples.fill_missing = True

    token = target.token.reveal()

    class TargetToken:
        """authentication.md: ``Authorization: Bearer <token>`` on every case that does not negate it.

        A provider (not a fixed header) so that schemathesis leaves it out of the cases whose
        point is a missing or invalid Authorization: those still go out without the token.
        """

        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return token

        def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    # No caching (refresh_interval=None): caching providers also re-send a request that got a 401
    # with a fresh token, and a 401 is an answer under test here, not an expired token.
    schema.auth(refresh_interval=None)(TargetToken)
    return schema


class Judge:
    """Holds each DELETE answer of the suite's client to the contract; returns its JSON body.

    The response-time budget is judged apart, once the property has run (:meth:`within_budget`):
    slowness belongs to the gateway, not to a generated input, so a slow answer must not send
    hypothesis shrinking over inputs, each of them slow again.
    """

    def __init__(self, contract: Contract, budget: float) -> None:
        self.contract, self.budget = contract, budget
        self.slowest: tuple[float, str] | None = None

    def __call__(self, response: requests.Response, status: int) -> dict[str, Any]:
        seconds = response.elapsed.total_seconds()
        if seconds > self.budget and (self.slowest is None or seconds > self.slowest[0]):
            self.slowest = (seconds, curl(response))
        found = problems(self.contract, response)
        if response.status_code != status:
            found.insert(0, f"expected {status}, got {response.status_code}")
        assert not found, "; ".join(found) + f"\n\nReproduce with:\n\n    {curl(response)}\n"
        body: dict[str, Any] = response.json()
        return body

    def within_budget(self) -> None:
        if self.slowest is not None:
            seconds, command = self.slowest
            problem = time_problems(seconds, self.budget)[0]
            raise AssertionError(f"the slowest DELETE {problem}\n\nReproduce with:\n\n    {command}\n")


@pytest.fixture
def judge(contract: Contract, target: Target) -> Judge:
    return Judge(contract, target.settings.max_response_time)


class Throwaway:
    """Credentials a property creates, each deleted after the test unless the test saw it deleted."""

    def __init__(self, client: ApiClient, project: str, namespace: Namespace, created: dict[str, str]) -> None:
        self.client, self.project, self.namespace, self.created = client, project, namespace, created
        self.alive: list[str] = []

    def create(self, username: str) -> requests.Response:
        assert self.namespace.owns(username), f"{username!r} is outside the run's namespace"
        assert not has_dot_segment(username), f"{username!r} holds a dot segment a proxy could resolve"
        self.created[username] = self.project  # before the call: an interrupted create is cleaned up too
        self.alive.append(username)
        return self.client.create_credential(self.project, username)

    def deleted(self, username: str) -> None:
        """The test saw it deleted: nothing left to clean up."""
        if username in self.alive:
            self.alive.remove(username)
        self.created.pop(username, None)

    def clean_up(self) -> None:
        for username in self.alive:
            response = self.client.delete_credential(self.project, username)
            if response.status_code in (200, 400):  # deleted now, or already gone
                self.created.pop(username, None)


@pytest.fixture
def throwaway(target: Target, namespace: Namespace, pytestconfig: pytest.Config) -> Iterator[Throwaway]:
    credentials = Throwaway(target.client, target.project, namespace, pytestconfig.stash[CREATED_KEY])
    yield credentials
    credentials.clean_up()


# -- how to replay a failure ------------------------------------------------------------------------
def replay_hint(item: pytest.Item) -> str:
    """The command that runs a failed property test again on the same cases."""
    config = item.config
    profile = settings.get_current_profile_name()
    command = ["python", "-m", "pytest", item.nodeid.partition("[")[0]]  # not the per-operation label
    target = config.stash.get(TARGET_KEY, None)
    if target is not None:
        command += ["--target", target.kind]
        if target.kind == "live":
            command += ["--base-url", str(target.settings.manager_url), "--project", target.project]
    command += ["--hypothesis-profile", profile]
    if target is not None and target.kind == "stub":
        return shlex.join(command) + "\n(replays the recorded requests in order: the recording is the example)"
    seed = config.stash.get(SEED_KEY, None)
    if seed is None:
        return shlex.join(command) + f"\n(profile {profile!r} is derandomized: the same command, the same cases)"
    return shlex.join([*command, f"--hypothesis-seed={seed}"]) + (
        "\n(the seed regenerates the same cases; without it, hypothesis' database in .hypothesis/ replays the "
        "failing example first on the next run)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.failed and call.when == "call":
        report.sections.append(("how to replay this failure", replay_hint(item)))
    return report

