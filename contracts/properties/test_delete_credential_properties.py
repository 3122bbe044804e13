"""Property tests of ``DELETE /apiops/projects/{projectName}/credentials/{username}/``.

- ``test_any_generated_request_is_answered_as_documented``: schemathesis generates requests from
  openapi.yaml (the spec's examples, the coverage phase's boundaries, invalid patterns, missing
  Authorization and undeclared methods, then fuzzing with positive and negative data). Each is
  sent through the suite's client, so the judge holds its answer to the rulebook, then checked by
  the checks of schemathesis.toml (each mapped to the rule it verifies, contracts/rules.py).
- the semantic properties: for generated usernames, what delete-credential.md promises holds.

Every generated name is rewritten into the run's namespace before it is sent
(:func:`contracts.properties.confine`), and the client's guard checks it again, so a property run
can only touch credentials it owns.

On a replay (``--target stub``) hypothesis cannot regenerate the recorded cases (what it generates
depends on its version and even on the constants in the project's source), so each test sends the
recorded requests again, in order, at the transport level: the judge holds every answer to the
rulebook as it did live, and schemathesis' checks judge the DELETE's answers again through its
public API (a case built from the recorded request).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import pytest
import requests
import schemathesis
from hypothesis import given, seed
from hypothesis import strategies as st
from schemathesis import APIOperation
from schemathesis.errors import FailureGroup

from contracts import rules
from contracts.client import ApiClient, segment
from contracts.credentials import Credentials
from contracts.http.infrastructure import infrastructure
from contracts.judge import Judge, RuleViolation, current
from contracts.naming import Namespace
from contracts.profiles import deploying_settings
from contracts.properties import confine, has_dot_segment
from contracts.recording import Recording
from contracts.spec import OPERATION
from contracts.stack import Routing
from contracts.targets import Target

schema = schemathesis.pytest.from_fixture("delete_credential_schema").include(operation_id=OPERATION)
Create = Credentials
rule = pytest.mark.rule


# -- schema-driven ------------------------------------------------------------------------------------------
@rule(rules.DOCUMENTED.id, rules.ERROR_FORMAT.id, rules.TOKEN_REQUIRED.id, rules.MALFORMED_REJECTED.id,
      rules.METHODS.id, rules.TOKEN_NEVER_ECHOED.id, rules.TIMELY.id)
@schema.parametrize()
def test_any_generated_request_is_answered_as_documented(
    case: schemathesis.Case, target: Target, namespace: Namespace, judge: Judge,
    recorded_exchanges: Recording | None,
) -> None:
    """delete-credential.md, authentication.md, error-handling.md, base-url.md: valid or not, answered as documented."""
    if recorded_exchanges is not None:
        # The stub schema yields a single example, whose only job is to bring the replay here once.
        if id(recorded_exchanges) not in _replayed:
            _replayed[id(recorded_exchanges)] = recorded_exchanges
            replay(recorded_exchanges, case.operation, target, judge)
        return
    if current().gave_up(rules.TIMELY):
        return  # over the time budget already: more slow answers would prove nothing new (the test fails at its end)
    confine(case, namespace, {"projectName": target.project})
    try:
        response = target.client.send(**case.as_transport_kwargs(base_url=target.api_url))
        judge.raise_pending(response)  # the judge's verdict on the answer, as it arrived
    except RuleViolation as violation:
        violation.add_note(f"Reproduce with:\n\n    {case.as_curl_command(base_url=target.api_url)}\n")
        raise
    if infrastructure(response) is not None:
        return  # the proxy's own answer (e.g. TRACE refused by it): no check of the Manager holds it
    validate(case, response, target, judge)


# The recordings already replayed, held (not just their ids) so that an id is never reused.
_replayed: dict[int, Recording] = {}


def validate(case: schemathesis.Case, response: requests.Response, target: Target, judge: Judge) -> None:
    """schemathesis' checks (schemathesis.toml) on one answer; a check of a waived rule records the deviation.

    Not on an answer of the Manager's HTTP stack (its firewall, container or framework: contracts/stack.py): the
    judge already held it to HTTP's rules, and the contract document describes the Manager's answers only.
    """
    if judge.stack_answer(response) is not None:
        return
    transport = {"session": target.client.session, "base_url": target.api_url}
    try:
        case.validate_response(response, transport_kwargs=transport)
    except FailureGroup as group:
        ledger = current()
        kept = []
        for failure in group.exceptions:
            waived_rule = ledger.failure_rules.get(id(failure), rules.DOCUMENTED)
            if judge.waived(waived_rule.id):
                ledger.deviate(waived_rule, str(failure.title))
            else:
                ledger.failed.setdefault(waived_rule.id, str(failure.title))
                kept.append(failure)
        if kept:
            raise FailureGroup(kept, group.message) from None


def replay(recorded: Recording, operation: APIOperation, target: Target, judge: Judge) -> None:
    """Send every recorded request again, in order; judge every answer as the live run did.

    Each request goes through the client (its judge holds the answer to the rulebook); the DELETE's
    answers are checked by schemathesis again, through a case built from the recorded request.
    All are judged, as the recorded run judged them all; the failures are raised together.
    """
    failures: list[BaseException] = []
    for interaction in recorded.interactions:
        request: dict[str, object] = {"method": interaction.method, "url": target.api_url + interaction.path,
                                      "headers": dict(interaction.request_headers)}
        if interaction.request_body is not None:
            request["json"] = interaction.request_body
        try:
            response = target.client.send(**request)
            judge.raise_pending(response)
            route = judge.contract.route(interaction.method, interaction.path)
            if route is not None and route.operation_id == judge.operation_id:
                parameters = dict(zip(("projectName", "username"), interaction.path.strip("/").split("/")[1::2],
                                      strict=False))
                case = operation.Case(path_parameters=parameters, headers=dict(interaction.request_headers))
                validate(case, response, target, judge)
        except (RuleViolation, FailureGroup) as failure:
            failures.append(failure)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise BaseExceptionGroup(f"{len(failures)} recorded answers break the contract", failures)


# -- semantic properties ------------------------------------------------------------------------------------
# base-url.md, Path Parameter Rules: no spaces and no "/" in names; control characters are left out
# too (no gateway routes them reliably, and the docs do not promise them).
_NAME_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters="/")
_WHITESPACE = re.compile(r"\s")
SUFFIXES = st.text(_NAME_CHARACTERS, min_size=1, max_size=20).filter(lambda text: not _WHITESPACE.search(text))
# Characters a path segment must percent-encode (base-url.md, URL Encoding), and any non-ASCII one.
_RESERVED = st.sampled_from(list("@+%?#&=:;,$!'()*[]<>\"\\^`{|}"))
_NON_ASCII = st.characters(min_codepoint=0x80, exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"))
ENCODED_SUFFIXES = st.tuples(SUFFIXES | st.just(""), _RESERVED | _NON_ASCII, SUFFIXES | st.just("")).map("".join)


def usernames(namespace: Namespace, label: str, suffixes: st.SearchStrategy[str],
              routing: Routing) -> st.SearchStrategy[str]:
    """``<namespace root><label>-<n>-<suffix>``: under the run's prefix, never the same name twice.

    No dot segments (:func:`contracts.properties.has_dot_segment`): a proxy that reads a backslash
    as "/" must not resolve one out of the namespace. No character the Manager's HTTP stack refuses in a
    path (``routing``, learned before anything was created): such a credential could never be deleted.
    """
    names = suffixes.map(lambda suffix: f"{namespace.name(label)}-{suffix}")
    return names.filter(lambda name: not has_dot_segment(name) and routing.deletable(name))


def for_each_batch(check: Callable[[list[str]], None], names: st.SearchStrategy[str], client: ApiClient,
                   recorded: Recording | None, property_seed: int | None) -> None:
    """Check the property for batches of generated usernames; on a replay, for the recorded batches, in order.

    A credential costs a real gateway a deployment when created and another when deleted: each example
    is a batch of ``--concurrency`` usernames whose creates (and deletes) go out at once, so their
    deployments overlap, and a profile runs few of them (contracts/profiles.py, DEPLOYING_EXAMPLES).

    A replay checks every recorded batch even after one failed, as the recorded run went on; each
    batch's requests then follow the recorded ones exactly. The first failure is reported.
    """
    if recorded is not None:
        failures = []
        for batch in recorded_batches(recorded):
            try:
                check(batch)
            except AssertionError as exc:
                failures.append(exc)
        if failures:
            if len(failures) > 1:
                failures[0].add_note(f"({len(failures) - 1} more recorded examples failed too)")
            raise failures[0]
        return

    def unless_too_slow(batch: list[str]) -> None:
        if not current().gave_up(rules.TIMELY):  # over the budget already: fails once, at the end
            check(batch)

    size = max(1, client.concurrency)
    test = given(st.lists(names, min_size=size, max_size=size))(unless_too_slow)
    test = deploying_settings()(test)
    if property_seed is not None:
        test = seed(property_seed)(test)
    test()


def recorded_batches(recorded: Recording) -> Iterable[list[str]]:
    """The usernames the recorded run created, in batches: each example begins with its creates, in a row."""
    batch: list[str] = []
    for interaction in recorded.interactions:
        body = interaction.request_body
        if interaction.method == "POST" and isinstance(body, dict) and isinstance(body.get("username"), str):
            batch.append(body["username"])
        elif batch:
            yield batch
            batch = []
    if batch:
        yield batch


def deletes(client: ApiClient, project: str, batch: list[str]) -> list[requests.Response]:
    """The deletes of a batch, at once: their undeployments overlap."""
    return client.concurrently([functools.partial(client.delete_credential, project, name) for name in batch])


@rule(rules.PERMANENT.id)
def test_deleting_a_credential_succeeds_then_finds_no_credential_and_it_is_gone_from_the_list(
    target: Target, client: ApiClient, namespace: Namespace, credential: Create, judge: Judge,
    recorded_exchanges: Recording | None, property_seed: int | None,
) -> None:
    """delete-credential.md, Permanent Deletion and Credential Must Exist; list-credentials.md."""
    project = target.project

    def create_delete_delete_list(batch: list[str]) -> None:
        credential.all(batch)
        for name, answer in zip(batch, deletes(client, project, batch), strict=True):
            body = judge.expect(answer, rules.DELETED)
            judge.that(rules.DELETED, target.edition.is_success(body, OPERATION), f"the delete of {name!r} answered "
                       f"without the {target.edition.id} edition's success {target.edition.success_marker(OPERATION)}")
        for answer in deletes(client, project, batch):
            judge.expect(answer, rules.PERMANENT)
        still = set(batch) & client.listed(project, set(batch).isdisjoint, "a deleted credential gone from the list")
        judge.that(rules.PERMANENT, not still, f"still listed after their delete: {sorted(still)}")

    for_each_batch(create_delete_delete_list, usernames(namespace, "any", SUFFIXES, target.routing), client,
                   recorded_exchanges, property_seed)


@rule(rules.ENCODED.id)
def test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself(
    target: Target, client: ApiClient, namespace: Namespace, credential: Create, judge: Judge,
    recorded_exchanges: Recording | None, property_seed: int | None,
) -> None:
    """base-url.md, URL Encoding; create-credential.md (JSON body); list-credentials.md; delete-credential.md."""
    project = target.project

    def round_trip(batch: list[str]) -> None:
        assert all(segment(name) != name for name in batch), f"{batch!r}: each needs encoding, or it is off-topic"
        credential.all(batch)  # the names travel in JSON bodies ...
        missing = set(batch) - client.listed(project, set(batch).issubset, "a credential listed")
        assert not missing, f"set-up: not listed as created: {sorted(missing)}"
        for answer in deletes(client, project, batch):  # ... and back as encoded path segments
            judge.expect(answer, rules.ENCODED)
        still = set(batch) & client.listed(project, set(batch).isdisjoint, "a deleted credential gone from the list")
        judge.that(rules.ENCODED, not still, f"still listed after their delete: {sorted(still)}")

    for_each_batch(round_trip, usernames(namespace, "enc", ENCODED_SUFFIXES, target.routing), client,
                   recorded_exchanges, property_seed)
