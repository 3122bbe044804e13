"""Property tests of ``DELETE /apiops/projects/{projectName}/credentials/{username}/``.

- ``test_any_generated_request_is_answered_as_documented``: schemathesis generates requests from
  openapi.yaml (the spec's examples, the coverage phase's boundaries, invalid patterns, missing
  Authorization and undeclared methods, then fuzzing with positive and negative data) and judges
  each answer with the checks of schemathesis.toml and contracts/checks.py.
- the semantic properties: for generated usernames, what delete-credential.md promises holds.

Every generated name is rewritten into the run's namespace before it is sent
(:func:`contracts.properties.confine`), so a property run can only touch credentials it owns.

On a replay (``--target stub``) hypothesis cannot regenerate the recorded cases, so each test sends
the recorded requests again, in the recorded order, and judges them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import requests
import schemathesis
from hypothesis import given, seed
from hypothesis import strategies as st
from schemathesis import APIOperation
from schemathesis.errors import FailureGroup

from contracts import checks  # noqa: F401  (registers the suite's schemathesis checks)
from contracts.client import ApiClient, segment
from contracts.naming import Namespace
from contracts.properties import OPERATION, confine, curl, has_dot_segment, rebuild
from contracts.properties.conftest import Judge, Throwaway
from contracts.recording import Recording
from contracts.targets import Target

schema = schemathesis.pytest.from_fixture("delete_credential_schema").include(operation_id=OPERATION)


# -- schema-driven ------------------------------------------------------------------------------------------
# The recordings already replayed, held (not just their ids) so that an id is never reused.
_replayed: dict[int, Recording] = {}


@schema.parametrize()
def test_any_generated_request_is_answered_as_documented(
    case: schemathesis.Case, target: Target, namespace: Namespace, recorded_exchanges: Recording | None
) -> None:
    """delete-credential.md, authentication.md, error-handling.md, base-url.md: valid or not, answered as documented."""
    session = target.client.session
    if recorded_exchanges is not None:
        # The stub schema yields a single example, whose only job is to bring the replay here once.
        if id(recorded_exchanges) not in _replayed:
            _replayed[id(recorded_exchanges)] = recorded_exchanges
            replay_generated(recorded_exchanges, case.operation, session, target.token.reveal())
        return
    confine(case, namespace, target.project)
    # `hooks`: checks that re-send a request (ignored_auth's probes) use a session of their own; the
    # session's hooks (the recorder) must see those requests too, or a replay would not match.
    case.call_and_validate(session=session, hooks={"response": list(session.hooks["response"])})


class _Sent:
    """Counts the responses a session receives (a response hook)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.count += 1
        return response


def replay_generated(recorded: Recording, operation: APIOperation, session: requests.Session, token: str) -> None:
    """Send every recorded request again, in order, as a case, through the same checks.

    A check that sends requests of its own (ignored_auth after a 2xx) sends the ones recorded after
    the case, exactly as when recording; they are skipped as cases of their own.
    """
    sent = _Sent()
    hooks = session.hooks["response"]
    hooks.append(sent)
    failures: list[FailureGroup] = []
    try:
        position = 0
        while position < len(recorded.interactions):
            case, headers = rebuild(operation, recorded.interactions[position], token)
            before = sent.count
            try:
                case.call_and_validate(session=session, headers=headers or None, hooks={"response": list(hooks)})
            except FailureGroup as exc:  # judge them all, as the recorded run did
                failures.append(exc)
            position += max(sent.count - before, 1)
    finally:
        hooks.remove(sent)
    if failures:
        raise FailureGroup([failure for group in failures for failure in group.exceptions],
                           "\n".join(group.message for group in failures))


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


def usernames(namespace: Namespace, label: str, suffixes: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``<namespace root><label>-<n>-<suffix>``: under the run's prefix, never the same name twice.

    No dot segments (:func:`contracts.properties.has_dot_segment`): a proxy that reads a backslash
    as "/" must not resolve one out of the namespace.
    """
    names = suffixes.map(lambda suffix: f"{namespace.name(label)}-{suffix}")
    return names.filter(lambda name: not has_dot_segment(name))


def for_each_username(check: Callable[[str], None], names: st.SearchStrategy[str],
                      recorded: Recording | None, property_seed: int | None) -> None:
    """Check the property for generated usernames; on a replay, for the recorded ones, in order.

    A replay checks every recorded username even after one failed, as hypothesis went on when
    recording (shrinking, then reproducing the failure): each username's requests then follow the
    recorded ones exactly, up to the clean-up after the test. The first failure is reported.
    """
    if recorded is not None:
        failures = []
        for username in recorded_usernames(recorded):
            try:
                check(username)
            except AssertionError as exc:
                failures.append(exc)
        if failures:
            more = f"\n\n({len(failures) - 1} more recorded examples failed too)" if len(failures) > 1 else ""
            raise AssertionError(f"{failures[0]}{more}") from failures[0]
        return
    test = given(names)(check)
    if property_seed is not None:
        test = seed(property_seed)(test)
    test()


def recorded_usernames(recorded: Recording) -> Iterable[str]:
    """The usernames the recorded run created (each example starts with a create), in order."""
    for interaction in recorded.interactions:
        body = interaction.request_body
        if interaction.method == "POST" and isinstance(body, dict) and isinstance(body.get("username"), str):
            yield body["username"]


def _created(response: requests.Response, username: str) -> None:
    assert response.status_code == 200, (
        f"set-up: creating {username!r} answered {response.status_code}: {response.text[:200]}\n\n"
        f"Reproduce with:\n\n    {curl(response)}\n")


def test_deleting_a_credential_answers_200_then_400_and_it_is_gone_from_the_list(
    target: Target, client: ApiClient, namespace: Namespace, throwaway: Throwaway, judge: Judge,
    recorded_exchanges: Recording | None, property_seed: int | None,
) -> None:
    """delete-credential.md, Permanent Deletion and Credential Must Exist; list-credentials.md."""
    project = target.project

    def create_delete_delete_list(username: str) -> None:
        _created(throwaway.create(username), username)
        body = judge(client.delete_credential(project, username), 200)
        throwaway.deleted(username)
        assert body["success"] is True, f"the delete of {username!r} answered success {body['success']!r}"
        again = judge(client.delete_credential(project, username), 400)
        assert again["error"] == "bad_request", f"a second delete of {username!r} answered {again['error']!r}"
        assert username not in client.usernames(project), f"{username!r} is still listed after its delete"

    for_each_username(create_delete_delete_list, usernames(namespace, "any", SUFFIXES), recorded_exchanges,
                      property_seed)
    judge.within_budget()


def test_a_username_that_needs_url_encoding_is_created_listed_and_deleted_as_itself(
    target: Target, client: ApiClient, namespace: Namespace, throwaway: Throwaway, judge: Judge,
    recorded_exchanges: Recording | None, property_seed: int | None,
) -> None:
    """base-url.md, URL Encoding; create-credential.md (JSON body); list-credentials.md; delete-credential.md."""
    project = target.project

    def round_trip(username: str) -> None:
        assert segment(username) != username, f"{username!r} needs no encoding: not what this property is about"
        _created(throwaway.create(username), username)  # the name travels in a JSON body
        assert username in client.usernames(project), f"{username!r} is not listed as created"
        judge(client.delete_credential(project, username), 200)  # ... and back as one encoded path segment
        throwaway.deleted(username)
        assert username not in client.usernames(project), f"{username!r} is still listed after its delete"

    for_each_username(round_trip, usernames(namespace, "enc", ENCODED_SUFFIXES), recorded_exchanges,
                      property_seed)
    judge.within_budget()
