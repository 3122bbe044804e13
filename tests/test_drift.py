"""``python -m contracts.drift``: what a gateway change did between two recordings, and whether it breaks clients.

Fast: the classifier on small hand-made recordings. Slow (a few subprocess runs of the suite, made
once per session): two clean recordings of the reference gateway show no drift; a gateway whose
missing-credential answer says ``not_found`` instead of ``bad_request`` shows that change as breaking.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import drift, editions, recording, rules, spec
from contracts.drift import BREAKING, COMPATIBLE, Difference, DriftReport
from contracts.drift.__main__ import main
from contracts.drift.compare import PUBLISHED_TEST
from contracts.gateway.faults import FAULTS
from contracts.recording import Interaction, Recording
from contracts.redaction import PLACEHOLDER
from tests.conftest import ROOT, TOKEN, RunSuite, live

MODULE = "contracts/scenarios/test_delete_credential.py"
TEST = f"{MODULE}::test_deleting"
AUTH = {"Authorization": f"Bearer {PLACEHOLDER}"}
JSON = {"content-type": "application/json"}
NS_BEFORE, NS_AFTER = "apiops-ct-before01-deleting-1a2b3c-", "apiops-ct-after002-deleting-1a2b3c-"


# -- hand-made recordings ----------------------------------------------------------------------------------
def environments(*results: tuple[str, bool]) -> list[dict[str, Any]]:
    return [{"environmentName": name, "success": ok, "message": "Undeployed successfully"} for name, ok in results]


def deleted(*results: tuple[str, bool], **extra: Any) -> dict[str, Any]:
    """A 200 body of the DELETE (delete-credential.md)."""
    results = results or (("production", True), ("staging", True))
    return {"success": True, "deploymentResult": {"success": all(ok for _, ok in results),
                                                  "message": "Undeployment completed successfully",
                                                  "environmentResults": environments(*results)}, **extra}


def not_found_credential(username: str = "{ns}cred-1") -> dict[str, Any]:
    return {"error": "bad_request", "error_description": f"Credential (username: {username}) was not found!"}


def delete(status: int, body: Any, *, username: str = "{ns}cred-1", elapsed: int = 0,
           headers: dict[str, str] | None = None) -> Interaction:
    """A DELETE of the operation under contract; ``{ns}`` is replaced by the side's namespace."""
    return Interaction("DELETE", f"/projects/MyProject/credentials/{username}/", dict(AUTH), None, status,
                       dict(JSON if headers is None else headers), body, not isinstance(body, str), elapsed)


def make(root: Path, tests: dict[str, list[Interaction]], namespace: str, edition: str | None = None) -> Path:
    """A recording directory, as the plugin writes one, with ``{ns}`` filled in everywhere."""
    recording.write_meta(root, {"gateway": "hand-made", "gateway_version": "1", "target": "local",
                                "project": "MyProject", "run_id": namespace.split("-")[2],
                                **({"edition": edition} if edition else {})})
    for test, interactions in tests.items():
        filled = [Interaction.from_yaml(json.loads(json.dumps(i.to_yaml()).replace("{ns}", namespace)))
                  for i in interactions]
        recording.write(root, Recording(test, namespace, filled))
    return root


Compare = Callable[..., DriftReport]


@pytest.fixture
def compare_tests(tmp_path: Path) -> Compare:
    """Compare ``before`` and ``after`` (test name -> interactions) recorded under different namespaces."""

    def run(before: dict[str, list[Interaction]], after: dict[str, list[Interaction]], **options: Any) -> DriftReport:
        old = make(tmp_path / "before", before, NS_BEFORE)
        new = make(tmp_path / "after", after, NS_AFTER)
        return drift.compare(old, new, **options)

    return run


def only(report: DriftReport) -> Difference:
    assert len(report.differences) == 1, report.to_text()
    return report.differences[0]


# -- the classifier ------------------------------------------------------------------------------------------
def test_the_same_answers_under_other_run_names_are_no_drift(compare_tests: Compare) -> None:
    exchanges = [delete(200, deleted()), delete(400, not_found_credential())]
    report = compare_tests({TEST: exchanges}, {TEST: exchanges})
    assert report.differences == [] and not report.has_breaking
    assert report.tests_compared == 1


