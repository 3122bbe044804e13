"""The suite's fixtures: the session's target and what it holds (client, contract, edition, judge), the
recording of each test's exchanges, the seed of generated cases, and per test its names, project and
throwaway credentials.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator

import pytest

from contracts import profiles, recording
from contracts.client import ApiClient, UnexpectedResponse
from contracts.credentials import Credentials
from contracts.editions import Edition
from contracts.judge import Judge
from contracts.naming import Namespace
from contracts.plugin.opening import open_once
from contracts.plugin.run import SEED_KEY, run_of
from contracts.settings import contract_document
from contracts.spec import Contract, load
from contracts.targets import Target


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The gateway under test, opened (and preflighted) once per session."""
    run = run_of(pytestconfig)
    if run.target is None and run.exit_line is not None:  # an xdist worker whose opening failed (collection.py)
        pytest.skip("the run stopped before its first test (see its last line)")
    return open_once(pytestconfig)


@pytest.fixture(scope="session")
def client(target: Target) -> ApiClient:
    return target.client


@pytest.fixture(scope="session")
def contract(target: Target) -> Contract:
    """The contract document of the edition the run holds the gateway to."""
    return load(contract_document(target.edition))


@pytest.fixture(scope="session")
def edition(target: Target) -> Edition:
    """The edition of the docs the run holds the gateway to (contracts/editions), chosen before any test."""
    return target.edition


@pytest.fixture(scope="session")
def judge(target: Target, pytestconfig: pytest.Config) -> Judge:
    """The one judge (contracts/judge.py), already watching every answer of the client's session."""
    found = run_of(pytestconfig).judge
    assert found is not None
    return found


@pytest.fixture(autouse=True)
def recorded_exchanges(request: pytest.FixtureRequest) -> Iterator[recording.Recording | None]:
    """Per test: replay its recording (stub), or record its exchanges (--record), or stay out."""
    if "target" not in request.fixturenames:
        yield None
        return
    target: Target = request.getfixturevalue("target")
    nodeid = request.node.nodeid
    observers = target.client.session.observers
    if target.kind == "stub":
        try:
            recorded = recording.read(target.recordings, nodeid)
        except recording.RecordingError as exc:
            # An error, never a skip: an unrecorded scenario is an unchecked rule.
            pytest.fail(str(exc), pytrace=False)
        with recording.replay(recorded, target.api_url) as mock:
            # A read that settles reads again as often as the recorded run did (its answers decide, not the clock).
            target.client.settler.again = functools.partial(recording.reads_again, mock)
            yield recorded
            # After the test's own fixtures tore down (its clean-up is part of its recording).
            left = recording.unfired(mock)
        if left:
            raise UnexpectedResponse(f"the recording holds exchanges this test did not make: {left[0]}"
                                     + (f" (and {len(left) - 1} more)" if len(left) > 1 else "")
                                     + " — a recording of another run of the test? re-record it")
    elif target.settings.record:
        recorder = recording.Recorder(target.api_url)
        observers.insert(0, recorder)  # before the judge: a failing answer is recorded too
        target.client.session.failure_observers.append(recorder.failed)
        try:
            yield None
        finally:
            observers.remove(recorder)
            target.client.session.failure_observers.remove(recorder.failed)
            root = target.namespace.scoped(nodeid).root
            recording.write(target.recordings, recording.Recording(nodeid, root, recorder.interactions))
    else:
        yield None


@pytest.fixture(scope="session")
def property_seed(pytestconfig: pytest.Config) -> int | None:
    """The seed of this session's generated cases; None under a derandomized profile (``ci``).

    ``--hypothesis-seed`` sets it, so the seed a failure report names replays that failure; without
    it each session draws a fresh one. A derandomized profile generates the same cases every run.
    """
    import hypothesis

    if getattr(hypothesis.settings.default, "derandomize", False):
        return None
    given = pytestconfig.getoption("hypothesis_seed", default=None)
    seed = profiles.seed_of(given) if given is not None else random.getrandbits(32)
    pytestconfig.stash[SEED_KEY] = seed  # named in the hint that replays a failure
    return seed


@pytest.fixture
def namespace(
    target: Target, request: pytest.FixtureRequest, recorded_exchanges: recording.Recording | None
) -> Namespace:
    """Names for this test, deterministic from its node id; on replay, the recorded ones."""
    if recorded_exchanges is not None:
        return Namespace.from_root(recorded_exchanges.namespace, target.namespace.run_id)
    return target.namespace.scoped(request.node.nodeid)


@pytest.fixture
def project(target: Target) -> str:
    return target.project


@pytest.fixture
def api_proxy(target: Target) -> str:
    if not target.settings.api_proxy:
        pytest.skip("needs --api-proxy (APIOPS_API_PROXY): an API proxy the suite may grant")
    return target.settings.api_proxy


@pytest.fixture
def other_project(target: Target) -> str:
    other = target.other_project
    if not other:
        pytest.skip("needs a second project: none visible to the token, and no --other-project")
    return other


@pytest.fixture
def credential(target: Target, namespace: Namespace, judge: Judge,
               pytestconfig: pytest.Config) -> Iterator[Credentials]:
    """Throwaway credentials in the project; whatever survives the test is deleted after it."""
    credentials = Credentials(target, namespace, run_of(pytestconfig).registry, judge)
    yield credentials
    credentials.clean_up(judge)
