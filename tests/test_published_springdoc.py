"""contracts.published, fed a description written the way springdoc writes a Manager's own (issue 16, item 5).

A running Manager serves at ``{manager}/apiops/openapi.yaml`` a description it generates of itself
(springdoc: ``openapi: 3.0.1``, "Apinizer Management APIs" 1.0.1). Its habits, for this DELETE
(``operationId: deleteCredential``): the whole API in one document with ``/apiops`` in every path
key; no security scheme; no ``required`` in any schema; only 200, 401 and 500 declared; one
``ApiOpsResponseSuccess`` / ``ApiOpsResponseError`` envelope for every operation, whose ``status`` is
the whole ``SUCCESS|FAILURE`` type; and a recursive ``DeploymentResult`` (``detailList`` items and
``firstFromApiResultList`` are DeploymentResults again). The fixture below is written here from
those facts; it is not a copy of any Manager's file.

What the generator leaves out is silence (severity ``silent``), never breaking; what it declares
against the edition is a contradiction, and breaking. Where oasdiff's checker/rules.go rates the
same change its rule id and level are cited (github.com/oasdiff/oasdiff, checker/rules.go).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from contracts import editions, published, spec
from contracts.published import BREAKING, CLASSIFICATIONS, SILENT, Comparison, Difference, compare, recognise

DELETE_PATH = "/apiops/projects/{projectName}/credentials/{username}/"
# The editions whose envelope a Manager's springdoc description declares (2026-08), and the older one's (2025-12), which
# the fixture also writes. Other editions may share an envelope: what a description says is then read off the list.
NEWER, OLDER = editions.get("2026-08"), editions.get("2025-12")


def sharing(edition: editions.Edition) -> list[editions.Edition]:
    """Every edition of ``edition``'s envelope (of editions.ids()): a description's envelope cannot tell them apart."""
    return [other for other in editions.all_editions() if other.envelope == edition.envelope]


def recognised_as(edition: editions.Edition) -> editions.Edition | None:
    """What a description in ``edition``'s envelope is recognised as: it, if no other edition shares it, else none."""
    return edition if sharing(edition) == [edition] else None

# -- the fixture: the whole API as springdoc writes it --------------------------------------------------------------
# Resources of "the whole API", each with the operations springdoc lists for a CRUD controller. Their
# operationIds are the controller methods' names, so near-misses such as deleteCredentials (RLCL) appear.
RESOURCES = ("apiProxies", "apiProxyGroups", "environments", "policies", "rlcl", "connections", "certificates",
             "keys", "jwks", "oauth2", "audit", "quotas", "throttling", "scripts", "variables", "schedules",
             "reports", "alerts", "teams", "users", "roles", "gateways", "caches", "loggers", "monitors",
             "integrations", "webhooks", "portals", "products", "subscriptions", "plans", "apps", "tokens",
             "analytics", "templates", "routes", "backends", "domains", "tags", "settings")


