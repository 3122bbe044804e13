"""The bundled reference gateway: the Management API's credential endpoints as the docs describe them.

- :mod:`.model`: the rules, no HTTP (``Gateway``, ``ApiError``), over :mod:`.state`'s records;
- :mod:`.app`: the routes and the dispatcher that puts the model on the wire;
- :mod:`.describe`: the OpenAPI description the gateway publishes of itself;
- :mod:`.faults`: named deviations from the contract (``FAULTS``);
- :mod:`.server`: ``create_app(gateway, faults)``, the Starlette app, and ``GatewayServer``, on a loopback
  port in a background thread;
- ``python -m contracts.gateway``: run it by hand.
"""

from __future__ import annotations

from contracts.gateway.faults import FAULTS, Fault, UnknownFault, apply_faults
from contracts.gateway.model import ApiError, Gateway
from contracts.gateway.server import GatewayServer, create_app

__all__ = ["FAULTS", "ApiError", "Fault", "Gateway", "GatewayServer", "UnknownFault", "apply_faults",
           "create_app"]
