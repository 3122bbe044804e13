"""The contract document: ``openapi.yaml``, loaded once and validated, with the one ``$ref`` resolver
and the one path parser of the project.

- :func:`resolve`: a node with its ``$ref`` (and theirs) followed; every reader of a schema uses it.
- :meth:`Contract.route`: which operation a request calls and with which (decoded) path parameters;
  the judge, drift and the living docs use it.
- :meth:`Contract.violations`: how a response breaks the documented status, content type and body
  of an operation (the judge's "every answer is documented").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from contracts import yamltext
from contracts.editions import Edition

# How a difference from this contract is classed, by drift (two recordings) and by the comparison of
# a gateway's published description: whether it would break a client written against openapi.yaml.
BREAKING = "breaking"
COMPATIBLE = "compatible"

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
OPERATION = "deleteCredential"  # the operation under contract


def spec_path(edition: Edition | None = None) -> Path:
    """The edition's contract document (openapi.yaml for the base edition). The one in force may be a draft given in
    APIOPS_SPEC: ``contracts.settings.contract_document``, the reader of the environment, says."""
    return edition.document if edition is not None else SPEC_PATH


class SpecError(Exception):
    """openapi.yaml is missing, unreadable or not a valid OpenAPI document."""


def resolve(document: dict[str, Any], node: Any) -> dict[str, Any] | None:
    """``node`` with its ``$ref`` (and theirs) followed; None when it cannot be.

    The project's one resolver of local references (``#/components/...``, JSON Pointer escapes
    ``~0``/``~1`` and percent-encoding included, list indices too). None, never an exception, when
    the target is missing or not a mapping, the reference points outside the document
    (``other.yaml#/...``, a URL) or the references loop: callers also read documents that someone
    else wrote (a gateway's published description, contracts/published/), where a broken
    reference is a finding to report, not a crash.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        reference = node["$ref"]
        if not isinstance(reference, str) or not reference.startswith("#") or reference in seen:
            return None
        seen.add(reference)
        node = _pointer(document, reference[1:])
    return node if isinstance(node, dict) else None


def _pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON Pointer (RFC 6901) taken from a URI fragment; None when there is none."""
    if not pointer:
        return document
    if not pointer.startswith("/"):
        return None
    target = document
    for raw in pointer[1:].split("/"):
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict):
            target = target.get(part)
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return None
    return target


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    definition: dict[str, Any]
    pattern: re.Pattern[str]


def _pattern(template: str) -> re.Pattern[str]:
    """``/projects/{projectName}/`` -> one named group per path parameter; the trailing slash optional
    (get-environments-by-project.md writes its path without one)."""
    parts = re.split(r"\{([^}]+)\}", template.rstrip("/"))
    pattern = "".join(f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts))
    return re.compile(pattern + "/?")


@dataclass(frozen=True)
class Route:
    operation_id: str
    parameters: dict[str, str]  # percent-decoded


class Contract:
    def __init__(self, document: dict[str, Any], path: Path) -> None:
        self.document = document
        self.path = path
        self.operations: dict[str, Operation] = {}
        for route, item in document.get("paths", {}).items():
            for method, definition in item.items():
                if isinstance(definition, dict) and "operationId" in definition:
                    operation = Operation(definition["operationId"], method.upper(), route, definition,
                                          _pattern(route))
                    self.operations[operation.operation_id] = operation

    @property
    def name(self) -> str:
        """The document by its path in the repository (``contracts/editions/2026-08.openapi.yaml``): each edition has
        its own, and a bare "openapi.yaml" would name the base edition's. One outside the repository as given."""
        try:
            return self.path.resolve().relative_to(SPEC_PATH.parent).as_posix()
        except ValueError:
            return str(self.path)

    # -- the path parser ----------------------------------------------------------------------------
    def route(self, method: str, path: str, api_path: str = "") -> Route | None:
        """The operation ``method path`` calls; ``path`` relative to the API root, or absolute with
        ``api_path`` (e.g. ``/apiops``) to strip, or a whole URL. None when openapi.yaml has no such route."""
        path = urlsplit(path).path if "://" in path else path.split("?")[0]
        if api_path and path.startswith(api_path + "/"):
            path = path[len(api_path):]
        for operation in self.operations.values():
            found = operation.pattern.fullmatch(path)
            if found and operation.method == method.upper():
                return Route(operation.operation_id,
                             {name: unquote(value) for name, value in found.groupdict().items()})
        return None

    def resource(self, path: str, api_path: str = "") -> tuple[str, Route] | None:
        """The path template ``path`` falls under, whatever the method, and its decoded parameters."""
        path = urlsplit(path).path if "://" in path else path.split("?")[0]
        if api_path and path.startswith(api_path + "/"):
            path = path[len(api_path):]
        for operation in self.operations.values():
            found = operation.pattern.fullmatch(path)
            if found:
                parameters = {name: unquote(value) for name, value in found.groupdict().items()}
                return operation.path, Route(operation.operation_id, parameters)
        return None

    def methods(self, template: str) -> set[str]:
        """The methods openapi.yaml declares for a path template."""
        return {operation.method for operation in self.operations.values() if operation.path == template}

    def parameter_problems(self, operation_id: str, parameters: dict[str, str]) -> list[str]:
        """How decoded path parameters break their schemas (pattern, minLength ...)."""
        definition = self.operations[operation_id].definition
        problems = []
        for node in definition.get("parameters", []):
            parameter = resolve(self.document, node) or {}
            name = parameter.get("name")
            if parameter.get("in") != "path" or name not in parameters:
                continue
            schema = self.inline(parameter.get("schema") or {})
            for error in OAS30Validator(schema).iter_errors(parameters[name]):
                problems.append(f"{name} {parameters[name]!r}: {error.message}")
        return problems

    # -- schemas --------------------------------------------------------------------------------------
    def inline(self, node: Any) -> Any:
        """``node`` with every ``$ref`` replaced by its target (this spec has no recursion)."""
        if isinstance(node, dict):
            return {key: self.inline(value) for key, value in (resolve(self.document, node) or {}).items()}
        if isinstance(node, list):
            return [self.inline(item) for item in node]
        return node

    def documented_statuses(self, operation_id: str) -> set[int]:
        return {int(code) for code in self.operations[operation_id].definition["responses"] if code.isdigit()}

    def response(self, operation_id: str, status: int) -> dict[str, Any]:
        responses = self.operations[operation_id].definition["responses"]
        return resolve(self.document, responses.get(str(status)) or responses.get("default")) or {}

    def response_schema(self, operation_id: str, status: int) -> dict[str, Any] | None:
        media = self.response(operation_id, status).get("content", {}).get("application/json", {})
        return resolve(self.document, media.get("schema"))

    def error_codes(self, operation_id: str, status: int, field: str | None = "error") -> list[str]:
        """The values of the error-code ``field`` the contract allows for ``status`` (error-handling.md); [] if it
        lists none, or the edition has no code field (``field`` None)."""
        if field is None:
            return []
        schema = self.response_schema(operation_id, status) or {}
        error = resolve(self.document, (schema.get("properties") or {}).get(field)) or {}
        return list(error.get("enum", []))

    def violations(self, operation_id: str, response: requests.Response) -> list[str]:
        """Every way ``response`` breaks the contract of ``operation_id``; empty when it conforms."""
        status = response.status_code
        if status not in self.documented_statuses(operation_id):
            documented = ", ".join(str(code) for code in sorted(self.documented_statuses(operation_id)))
            return [f"status {status} is not documented ({self.name} documents {documented})"]
        problems = []
        content_type = response.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            problems.append(f"Content-Type is {content_type!r}, not application/json")
        try:
            body = response.json()
        except ValueError:
            return [*problems, "the body is not JSON"]
        schema = self.response_schema(operation_id, status)
        if schema is not None:
            validator = OAS30Validator(self.inline(schema))
            error: ValidationError
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(part) for part in error.absolute_path) or "(body)"
                problems.append(f"{where}: {error.message}")
        return problems


def load(source: Path | Edition | None = None) -> Contract:
    """Read and validate a contract document: a path, an edition's document (``spec_path(edition)``), or by
    default ``spec_path()``; any problem is one :class:`SpecError`."""
    if source is None or isinstance(source, Edition):
        return _load(spec_path(source))
    return _load(source)


@functools.lru_cache(maxsize=4)
def _load(path: Path) -> Contract:
    try:
        document = yamltext.load(path.read_text(encoding="utf-8"))
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