def _reply(status: str) -> dict[str, Any]:
    """A response as springdoc writes one: the shared envelope, described in a word."""
    schema = "ApiOpsResponseSuccess" if status == "200" else "ApiOpsResponseError"
    words = {"200": "successful operation!", "401": "not authorized for this operation!", "500": "internal error!"}
    return {"description": words[status],
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _operation(operation_id: str, tag: str, names: list[str], body: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": [tag], "summary": operation_id, "description": f"{operation_id} as the controller names it",
        "operationId": operation_id,
        # springdoc writes `required: true` on a path parameter (OpenAPI demands it); never in a schema
        "parameters": [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                       for name in names],
        "responses": {status: _reply(status) for status in ("401", "200", "500")},  # SPRINGDOC_STATUSES
    }
    if body is not None:
        schema = {"$ref": f"#/components/schemas/{body}"}
        operation["requestBody"] = {"content": {"application/json": {"schema": schema}}, "required": True}
    return operation


def _envelopes(edition: str) -> dict[str, dict[str, Any]]:
    if edition == "2026-08":  # ResultStatus is one Java enum: both values, in both envelopes
        error: dict[str, Any] = {"status": {"type": "string", "enum": ["SUCCESS", "FAILURE"]},
                                 "resultMessage": {"type": "string"},
                                 "resultList": {"type": "array", "items": {"type": "string"}},
                                 "resultCount": {"type": "integer", "format": "int32"}}
        success = {**copy.deepcopy(error), "deploymentResult": {"$ref": "#/components/schemas/DeploymentResult"}}
    else:  # the same shape in the {success} / {error, error_description} envelope of 2025-12
        error = {"error": {"type": "string"}, "error_description": {"type": "string"}}
        success = {"success": {"type": "boolean"},
                   "deploymentResult": {"$ref": "#/components/schemas/DeploymentResult"}}
    return {"ApiOpsResponseError": {"type": "object", "properties": error},
            "ApiOpsResponseSuccess": {"type": "object", "properties": success}}


SPRINGDOC_STATUSES = {"200", "401", "500"}  # what springdoc writes for every operation without @ApiResponse


def springdoc(edition: str = "2026-08") -> dict[str, Any]:
    """A Manager's self-description: hundreds of paths, the credential DELETE among them, springdoc's habits."""
    paths: dict[str, Any] = {}
    for resource in RESOURCES:
        singular = resource[:1].upper() + resource[1:].rstrip("s")
        base = f"/apiops/projects/{{projectName}}/{resource}/"
        one = f"{base}{{name}}/"
        paths[base] = {"get": _operation(f"list{singular}s", singular, ["projectName"]),
                       "post": _operation(f"create{singular}", singular, ["projectName"], "GenericDTO")}
        paths[one] = {"get": _operation(f"get{singular}", singular, ["projectName", "name"]),
                      "put": _operation(f"update{singular}", singular, ["projectName", "name"], "GenericDTO"),
                      "delete": _operation(f"delete{singular}", singular, ["projectName", "name"])}
        for action in ("deploy", "undeploy", "export", "import", "settings"):
            paths[f"{one}{action}/"] = {"post": _operation(f"{action}{singular}", singular, ["projectName", "name"],
                                                           "GenericDTO")}
    paths["/apiops/projects/{projectName}/rlcl/{rlclName}/credentials/"] = {
        "delete": _operation("deleteCredentials", "RLCL", ["projectName", "rlclName"], "CredentialNameDTO")}
    paths["/apiops/projects/{projectName}/credentials/"] = {
        "get": _operation("listCredentials", "Credential", ["projectName"]),
        "post": _operation("createCredential", "Credential", ["projectName"], "CredentialDTO")}
    paths[DELETE_PATH] = {
        "delete": {**_operation("deleteCredential", "Credential", ["projectName", "username"]),
                   "summary": "Delete Credential",
                   "description": "Deletes credential specified by username and undeploys it from environments"},
        "patch": _operation("changePassword", "Credential", ["projectName", "username"], "CredentialDTO")}
    paths["/apiops/projects/{projectName}/environments/"] = {
        "get": _operation("getEnvironmentsByProject", "Environment", ["projectName"])}
    schemas: dict[str, Any] = {
        **_envelopes(edition),
        "DeploymentResult": {"type": "object", "properties": {
            "envName": {"type": "string"}, "podName": {"type": "string"}, "podIp": {"type": "string"},
            "success": {"type": "boolean"}, "detail": {"type": "string"},
            "responseTime": {"type": "integer", "format": "int64"},
            "detailList": {"type": "array", "items": {"$ref": "#/components/schemas/DeploymentResult"}},
            "firstFromApiResultList": {"$ref": "#/components/schemas/DeploymentResult"}}},
        "GenericDTO": {"type": "object", "properties": {"name": {"type": "string"}}},
        "CredentialNameDTO": {"type": "object", "properties": {"credentialNameList": {
            "type": "array", "items": {"type": "string"}}}},
        "CredentialDTO": {"type": "object", "properties": {"username": {"type": "string"},
                                                           "password": {"type": "string"}}},
    }
    return {
        "openapi": "3.0.1",
        "info": {"title": "Apinizer Management APIs", "version": "1.0.1",
                 "description": "Manage your Apinizer with Management APIs.",
                 "license": {"name": "Apache 2.0", "url": "https://docs.apinizer.com"}},
        "servers": [{"url": "http://manager.example:8080", "description": "Generated server url"}],
        "tags": [{"name": "Credential", "description": "Set of endpoints for Credentials."}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def springdoc_with(change: Callable[[dict[str, Any]], Any], edition: str = "2026-08") -> dict[str, Any]:
    document = springdoc(edition)
    change(document)
    return document


def contract(edition: editions.Edition) -> dict[str, Any]:
    """The edition's contract document, copied (spec.load caches it)."""
    return copy.deepcopy(spec.load(edition).document)


def the_delete(document: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][DELETE_PATH]["delete"]
    return operation


def envelope(document: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = document["components"]["schemas"][name]["properties"]
    return properties


def lines(comparison: Comparison) -> str:
    return "\n".join(comparison.to_lines())


def with_id(comparison: Comparison, classification: str) -> list[Difference]:
    return [difference for difference in comparison.differences if difference.id == classification]


# -- the fixture is what it says ----------------------------------------------------------------------------------
def test_the_fixture_has_springdoc_s_habits() -> None:
    """The facts the fixture is written from (issue 16, item 5): whole API, no security, no required, 200/401/500."""
    document = springdoc()
    text = json.dumps(document)
    assert document["openapi"] == "3.0.1" and document["info"]["title"] == "Apinizer Management APIs"
    assert len(document["paths"]) > 200 and all(key.startswith("/apiops/") for key in document["paths"])
    assert "security" not in text and "securitySchemes" not in text
    assert all("required" not in schema for schema in document["components"]["schemas"].values())
    assert sorted(the_delete(document)["responses"]) == ["200", "401", "500"]
    detail_list = document["components"]["schemas"]["DeploymentResult"]["properties"]["detailList"]
    assert detail_list["items"] == {"$ref": "#/components/schemas/DeploymentResult"}


# -- which edition it describes ------------------------------------------------------------------------------------
def test_a_springdoc_description_in_status_and_result_message_is_recognised_as_edition_2026_08() -> None:
    """Both Manager descriptions (2025-12 and 2026-08) declare {status, resultMessage}: edition 2026-08's envelope
    (and that of any edition that shares it, which a description cannot tell apart)."""
    assert recognise(springdoc()) == recognised_as(NEWER)
    assert published.editions_described(springdoc()) == sharing(NEWER)


def test_the_same_shape_in_success_and_error_description_is_recognised_as_edition_2025_12() -> None:
    """management-api-docs' envelope, {success} / {error, error_description}, in springdoc's shape."""
    assert recognise(springdoc("2025-12")) == recognised_as(OLDER)


def test_a_description_whose_delete_speaks_no_edition_s_envelope_is_recognised_as_none() -> None:
    def foreign(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["ApiOpsResponseSuccess"]["properties"] = {"ok": {"type": "boolean"}}

    assert recognise(springdoc_with(foreign)) is None


def test_a_description_without_the_delete_is_recognised_as_none() -> None:
    assert recognise(springdoc_with(lambda document: document["paths"].pop(DELETE_PATH))) is None


def test_the_recognised_edition_s_contract_is_what_it_is_compared_with() -> None:
    """compare_recognised(theirs) is compare(spec.load(recognise(theirs)).document, theirs)."""
    for own in editions.all_editions():
        if own.envelope not in (NEWER.envelope, OLDER.envelope):
            continue  # an envelope the fixture does not write
        theirs = springdoc(NEWER.id if own.envelope == NEWER.envelope else OLDER.id)
        if recognised_as(own) is None:  # another edition shares it: one line that names them, no comparison
            with pytest.raises(published.PublishedSpecError, match=" alike "):
                published.compare_recognised(theirs)
            continue
        edition, comparison = published.compare_recognised(theirs)
        assert edition == own
        assert comparison.to_json() == compare(spec.load(own).document, theirs).to_json()


def test_comparing_a_description_of_no_edition_is_one_error() -> None:
    def foreign(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["ApiOpsResponseSuccess"]["properties"] = {"ok": {"type": "boolean"}}

    with pytest.raises(published.PublishedSpecError, match="^the published description: its DELETE speaks no edition"):
        published.compare_recognised(springdoc_with(foreign))


# -- silence is not breaking ----------------------------------------------------------------------------------------
def test_the_springdoc_description_has_no_breaking_difference_with_the_2026_08_contract() -> None:
    """What springdoc leaves out (statuses, security, required) is silence; the rest is additive or compatible."""
    comparison = compare(contract(NEWER), springdoc())
    assert comparison.found_at == f"DELETE {DELETE_PATH}"
    assert not comparison.has_breaking, lines(comparison)
    assert comparison.count(SILENT) > 0


def test_the_silences_of_the_springdoc_description_are_reported_by_id() -> None:
    comparison = compare(contract(NEWER), springdoc())
    silent = {(difference.id, difference.where) for difference in comparison.differences
              if difference.severity == SILENT}
    assert {"security-undeclared", "response-status-undeclared", "response-required-unmarked",
            "response-enum-shared-with-other-statuses"} == {found for found, _ in silent}, lines(comparison)
    assert ("response-status-undeclared", "responses.400") in silent
    assert ("security-undeclared", "security") in silent
    assert ("response-required-unmarked", "responses.200.schema.required") in silent
    assert ("response-required-unmarked", "responses.401.schema.required") in silent
    assert ("response-enum-shared-with-other-statuses", "responses.200.schema.properties.status.enum") in silent


def test_a_status_ours_declares_that_theirs_does_not_is_silence() -> None:
    """oasdiff response-non-success-status-removed: INFO. The error answers of the edition (in 2026-08 the missing
    credential's and the unknown project's) are not declared by springdoc: it lists 200/401/500 for every
    operation. The statuses are read from the edition's document, so a docs change moves this test along."""
    ours = {str(status) for status in spec.load(NEWER).documented_statuses(spec.OPERATION)}
    undeclared = {(f"responses.{status}", "declared → not declared", SILENT) for status in ours - SPRINGDOC_STATUSES}
    assert undeclared, "the edition declares no status springdoc leaves out: nothing to compare"
    found = with_id(compare(contract(NEWER), springdoc()), "response-status-undeclared")
    assert {(difference.where, difference.change, difference.severity) for difference in found} == undeclared


def test_no_security_scheme_where_ours_requires_bearer_is_silence() -> None:
    """oasdiff api-security-removed: INFO. Springdoc writes no securitySchemes unless configured to."""
    [difference] = with_id(compare(contract(NEWER), springdoc()), "security-undeclared")
    assert (difference.change, difference.severity) == ("http bearer → not declared", SILENT)


def test_fields_ours_requires_that_theirs_lists_but_does_not_mark_required_are_silence() -> None:
    """Springdoc marks nothing required (no @Schema(requiredMode)); oasdiff's response-property-became-optional
    (ERR) is for a description that writes a required list and leaves the field out of it, still breaking here."""
    comparison = compare(contract(NEWER), springdoc())
    unmarked = {(d.where, d.change) for d in with_id(comparison, "response-required-unmarked")}
    deployment = "responses.200.schema.properties.deploymentResult"
    assert {("responses.200.schema.required", "`status` required → not marked required"),
            ("responses.200.schema.required", "`deploymentResult` required → not marked required"),
            (f"{deployment}.required", "`detailList` required → not marked required"),
            (f"{deployment}.properties.detailList.items.required", "`envName` required → not marked required"),
            ("responses.401.schema.required", "`resultMessage` required → not marked required")} <= unmarked
    assert all(d.severity == SILENT for d in with_id(comparison, "response-required-unmarked"))


def test_one_status_enum_shared_by_every_answer_is_silence_about_which_status_carries_which_value() -> None:
    """ResultStatus is one Java type, so 200 and 401 both declare SUCCESS|FAILURE; ours says which goes where.
    oasdiff response-property-enum-value-added is WARN; the added values are ones ours gives the same field under
    another status of this operation, so theirs is silent about the pairing, not saying something else."""
    comparison = compare(contract(NEWER), springdoc())
    shared = {(d.where, d.change) for d in with_id(comparison, "response-enum-shared-with-other-statuses")}
    assert shared == {("responses.200.schema.properties.status.enum", "+ `FAILURE`"),
                      ("responses.401.schema.properties.status.enum", "+ `SUCCESS`")}


def test_the_same_description_compared_with_the_other_edition_s_contract_is_breaking() -> None:
    """Silence is not a blank cheque: against openapi.yaml (2025-12) the envelope itself is missing."""
    comparison = compare(contract(OLDER), springdoc())
    assert comparison.has_breaking
    assert "response-required-property-removed" in {d.id for d in comparison.differences if d.breaking}


def test_the_description_served_as_yaml_text_compares_the_same() -> None:
    text = yaml.dump(springdoc(), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
    assert (compare(contract(NEWER), published.parse(text, "openapi.yaml")).to_json()
            == compare(contract(NEWER), springdoc()).to_json())


def test_a_recursive_deployment_result_on_both_sides_is_compared_in_bounded_time() -> None:
    """DeploymentResult.detailList items and firstFromApiResultList are DeploymentResults again; ours made
    recursive too, the comparison still ends (each pair of schemas once on a path, and a depth bound)."""
    ours = contract(NEWER)
    result = ours["components"]["schemas"]["DeploymentResult"]
    result["properties"]["detailList"]["items"] = {"$ref": "#/components/schemas/DeploymentResult"}
    result["properties"]["firstFromApiResultList"] = {"$ref": "#/components/schemas/DeploymentResult"}
    started = time.monotonic()
    comparison = compare(ours, springdoc())
    assert time.monotonic() - started < 5
    assert not comparison.has_breaking, lines(comparison)


# -- contradictions stay breaking -----------------------------------------------------------------------------------
def test_a_status_enum_without_success_is_breaking() -> None:
    """The edition's success marker is status SUCCESS; an enum that excludes it contradicts every 200 answer.
    oasdiff response-property-enum-value-removed is INFO; here ours' only value is gone (no value of ours is left)."""
    def no_success(document: dict[str, Any]) -> None:
        envelope(document, "ApiOpsResponseSuccess")["status"]["enum"] = ["FAILURE"]

    comparison = compare(contract(NEWER), springdoc_with(no_success))
    [difference] = [d for d in comparison.differences if d.breaking]
    assert (difference.id, difference.where) == ("response-enum-disjoint",
                                                 "responses.200.schema.properties.status.enum")


def test_a_contradiction_is_reported_against_the_edition_the_description_is_recognised_as() -> None:
    """Recognising reads the envelope's fields; what their schemas declare is then held to that edition."""
    def no_success(document: dict[str, Any]) -> None:
        envelope(document, "ApiOpsResponseSuccess")["status"]["enum"] = ["FAILURE"]

    for own in sharing(NEWER):  # what it declares contradicts each edition of the envelope it is in
        assert compare(contract(own), springdoc_with(no_success)).has_breaking, own
    if recognised_as(NEWER) is not None:
        edition, comparison = published.compare_recognised(springdoc_with(no_success))
        assert edition == NEWER and comparison.has_breaking


def test_a_result_message_declared_as_an_integer_is_breaking() -> None:
    """oasdiff response-property-type-changed: ERR. Clients read resultMessage as text."""
    def integer(document: dict[str, Any]) -> None:
        envelope(document, "ApiOpsResponseError")["resultMessage"] = {"type": "integer", "format": "int32"}

    comparison = compare(contract(NEWER), springdoc_with(integer))
    [difference] = [d for d in comparison.differences if d.breaking]
    assert (difference.id, difference.where, difference.change) == (
        "response-property-type-changed", "responses.401.schema.properties.resultMessage.type", "`string` → `integer`")


def test_a_description_without_the_delete_is_breaking() -> None:
    """oasdiff api-removed-without-deprecation: ERR. Change Password stays at the path; the DELETE is gone."""
    comparison = compare(contract(NEWER), springdoc_with(lambda document: document["paths"][DELETE_PATH].pop("delete")))
    [difference] = comparison.differences
    assert (difference.id, difference.severity, difference.where) == ("operation-removed", BREAKING, "operation")
    assert comparison.found_at is None


def test_a_delete_whose_username_parameter_is_gone_is_breaking() -> None:
    """The DELETE declared at the credential list's path: the username no longer goes in the URL. oasdiff rates
    the path's removal (api-path-removed-without-deprecation: ERR), not request-parameter-removed (WARN)."""
    def no_username(document: dict[str, Any]) -> None:
        operation = document["paths"][DELETE_PATH].pop("delete")
        operation["parameters"] = [found for found in operation["parameters"] if found["name"] != "username"]
        document["paths"]["/apiops/projects/{projectName}/credentials/"]["delete"] = operation

    comparison = compare(contract(NEWER), springdoc_with(no_username))
    [difference] = comparison.differences
    assert (difference.id, difference.severity, difference.where) == ("path-parameter-removed", BREAKING,
                                                                      "parameters.username")
    assert "/apiops/projects/{projectName}/credentials/" in difference.change


def test_security_declared_open_is_breaking_where_security_left_out_is_silence() -> None:
    """``security: []`` on the operation says anyone may delete: a contradiction of authentication.md, not silence.
    oasdiff rates both api-security-removed (INFO); the suite differs for the declared case (see the registry)."""
    def open_door(document: dict[str, Any]) -> None:
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        document["security"] = [{"bearer": []}]
        the_delete(document)["security"] = []

    comparison = compare(contract(NEWER), springdoc_with(open_door))
    [difference] = [d for d in comparison.differences if d.breaking]
    assert (difference.id, difference.where) == ("security-declared-anonymous", "security")


# -- the ids ------------------------------------------------------------------------------------------------------
def test_every_classification_has_a_kebab_case_id_a_severity_and_a_statement() -> None:
    assert len(CLASSIFICATIONS) >= 50
    for classification, entry in CLASSIFICATIONS.items():
        assert entry.id == classification and classification == classification.lower()
        assert all(part.isalnum() for part in classification.split("-")), classification
        assert entry.severity in published.SEVERITIES and entry.statement


def test_every_difference_carries_its_classification_s_id_and_severity() -> None:
    comparison = compare(contract(NEWER), springdoc())
    for difference in comparison.differences:
        assert CLASSIFICATIONS[difference.id].severity == difference.severity


def test_silence_is_listed_last_and_never_makes_a_comparison_breaking() -> None:
    comparison = compare(contract(NEWER), springdoc())
    severities = [difference.severity for difference in comparison.differences]
    assert severities == sorted(severities, key=published.SEVERITIES.index)
    assert published.SEVERITIES[-1] == SILENT and severities[-1] == SILENT
    assert comparison.to_json()[SILENT] == comparison.count(SILENT)
    assert f"{comparison.count(SILENT)} silent" in comparison.headline()


def test_every_form_shows_the_id() -> None:
    comparison = compare(contract(NEWER), springdoc())
    assert comparison.to_json()["differences"][0]["id"] == comparison.differences[0].id
    assert "[security-undeclared]" in lines(comparison)
    assert "| silent | `security-undeclared` | `security` |" in comparison.to_markdown()


def test_the_comparison_names_our_document_by_the_recognised_editions_file() -> None:
    """A 2026-08 run compares with contracts/editions/2026-08.openapi.yaml and says so, never a bare openapi.yaml
    (the base edition's document in this repository)."""
    if recognised_as(NEWER) is not None:
        _, comparison = published.compare_recognised(springdoc())
    else:  # another edition shares 2026-08's envelope: a run pinned to 2026-08 compares with its document
        contract = spec.load(NEWER)
        comparison = compare(contract.document, springdoc(), document=contract.name)
    assert comparison.document == "contracts/editions/2026-08.openapi.yaml"
    first = comparison.to_markdown().splitlines()[0]
    assert first == f"# Published description vs contracts/editions/2026-08.openapi.yaml: `{comparison.operation}`"
    assert Comparison("op", "DELETE /x/", None, document="contracts/editions/2026-08.openapi.yaml").headline() == (
        "the published description declares DELETE /x/ as contracts/editions/2026-08.openapi.yaml does")
