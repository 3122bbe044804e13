"""The rulebook (contracts/rules.py) is the one place a rule lives: well-formed, cited, and read by the rest."""

from __future__ import annotations

import re

import pytest

from contracts import docs, editions, rules
from contracts.gateway.faults import FAULTS


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
    for path in (docs.README, docs.SPEC, *sorted((docs.ROOT / "docs").rglob("*.md"))):
        assert "../shared" not in path.read_text(encoding="utf-8"), path


def test_every_rule_is_verified_by_a_test_and_every_fault_breaks_known_rules() -> None:
    by_rule = docs.tests_by_rule()
    assert all(by_rule[rule_id] for rule_id in rules.RULES), [r for r in rules.RULES if not by_rule[r]]
    assert all(rule_id in rules.RULES for fault in FAULTS.values() for rule_id in fault.breaks)


def test_the_judge_maps_every_schemathesis_check_of_the_config_to_a_rule() -> None:
    import tomllib

    config = tomllib.loads((docs.ROOT / "schemathesis.toml").read_text(encoding="utf-8"))
    enabled = [name for name, value in config["checks"].items() if isinstance(value, dict) and
               value.get("enabled", True) and name not in ("positive_data_acceptance", "negative_data_rejection")]
    enabled += ["positive_data_acceptance", "negative_data_rejection"]
    assert set(enabled) <= set(rules.CHECKS), set(enabled) - set(rules.CHECKS)


@pytest.mark.parametrize("answer, names, text", [
    (rules.MISSING_CREDENTIAL, {"username": "api-user"}, "Credential (username: api-user) was not found!"),
    (rules.UNKNOWN_PROJECT, {"projectName": "P"}, "Project(P) was not found or user does not have privilege "
                                                  "to access it!"),
])
def test_an_expected_answer_names_what_its_message_names(answer: str, names: dict[str, str], text: str) -> None:
    expected = editions.base().answer(answer)
    assert expected.text(**names) == text and expected.names() == list(names)
