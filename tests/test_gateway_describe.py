"""The reference gateway describes itself (contracts/gateway/describe.py), from its routes and its model's answers.

Its description is what contracts.published compares with openapi.yaml, as it would a real
Manager's ``/apiops/openapi.yaml`` (https://apinizer.github.io/management-api-docs/03-appendix/openapi-spec/):
the clean gateway must show no breaking difference for the DELETE, and a gateway started with a
fault that changes an answer must describe that answer, so that the comparison sees it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from contracts import editions, rules
from contracts.gateway.app import endpoints
from contracts.gateway.describe import openapi_description
from contracts.gateway.faults import FAULTS, UnknownFault
from contracts.published import BREAKING, compare
from contracts.spec import SPEC_PATH

OURS: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
DELETE = "/projects/{projectName}/credentials/{username}/"
MISSING = editions.base().answer(rules.MISSING_CREDENTIAL).status


@pytest.fixture(scope="module")
def described() -> dict[str, Any]:
    return openapi_description()


def test_the_description_is_a_valid_openapi_document(described: dict[str, Any]) -> None:
    validate(described)
    assert described["openapi"] == "3.0.3"
    assert json.loads(json.dumps(described)) == described  # plain data, ready for .json or .yaml


def test_every_route_is_described_under_apiops_with_its_operation_id(described: dict[str, Any]) -> None:
    assert described["servers"] == [{"url": "/apiops"}]
    # openapi-spec.md: the description itself is served under /apiops too, and describes itself; authentication.md
    # (Method 2): the token endpoint, which both Manager descriptions declare too.
    assert all(path.startswith(("/projects/", "/environments/", "/openapi.", "/auth/")) for path in described["paths"])
    operation_ids = {operation["operationId"] for item in described["paths"].values()
                     for method, operation in item.items() if method in {"get", "put", "post", "delete", "patch"}}
    assert operation_ids == {operation.name for endpoint in endpoints(publish=openapi_description)
                             for operation in endpoint.methods.values()}


def test_path_parameters_come_from_the_route_and_paths_keep_the_route_s_trailing_slash(
        described: dict[str, Any]) -> None:
    item = described["paths"][DELETE]
    assert [(parameter["name"], parameter["in"], parameter["required"]) for parameter in item["parameters"]] == [
        ("projectName", "path", True), ("username", "path", True)]
    assert "/environments/{projectName}" in described["paths"]  # its route takes either form


def test_the_delete_describes_the_statuses_and_error_codes_the_model_answers(described: dict[str, Any]) -> None:
    responses = described["paths"][DELETE]["delete"]["responses"]
    expected: dict[str, set[str]] = {}  # the rulebook's error answers, which the model gives
    for name in (rules.MISSING_CREDENTIAL, rules.UNKNOWN_PROJECT, rules.REFUSED_TOKEN):
        answer = editions.base().answer(name)
        expected.setdefault(str(answer.status), set()).add(str(answer.code))
    assert sorted(responses) == sorted(["200", *expected])
    codes = {status: set(responses[status]["content"]["application/json"]["schema"]["properties"]["error"]["enum"])
             for status in expected}
    assert codes == expected
    success = responses["200"]["content"]["application/json"]["schema"]
    assert success["required"] == ["success", "deploymentResult"]


def test_compared_with_openapi_yaml_the_delete_has_no_breaking_difference(described: dict[str, Any]) -> None:
    comparison = compare(OURS, described)
    assert not comparison.has_breaking, "\n".join(comparison.to_lines())
    assert comparison.found_at == f"DELETE {DELETE}"


@pytest.mark.parametrize("fault, where", [
    ("success-without-content", "responses.200"),
    ("missing-credential-wrong-error-code", f"responses.{MISSING}.schema.properties.error.enum"),
    ("no-deployment-result", "responses.200.schema.properties.deploymentResult"),
    ("success-as-string", "responses.200.schema.properties.success.type"),
    ("html-error-page", "responses.404.content"),
    ("non-json-body", "responses.200.schema"),
])
def test_a_gateway_with_a_fault_that_changes_an_answer_describes_it_and_that_is_breaking(
        fault: str, where: str) -> None:
    comparison = compare(OURS, openapi_description([fault]))
    assert where in {difference.where for difference in comparison.differences if difference.severity == BREAKING}, (
        "\n".join(comparison.to_lines()))


@pytest.mark.parametrize("fault, where", [
    ("missing-credential-answered-otherwise", f"responses.{MISSING}"),
    ("refusal-forbidden", "responses.401"),
])
def test_a_fault_whose_description_only_stops_declaring_a_status_is_silence_there(fault: str, where: str) -> None:
    """A description may promise fewer statuses (springdoc lists few): a status it no longer declares is not
    evidence either way (published/, response-status-undeclared); the scenarios catch what the gateway does."""
    comparison = compare(OURS, openapi_description([fault]))
    found = {difference.where: difference for difference in comparison.differences}
    assert found[where].id == "response-status-undeclared" and found[where].severity == "silent", (
        "\n".join(comparison.to_lines()))


def test_an_unknown_fault_is_refused() -> None:
    with pytest.raises(UnknownFault, match="no-such-fault"):
        openapi_description(["no-such-fault"])


def test_it_can_describe_itself_from_inside_a_running_event_loop(described: dict[str, Any]) -> None:
    """Where a Starlette handler would call it: asyncio.run cannot nest, so the questions go on a thread."""
    async def handler() -> dict[str, Any]:
        return openapi_description()

    assert asyncio.run(handler()) == described


def test_a_fault_that_changes_only_how_answers_travel_is_left_out_of_the_description() -> None:
    """OpenAPI says what answers say, not when or how big they arrive: drips, delays and padding are
    not described (and describing them would take as long as they do)."""
    wire_only = [name for name, fault in FAULTS.items() if fault.wire_only]
    assert wire_only, "no fault is marked wire_only: this test proves nothing"
    clean = openapi_description()["paths"]
    for name in wire_only:
        assert openapi_description([name])["paths"] == clean, name