def test_which_of_two_identical_requests_is_answered_first_is_no_drift(compare_tests: Compare) -> None:
    """Two deletes of one credential sent at once: the race decides which answer is recorded first."""
    first, second = delete(200, deleted()), delete(400, not_found_credential())
    report = compare_tests({TEST: [first, second]}, {TEST: [second, first]})
    assert report.differences == [], report.to_text()
    changed = compare_tests({TEST: [first, second]}, {TEST: [delete(404, not_found_credential()), second]})
    assert changed.has_breaking and {d.aspect for d in changed.differences} == {"status"}, changed.to_text()


def test_a_changed_status_is_breaking(compare_tests: Compare) -> None:
    difference = only(compare_tests({TEST: [delete(200, deleted())]},
                                    {TEST: [delete(202, deleted())]}))
    assert (difference.aspect, difference.change, difference.severity) == ("status", "200 → 202", BREAKING)
    assert difference.step == 1 and difference.request == "DELETE /projects/MyProject/credentials/<namespace>cred-1/"


def test_a_status_that_moves_into_the_contract_is_breaking_and_annotated_as_a_move_towards_it(
    compare_tests: Compare
) -> None:
    """A client that checks for the old status breaks, whatever the documents say; the move is noted beside."""
    broken = {"error": "internal_error", "error_description": "An unexpected error occurred"}
    difference = only(compare_tests({TEST: [delete(500, broken)]}, {TEST: [delete(200, deleted())]}))
    assert (difference.aspect, difference.severity) == ("status", BREAKING)
    assert difference.annotation == "towards openapi.yaml: it documents 200, not 500"


def test_a_status_outside_the_contract_either_way_carries_no_annotation(compare_tests: Compare) -> None:
    difference = only(compare_tests({TEST: [delete(200, deleted())]}, {TEST: [delete(202, deleted())]}))
    assert difference.annotation == ""


def test_a_changed_error_code_is_breaking(compare_tests: Compare) -> None:
    renamed = {**not_found_credential(), "error": "not_found"}
    difference = only(compare_tests({TEST: [delete(400, not_found_credential())]}, {TEST: [delete(400, renamed)]}))
    assert (difference.aspect, difference.change, difference.severity) == (
        "error code", "`bad_request` → `not_found`", BREAKING)


def test_an_error_code_that_moves_into_the_contract_is_a_compatible_fix(compare_tests: Compare) -> None:
    before = {"error": "invalid_request", "error_description": "Invalid token"}
    after = {"error": "unauthorized_client", "error_description": "Invalid token"}
    difference = only(compare_tests({TEST: [delete(401, before)]}, {TEST: [delete(401, after)]}))
    assert (difference.aspect, difference.severity) == ("error code", COMPATIBLE)


def test_new_wording_of_the_error_description_is_compatible(compare_tests: Compare) -> None:
    reworded = {"error": "bad_request", "error_description": "No credential {ns}cred-1 here"}
    difference = only(compare_tests({TEST: [delete(400, not_found_credential())]}, {TEST: [delete(400, reworded)]}))
    assert (difference.aspect, difference.severity) == ("error description", COMPATIBLE)
    # Shown as a template, so that the same change in many tests reads as one.
    assert difference.change == "`Credential (username: {username}) was not found!` → `No credential {username} here`"


def test_an_error_description_that_stops_naming_the_username_is_breaking(compare_tests: Compare) -> None:
    vague = {"error": "bad_request", "error_description": "Credential was not found!"}
    difference = only(compare_tests({TEST: [delete(400, not_found_credential())]}, {TEST: [delete(400, vague)]}))
    assert (difference.aspect, difference.severity) == ("error description", BREAKING)
    assert "no longer names the username" in difference.reason


def test_a_new_optional_field_is_compatible(compare_tests: Compare) -> None:
    difference = only(compare_tests({TEST: [delete(200, deleted())]},
                                    {TEST: [delete(200, deleted(auditId="a-1"))]}))
    assert (difference.aspect, difference.change, difference.severity) == ("field added", "`auditId`", COMPATIBLE)


