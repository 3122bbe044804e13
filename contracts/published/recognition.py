"""Which edition a published description speaks (by the envelope its DELETE declares), and where it puts our calls.

A springdoc description writes no ``required``: an edition is recognised by the properties its bodies list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts import editions, settings, spec
from contracts.editions import Edition
from contracts.published.aspects import compare
from contracts.published.document import check
from contracts.published.model import Comparison, PublishedSpecError
from contracts.published.operations import API_PREFIX, OPERATION_ID, operation_by_id
from contracts.published.reading import JSON_MEDIA, is_error, media_type
from contracts.spec import resolve


def editions_described(document: Mapping[str, Any], operation_id: str = OPERATION_ID) -> list[Edition]:
    """The editions whose envelope the description's DELETE declares: the properties of its 200 body carry an
    edition's success marker and the properties of an error body its message field (a springdoc description
    writes no ``required``, so properties, not required lists, are what it says)."""
    doc = dict(document)
    found = operation_by_id(doc, operation_id)
    if found is None:
        return []
    responses = found[3].get("responses") or {}
    success = _properties(doc, responses.get("200"))
    errors = [_properties(doc, response) for status, response in responses.items() if is_error(str(status))]
    matched = []
    for edition in editions.all_editions():
        if not set(edition.success_marker(operation_id)) <= set(success):
            continue
        fields = {*edition.envelope.failure, edition.envelope.message} | (
            {edition.envelope.code} if edition.envelope.code else set())
        if errors and not any(fields <= set(properties) for properties in errors):
            continue
        matched.append(edition)
    return matched


def _properties(document: dict[str, Any], response: Any) -> dict[str, Any]:
    response = resolve(document, response) or {}
    content = response.get("content") or {}
    media = next((value for key, value in content.items() if media_type(key) in (JSON_MEDIA, "*/*")), None)
    schema = resolve(document, (media or {}).get("schema")) or {}
    return dict(schema.get("properties") or {})


def recognise(document: Mapping[str, Any], operation_id: str = OPERATION_ID) -> Edition | None:
    """The one edition whose envelope the description's DELETE declares (:func:`editions_described`), or None when
    it declares none, or several alike."""
    described = editions_described(document, operation_id)
    return described[0] if len(described) == 1 else None


def compare_recognised(theirs: Mapping[str, Any], operation_id: str = OPERATION_ID) -> tuple[Edition, Comparison]:
    """The edition THEIR description speaks, and the comparison of its DELETE with that edition's contract:
    ``compare(spec.load(edition).document, theirs)``. One :class:`PublishedSpecError` when it speaks none."""
    document = check(theirs)
    edition = recognise(document, operation_id)
    if edition is None:
        described = editions_described(document, operation_id)
        alike = f"fits {' and '.join(e.id for e in described)} alike" if described else "speaks no edition's envelope"
        raise PublishedSpecError(f"the published description: its DELETE {alike} "
                                 f"({', '.join(editions.ids())} are known)")
    contract = spec.load(settings.contract_document(edition))
    return edition, compare(contract.document, document, operation_id, document=contract.name)


def supporting_paths(document: Mapping[str, Any], operation_ids: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Our operation id -> its path as the description declares it under any of its ids, relative to the API root
    (``/apiops`` dropped)."""
    found = {}
    prefix = f"/{API_PREFIX}"
    for ours, theirs in operation_ids.items():
        for operation_id in theirs:
            located = operation_by_id(dict(document), operation_id)
            if located is not None:
                path = located[0]
                found[ours] = path[len(prefix):] if path.startswith(prefix + "/") else path
                break
    return found
