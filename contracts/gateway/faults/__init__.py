"""Named, realistic deviations from the contract, for proving that the suite catches them.

``--fault NAME`` (``python -m contracts.gateway``, ``GatewayServer(faults=...)``) makes the
reference gateway break the rules its :class:`Fault` names (``breaks``: ids of contracts/rules.py),
or, for the faults aimed at the suite itself rather than a rule (a hostile gateway), behave so
that the run must stop or report (``caught_as``). A fault is one of:

- ``patch(gateway)``: replaces one step of the clean model on that instance (``authenticate``,
  ``find_credential``, ``remove_credential``, ``delete_credential``), as a bug in that step would;
- ``transform(info, status, headers, body)``: rewrites the wire response of one operation (the
  DELETE under contract unless ``operation`` says otherwise), as a bug in its controller or
  serializer would;
- ``delay``: seconds added before that operation answers a success (the answer that undeploys).

Faults about an expected answer read it from the rulebook, so they keep deviating from it when the
docs (and the rulebook) change it. What a fault keeps between requests is the model's
(``Gateway.fault_state``), never a module's.

The model and app know nothing of faults: ``apply_faults`` patches the gateway and returns the
response hook of each operation. In ``transform``, ``body`` is a JSON value, ``bytes`` (sent as
is), an async iterator of ``bytes`` (streamed: a slow or endless body) or ``None`` (no body);
header names are lower case.

- registry.py: the :class:`Fault` record, :class:`RequestInfo`, the :class:`Family` a module declares its
  faults in, and the readings of an answer the families share;
- the families: statuses.py (wrong statuses and error codes), bodies.py (wrong fields, types and content
  types), authentication.py (tokens let through), deletion.py (deleting nothing, or too much),
  after_deletion.py (grants, soft deletes, concurrent deletes, undeployment), echoes.py (the token in
  answers), hostile.py (redirects, a credential kept from the clean-up, bodies that drip or never end),
  usernames.py (server errors on unusual usernames), published_spec.py (a description that contradicts
  the answers), slowness.py (a slow delete);
- catalogue.py: ``FAULTS``, every family's faults in order, and ``apply_faults``.
"""

from __future__ import annotations

from contracts.gateway.faults.catalogue import FAULTS, UnknownFault, apply_faults, fault_lines, lookup, no_fault
from contracts.gateway.faults.registry import Fault, Headers, RequestInfo, ResponseHook

__all__ = ["FAULTS", "Fault", "Headers", "RequestInfo", "ResponseHook", "UnknownFault", "apply_faults", "fault_lines",
           "lookup", "no_fault"]
