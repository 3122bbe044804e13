"""``contracts.spec.resolve``, the project's one ``$ref`` resolver: broken references are None, never a crash.

It reads openapi.yaml for the drift rules and a gateway's published description for
contracts.published; the second is written by someone else, so a missing target, a loop or a
reference to another file must come back as None for the caller to report.
"""

from __future__ import annotations

from typing import Any

from contracts.spec import resolve

DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "Alias": {"$ref": "#/components/schemas/Error"},
            "Loop": {"$ref": "#/components/schemas/Loop2"},
            "Loop2": {"$ref": "#/components/schemas/Loop"},
            "Text": "not a schema",
        },
    },
    "paths": {
        "/projects/{projectName}/": {"parameters": [{"name": "projectName", "in": "path"}]},
    },
}


def test_a_reference_and_a_chain_of_references_resolve_to_the_target() -> None:
    target = DOCUMENT["components"]["schemas"]["Error"]
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Error"}) is target
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Alias"}) is target


def test_a_node_without_a_reference_is_itself() -> None:
    node = {"type": "string"}
    assert resolve(DOCUMENT, node) is node


def test_escaped_percent_encoded_and_indexed_pointers_resolve() -> None:
    expected = {"name": "projectName", "in": "path"}
    assert resolve(DOCUMENT, {"$ref": "#/paths/~1projects~1{projectName}~1/parameters/0"}) == expected
    assert resolve(DOCUMENT, {"$ref": "#/paths/~1projects~1%7BprojectName%7D~1/parameters/0"}) == expected


def test_a_missing_target_resolves_to_none_not_to_an_empty_schema() -> None:
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Nope"}) is None
    assert resolve(DOCUMENT, {"$ref": "#/paths/~1projects~1{projectName}~1/parameters/7"}) is None


def test_a_target_that_is_not_a_mapping_resolves_to_none() -> None:
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Text"}) is None
    assert resolve(DOCUMENT, None) is None


def test_a_loop_of_references_resolves_to_none_instead_of_hanging() -> None:
    assert resolve(DOCUMENT, {"$ref": "#/components/schemas/Loop"}) is None


def test_a_reference_outside_the_document_resolves_to_none() -> None:
    assert resolve(DOCUMENT, {"$ref": "common.yaml#/components/schemas/Error"}) is None
    assert resolve(DOCUMENT, {"$ref": "https://example.com/spec.yaml#/Error"}) is None
    assert resolve(DOCUMENT, {"$ref": 42}) is None
