"""What is generated from the rulebook (contracts/rules.py) says what the rulebook, openapi.yaml and the
shipped recordings say: the rules page and the recorded exchanges it links to, openapi.yaml's DELETE
responses, the README's tables."""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from contracts import editions, pages, recording, rules
from contracts.pages import exchanges
from contracts.pages.common import status_line
from contracts.pages.page import NO_ANSWER, body_shape
from contracts.recording import Interaction
from contracts.redaction import PLACEHOLDER
from contracts.spec import OPERATION, load


def test_everything_generated_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert pages.main(["--check"]) == 0, capsys.readouterr().err


@cache
def generated() -> dict[Path, str]:
    return pages.generate(recording.ROOT_DIR)


def rules_page() -> str:
    return generated()[pages.OUTPUT]


def sections() -> dict[str, str]:
    """Each rule's section of the rules page, by rule id (a section runs to the next heading)."""
    found = re.findall(r'^### <a id="([^"]+)"></a>(.*?)(?=^##)', rules_page() + "\n##", re.MULTILINE | re.DOTALL)
    return dict(found)


def test_every_rule_is_on_the_page_with_its_source_and_the_tests_that_verify_it() -> None:
    by_rule = pages.tests_by_rule()
    for rule in rules.RULES.values():
        section = sections()[rule.id]
        assert f"`{rule.id}` · {rule.kind}" in section
        for _, source in rule.sources():  # every edition's page
            assert source.url is None or source.url in section, source
        assert by_rule[rule.id], f"no test declares {rule.id}"
        assert all(f"`{test.name}`" in section for test in by_rule[rule.id])


def test_the_rules_page_is_at_most_400_lines() -> None:
    assert len(rules_page().splitlines()) <= 400
    assert len(pages.OUTPUT.read_text(encoding="utf-8").splitlines()) <= 400


def opening(title: str) -> str:
    """A section of the rules page before the rules (``## <title>`` to the next ``## ``)."""
    found = re.search(rf"^## (?:<a id=\"[^\"]+\"></a>)?{re.escape(title)}\n(.*?)(?=^## )", rules_page(),
                      re.MULTILINE | re.DOTALL)
    assert found, f"no section {title!r} on the rules page"
    return found[1]


def test_the_rules_page_says_who_may_call_the_endpoint_in_each_edition_with_its_public_page() -> None:
    """Written from the pages themselves: 2025-12's Credentials API page (Permissions) and 2026-08's delete page."""
    rows = {line.split(" | ")[0].strip("| "): line for line in opening("Who may call it").splitlines()
            if line.startswith("| 20")}
    assert "`ROLE_MANAGE_PROXIES`" in rows["2025-12"] and "`ROLE_DEPLOY_UNDEPLOY_PROXIES`" in rows["2025-12"]
    assert "https://apinizer.github.io/management-api-docs/02-api-reference/07-credentials/#permissions" in (
        rows["2025-12"])
    assert "`IDENTITY` + `MANAGE` in the project" in rows["2026-08"]
    assert "`IDENTITY` + `DEPLOY_UNDEPLOY` in the project" in rows["2026-08"]
    assert "https://docs.apinizer.com/api-reference/credentials/crud/delete-credential#permissions" in rows["2026-08"]
    for edition in editions.all_editions():  # and what a user without them gets
        assert edition.answer(editions.MISSING_PERMISSION).summary() in rows[edition.id]


def test_the_rules_page_shows_a_recorded_request_and_answer_of_each_edition_inline() -> None:
    section = opening("One request and its answer")
    for edition in editions.all_editions():
        shown = section.split(f"**{edition.id}**", 1)[1].split("\n**", 1)[0]
        command = re.search(r"```sh\n(.*?)\n```", shown, re.DOTALL)
        answer = re.search(r"```json\n(.*?)\n```", shown, re.DOTALL)
        assert command and answer, f"{edition.id}: no request and answer inline"
        assert command[1].startswith("curl -X DELETE") and "Bearer $APIOPS_TOKEN" in command[1]
        assert "→ **200 OK**" in shown and edition.is_success(json.loads(answer[1])), answer[1]
        assert edition.undeployment(json.loads(answer[1])), "the answer's deployment result is shown in full"
        assert PLACEHOLDER not in shown


def test_the_rules_page_says_what_a_stock_managers_firewall_means_for_usernames() -> None:
    section = opening("What the Manager's stack means for usernames")
    for refused in ("`%` (`%25`)", "`;` (`%3B`)", "`\\` (`%5C`)"):
        assert refused in section, refused
    assert "StrictHttpFirewall" in section and f"(#{rules.ENCODED.id})" in section
    assert '(#usernames-on-a-stock-manager)' in sections()[rules.ENCODED.id]


def test_rule_headings_are_the_statements_with_their_punctuation() -> None:
    headings = re.findall(r'^### <a id="([^"]+)"></a>(.*)$', rules_page(), re.MULTILINE)
    assert headings == [(rule.id, rule.statement) for kind in rules.KINDS for rule in rules.RULES.values()
                        if rule.kind == kind]
    assert "### <a id=\"deletion-is-permanent\"></a>A deleted credential is gone: no longer listed, and" in rules_page()


