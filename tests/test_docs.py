"""What is generated from the rulebook (contracts/rules.py) says what the rulebook, openapi.yaml and the
shipped recordings say: the living documentation, openapi.yaml's DELETE responses, the README's tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contracts import docs, editions, recording, rules
from contracts.recording import Interaction
from contracts.secrets import PLACEHOLDER
from contracts.spec import OPERATION, load


def test_everything_generated_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert docs.main(["--check"]) == 0, capsys.readouterr().err


def test_every_rule_is_on_the_page_with_its_source_and_the_tests_that_verify_it() -> None:
    page = docs.generate(recording.ROOT_DIR)
    by_rule = docs.tests_by_rule()
    for rule in rules.RULES.values():
        assert f"### `{rule.id}`" in page and rule.statement in page
        for _, source in rule.sources():  # every edition's page
            assert source.url is None or source.url in page, source
        assert by_rule[rule.id], f"no test declares {rule.id}"
        assert all(f"`{test.name}`" in page for test in by_rule[rule.id])


def test_every_recorded_scenario_is_shown_with_its_docstring() -> None:
    page = docs.generate(recording.ROOT_DIR)
    for test in docs.contract_tests():
        if test.module.startswith("contracts/scenarios/"):
            assert f"### {docs.sentence(test.name)}" in page
            first_line = (test.function.__doc__ or "").strip().splitlines()[0]
            assert f"> {first_line}" in page, f"{test.name}'s docstring is not on the page"


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
    assert docs.generate(copy) == docs.generate(recording.ROOT_DIR)


def test_check_fails_with_a_clear_message_when_the_page_is_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    assert docs.main(["--output", str(page), "--check"]) == 1
    assert "is missing" in capsys.readouterr().err
    assert docs.main(["--output", str(page)]) == 0
    assert docs.main(["--output", str(page), "--check"]) == 0
    page.write_text(page.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    assert docs.main(["--output", str(page), "--check"]) == 1
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert "out of date" in message and f"python -m contracts.docs --output {page}" in message


def test_unusable_recordings_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert docs.main(["--recordings", str(tmp_path / "none"), "--output", str(tmp_path / "p.md")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("docs: ") and "none" in line


def test_the_rule_ids_are_listed_for_a_deviations_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert docs.main(["--rules"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(rules.RULES)


def test_curl_masks_the_token_and_quotes_for_the_shell() -> None:
    interaction = Interaction("DELETE", "/projects/MyProject/credentials/a%24b%22c$d/",
                              {"Authorization": f"Bearer {PLACEHOLDER}"}, None, 200, {}, {})
    assert docs.curl(interaction) == (
        'curl -X DELETE \\\n'
        '  "https://<manager>/apiops/projects/MyProject/credentials/a%24b%22c\\$d/" \\\n'
        '  -H "Authorization: Bearer $APIOPS_TOKEN"'
    )


@pytest.mark.parametrize(("name", "sentence"), [
    ("test_deletion_is_permanent_a_second_delete_finds_no_credential",
     "Deletion is permanent a second delete finds no credential."),
    ("test_the_token_is_checked_before_the_project", "The token is checked before the project."),
])
def test_a_test_name_reads_as_a_sentence(name: str, sentence: str) -> None:
    assert docs.sentence(name) == sentence


def test_json_stays_on_one_line_where_it_fits() -> None:
    body = {"error": "bad_request", "error_description": "x" * 120}
    assert docs.pretty_json({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert docs.pretty_json(body) == '{\n  "error": "bad_request",\n  "error_description": "' + "x" * 120 + '"\n}'
