"""contracts.published: the gateway's published OpenAPI description, compared with openapi.yaml for the DELETE.

Every published description here is openapi.yaml itself, copied and changed in one way, as an
upgraded gateway might change what it publishes at ``{manager}/apiops/openapi.yaml``
(https://apinizer.github.io/management-api-docs/03-appendix/openapi-spec/). Each test names the
change and how a client written against openapi.yaml is affected, and checks the id of its
classification (contracts.published.CLASSIFICATIONS). Descriptions written the way springdoc writes
a Manager's own are in tests/test_published_springdoc.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from contracts.published import (
    ADDITIVE,
    BREAKING,
    CLASSIFICATIONS,
    COMPATIBLE,
    SILENT,
    Comparison,
    Difference,
    PublishedSpecError,
    compare,
    parse,
)
from contracts.spec import SPEC_PATH

OURS: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
PATH = "/projects/{projectName}/credentials/{username}/"


def published(change: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    """A copy of openapi.yaml, as the gateway would publish it, with ``change`` applied."""
    document = copy.deepcopy(OURS)
    if change is not None:
        change(document)
    return document


def delete(document: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][PATH]["delete"]
    return operation


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def only(comparison: Comparison) -> Difference:
    assert len(comparison.differences) == 1, "\n".join(comparison.to_lines())
    return comparison.differences[0]


def at(comparison: Comparison, where: str) -> Difference:
    found = [difference for difference in comparison.differences if difference.where == where]
    assert len(found) == 1, "\n".join(comparison.to_lines())
    return found[0]


# -- no difference ------------------------------------------------------------------------------------------
def test_an_identical_copy_of_openapi_yaml_has_no_difference() -> None:
    comparison = compare(OURS, published())
    assert comparison.differences == [] and not comparison.has_breaking
    assert comparison.found_at == f"DELETE {PATH}"


def test_the_same_description_served_as_json_text_has_no_difference() -> None:
    """/apiops/openapi.json, indented with tabs, which a YAML reader refuses."""
    text = json.dumps(OURS, indent="\t")
    assert compare(OURS, parse(text, "openapi.json")).differences == []


def test_the_same_description_served_as_yaml_text_has_no_difference() -> None:
    assert compare(OURS, parse(SPEC_PATH.read_text(encoding="utf-8"), "openapi.yaml")).differences == []


def test_status_codes_written_as_numbers_are_the_same_statuses() -> None:
    """YAML reads an unquoted ``200:`` as an integer; it is still the status 200."""
    def numbers(document: dict[str, Any]) -> None:
        operation = delete(document)
        operation["responses"] = {int(status): value for status, value in operation["responses"].items()}

    assert compare(OURS, published(numbers)).differences == []


def test_an_error_schema_written_with_all_of_is_the_same_schema() -> None:
    """Generators write shared fields as ``allOf`` of a base schema; merged, it is what ours says."""
    def all_of(document: dict[str, Any]) -> None:
        error = schemas(document)["Error400"]
        base = {"type": "object", "required": ["error_description"],
                "properties": {"error_description": error["properties"].pop("error_description")}}
        schemas(document)["ErrorBase"] = base
        error["required"] = ["error"]
        schemas(document)["Error400"] = {"allOf": [{"$ref": "#/components/schemas/ErrorBase"}, error]}

    assert compare(OURS, published(all_of)).differences == []


# -- finding the operation -------------------------------------------------------------------------------------
def test_paths_that_carry_the_apiops_prefix_are_found() -> None:
    """base-url.md puts /apiops in the server URL; a description may put it in every path key instead."""
    def prefixed(document: dict[str, Any]) -> None:
        document["servers"] = [{"url": "https://demo.apinizer.com"}]
        document["paths"] = {"/apiops" + key: item for key, item in document["paths"].items()}

    comparison = compare(OURS, published(prefixed))
    assert comparison.differences == []
    assert comparison.found_at == f"DELETE /apiops{PATH}"


def test_renamed_path_parameters_are_found_by_position_and_are_compatible() -> None:
    def renamed(document: dict[str, Any]) -> None:
        item = document["paths"].pop(PATH)
        document["paths"]["/projects/{project}/credentials/{user}/"] = item
        item["delete"]["parameters"] = [
            {**document["components"]["parameters"]["projectName"], "name": "project"},
            {**document["components"]["parameters"]["username"], "name": "user"},
        ]

    comparison = compare(OURS, published(renamed))
    assert not comparison.has_breaking
    assert {(d.where, d.change, d.severity) for d in comparison.differences} == {
        ("parameters.projectName.name", "`projectName` → `project`", COMPATIBLE),
        ("parameters.username.name", "`username` → `user`", COMPATIBLE),
    }


def test_a_path_without_the_trailing_slash_is_found_and_is_breaking() -> None:
    """base-url.md: every endpoint ends with a slash; OpenAPI paths match literally."""
    def no_slash(document: dict[str, Any]) -> None:
        document["paths"][PATH.rstrip("/")] = document["paths"].pop(PATH)

    comparison = compare(OURS, published(no_slash))
    difference = only(comparison)
    assert (difference.where, difference.severity) == ("path", BREAKING)
    assert comparison.found_at == "DELETE /projects/{projectName}/credentials/{username}"


def test_the_path_with_the_trailing_slash_is_preferred_when_both_are_declared() -> None:
    def both(document: dict[str, Any]) -> None:
        document["paths"][PATH.rstrip("/")] = copy.deepcopy(document["paths"][PATH])

    comparison = compare(OURS, published(both))
    assert comparison.differences == [] and comparison.found_at == f"DELETE {PATH}"


def test_a_published_spec_without_the_operation_is_breaking() -> None:
    """oasdiff api-removed-without-deprecation: ERR."""
    def removed(document: dict[str, Any]) -> None:
        del document["paths"][PATH]["delete"]

    comparison = compare(OURS, published(removed))
    difference = only(comparison)
    assert (difference.id, difference.where, difference.severity) == ("operation-removed", "operation", BREAKING)
    assert difference.reason == "the gateway no longer declares the operation"
    assert comparison.found_at is None


def test_an_operation_that_moved_to_another_path_is_breaking() -> None:
    def moved(document: dict[str, Any]) -> None:
        document["paths"]["/projects/{projectName}/credential/{username}/"] = document["paths"].pop(PATH)

    difference = only(compare(OURS, published(moved)))
    assert (difference.id, difference.where, difference.severity) == ("operation-moved", "path", BREAKING)
    assert "/credential/{username}/" in difference.change


def test_an_operation_declared_at_a_path_without_a_path_parameter_is_breaking() -> None:
    """The URL clients build names the username; a path without {username} is not that URL."""
    def shortened(document: dict[str, Any]) -> None:
        operation = document["paths"].pop(PATH)["delete"]
        operation["parameters"] = operation["parameters"][:1]
        document["paths"]["/projects/{projectName}/credentials/"]["delete"] = operation

    difference = only(compare(OURS, published(shortened)))
    assert (difference.id, difference.where, difference.severity) == (
        "path-parameter-removed", "parameters.username", BREAKING)


def test_a_get_at_the_same_path_is_not_the_delete() -> None:
    def get_only(document: dict[str, Any]) -> None:
        document["paths"][PATH] = {"get": {**delete(document), "operationId": "getCredential"}}

    assert only(compare(OURS, published(get_only))).where == "operation"


# -- statuses and media types ----------------------------------------------------------------------------------
def test_a_published_spec_that_leaves_out_an_error_status_is_silence_not_breaking() -> None:
    """oasdiff response-non-success-status-removed: INFO. A description may promise fewer statuses; one that does not
    declare 401 does not say a refused token is answered otherwise (until issue 16 this was breaking)."""
    def dropped(document: dict[str, Any]) -> None:
        del delete(document)["responses"]["401"]

    comparison = compare(OURS, published(dropped))
    difference = only(comparison)
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "response-status-undeclared", "responses.401", "declared → not declared", SILENT)
    assert not comparison.has_breaking


def test_a_published_spec_that_leaves_out_the_success_status_is_breaking() -> None:
    """oasdiff response-success-status-removed: ERR. Clients are written for the 200 answer."""
    def dropped(document: dict[str, Any]) -> None:
        del delete(document)["responses"]["200"]

    difference = only(compare(OURS, published(dropped)))
    assert (difference.id, difference.where, difference.severity) == (
        "response-success-status-removed", "responses.200", BREAKING)


def test_a_published_spec_that_declares_a_new_status_is_additive() -> None:
    """oasdiff response-non-success-status-added: INFO."""
    def added(document: dict[str, Any]) -> None:
        delete(document)["responses"]["500"] = {"$ref": "#/components/responses/InternalError"}

    comparison = compare(OURS, published(added))
    difference = only(comparison)
    assert (difference.id, difference.where, difference.severity) == ("response-status-added", "responses.500",
                                                                      ADDITIVE)
    assert not comparison.has_breaking


def test_a_status_covered_by_a_range_is_compared_against_the_range() -> None:
    def ranged(document: dict[str, Any]) -> None:
        responses = delete(document)["responses"]
        responses["4XX"] = responses.pop("401")

    comparison = compare(OURS, published(ranged))
    assert not comparison.has_breaking
    assert at(comparison, "responses.401").change == "401 → 4XX"


def test_a_response_that_is_no_longer_json_is_breaking() -> None:
    def text(document: dict[str, Any]) -> None:
        content = delete(document)["responses"]["200"]["content"]
        content["text/plain"] = content.pop("application/json")

    difference = only(compare(OURS, published(text)))
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "response-media-type-removed", "responses.200.content", "application/json → text/plain", BREAKING)


def test_a_json_response_with_a_charset_parameter_is_still_json() -> None:
    def charset(document: dict[str, Any]) -> None:
        content = delete(document)["responses"]["200"]["content"]
        content["application/json;charset=UTF-8"] = content.pop("application/json")

    assert compare(OURS, published(charset)).differences == []


def test_a_media_range_that_includes_json_is_compatible_and_its_schema_is_compared() -> None:
    def any_media(document: dict[str, Any]) -> None:
        content = delete(document)["responses"]["200"]["content"]
        content["*/*"] = content.pop("application/json")
        schemas(document)["DeleteCredentialResponse"]["required"] = ["success"]

    comparison = compare(OURS, published(any_media))
    assert at(comparison, "responses.200.content").severity == COMPATIBLE
    assert at(comparison, "responses.200.schema.required").severity == BREAKING


def test_a_response_without_a_schema_is_breaking() -> None:
    def undescribed(document: dict[str, Any]) -> None:
        del delete(document)["responses"]["200"]["content"]["application/json"]["schema"]

    difference = only(compare(OURS, published(undescribed)))
    assert (difference.where, difference.severity) == ("responses.200.schema", BREAKING)


def test_another_representation_beside_json_is_additive() -> None:
    def xml(document: dict[str, Any]) -> None:
        delete(document)["responses"]["200"]["content"]["application/xml"] = {"schema": {"type": "object"}}

    difference = only(compare(OURS, published(xml)))
    assert (difference.where, difference.change, difference.severity) == (
        "responses.200.content", "+ application/xml", ADDITIVE)


# -- response bodies -------------------------------------------------------------------------------------------
def test_a_success_field_that_is_no_longer_required_is_breaking() -> None:
    """oasdiff response-property-became-optional: ERR. Theirs writes a required list, and leaves the field out."""
    def optional(document: dict[str, Any]) -> None:
        schemas(document)["DeleteCredentialResponse"]["required"] = ["success"]

    difference = only(compare(OURS, published(optional)))
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "response-property-became-optional", "responses.200.schema.required",
        "`deploymentResult` required → optional", BREAKING)


def test_required_fields_of_a_schema_that_marks_none_required_are_silence() -> None:
    """A generator that writes no ``required`` (springdoc) says nothing of presence (oasdiff would rate
    response-property-became-optional, ERR; the suite differs where the schema marks no field at all)."""
    def unmarked(document: dict[str, Any]) -> None:
        del schemas(document)["DeleteCredentialResponse"]["required"]

    comparison = compare(OURS, published(unmarked))
    assert not comparison.has_breaking
    assert {(d.id, d.change, d.severity) for d in comparison.differences} == {
        ("response-required-unmarked", "`success` required → not marked required", SILENT),
        ("response-required-unmarked", "`deploymentResult` required → not marked required", SILENT)}


def test_a_renamed_required_field_is_breaking_and_its_new_name_is_additive() -> None:
    def renamed(document: dict[str, Any]) -> None:
        response = schemas(document)["DeleteCredentialResponse"]
        response["properties"]["undeploymentResult"] = response["properties"].pop("deploymentResult")
        response["required"] = ["success", "undeploymentResult"]

    comparison = compare(OURS, published(renamed))
    assert len(comparison.differences) == 2
    assert at(comparison, "responses.200.schema.properties.deploymentResult").severity == BREAKING
    assert at(comparison, "responses.200.schema.properties.undeploymentResult").severity == ADDITIVE


def test_a_required_field_of_a_nested_object_that_is_gone_is_breaking() -> None:
    def renamed(document: dict[str, Any]) -> None:
        result = schemas(document)["EnvironmentResult"]
        result["properties"]["name"] = result["properties"].pop("environmentName")
        result["required"] = ["name", "success", "message"]

    comparison = compare(OURS, published(renamed))
    where = "responses.200.schema.properties.deploymentResult.properties.environmentResults.items.properties"
    assert at(comparison, f"{where}.environmentName").severity == BREAKING
    assert at(comparison, f"{where}.name").severity == ADDITIVE


def test_a_field_whose_type_changed_is_breaking() -> None:
    def string(document: dict[str, Any]) -> None:
        schemas(document)["DeleteCredentialResponse"]["properties"]["success"] = {"type": "string"}

    difference = only(compare(OURS, published(string)))
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "response-property-type-changed", "responses.200.schema.properties.success.type", "`boolean` → `string`",
        BREAKING)


def test_a_field_that_may_now_be_null_is_breaking() -> None:
    def nullable(document: dict[str, Any]) -> None:
        schemas(document)["DeploymentResult"]["properties"]["message"]["nullable"] = True

    difference = only(compare(OURS, published(nullable)))
    assert (difference.where, difference.severity) == (
        "responses.200.schema.properties.deploymentResult.properties.message.nullable", BREAKING)


def test_a_field_that_is_no_longer_typed_is_breaking() -> None:
    def untyped(document: dict[str, Any]) -> None:
        del schemas(document)["EnvironmentResult"]["properties"]["success"]["type"]

    difference = only(compare(OURS, published(untyped)))
    assert difference.change == "`boolean` → any" and difference.severity == BREAKING


def test_a_new_optional_field_is_additive() -> None:
    def added(document: dict[str, Any]) -> None:
        schemas(document)["DeleteCredentialResponse"]["properties"]["deletedAt"] = {"type": "string"}

    comparison = compare(OURS, published(added))
    difference = only(comparison)
    assert (difference.where, difference.severity) == ("responses.200.schema.properties.deletedAt", ADDITIVE)
    assert not comparison.has_breaking


def test_an_optional_field_no_longer_documented_is_compatible() -> None:
    """Error400's ``validation_errors`` is optional: clients of ours already handle its absence."""
    def dropped(document: dict[str, Any]) -> None:
        del schemas(document)["Error400"]["properties"]["validation_errors"]

    difference = only(compare(OURS, published(dropped)))
    assert (difference.where, difference.severity) == (
        "responses.400.schema.properties.validation_errors", COMPATIBLE)


