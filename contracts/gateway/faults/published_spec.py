"""What the gateway says it does: a published description that contradicts its answers (caught as
published-spec)."""

from __future__ import annotations

from typing import Any

from contracts import rules
from contracts.gateway.faults.registry import DELETE, Family, Fault, Headers, RequestInfo, Wire, edition_of

FAMILY = Family()


def _declares_the_message_a_number(info: RequestInfo, status: int, headers: Headers, body: Any) -> Wire:
    """In the published description, the missing credential's answer carries its message as an integer."""
    edition = edition_of(info)
    if status == 200 and isinstance(body, dict):
        for item in body.get("paths", {}).values():
            delete = item.get("delete") if isinstance(item, dict) else None
            if isinstance(delete, dict) and delete.get("operationId") == DELETE:
                answer = delete.get("responses", {}).get(str(edition.answer(rules.MISSING_CREDENTIAL).status), {})
                for media in (answer.get("content") or {}).values():
                    schema = media.get("schema") or {}
                    schema.setdefault("properties", {})[edition.envelope.message] = {"type": "integer"}
                    media.pop("example", None)
    return status, headers, body


FAMILY.add(Fault("published-spec-says-otherwise",
                 "publishes a description whose missing-credential answer carries its message as an integer, while "
                 "it still sends a string: the gateway's own spec contradicts what it does", (), "published-spec",
                 transform=_declares_the_message_a_number, operation="getPublishedSpec"))
