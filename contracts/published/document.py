"""Reading a published description: its text parsed, and the document checked to be one that can be compared."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from contracts import yamltext
from contracts.published.model import PublishedSpecError
from contracts.published.reading import kind_of


def parse(text: str, source: str = "the published description") -> dict[str, Any]:
    """A published description's text, ``/apiops/openapi.json`` or ``.yaml``, as a checked document.

    JSON is read as JSON first: YAML reads most JSON too, but not JSON indented with tabs. YAML is read
    safely, with libyaml where PyYAML was built with it (a Manager's whole API is hundreds of paths). Raises
    :class:`PublishedSpecError`.
    """
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yamltext.load(text)  # libyaml's safe loader where built: a whole API is large
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise PublishedSpecError(f"{source}: neither JSON nor YAML ({first})") from None
    return check(document, source)


def check(document: Any, source: str = "the published description") -> dict[str, Any]:
    """``document`` if it is an OpenAPI 3.x document with ``paths``; else one :class:`PublishedSpecError`.

    Only what the comparison cannot do without is checked: a description with an error elsewhere
    (a gateway's generator is not always strict) is still compared, and its errors in the operation
    become differences.
    """
    if not isinstance(document, Mapping):
        raise PublishedSpecError(f"{source}: not an OpenAPI document (the top level is {kind_of(document)}, "
                                 "not a mapping)")
    version = document.get("openapi")
    if version is None and "swagger" in document:
        raise PublishedSpecError(f"{source}: Swagger {document['swagger']}, not OpenAPI 3.x")
    if not isinstance(version, str) or not re.match(r"3\.\d", version):
        raise PublishedSpecError(f"{source}: not OpenAPI 3.x (openapi: {version!r})")
    if not isinstance(document.get("paths"), Mapping):
        raise PublishedSpecError(f"{source}: OpenAPI {version} without paths")
    return dict(document)