def test_an_error_body_that_allows_no_other_field_is_compatible() -> None:
    def closed(document: dict[str, Any]) -> None:
        schemas(document)["Error404"]["additionalProperties"] = False

    difference = only(compare(OURS, published(closed)))
    assert (difference.where, difference.severity) == ("responses.404.schema.additionalProperties", COMPATIBLE)


def test_a_field_added_where_ours_allows_no_other_is_breaking() -> None:
    ours = copy.deepcopy(OURS)
    schemas(ours)["Error404"]["additionalProperties"] = False
    theirs = copy.deepcopy(ours)
    schemas(theirs)["Error404"]["properties"]["trace"] = {"type": "string"}

    difference = only(compare(ours, theirs))
    assert (difference.where, difference.severity) == ("responses.404.schema.properties.trace", BREAKING)


# -- error codes -----------------------------------------------------------------------------------------------
def test_a_new_error_code_is_additive() -> None:
    def added(document: dict[str, Any]) -> None:
        schemas(document)["Error401"]["properties"]["error"]["enum"].append("token_revoked")

    difference = only(compare(OURS, published(added)))
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "response-error-code-added", "responses.401.schema.properties.error.enum", "+ `token_revoked`", ADDITIVE)


def test_an_error_code_the_operation_answers_that_is_no_longer_listed_is_breaking() -> None:
    """authentication.md: a refused token is 401 ``unauthorized_client``, as ours shows in its example."""
    def dropped(document: dict[str, Any]) -> None:
        schemas(document)["Error401"]["properties"]["error"]["enum"] = ["invalid_token", "token_expired"]

    difference = only(compare(OURS, published(dropped)))
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "response-enum-value-removed", "responses.401.schema.properties.error.enum", "- `unauthorized_client`",
        BREAKING)


