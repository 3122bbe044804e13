"""What a contract document says of a field of a response body: whether it requires, documents, allows it.

The drift rules (contracts/drift/compare.py) read a response schema through it while they walk two
bodies' shapes (contracts/shapes.py) side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from contracts.spec import Contract, resolve

UNLOADED = "the contract (none could be loaded)"


def document_name(contract: Contract | None) -> str:
    """The contract document by its path in the repository (``contracts/editions/2026-08.openapi.yaml``).

    Each edition has its own document; a bare "openapi.yaml" would name the base edition's, whichever
    one the rules read. A document outside the repository (``APIOPS_SPEC``) is named as given.
    """
    return UNLOADED if contract is None else contract.name


@dataclass(frozen=True)
class Schema:
    """One node of a response schema of a contract document, or an unknown one (``node`` None)."""

    document: dict[str, Any]
    node: dict[str, Any] | None
    source: str  # the document's name, for reasons that quote it (document_name)

    @classmethod
    def of_response(cls, contract: Contract | None, operation_id: str | None, status: int) -> Schema:
        if contract is None or operation_id is None:
            return cls({}, None, document_name(contract))
        schema = contract.response_schema(operation_id, status)
        return cls(contract.document, schema, document_name(contract)).resolved()

    def resolved(self) -> Schema:
        return replace(self, node=resolve(self.document, self.node))

    def field(self, name: str) -> Schema:
        properties = (self.node or {}).get("properties") or {}
        return replace(self, node=properties.get(name)).resolved()

    def items(self) -> Schema:
        return replace(self, node=(self.node or {}).get("items")).resolved()

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

    def documented_type(self) -> str:
        if self.node is None or "type" not in self.node:
            return f"not typed in {self.source}"
        nullable = " or null" if self.node.get("nullable") else ""
        return f"{self.source} says {self.node['type']}{nullable}"
