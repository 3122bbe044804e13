"""The shape of a JSON body (which fields, of which types), and what the contract says of a field.

Shapes, not values, are compared: values (messages, generated names) legitimately differ between
two recordings, while a field that appears, disappears or changes type is what breaks a client's
parser. The elements of an array are merged into one shape, so that a list's length or order does
not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from contracts.spec import Contract


def type_of(value: Any) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int in Python
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


@dataclass
class Shape:
    types: set[str]
    fields: dict[str, Shape] = field(default_factory=dict)  # of the object, when one of types
    items: Shape | None = None  # of all the array's elements merged; None for an empty array


def shape_of(value: Any) -> Shape:
    shape = Shape({type_of(value)})
    if isinstance(value, dict):
        shape.fields = {str(key): shape_of(item) for key, item in value.items()}
    elif isinstance(value, list):
        for element in value:
            shape.items = shape_of(element) if shape.items is None else merge(shape.items, shape_of(element))
    return shape


def merge(first: Shape, second: Shape) -> Shape:
    fields = dict(first.fields)
    for key, shape in second.fields.items():
        fields[key] = merge(fields[key], shape) if key in fields else shape
    return Shape(first.types | second.types, fields, _merge_items(first.items, second.items))


def _merge_items(first: Shape | None, second: Shape | None) -> Shape | None:
    if first is None or second is None:
        return first or second
    return merge(first, second)


@dataclass(frozen=True)
class Schema:
    """One node of a response schema of openapi.yaml, or an unknown one (``node`` None)."""

    document: dict[str, Any]
    node: dict[str, Any] | None

    @classmethod
    def of_response(cls, contract: Contract | None, operation_id: str | None, status: int) -> Schema:
        if contract is None or operation_id is None:
            return cls({}, None)
        return cls(contract.document, contract.response_schema(operation_id, status)).resolved()

    def resolved(self) -> Schema:
        return Schema(self.document, resolve(self.document, self.node))

    def field(self, name: str) -> Schema:
        properties = (self.node or {}).get("properties") or {}
        return Schema(self.document, properties.get(name)).resolved()

    def items(self) -> Schema:
        return Schema(self.document, (self.node or {}).get("items")).resolved()

    def requires(self, name: str) -> bool:
        return name in ((self.node or {}).get("required") or [])

    def documents(self, name: str) -> bool:
        return name in ((self.node or {}).get("properties") or {})

    @property
    def closed(self) -> bool:
        """No field beyond the documented ones is allowed (``additionalProperties: false``)."""
        return (self.node or {}).get("additionalProperties") is False

    def allows(self, json_type: str) -> bool | None:
        """Whether the contract allows a value of this type here; None when it does not say."""
        if self.node is None:
            return None
        declared = self.node.get("type")
        if declared is None:
            return None
        if json_type == "null":
            return bool(self.node.get("nullable")) or declared == "null"
        return json_type == declared or (declared == "number" and json_type == "integer")

    def describe(self) -> str:
        if self.node is None or "type" not in self.node:
            return "not typed in openapi.yaml"
        nullable = " or null" if self.node.get("nullable") else ""
        return f"openapi.yaml says {self.node['type']}{nullable}"


def resolve(document: dict[str, Any], node: Any) -> dict[str, Any] | None:
    """``node`` with its ``$ref`` (and theirs) followed; None when it cannot be.

    The project's one resolver of local references (``#/components/...``, JSON Pointer escapes
    ``~0``/``~1`` and percent-encoding included, list indices too). None, never an exception, when
    the target is missing or not a mapping, the reference points outside the document
    (``other.yaml#/...``, a URL) or the references loop: callers compare documents that someone else
    wrote (a gateway's published description, contracts.published), so a broken reference is a
    finding to report, not a crash.
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


def join(where: str, key: str) -> str:
    """The dotted path of a field (``deploymentResult.environmentResults[].success``)."""
    return f"{where}.{key}" if where else key