def test_an_error_code_enum_that_keeps_none_of_ours_is_breaking() -> None:
    """No value ours allows is one theirs allows: every answer ours promises contradicts theirs."""
    def replaced(document: dict[str, Any]) -> None:
        schemas(document)["Error404"]["properties"]["error"]["enum"] = ["gone"]

    difference = only(compare(OURS, published(replaced)))
    assert (difference.id, difference.where, difference.severity) == (
        "response-enum-disjoint", "responses.404.schema.properties.error.enum", BREAKING)


def test_error_codes_the_operation_never_answers_may_go_compatibly() -> None:
    """error-handling.md's other 401 codes are listed by ours, but the DELETE's example answers unauthorized_client."""
    def narrowed(document: dict[str, Any]) -> None:
        schemas(document)["Error401"]["properties"]["error"]["enum"] = ["unauthorized_client"]

    difference = only(compare(OURS, published(narrowed)))
    assert (difference.where, difference.change, difference.severity) == (
        "responses.401.schema.properties.error.enum", "- `invalid_token`, `token_expired`", COMPATIBLE)


def test_an_error_code_that_is_no_longer_an_enum_is_additive() -> None:
    def free(document: dict[str, Any]) -> None:
        del schemas(document)["Error404"]["properties"]["error"]["enum"]

    difference = only(compare(OURS, published(free)))
    assert (difference.change, difference.severity) == ("+ any value", ADDITIVE)


