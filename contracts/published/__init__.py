"""The gateway's published description of the Management API, compared with our contract, for one operation.

A running Apinizer Manager publishes its own OpenAPI description of the Management API at
``{manager}/apiops/openapi.yaml`` (also ``.json``;
https://apinizer.github.io/management-api-docs/03-appendix/openapi-spec/). When it declares against
what our contract promises for ``DELETE /projects/{projectName}/credentials/{username}/`` (a type, an
enum value, JSON, the operation, a path parameter), an upgrade is about to break clients, and the
gateway says so itself before any request is sent. :func:`compare` finds the operation in THEIR
document and classifies every difference with OUR contract (openapi.yaml, or another edition's
contract document: :func:`recognise` tells which edition a description speaks, and
:func:`compare_recognised` compares it with that edition's), like the drift module does for
recordings (contracts/drift/compare.py).

Pure: two OpenAPI documents (dicts) in, a :class:`Comparison` out. No HTTP, no files, no pytest.
Local ``$ref``s are followed with the project's one resolver, :func:`contracts.spec.resolve`;
one that does not resolve is a difference, never a crash.

This module is the package's public API. The modules:

- ``classifications``: the severities (what breaking, additive, compatible and silent mean) and the one
  table of classifications, :data:`CLASSIFICATIONS`;
- ``model``: a :class:`Difference`, a :class:`Comparison` and how it reads, :class:`PublishedSpecError`;
- ``document``: a description's text parsed (:func:`parse`) and checked (:func:`check`);
- ``recognition``: which edition a description speaks, and the paths of the operations the suite needs;
- ``aspects``: :func:`compare`, which finds the operation and compares it aspect by aspect, each in its module:
  ``operations`` (finding it, its path), ``parameters`` (and the request body), ``security``, ``responses``
  (statuses, media types), ``schemas`` (types, fields, items) and ``enums``;
- ``context`` and ``reading``: what those comparers share.
"""

from __future__ import annotations

from contracts.published.aspects import compare
from contracts.published.classifications import (
    ADDITIVE,
    BREAKING,
    CLASSIFICATIONS,
    COMPATIBLE,
    SEVERITIES,
    SILENT,
    Classification,
)
from contracts.published.document import check, parse
from contracts.published.model import Comparison, Difference, PublishedSpecError
from contracts.published.operations import API_PREFIX, METHODS, OPERATION_ID
from contracts.published.parameters import IGNORED_HEADERS, PROBE_NAMES
from contracts.published.reading import JSON_MEDIA
from contracts.published.recognition import compare_recognised, editions_described, recognise, supporting_paths
from contracts.published.schemas import MAX_DEPTH

__all__ = [
    "ADDITIVE",
    "API_PREFIX",
    "BREAKING",
    "CLASSIFICATIONS",
    "COMPATIBLE",
    "IGNORED_HEADERS",
    "JSON_MEDIA",
    "MAX_DEPTH",
    "METHODS",
    "OPERATION_ID",
    "PROBE_NAMES",
    "SEVERITIES",
    "SILENT",
    "Classification",
    "Comparison",
    "Difference",
    "PublishedSpecError",
    "check",
    "compare",
    "compare_recognised",
    "editions_described",
    "parse",
    "recognise",
    "supporting_paths",
]
