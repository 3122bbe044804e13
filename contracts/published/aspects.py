"""The comparison of one operation: ours found in OUR contract and in THEIR description, then aspect by aspect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts.published import operations, parameters, responses, security
from contracts.published.classifications import SEVERITIES
from contracts.published.context import Context
from contracts.published.document import check
from contracts.published.model import Comparison, PublishedSpecError
from contracts.published.operations import OPERATION_ID, Located

# The aspects of an operation, compared in this order (the order its differences are listed in, within a severity).
OperationAspect = Callable[[Context, Located, Located], None]
OPERATION_ASPECTS: tuple[OperationAspect, ...] = (
    operations.path,
    parameters.parameters,
    parameters.request_body,
    security.security,
    responses.responses,
    operations.deprecated,
)


def compare(ours: Mapping[str, Any], theirs: Mapping[str, Any], operation_id: str = OPERATION_ID,
            document: str = "openapi.yaml") -> Comparison:
    """Compare the operation ``operation_id`` of OUR contract with the same operation in THEIR description.

    THEIR operation is found by method and path shape, not by name: literal segments equal,
    parameters in the same positions (``{project}`` matches ``{projectName}``), a leading
    ``/apiops`` and the trailing slash ignored for finding it (the slash is then compared). Raises
    :class:`PublishedSpecError` when either document is unusable or ours lacks the operation. ``document``: how
    the comparison names ours (its file, e.g. ``contracts/editions/2026-08.openapi.yaml``).
    """
    our_document = check(ours, "our contract")
    their_document = check(theirs)
    found = operations.operation_by_id(our_document, operation_id)
    if found is None:
        raise PublishedSpecError(f"our contract: no operation {operation_id}")
    path, method, item, operation = found
    context = Context(our_document, their_document)
    comparison = Comparison(operation_id, f"{method.upper()} {path}", None, document=document)
    our_operation = Located(path, item, operation)
    their_operation = operations.find(context, method, our_operation)
    if their_operation is not None:
        comparison.found_at = f"{method.upper()} {their_operation.path}"
        for aspect in OPERATION_ASPECTS:
            aspect(context, our_operation, their_operation)
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    comparison.differences = sorted(context.differences, key=lambda d: rank.get(d.severity, len(rank)))
    return comparison