def test_a_removed_field_the_contract_requires_is_breaking(compare_tests: Compare) -> None:
    difference = only(compare_tests({TEST: [delete(200, deleted())]}, {TEST: [delete(200, {"success": True})]}))
    assert (difference.aspect, difference.change, difference.severity) == (
        "field removed", "`deploymentResult`", BREAKING)
    assert difference.reason == "openapi.yaml requires it"


def test_a_field_deep_in_a_list_that_changes_type_is_breaking(compare_tests: Compare) -> None:
    body = deleted()
    for result in body["deploymentResult"]["environmentResults"]:
        result["success"] = "true"
    report = compare_tests({TEST: [delete(200, deleted())]}, {TEST: [delete(200, body)]})
    difference = only(report)
    assert difference.aspect == "field type" and difference.severity == BREAKING
    assert difference.change == "`deploymentResult.environmentResults[].success` boolean → string"
    assert "openapi.yaml says boolean" in difference.reason


def test_a_missing_environment_is_breaking_and_a_new_one_compatible(compare_tests: Compare) -> None:
    before = deleted(("production", True), ("staging", True))
    after = deleted(("production", True), ("test", True))
    report = compare_tests({TEST: [delete(200, before)]}, {TEST: [delete(200, after)]})
    found = {(d.aspect, d.change, d.severity) for d in report.differences}
    assert found == {("environment missing", "`staging`", BREAKING), ("environment added", "`test`", COMPATIBLE)}


def test_an_environment_whose_undeployment_now_fails_is_breaking(compare_tests: Compare) -> None:
    after = deleted(("production", True), ("staging", False))
    report = compare_tests({TEST: [delete(200, deleted())]}, {TEST: [delete(200, after)]})
    found = {(d.aspect, d.change, d.severity) for d in report.differences}
    assert found == {("environment success", "`staging` true → false", BREAKING),
                     ("success", "`deploymentResult.success` true → false", BREAKING)}


def test_another_content_type_is_breaking(compare_tests: Compare) -> None:
    plain = {"content-type": "text/plain;charset=UTF-8"}
    difference = only(compare_tests({TEST: [delete(200, deleted())]},
                                    {TEST: [delete(200, deleted(), headers=plain)]}))
    assert (difference.aspect, difference.severity) == ("content type", BREAKING)


def test_a_body_that_is_no_longer_json_is_breaking(compare_tests: Compare) -> None:
    html = {"content-type": "application/json"}
    report = compare_tests({TEST: [delete(400, not_found_credential())]},
                           {TEST: [delete(400, "<html>Error 400</html>", headers=html)]})
    assert [(d.aspect, d.severity) for d in report.differences] == [("body", BREAKING)]


@pytest.mark.parametrize(("before", "after", "reported"), [(0, 1500, True), (20, 100, False), (300, 550, False)],
                         ids=["much-slower", "within-100-ms", "under-twice"])
def test_a_slowdown_past_twice_and_100_ms_is_reported_as_compatible(
    compare_tests: Compare, before: int, after: int, reported: bool
) -> None:
    report = compare_tests({TEST: [delete(200, deleted(), elapsed=before)]},
                           {TEST: [delete(200, deleted(), elapsed=after)]})
    assert [(d.aspect, d.severity) for d in report.differences] == ([("response time", COMPATIBLE)] if reported else [])


def test_a_response_time_that_was_not_recorded_is_not_compared(tmp_path: Path) -> None:
    old = make(tmp_path / "before", {TEST: [delete(200, deleted(), elapsed=0)]}, NS_BEFORE)
    new = make(tmp_path / "after", {TEST: [delete(200, deleted(), elapsed=5000)]}, NS_AFTER)
    (path,) = (old / "scenarios").rglob("*.yaml")
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    del document["interactions"][0]["response"]["elapsed_ms"]  # an older recording
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert drift.compare(old, new).differences == []


def test_a_test_recorded_on_one_side_only_is_reported(compare_tests: Compare) -> None:
    gone, new = f"{MODULE}::test_gone", f"{MODULE}::test_new"
    report = compare_tests({TEST: [delete(200, deleted())], gone: [delete(200, deleted())]},
                           {TEST: [delete(200, deleted())], new: [delete(200, deleted())]})
    found = {(d.test, d.severity) for d in report.differences}
    assert found == {(gone, BREAKING), (new, COMPATIBLE)}


