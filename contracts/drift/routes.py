"""Which operation of openapi.yaml a recorded request called, and with which path parameters."""

from __future__ import annotations

import re
from urllib.parse import unquote

from contracts.recording import Interaction
from contracts.spec import Contract


class Routes:
    def __init__(self, contract: Contract | None) -> None:
        operations = contract.operations.values() if contract else []
        self._routes = [(operation.operation_id, operation.method, _pattern(operation.path))
                        for operation in operations]

    def operation(self, interaction: Interaction) -> str | None:
        """The operationId the request calls; None when openapi.yaml has no such route (or is unknown)."""
        match = self._match(interaction)
        return match[0] if match else None

    def parameters(self, interaction: Interaction) -> dict[str, str]:
        """The request's path parameters, percent-decoded (``projectName``, ``username`` ...)."""
        match = self._match(interaction)
        return {name: unquote(value) for name, value in match[1].groupdict().items()} if match else {}

    def _match(self, interaction: Interaction) -> tuple[str, re.Match[str]] | None:
        path = interaction.path.split("?")[0]
        for operation_id, method, pattern in self._routes:
            found = pattern.fullmatch(path)
            if found and method == interaction.method:
                return operation_id, found
        return None


def _pattern(template: str) -> re.Pattern[str]:
    """``/projects/{projectName}/`` -> a pattern with one named group per path parameter."""
    parts = re.split(r"\{([^}]+)\}", template.rstrip("/"))
    pattern = "".join(f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts))
    return re.compile(pattern + "/?")  # the environments page writes its path without the slash
