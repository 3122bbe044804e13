"""The contract itself: ``openapi.yaml``, loaded once, validated, and used to judge responses.

Scenario tests call :func:`Contract.violations` on every response they get, so a response that
breaks the documented schema fails whichever scenario sees it, on top of the scenario's own rule.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


def spec_path() -> Path:
    """The contract in force: ``APIOPS_SPEC`` if set (e.g. a draft of the next spec), else openapi.yaml."""
    return Path(os.environ.get("APIOPS_SPEC") or SPEC_PATH)


class SpecError(Exception):
    """openapi.yaml is missing, unreadable or not a valid OpenAPI document."""


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    definition: dict[str, Any]


class Contract:
    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.document = document
        self.path = path
        self.operations: dict[str, Operation] = {}
        for route, item in document.get("paths", {}).items():
            for method, definition in item.items():
                if isinstance(definition, dict) and "operationId" in definition:
                    op = Operation(definition["operationId"], method.upper(), route, definition)
                    self.operations[op.operation_id] = op

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def _inline(self, node: Any) -> Any:
        """The schema with every ``$ref`` replaced by its target (this spec has no recursion)."""
        if isinstance(node, dict):
            node = self._deref(node)
            return {key: self._inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._inline(item) for item in node]
        return node

    def documented_statuses(self, operation_id: str) -> set[int]:
        return {int(code) for code in self.operations[operation_id].definition["responses"] if code.isdigit()}

    def error_codes(self, operation_id: str, status: int) -> list[str]:
        """The ``error`` values the contract allows for ``status`` (error-handling.md)."""
        schema = self.response_schema(operation_id, status)
        assert schema is not None, f"{operation_id} documents no {status}"
        return list(self._deref(self._deref(schema)["properties"]["error"]).get("enum", []))

    def response_schema(self, operation_id: str, status: int) -> dict[str, Any] | None:
        responses = self.operations[operation_id].definition["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return None
        content = self._deref(response).get("content", {})
        media = content.get("application/json", {})
        schema: dict[str, Any] | None = media.get("schema")
        return schema

    def violations(self, operation_id: str, response: requests.Response) -> list[str]:
        """Every way ``response`` breaks the contract of ``operation_id``; empty when it conforms."""
        status = response.status_code
        if status not in self.documented_statuses(operation_id):
            return [f"status {status} is not documented for {operation_id}"]
        problems = []
        content_type = response.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            problems.append(f"Content-Type is {content_type!r}, not application/json")
        try:
            body = response.json()
        except ValueError:
            return [*problems, f"body is not JSON: {response.text[:120]!r}"]
        schema = self.response_schema(operation_id, status)
        if schema is not None:
            validator = OAS30Validator(self._inline(schema))
            error: ValidationError
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(part) for part in error.absolute_path) or "(body)"
                problems.append(f"{where}: {error.message}")
        return problems


def load(path: Path | None = None) -> Contract:
    """Read and validate the spec (``spec_path()`` by default); any problem is one :class:`SpecError`."""
    return _load(path or spec_path())


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> Contract:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the contract ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(document, dict):
        raise SpecError(f"{path}: not an OpenAPI document (top level is not a mapping)")
    try:
        validate_spec(document)
    except Exception as exc:  # the validator raises several unrelated types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError(f"{path}: not a valid OpenAPI document: {first}") from None
    return Contract(document, path)
