"""The rules page (docs/delete-credential.md): one section a rule, read in ten minutes.

Each section's heading is the rule's statement; under it its id and class, its expected answer in
each edition side by side (status and body shape), where the docs say it, the tests that verify it,
and one recorded DELETE per edition, linked to the whole exchange on that edition's exchanges page
(contracts/pages/exchanges.py). Then each edition's documented statuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from contracts import rules
from contracts.editions import Edition
from contracts.pages import exchanges, first
from contracts.pages.common import GENERATED, Recorded, cell, distinct, shown, status_line
from contracts.pages.exchanges import Delete
from contracts.pages.verified import ContractTest, contract_tests, tests_by_rule
from contracts.rules import Rule
from contracts.spec import OPERATION, Contract

# Each class of rule: its section's title, and what the class means.
SECTIONS: dict[str, tuple[str, str]] = {
    "documented": ("Documented: a page says it", "a page says it"),
    "reading": ("Our reading, where the pages are silent or disagree", "our reading of silent or disagreeing pages"),
    "convention": ("HTTP conventions no page promises", "an HTTP convention no page promises"),
}

# Which recorded status shows a rule with no expected answer best (any, where not listed).
SHOWN_BY: dict[str, Callable[[int], bool]] = {rules.ERROR_FORMAT.id: lambda status: status >= 400}

NO_ANSWER = "– (none of its own)"  # a rule judging answers it does not choose: the table shows both envelopes
Found = dict[str, dict[tuple[str, str], list[Delete]] | None]  # edition id -> its recorded DELETEs by test


def render(recorded: Recorded) -> str:
    contract = recorded[0][1]
    operation = contract.operations[OPERATION]
    every = [edition for edition, _, _ in recorded]
    found: Found = {edition.id: exchanges.deletes(recordings, document) if recordings else None
                    for edition, document, recordings in recorded}
    pages = ", ".join(f"[{edition.id}]({exchanges.DIRECTORY}/{edition.id}.md)"
                      for edition, _, recordings in recorded if recordings)
    lines = [f"<!-- {GENERATED}, contracts/editions, the contract documents and contracts/recordings: do not edit by "
             "hand. -->", "",
             f"# {operation.definition.get('summary', OPERATION)}: the rules", "",
             f"`{operation.method} /apiops{operation.path}`", "",
             "What the endpoint promises, one rule a section, its heading the rule. Under it: its stable id (the one "
             "a failure, a deviations file and the conformance report name) and its class (how sure we are of it), "
             "its expected answer in each edition, its sources, the tests that verify it, and one DELETE of each "
             f"edition's recording, linked to the whole exchange (all of them: {pages}).", "",
             "The editions: " + "; ".join(f"**{edition.id}**, {edition.title} ({edition.site}, {edition.date})"
                                          for edition in every) + ".", ""]
    by_rule = tests_by_rule()
    scenarios = [test for test in contract_tests() if test.recorded]
    shown_by = [test for test in by_rule[rules.DELETED.id] if test.recorded]
    lines += first.render(every, {edition.id: first_delete(rules.DELETED, edition, shown_by, found[edition.id])
                                  for edition in every})
    for kind in rules.KINDS:
        lines += [f"## {SECTIONS[kind][0]}", ""]
        for rule in rules.RULES.values():
            if rule.kind == kind:
                lines += rule_entry(rule, by_rule[rule.id], every, found, scenarios)
    for edition, edition_contract, _ in recorded:
        lines += responses(edition, edition_contract)
    return "\n".join(lines).rstrip("\n") + "\n"


def rule_entry(rule: Rule, tests: list[ContractTest], every: list[Edition], found: Found,
               scenarios: list[ContractTest]) -> list[str]:
    lines = [f"### {exchanges.html_anchor(rule.id)}{rule.statement}", "",
             f"`{rule.id}` · {rule.kind}: {SECTIONS[rule.kind][1]}", "",
             *answers(rule, every), "", sources(rule)]
    if rule.why:
        lines.append(f"- Why: {rule.why}")
    if rule.every_answer:
        lines.append("- Judged on every answer of the DELETE the suite receives.")
    if rule.id == rules.ENCODED.id:
        lines.append(f"- On a stock Manager: [what its stack means for usernames](#{first.USERNAMES}).")
    if tests:
        lines.append("- Verified by: " + ", ".join(f"`{test.name}`" for test in tests))
    shown_by = [test for test in tests if test.recorded] or (scenarios if rule.every_answer else [])
    lines += [f"- Recorded, {edition.id}: {example(rule, edition, shown_by, found[edition.id])}" for edition in every]
    return [*lines, ""]


def sources(rule: Rule) -> str:
    """Each edition's page for the rule, or the one source of a rule no page states."""
    listed = distinct(rule.sources())
    cited = [(edition, f"[{source.cite()}]({source.url})" if source.url else source.cite())
             for edition, source in listed]
    if all(source == rule.source for _, source in listed):
        return "- Source: " + "; ".join(where for _, where in cited)
    return "- Sources: " + "; ".join(f"{edition.id} {where}" for edition, where in cited)


