"""The bundled reference gateway: the Management API's credential endpoints as the docs describe them.

- :mod:`.model`: the state and its rules, no HTTP (``Gateway``, ``ApiError``);
- :mod:`.app`: ``create_app(gateway, faults)``, the Starlette app;
- :mod:`.faults`: named deviations from the contract (``FAULTS``);
- :mod:`.server`: ``GatewayServer``, on a loopback port in a background thread;
- ``python -m contracts.gateway``: run it by hand.
"""

from __future__ import annotations

from contracts.gateway.app import create_app
from contracts.gateway.faults import FAULTS, Fault, UnknownFault, apply_faults
from contracts.gateway.model import ApiError, Gateway
from contracts.gateway.server import GatewayServer

__all__ = ["FAULTS", "ApiError", "Fault", "Gateway", "GatewayServer", "UnknownFault", "apply_faults",
           "create_app"]