def test_a_new_value_of_a_success_enum_is_breaking() -> None:
    """Unlike an error code, a value of a success body is read without a status to fall back on."""
    ours = copy.deepcopy(OURS)
    schemas(ours)["EnvironmentResult"]["properties"]["state"] = {"type": "string", "enum": ["UNDEPLOYED"]}
    theirs = copy.deepcopy(ours)
    schemas(theirs)["EnvironmentResult"]["properties"]["state"]["enum"].append("PENDING")

    difference = only(compare(ours, theirs))
    assert difference.where.endswith("items.properties.state.enum") and difference.severity == BREAKING
    assert difference.id == "response-enum-value-added"


# -- parameters, body, security --------------------------------------------------------------------------------
def test_a_stricter_path_parameter_pattern_is_breaking() -> None:
    def stricter(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["username"]["schema"]["pattern"] = "^[A-Za-z0-9._-]+$"

    difference = only(compare(OURS, published(stricter)))
    assert (difference.id, difference.where, difference.severity) == (
        "path-parameter-pattern-stricter", "parameters.username.schema.pattern", BREAKING)
    assert "'user@example.com'" in difference.reason


def test_a_looser_path_parameter_pattern_is_compatible() -> None:
    def looser(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["username"]["schema"]["pattern"] = "^[^/]+$"

    difference = only(compare(OURS, published(looser)))
    assert (difference.where, difference.severity) == ("parameters.username.schema.pattern", COMPATIBLE)


def test_a_path_parameter_without_a_pattern_is_compatible() -> None:
    def free(document: dict[str, Any]) -> None:
        del document["components"]["parameters"]["projectName"]["schema"]["pattern"]

    assert only(compare(OURS, published(free))).severity == COMPATIBLE


def test_a_larger_minimum_length_is_breaking_and_a_smaller_one_compatible() -> None:
    def longer(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["username"]["schema"]["minLength"] = 3

    def shorter(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["username"]["schema"]["minLength"] = 0

    assert only(compare(OURS, published(longer))).severity == BREAKING
    assert only(compare(OURS, published(shorter))).severity == COMPATIBLE


def test_a_path_parameter_of_another_type_is_breaking() -> None:
    def integer(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["username"]["schema"] = {"type": "integer"}

    comparison = compare(OURS, published(integer))
    assert at(comparison, "parameters.username.schema.type").severity == BREAKING


def test_a_new_required_query_parameter_is_breaking_and_an_optional_one_additive() -> None:
    def query(required: bool) -> Callable[[dict[str, Any]], None]:
        def add(document: dict[str, Any]) -> None:
            delete(document)["parameters"].append({"name": "force", "in": "query", "required": required,
                                                   "schema": {"type": "boolean"}})
        return add

    assert only(compare(OURS, published(query(True)))).severity == BREAKING
    assert only(compare(OURS, published(query(False)))).severity == ADDITIVE


def test_a_required_request_body_is_breaking() -> None:
    def body(document: dict[str, Any]) -> None:
        delete(document)["requestBody"] = {"required": True,
                                           "content": {"application/json": {"schema": {"type": "object"}}}}

    difference = only(compare(OURS, published(body)))
    assert (difference.where, difference.severity) == ("requestBody", BREAKING)


def test_an_operation_declared_open_to_anyone_is_breaking() -> None:
    """``security: []`` declares the DELETE open, against authentication.md. oasdiff api-security-removed is INFO;
    the suite differs for a declared opening (its 401 rules rest on the token), not for silence (below)."""
    def open_door(document: dict[str, Any]) -> None:
        delete(document)["security"] = []

    difference = only(compare(OURS, published(open_door)))
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "security-declared-anonymous", "security", "http bearer → none", BREAKING)
    assert "lets anyone delete" in difference.reason


def test_a_description_that_declares_no_security_at_all_is_silence() -> None:
    """oasdiff api-security-removed, api-global-security-removed: INFO. Springdoc writes no securitySchemes and no
    ``security`` unless configured to (until issue 16 "bearer → none" was breaking here too)."""
    def undeclared(document: dict[str, Any]) -> None:
        del document["security"]
        del document["components"]["securitySchemes"]

    comparison = compare(OURS, published(undeclared))
    difference = only(comparison)
    assert (difference.id, difference.where, difference.change, difference.severity) == (
        "security-undeclared", "security", "http bearer → not declared", SILENT)
    assert not comparison.has_breaking


def test_another_way_to_authenticate_beside_bearer_is_additive() -> None:
    def api_key(document: dict[str, Any]) -> None:
        document["components"]["securitySchemes"]["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-Key"}
        delete(document)["security"] = [{"bearerAuth": []}, {"apiKey": []}]

    assert only(compare(OURS, published(api_key))).severity == ADDITIVE


def test_a_scheme_other_than_bearer_is_breaking() -> None:
    def basic(document: dict[str, Any]) -> None:
        document["components"]["securitySchemes"]["bearerAuth"] = {"type": "http", "scheme": "basic"}

    difference = only(compare(OURS, published(basic)))
    assert (difference.id, difference.change, difference.severity) == (
        "security-scheme-changed", "http bearer → http basic", BREAKING)


# -- broken descriptions ---------------------------------------------------------------------------------------
def test_a_ref_that_does_not_resolve_is_a_breaking_difference_not_a_crash() -> None:
    def dangling(document: dict[str, Any]) -> None:
        delete(document)["responses"]["401"] = {"$ref": "#/components/responses/NoSuchResponse"}
        delete(document)["responses"]["200"]["content"]["application/json"]["schema"] = {
            "$ref": "common.yaml#/DeleteCredentialResponse"}

    comparison = compare(OURS, published(dangling))
    assert {(d.id, d.where, d.severity) for d in comparison.differences} == {
        ("ref-unresolved", "responses.401", BREAKING), ("ref-unresolved", "responses.200.schema", BREAKING)}
    assert "`$ref: #/components/responses/NoSuchResponse` does not resolve" in at(comparison, "responses.401").change


def test_a_recursive_schema_is_compared_without_recursing_forever() -> None:
    ours = copy.deepcopy(OURS)
    schemas(ours)["EnvironmentResult"]["properties"]["children"] = {
        "type": "array", "items": {"$ref": "#/components/schemas/EnvironmentResult"}}
    theirs = copy.deepcopy(ours)
    schemas(theirs)["EnvironmentResult"]["properties"]["success"]["type"] = "string"

    comparison = compare(ours, theirs)
    assert [d.severity for d in comparison.differences] == [BREAKING]


@pytest.mark.parametrize("document, message", [
    (["openapi", "3.0.3"], "the published description: not an OpenAPI document (the top level is a list, "
                           "not a mapping)"),
    ("<html>Not found</html>", "the published description: not an OpenAPI document (the top level is a string, "
                               "not a mapping)"),
    ({"swagger": "2.0", "paths": {}}, "the published description: Swagger 2.0, not OpenAPI 3.x"),
    ({"openapi": "2.0", "paths": {}}, "the published description: not OpenAPI 3.x (openapi: '2.0')"),
    ({"openapi": "3.0.3", "info": {}}, "the published description: OpenAPI 3.0.3 without paths"),
], ids=["a-list", "a-string", "swagger-2", "openapi-2", "no-paths"])
def test_a_document_that_cannot_be_compared_is_one_error_of_one_line(document: Any, message: str) -> None:
    with pytest.raises(PublishedSpecError) as raised:
        compare(OURS, document)
    assert str(raised.value) == message


def test_text_that_is_neither_yaml_nor_json_is_one_error_of_one_line() -> None:
    with pytest.raises(PublishedSpecError, match=r"^openapi.yaml: neither JSON nor YAML \(") as raised:
        parse("openapi: [3.0", "openapi.yaml")
    assert "\n" not in str(raised.value)


def test_our_contract_without_the_operation_is_one_error() -> None:
    with pytest.raises(PublishedSpecError, match="^our contract: no operation removeCredential$"):
        compare(OURS, published(), "removeCredential")


# -- how it reads ----------------------------------------------------------------------------------------------
def example() -> Comparison:
    """One of each severity; the breaking one is found last, after a silent, an additive and a compatible one."""
    def changed(document: dict[str, Any]) -> None:
        del delete(document)["responses"]["400"]
        delete(document)["responses"]["500"] = {"$ref": "#/components/responses/InternalError"}
        schemas(document)["Error401"]["properties"]["error"]["enum"] = ["unauthorized_client", "a|b"]
        schemas(document)["Error404"]["properties"]["error_description"]["type"] = "integer"

    return compare(OURS, published(changed))


def test_the_json_form_is_plain_data_with_counts_and_every_difference() -> None:
    data = example().to_json()
    assert json.loads(json.dumps(data)) == data
    assert (data["has_breaking"], data["breaking"], data["additive"], data["compatible"], data["silent"]) == (
        True, 1, 2, 1, 1)
    assert data["differences"][0] == {
        "id": "response-property-type-changed", "where": "responses.404.schema.properties.error_description.type",
        "change": "`string` → `integer`", "severity": "breaking", "reason": "clients read it as string"}
    assert data["differences"][-1]["id"] == "response-status-undeclared"
    assert data["found_at"] == f"DELETE {PATH}"


def test_the_markdown_form_is_a_table_with_one_row_per_difference_breaking_first_silence_last() -> None:
    text = example().to_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 5
    assert rows[0].startswith("| breaking | `response-property-type-changed` | "
                              "`responses.404.schema.properties.error_description.type` |")
    assert rows[-1].startswith("| silent | `response-status-undeclared` | `responses.400` |")
    assert "`a\\|b`" in text  # a | inside a cell is escaped, so the table keeps its columns


def test_the_terminal_form_is_a_headline_then_one_line_per_difference() -> None:
    lines = example().to_lines()
    assert lines[0] == ("published spec: 1 breaking, 2 additive, 1 compatible and 1 silent differences in "
                        f"DELETE {PATH}")
    assert len(lines) == 6 and all("\n" not in line for line in lines)
    assert lines[1].startswith("  BREAKING   responses.404.schema.properties.error_description.type: "
                               "`string` → `integer` [response-property-type-changed] (")
    assert lines[-1].startswith("  SILENT     responses.400: declared → not declared [response-status-undeclared] (")


def test_every_difference_s_severity_is_its_classification_s() -> None:
    for difference in example().differences:
        assert difference.severity == CLASSIFICATIONS[difference.id].severity