def test_a_test_that_stopped_early_is_breaking_and_its_later_requests_are_not_paired(compare_tests: Compare) -> None:
    listing = Interaction("GET", "/projects/MyProject/credentials/", dict(AUTH), None, 200, dict(JSON),
                          {"success": True, "resultList": []})
    before = [delete(200, deleted()), listing, delete(400, not_found_credential())]
    after = [delete(200, deleted()), delete(400, not_found_credential())]  # failed before listing
    difference = only(compare_tests({TEST: before}, {TEST: after}))
    assert (difference.aspect, difference.change, difference.severity) == ("exchanges", "3 → 2", BREAKING)
    assert difference.step == 2  # where the courses part


def test_selected_limits_the_comparison_to_the_tests_that_ran(compare_tests: Compare) -> None:
    other = f"{MODULE}::test_other"
    report = compare_tests({TEST: [delete(200, deleted())], other: [delete(200, deleted())]},
                           {TEST: [delete(200, deleted())]}, selected={TEST})
    assert report.differences == []


def test_without_a_usable_contract_the_rules_still_run_and_the_report_says_so(
    compare_tests: Compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: [", encoding="utf-8")
    monkeypatch.setenv("APIOPS_SPEC", str(broken))
    report = compare_tests({TEST: [delete(200, deleted())]}, {TEST: [delete(202, {"success": True})]})
    assert [d.aspect for d in report.breaking] == ["status"]
    assert report.notes and "classified without the contract" in report.notes[0]


def test_a_contract_outside_the_repository_is_named_by_its_path(compare_tests: Compare, tmp_path: Path) -> None:
    draft = tmp_path / "draft.openapi.yaml"
    draft.write_text((ROOT / "openapi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    difference = only(compare_tests({TEST: [delete(200, deleted())]}, {TEST: [delete(200, {"success": True})]},
                                    contract=spec.load(draft)))
    assert difference.reason == f"{draft} requires it"


# -- two editions: what the documented edition change explains is apart ----------------------------------------
def test_the_same_expected_answer_in_each_editions_envelope_is_expected_and_another_answer_is_not(
    tmp_path: Path
) -> None:
    missing = {"status": "FAILURE", "resultMessage": "Credential (username: {ns}cred-1) was not found!"}
    old = make(tmp_path / "before", {TEST: [delete(400, not_found_credential())]}, NS_BEFORE, "2025-12")
    same = make(tmp_path / "same", {TEST: [delete(400, missing)]}, NS_AFTER, "2026-08")
    report = drift.compare(old, same)
    assert report.differences and all(d.expected == "2025-12 → 2026-08" for d in report.differences), report.to_text()
    assert not report.has_breaking and report.headline().startswith("no drift the edition change does not explain")
    # Answered as a success (a missing credential found after all) is no edition's doing: the breaking result.
    found = make(tmp_path / "found", {TEST: [delete(200, {"status": "SUCCESS"})]}, NS_AFTER, "2026-08")
    report = drift.compare(old, found)
    assert [(d.aspect, d.change, d.expected) for d in report.breaking] == [("status", "400 → 200", "")]
    assert report.groups()[0].aspect == "status" and "EXPECTED   by the edition change 2025-12 → 2026-08: 1" in (
        report.to_text())


# -- the shipped recordings of two editions: an upgrade that changes every answer's envelope -----------------------
@pytest.fixture(scope="module")
def shipped_pair() -> DriftReport:
    return drift.compare(recording.default_dir("2025-12"), recording.default_dir("2026-08"))


def test_the_unknown_projects_404_turned_400_is_breaking_for_a_client_and_expected_by_the_edition_change(
    shipped_pair: DriftReport
) -> None:
    statuses = [d for d in shipped_pair.differences if d.aspect == "status"]
    assert statuses and {(d.change, d.severity, d.expected) for d in statuses} == {
        ("404 → 400", BREAKING, "2025-12 → 2026-08")}
    assert {d.annotation for d in statuses} == {
        "towards contracts/editions/2026-08.openapi.yaml: it documents 400, not 404"}


def test_every_reason_names_the_document_it_compares_with_by_its_repository_path(shipped_pair: DriftReport) -> None:
    """The current side is of the 2026-08 edition: its rules read that edition's document, not openapi.yaml; the
    baseline's published description is held to its own edition's document (openapi.yaml)."""
    def named(differences: list[Difference]) -> set[str]:
        return {name for d in differences
                for name in re.findall(r"[\w./-]*openapi\.yaml", f"{d.reason} {d.annotation}")}

    assert named([d for d in shipped_pair.differences if d.test != PUBLISHED_TEST]) == {
        "contracts/editions/2026-08.openapi.yaml"}
    gone = [d for d in shipped_pair.differences if d.test == PUBLISHED_TEST and d.change.startswith("no longer")]
    assert gone and named(gone) == {"openapi.yaml"}
    removed = next(d for d in shipped_pair.differences if (d.aspect, d.change) == ("field removed", "`success`"))
    assert removed.reason == ("clients may read it, although contracts/editions/2026-08.openapi.yaml "
                              "does not document it")
    assert shipped_pair.documents == ("openapi.yaml", "contracts/editions/2026-08.openapi.yaml")


def test_the_shipped_recordings_of_two_editions_differ_only_as_the_edition_change_explains(
    shipped_pair: DriftReport
) -> None:
    """The reference gateway in each edition answers what each edition documents: nothing breaking is left over."""
    assert not shipped_pair.has_breaking and shipped_pair.breaking == [], shipped_pair.to_text()
    assert {d.test for d in shipped_pair.compatible} == {PUBLISHED_TEST}, shipped_pair.to_text()
    assert len(shipped_pair.expected) > 400 and shipped_pair.edition_change == "2025-12 → 2026-08"
    assert main([str(recording.default_dir("2025-12")), str(recording.default_dir("2026-08"))]) == 0


def test_the_markdown_groups_repeated_differences_into_at_most_110_lines_and_names_every_one(
    shipped_pair: DriftReport
) -> None:
    text = shipped_pair.to_markdown()
    assert len(text.splitlines()) <= 110, len(text.splitlines())
    expected = f"## Expected by the edition change 2025-12 → 2026-08: {len(shipped_pair.expected)}"
    assert text.index("## Summary") < text.index("## Compatible") < text.index(expected)
    for difference in shipped_pair.differences:
        assert f"**{difference.aspect}** {difference.change}" in text, (difference.aspect, difference.change)
    # Each repeated change is one line, with how often and in which tests' steps.
    (removed,) = [line for line in text.splitlines() if line.startswith("- breaking: **field removed** `success`")]
    assert "79 times in 17 tests" in removed
    assert "`test_a_delete_removes_exactly_the_named_credential_and_no_neighbour` steps 1–14" in removed


def test_the_reference_gateway_does_not_depend_on_the_drift_package() -> None:
    for path in (ROOT / "contracts" / "gateway").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        assert not [name for name in imported if name.startswith("contracts.drift")], path


# -- reports and exit codes ------------------------------------------------------------------------------------
def test_the_cli_prints_markdown_and_exits_1_on_breaking_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = make(tmp_path / "before", {TEST: [delete(400, not_found_credential())]}, NS_BEFORE)
    new = make(tmp_path / "after", {TEST: [delete(400, {**not_found_credential(), "error": "not_found"})]}, NS_AFTER)
    assert main([str(old), str(new)]) == 1
    text = capsys.readouterr().out
    assert text.startswith("# Drift") and "## Breaking" in text and "`bad_request` → `not_found`" in text
    assert main([str(old), str(new), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["breaking"] == 1 and document["differences"][0]["aspect"] == "error code"


def test_the_cli_exits_0_when_all_drift_is_compatible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = make(tmp_path / "before", {TEST: [delete(200, deleted())]}, NS_BEFORE)
    new = make(tmp_path / "after", {TEST: [delete(200, deleted(auditId="x"))]}, NS_AFTER)
    assert main([str(old), str(new)]) == 0
    assert "## Compatible" in capsys.readouterr().out


def test_summarise_for_terminal_gives_text_and_whether_to_fail(tmp_path: Path) -> None:
    old = make(tmp_path / "before", {TEST: [delete(200, deleted())]}, NS_BEFORE)
    new = make(tmp_path / "after", {TEST: [delete(204, "", headers={})]}, NS_AFTER)
    text, breaking = drift.summarise_for_terminal(old, new)
    assert breaking and "BREAKING" in text and "status 200 → 204" in text
    text, breaking = drift.summarise_for_terminal(tmp_path / "nowhere", new)
    assert breaking and len(text.splitlines()) == 1 and "nowhere" in text


def _corrupt_recording_yaml(root: Path) -> None:
    (root / "recording.yaml").write_text("format: [", encoding="utf-8")


def _corrupt_test_file(root: Path) -> None:
    (path,) = (root / "scenarios").rglob("*.yaml")
    path.write_text("format: 1\ntest: x\ninteractions: [{request: 3}]\n", encoding="utf-8")


def _missing_recording_yaml(root: Path) -> None:
    (root / "recording.yaml").unlink()


@pytest.mark.parametrize("spoil", [_corrupt_recording_yaml, _corrupt_test_file, _missing_recording_yaml, None],
                         ids=["corrupt-recording-yaml", "corrupt-test-file", "missing-recording-yaml", "missing-dir"])
def test_unusable_input_exits_2_with_one_clear_line(tmp_path: Path, spoil: Callable[[Path], None] | None) -> None:
    good = make(tmp_path / "good", {TEST: [delete(200, deleted())]}, NS_BEFORE)
    bad = make(tmp_path / "bad", {TEST: [delete(200, deleted())]}, NS_AFTER)
    if spoil is None:
        bad = tmp_path / "does-not-exist"
    else:
        spoil(bad)
    done = subprocess.run([sys.executable, "-m", "contracts.drift", str(good), str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("drift: ") and str(bad) in line and "Traceback" not in done.stderr


# -- real recordings of the reference gateway (slow: a few suite runs per session) ------------------------------
ERROR_CODE_FAULT = "missing-credential-wrong-error-code"  # keeps the status, sends another error code
MISSING = editions.base().answer(rules.MISSING_CREDENTIAL)
WRONG_CODE = "not_found" if MISSING.code != "not_found" else "bad_request"  # what the fault sends instead
MISSING_CREDENTIAL_TEST = "test_deleting_a_credential_that_does_not_exist_fails_naming_the_username"


def record(directory: Path, *args: str, env: dict[str, str] | None = None) -> Path:
    """Run the contract suite with ``--record`` into ``directory``, as a user would."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "PYTEST_"))}
    environment.update(env or {})
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "contracts/scenarios", *args,
               "--record", "--recordings", str(directory)]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]  # passed, or tests failed
    return directory


@pytest.fixture(scope="session")
def clean_recordings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two recordings of the clean reference gateway (--target local), with different run ids."""
    return (record(tmp_path_factory.mktemp("clean-1"), "--target", "local"),
            record(tmp_path_factory.mktemp("clean-2"), "--target", "local"))


@pytest.fixture(scope="session")
def error_code_recording(tmp_path_factory: pytest.TempPathFactory, gateway_factory: Callable[..., str]) -> Path:
    """A recording of the reference gateway with a fault that changes an error code, over real HTTP."""
    assert ERROR_CODE_FAULT in FAULTS, f"the fault {ERROR_CODE_FAULT} is gone: pick another that changes an error code"
    url = gateway_factory(ERROR_CODE_FAULT)
    return record(tmp_path_factory.mktemp("fault"), *live(url, "--api-proxy", "MyAPI"), env={"APIOPS_TOKEN": TOKEN})


def test_two_recordings_of_the_same_gateway_show_no_breaking_drift(clean_recordings: tuple[Path, Path]) -> None:
    first, second = clean_recordings
    done = subprocess.run([sys.executable, "-m", "contracts.drift", str(first), str(second)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = drift.compare(first, second)
    # Every scenario the bundled recording has (one file per test) was compared, not a subset.
    assert report.tests_compared == len(list((recording.DEFAULT_DIR / "scenarios").rglob("*.yaml")))
    # Timing jitter may show; nothing else may.
    assert {d.aspect for d in report.differences} <= {"response time"}, report.to_text()


def test_a_changed_error_code_is_named_as_breaking_drift(
    clean_recordings: tuple[Path, Path], error_code_recording: Path
) -> None:
    baseline = clean_recordings[0]
    done = subprocess.run([sys.executable, "-m", "contracts.drift", str(baseline), str(error_code_recording)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"**error code** `{MISSING.code}` → `{WRONG_CODE}`" in done.stdout
    report = drift.compare(baseline, error_code_recording)
    named = [d for d in report.breaking if d.test.endswith(f"::{MISSING_CREDENTIAL_TEST}")]
    assert [(d.aspect, d.change) for d in named] == [("error code", f"`{MISSING.code}` → `{WRONG_CODE}`")]
    # Nothing but the fault and its consequences (tests that now fail stop early) is reported ...
    answers = [d for d in report.breaking if d.test != PUBLISHED_TEST]
    assert {d.aspect for d in answers} <= {"error code", "exchanges"}, report.to_text()
    # ... and the gateway's own description, recorded with each run, says the same of itself.
    described = [d for d in report.breaking if d.test == PUBLISHED_TEST]
    assert [d.aspect for d in described] == [f"published responses.{MISSING.status}.schema.properties.error.enum"], (
        report.to_text())
    assert TOKEN not in done.stdout


# -- an upgrade to another edition, with a regression: what no edition explains comes first ----------------------
REGRESSION_FAULT = "soft-delete"  # a deleted, so missing, credential is found again: its second delete answers 200
UPGRADE_TESTS = ("deletion_is_permanent_a_second_delete or in_an_unknown_project_fails_naming_the_project "
                 "or an_existing_credential_answers_success")  # a regression, and answers the editions differ in


@pytest.mark.long
def test_an_upgrade_to_another_edition_with_a_regression_puts_the_regression_first_apart_from_the_edition_change(
    gateway_factory: Callable[..., str], run_suite: RunSuite, tmp_path: Path
) -> None:
    assert REGRESSION_FAULT in FAULTS, f"the fault {REGRESSION_FAULT} is gone: pick another that answers a missing " \
        "credential 200"
    recorded = {}
    for side, edition, faults in (("before", "2025-12", ()), ("after", "2026-08", (REGRESSION_FAULT,))):
        url = gateway_factory(*faults, edition=edition)
        recorded[side] = tmp_path / side
        done = run_suite("contracts/scenarios", "-k", UPGRADE_TESTS, *live(url, "--api-proxy", "MyAPI"),
                         "--edition", edition, "--record", "--recordings", str(recorded[side]),
                         env={"APIOPS_TOKEN": TOKEN})
        assert done.returncode == (1 if faults else 0), done.output[-3000:]
    report = drift.compare(recorded["before"], recorded["after"])
    text = report.to_markdown()
    # The regression is the first breaking row, and the run fails on it ...
    breaking = text.split("## Breaking\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert breaking[0].startswith("- **status** 400 → 200 — clients branch on the status code"), text
    assert "`test_deletion_is_permanent_a_second_delete_finds_no_credential` step 3" in breaking[0]
    assert report.has_breaking and report.breaking[0].test.endswith(
        "::test_deletion_is_permanent_a_second_delete_finds_no_credential")
    # ... while the answers that differ as the editions do (the unknown project's 404 → 400, the envelopes) are
    # grouped apart, with their count, after it.
    expected = [d for d in report.differences if d.expected]
    assert {d.expected for d in expected} == {"2025-12 → 2026-08"}
    assert ("status", "404 → 400") in {(d.aspect, d.change) for d in expected}
    assert ("field removed", "`success`") in {(d.aspect, d.change) for d in expected}
    assert not [d for d in report.breaking if (d.aspect, d.change) in {("status", "404 → 400"), ("edition", "")}]
    assert f"## Expected by the edition change 2025-12 → 2026-08: {len(expected)}\n" in text
    assert text.index("## Breaking") < text.index("## Expected by")
    assert f"expected by the edition change 2025-12 → 2026-08: {len(expected)}" in report.headline()
    assert "| contract document | openapi.yaml | contracts/editions/2026-08.openapi.yaml |" in text
    assert TOKEN not in text
