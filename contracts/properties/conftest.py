"""The property tests' fixture: the schemathesis schema of the DELETE (throwaway credentials are the plugin's).

The hypothesis profiles and the session's seed come from the plugin (contracts/profiles.py,
``property_seed``), so ``--hypothesis-profile`` works for any selection of tests and a replay
regenerates exactly the recorded cases.
"""

from __future__ import annotations

import shlex
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import BaseSchema
from schemathesis.config import SchemathesisConfig

from contracts import rules, yamltext
from contracts.judge import current
from contracts.plugin.run import SEED_KEY, running_target
from contracts.redaction import PLACEHOLDER
from contracts.settings import contract_document
from contracts.targets import Target

SCHEMATHESIS_TOML = Path(__file__).resolve().parent.parent.parent / "schemathesis.toml"


@pytest.fixture(scope="session")
def delete_credential_schema(target: Target, property_seed: int | None) -> BaseSchema:
    """The contract document of the run's edition as a schemathesis schema; its requests go out through the
    suite's client.

    Checks and phases come from schemathesis.toml; what depends on the target is set here. The
    token is the placeholder: the client's session puts the real one in as the request is sent.
    """
    config = SchemathesisConfig.from_path(SCHEMATHESIS_TOML)
    document = contract_document(target.edition)  # the edition's, or a draft's (APIOPS_SPEC)
    # Read by libyaml (contracts/yamltext.py): schemathesis' own YAML reading took a tenth of a second of each run.
    schema = schemathesis.openapi.from_dict(yamltext.load(document.read_text(encoding="utf-8")), config=config)
    schema.location = document.absolute().as_uri()  # as from_path says where a document came from
    # The statuses a valid and an invalid request may answer are the edition's (the editions differ on the unknown
    # project's): from its answers, not from schemathesis.toml.
    edition = target.edition
    answers = {name: edition.answer(name).status for name in
               (rules.SUCCESS, rules.MISSING_CREDENTIAL, rules.UNKNOWN_PROJECT, rules.REFUSED_TOKEN)}
    schema.config.checks.positive_data_acceptance.expected_statuses = sorted(
        {str(answers[name]) for name in (rules.SUCCESS, rules.MISSING_CREDENTIAL, rules.UNKNOWN_PROJECT)})
    schema.config.checks.negative_data_rejection.expected_statuses = sorted(
        {str(answers[name]) for name in (rules.MISSING_CREDENTIAL, rules.UNKNOWN_PROJECT, rules.REFUSED_TOKEN)})
    # Requests that checks send themselves (a Content-Type probe's control) go through the suite's
    # session too (``transport_kwargs``); none of them may follow a redirect.
    schema.config.update(base_url=target.api_url, request_timeout=target.settings.timeout,
                         tls_verify=target.client.session.verify, max_redirects=0)
    if property_seed is not None:
        schema.config.seed = property_seed
    if target.kind == "stub":
        # A replay sends the recorded requests (test_any_generated_request_is_answered_as_documented): the first case
        # brings it there, and every case after it only returns at once. The coverage phase's hundred cases cost a
        # replay half its time; one fuzzed case is kept for a contract document without examples (a draft).
        schema.config.phases.coverage.enabled = False
        schema.config.generation.update(max_examples=1)

    class TargetToken:
        """authentication.md: ``Authorization: Bearer <token>`` on every case that does not negate it.

        A provider (not a fixed header) so that schemathesis leaves it out of the cases whose
        point is a missing or invalid Authorization: those still go out without the token.
        """

        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return PLACEHOLDER

        def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    # No caching (refresh_interval=None): caching providers also re-send a request that got a 401
    # with a fresh token, and a 401 is an answer under test here, not an expired token.
    schema.auth(refresh_interval=None)(TargetToken)

    @schema.hook
    def after_validate(context: Any, case: schemathesis.Case, response: Any, results: list[Any]) -> None:
        """Each check's verdict goes into the test's ledger, under the rule the check verifies."""
        ledger = current()
        for result in results:
            rule = rules.SCHEMATHESIS_CHECKS.get(result.name, rules.DOCUMENTED)
            if result.failure is None:
                ledger.hold(rule)
            else:
                ledger.failure_rules[id(result.failure)] = rule

    return schema


# -- how to replay a failure ------------------------------------------------------------------------
def replay_hint(item: pytest.Item) -> str:
    """The command that runs a failed property test again on the same cases."""
    config = item.config
    profile = settings.get_current_profile_name()
    command = ["python", "-m", "pytest", item.nodeid.partition("[")[0]]  # not the per-operation label
    target = running_target(config)
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