def answers(rule: Rule, every: list[Edition]) -> list[str]:
    """The expected answer in each edition, side by side; for a rule with none, each edition's envelopes."""
    rows = ["| edition | status | body shape |", "| --- | --- | --- |"]
    for edition in every:
        if rule.answer is None:
            failure = outline(edition.failure_body("", ""))
            rows.append(f"| {edition.id} | {NO_ANSWER} | success `{cell(outline(_success(edition)))}`; "
                        f"failure `{cell(failure)}` |")
        else:
            rows.append(f"| {edition.id} | {status_line(edition.answer(rule).status)} | "
                        f"`{cell(body_shape(rule, edition))}` |")
    return rows


def body_shape(rule: Rule, edition: Edition) -> str:
    expected = edition.answer(rule)
    if expected.status < 400:
        return outline(_success(edition))
    return outline(edition.failure_body(expected.code, expected.message or ""))


def _success(edition: Edition) -> dict[str, Any]:
    return edition.deployment_result(["<environment>"], "", "")


def outline(body: dict[str, Any]) -> str:
    """A body's shape: its own fields with their values (one the answer leaves open by name only), those below
    them by name."""
    return "{" + ", ".join(_field(key, value) for key, value in body.items()) + "}"


def _field(key: str, value: Any) -> str:
    if isinstance(value, (dict, list)):
        return f"{key}: {_names(value)}"
    return key if value == "" else f"{key}: {json.dumps(value, ensure_ascii=False)}"


def _names(value: dict[str, Any] | list[Any]) -> str:
    if isinstance(value, list):
        return "[" + (_names(value[0]) + ", …" if value else "") + "]"
    return "{" + ", ".join(f"{key}: {_names(item)}" if isinstance(item, (dict, list)) else key
                           for key, item in value.items()) + "}"


def example(rule: Rule, edition: Edition, tests: list[ContractTest],
            found: dict[tuple[str, str], list[Delete]] | None) -> str:
    """The first DELETE of the rule's recorded tests that answered as it expects: its request line and status."""
    if found is None:
        return "not recorded"
    delete = first_delete(rule, edition, tests, found)
    if delete is not None:
        request = f"DELETE /apiops{delete.interaction.path}"
        status = status_line(delete.interaction.status)
        return f"[`{request}` → {status}]({exchanges.link(edition, delete.anchor)})"
    if not tests:
        return "none (only the schema-driven test verifies it, and its requests are drawn at random)"
    return "none"


def first_delete(rule: Rule, edition: Edition, tests: list[ContractTest],
                 found: dict[tuple[str, str], list[Delete]] | None) -> Delete | None:
    """The first DELETE of ``tests`` (recorded in ``found``) that answered as ``rule`` expects in ``edition``."""
    wanted = (lambda status: status == edition.answer(rule).status) if rule.answer else SHOWN_BY.get(
        rule.id, lambda status: True)
    for test in tests:
        for delete in (found or {}).get((test.module, test.name), []):
            if wanted(delete.interaction.status):
                return delete
    return None


def responses(edition: Edition, contract: Contract) -> list[str]:
    code = edition.envelope.code
    lines = [f"## Responses, {edition.id} ({shown(contract.path)})", "",
             f"| status | meaning | {f'`{code}`' if code else 'error code'} |", "| --- | --- | --- |"]
    for status in sorted(contract.documented_statuses(OPERATION)):
        response = contract.response(OPERATION, status)
        codes = contract.error_codes(OPERATION, status, code)
        error = ", ".join(f"`{value}`" for value in codes) or "–"
        meaning = " ".join(str(response.get("description", "")).split())
        lines.append(f"| {status_line(status)} | {cell(meaning)} | {error} |")
    return [*lines, ""]