def test_the_rules_page_shows_each_editions_answer_for_every_rule() -> None:
    for rule in rules.RULES.values():
        section = sections()[rule.id]
        for edition in editions.all_editions():
            (row,) = [line for line in section.splitlines() if line.startswith(f"| {edition.id} | ")]
            if rule.answer is None:
                assert f"| {NO_ANSWER} | success `" in row and "; failure `" in row, row
                continue
            expected = edition.answer(rule)
            assert f"| {status_line(expected.status)} | `{body_shape(rule, edition)}` |" in row
            assert all(part in row for part in (expected.code, expected.message) if part), row


def test_each_recorded_example_answered_as_its_rule_expects() -> None:
    by_rule = pages.tests_by_rule()
    for rule in rules.RULES.values():
        for edition in editions.all_editions():
            (line,) = [line for line in sections()[rule.id].splitlines()
                       if line.startswith(f"- Recorded, {edition.id}: ")]
            if rule.answer is not None and any(test.recorded for test in by_rule[rule.id]):
                assert f"→ {status_line(edition.answer(rule).status)}](exchanges/{edition.id}.md#" in line, line


def test_every_link_to_the_exchanges_resolves_to_an_anchor_of_its_page() -> None:
    links = re.findall(r"\]\((exchanges/[^)#\s]+)#([^)\s]+)\)", rules_page())
    assert links
    for target, anchor in links:
        assert f'<a id="{anchor}"></a>' in generated()[pages.OUTPUT.parent / target], (target, anchor)


def test_every_link_back_to_the_rules_page_resolves_to_a_rule() -> None:
    for edition in editions.all_editions():
        text = generated()[exchanges.path_of(pages.OUTPUT, edition)]
        linked = set(re.findall(r"\]\(\.\./delete-credential\.md#([^)\s]+)\)", text))
        assert linked == {rule_id for test in pages.contract_tests() if test.recorded for rule_id in test.rules}


def test_every_recorded_scenario_is_shown_with_its_docstring_on_each_editions_exchanges() -> None:
    for edition in editions.all_editions():
        text = generated()[exchanges.path_of(pages.OUTPUT, edition)]
        for test in pages.contract_tests():
            if test.recorded:
                assert f'## <a id="{test.name}"></a>`{test.name}`' in text
                first_line = (test.function.__doc__ or "").strip().splitlines()[0]
                assert f"> {first_line}" in text, f"{test.name}'s docstring is not on {edition.id}'s exchanges"


@pytest.mark.parametrize("edition", editions.all_editions(), ids=str)
def test_each_editions_document_documents_each_expected_answer_of_the_rulebook(edition: editions.Edition) -> None:
    contract = load(edition)
    answered = [rule for rule in rules.RULES.values() if rule.answer and rule.kind != "convention"]
    assert contract.documented_statuses(OPERATION) == {edition.answer(rule).status for rule in answered}
    for rule in answered:
        expected = edition.answer(rule)
        if expected.code:
            assert expected.code in contract.error_codes(OPERATION, expected.status, edition.envelope.code)


def test_the_page_depends_on_no_run_id(tmp_path: Path) -> None:
    copy = tmp_path / "recordings"
    shutil.copytree(recording.ROOT_DIR, copy)
    for edition in editions.ids():
        directory = copy / edition
        run_id = str(recording.read_meta(directory)["run_id"])
        for path in directory.rglob("*.yaml"):  # as if recorded by another run
            path.write_text(path.read_text(encoding="utf-8").replace(f"-{run_id}-", "-otherrun42-"),
                            encoding="utf-8")
        meta = recording.read_meta(directory)
        recording.write_meta(directory, {**{k: v for k, v in meta.items() if k != "format"},
                                         "recorded_on": "1999-01-01"})
    assert pages.generate(copy) == generated()


def test_check_fails_with_a_clear_message_when_the_page_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    assert pages.main(["--output", str(page), "--check"]) == 1
    assert "is missing" in capsys.readouterr().err
    assert pages.main(["--output", str(page)]) == 0
    assert {path.name for path in (tmp_path / "exchanges").iterdir()} == {f"{id_}.md" for id_ in editions.ids()}
    assert pages.main(["--output", str(page), "--check"]) == 0
    page.write_text(page.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    assert pages.main(["--output", str(page), "--check"]) == 1
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert "out of date" in message and f"python -m contracts.pages --output {page}" in message


def test_unusable_recordings_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pages.main(["--recordings", str(tmp_path / "none"), "--output", str(tmp_path / "p.md")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("docs: ") and "none" in line


def test_the_rule_ids_are_listed_for_a_deviations_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert pages.main(["--rules"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(rules.RULES)


def test_curl_masks_the_token_and_quotes_for_the_shell() -> None:
    interaction = Interaction("DELETE", "/projects/MyProject/credentials/a%24b%22c$d/",
                              {"Authorization": f"Bearer {PLACEHOLDER}"}, None, 200, {}, {})
    assert pages.curl(interaction) == (
        'curl -X DELETE \\\n'
        '  "https://<manager>/apiops/projects/MyProject/credentials/a%24b%22c\\$d/" \\\n'
        '  -H "Authorization: Bearer $APIOPS_TOKEN"'
    )


def test_json_stays_on_one_line_where_it_fits() -> None:
    body = {"error": "bad_request", "error_description": "x" * 120}
    assert pages.pretty_json({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert pages.pretty_json(body) == '{\n  "error": "bad_request",\n  "error_description": "' + "x" * 120 + '"\n}'
