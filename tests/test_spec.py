"""openapi.yaml is a valid OpenAPI document whose examples satisfy its own schemas; a broken spec is one error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator

from contracts import editions
from contracts.spec import OPERATION, SPEC_PATH, SpecError, load
from tests.conftest import RunSuite

SUPPORTING = {"createCredential", "listCredentials", "getGrantedAccessList", "grantAccess", "revokeAccess",
              "getEnvironmentsByProject", "listProjects", "listApiProxies", "listApiProxyGroups",
              "changeCredentialPassword"}


def test_the_contract_is_a_valid_openapi_document() -> None:
    assert load(SPEC_PATH).operations  # openapi-spec-validator ran inside load()


def test_the_delete_operation_documents_every_status_of_its_page() -> None:
    """delete-credential.md: 200, 400, 401, 404."""
    contract = load(SPEC_PATH)
    assert contract.documented_statuses("deleteCredential") == {200, 400, 401, 404}
    assert contract.operations["deleteCredential"].definition["tags"] == ["delete-credential"]


def test_the_supporting_operations_are_tagged_apart() -> None:
    operations = load(SPEC_PATH).operations
    assert {op for op, found in operations.items() if found.definition["tags"] == ["supporting"]} == SUPPORTING


@pytest.mark.parametrize("status, codes", [
    (400, ["bad_request", "validation_failed", "invalid_parameter"]),
    (401, ["unauthorized_client", "invalid_token", "token_expired"]),
    (404, ["not_found", "resource_not_found"]),
])
def test_each_error_status_allows_the_error_codes_of_error_handling_md(status: int, codes: list[str]) -> None:
    assert load(SPEC_PATH).error_codes("deleteCredential", status) == codes


def _examples(node: Any, schema: Any = None) -> list[tuple[Any, Any]]:
    found = []
    if isinstance(node, dict):
        if "schema" in node and "example" in node:
            found.append((node["schema"], node["example"]))
        for value in node.values():
            found.extend(_examples(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_examples(value))
    return found


def test_every_example_satisfies_its_schema() -> None:
    contract = load(SPEC_PATH)
    examples = _examples(contract.document["paths"]) + _examples(contract.document["components"])
    assert examples
    for schema, example in examples:
        errors = [error.message for error in OAS30Validator(contract.inline(schema)).iter_errors(example)]
        assert not errors, (example, errors)


@pytest.mark.parametrize("content, says", [
    ("openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n", "not a valid OpenAPI document"),
    ("openapi: [", "not valid YAML"),
    ("- a list\n", "not an OpenAPI document"),
])
def test_an_invalid_spec_is_one_clear_error(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "openapi.yaml"
    path.write_text(content)
    with pytest.raises(SpecError, match=says):
        load(path)


def test_the_suite_ends_with_one_line_on_an_invalid_spec(run_suite: RunSuite, tmp_path: Path) -> None:
    broken = tmp_path / "openapi.yaml"
    broken.write_text("openapi: 3.0.3\ninfo: {title: t}\npaths: {}\n")
    run = run_suite("contracts/scenarios", "--target", "local", env={"APIOPS_SPEC": str(broken)})
    assert run.returncode == 4, run.output
    assert "Traceback" not in run.output
    assert sum(f"{broken}: not a valid OpenAPI document" in line for line in run.output.splitlines()) == 1


@pytest.mark.parametrize("edition_id", editions.ids())
def test_an_undocumented_status_names_the_editions_own_document(edition_id: str) -> None:
    """A run pinned to 2026-08 reads contracts/editions/2026-08.openapi.yaml: its messages say that file, never a bare
    "openapi.yaml", which is the base edition's document in this repository."""
    contract = load(editions.get(edition_id))
    answer = requests.Response()
    answer.status_code, answer._content = 418, b"{}"
    answer.headers["Content-Type"] = "application/json"
    (problem,) = contract.violations(OPERATION, answer)
    named = editions.get(edition_id).document.resolve().relative_to(SPEC_PATH.parent).as_posix()
    assert f"({named} documents " in problem, problem
