"""The rulebook (contracts/rules.py) is the one place a rule lives: well-formed, cited, and read by the rest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from contracts import answer_checks, editions, pages, rules, spec
from contracts.gateway.faults import FAULTS
from contracts.judge import Judge
from contracts.redaction import PLACEHOLDER


def test_every_rule_has_a_stable_id_that_states_it_and_no_status_code() -> None:
    for rule in rules.RULES.values():
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", rule.id), rule.id
        assert not re.search(r"\b[1-5]\d\d\b", rule.id), f"{rule.id} names a status code"
        assert rule.statement.endswith(".") and rule.kind in rules.KINDS


def test_documented_and_read_rules_cite_a_public_page_of_every_edition_and_readings_say_why() -> None:
    for rule in rules.RULES.values():
        for edition in editions.all_editions():
            if rule.kind in ("documented", "reading"):
                url = rule.url(edition)
                assert url is not None and url.startswith(edition.site + "/"), (edition.id, rule.id)
            assert all(url.startswith("https://") for url in edition.pages.values())
        if rule.kind != "documented":
            assert rule.why, f"{rule.id} is a {rule.kind}: it says why"


def test_no_citation_points_into_a_local_checkout() -> None:
    """A clone has no ../shared: README, openapi.yaml, the docs pages and messages cite public addresses."""
    for path in (pages.README, pages.SPEC, *sorted((pages.ROOT / "docs").rglob("*.md"))):
        assert "../shared" not in path.read_text(encoding="utf-8"), path


def test_every_rule_is_verified_by_a_test_and_every_fault_breaks_known_rules() -> None:
    by_rule = pages.tests_by_rule()
    assert all(by_rule[rule_id] for rule_id in rules.RULES), [r for r in rules.RULES if not by_rule[r]]
    assert all(rule_id in rules.RULES for fault in FAULTS.values() for rule_id in fault.breaks)


def test_the_judge_maps_every_schemathesis_check_of_the_config_to_a_rule() -> None:
    import tomllib

    config = tomllib.loads((pages.ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    enabled = [name for name, value in config["checks"].items() if isinstance(value, dict) and
               value.get("enabled", True) and name not in ("positive_data_acceptance", "negative_data_rejection")]
    enabled += ["positive_data_acceptance", "negative_data_rejection"]
    assert set(enabled) <= set(rules.SCHEMATHESIS_CHECKS), set(enabled) - set(rules.SCHEMATHESIS_CHECKS)


@pytest.mark.parametrize("answer, names, text", [
    (rules.MISSING_CREDENTIAL, {"username": "api-user"}, "Credential (username: api-user) was not found!"),
    (rules.UNKNOWN_PROJECT, {"projectName": "P"}, "Project(P) was not found or user does not have privilege "
                                                  "to access it!"),
])
def test_an_expected_answer_names_what_its_message_names(answer: str, names: dict[str, str], text: str) -> None:
    expected = editions.base().answer(answer)
    assert expected.text(**names) == text and expected.names() == list(names)


# -- the per-answer checks (contracts/answer_checks.py): one a rule, each called for every answer -----------------
def test_every_per_answer_check_is_registered_for_exactly_one_existing_rule() -> None:
    registered = answer_checks.CHECKS.items()
    assert registered and all(rule_id in rules.RULES for rule_id, _ in registered), registered
    checks = [check for _, check in registered]
    assert len(set(checks)) == len(checks), "a check is registered for two rules"
    assert all(rules.get(rule_id).check is check for rule_id, check in registered)


def test_a_rule_gets_one_per_answer_check_at_most() -> None:
    registry = answer_checks.Registry()
    registry.register(rules.TIMELY.id, answer_checks.Reads())(answer_checks.answers_within_the_time_budget)
    with pytest.raises(ValueError, match=rules.TIMELY.id):
        registry.register(rules.TIMELY.id, answer_checks.Reads())(answer_checks.no_answer_carries_the_token)


def test_every_rule_judged_on_every_answer_has_a_check_and_the_security_rules_are_flagged() -> None:
    assert all(rule.check is not None for rule in rules.RULES.values() if rule.every_answer)
    assert {rules.TOKEN_NEVER_ECHOED.id} == rules.SECURITY


def test_the_judge_calls_every_registered_check_on_an_answer_in_registration_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    recording = answer_checks.Registry()
    for rule_id, check in answer_checks.CHECKS.items():
        def recorded(seen: answer_checks.Answered, rule_id: str = rule_id,
                     check: answer_checks.Check = check) -> Iterator[list[str]]:
            called.append(rule_id)
            return check(seen)
        recording.register(rule_id, answer_checks.CHECKS.reads(rule_id))(recorded)
    monkeypatch.setattr(answer_checks, "CHECKS", recording)
    edition = editions.base()
    url = "http://manager.test/apiops/projects/MyProject/credentials/api-user/"
    response = requests.Response()
    response.status_code, response.url = 204, url
    response.request = requests.Request("DELETE", url, headers={"Authorization": f"Bearer {PLACEHOLDER}"}).prepare()
    response.elapsed = timedelta(milliseconds=5)
    verdicts = Judge(spec.load(edition), 5.0, api_path="/apiops", edition=edition).verdicts(response)
    assert called == [rule_id for rule_id, _ in answer_checks.CHECKS.items()]
    assert {rule.id for rule, _ in verdicts} <= set(called)
