"""How long the reference gateway takes to answer, and what it was asked: a remote gateway's costs.

A real staging gateway is remote (``latency_ms`` per answer) and deploys or undeploys a credential
in every environment of the project whenever one is created, deleted, granted or revoked
(``deploy_ms``). The reference gateway answers in well under a millisecond, so a suite that is
fast against it can still take minutes against staging; :class:`Timing` makes it as slow as
staging, so that the suite's wall time there can be measured (benchmarks/live_staging.py).

- every answer takes ``latency_ms`` more, whatever it is (404, 308, 401 ... included);
- a *deploy-costing* request takes ``deploy_ms`` more: one of :data:`DEPLOYING_OPERATIONS` (the
  operations whose 200 answer carries a ``deploymentResult``) whose model call succeeded (200).
  A failed one (a missing credential, an unknown project, a refused token, a 500) costs nothing:
  a real gateway validates before it deploys, and fails before deploying. The decision is taken on
  the model's answer, before the faults' response hook: a fault that rewrites a successful
  answer (e.g. ``success-without-content``) has still deployed. The cost is flat per request, whatever the
  number of environments (the environments are deployed to in parallel).

Waiting is ``asyncio.sleep``: uvicorn serves every connection on one event loop, so concurrent
requests wait at the same time, as they would on a real gateway; ``time.sleep`` would serialise
them. The model (model.py) knows nothing of this: app.py's dispatcher calls :meth:`Timing.answer`
and :meth:`Timing.deployed` around the model call.

:class:`Stats` counts every request by operation name and the deploy-costing ones separately (those
that waited ``deploy_ms``, counted even when it is 0, so a run against a fast gateway still says
how many deployments it would have cost).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# create-credential.md, delete-credential.md, grant-access.md, revoke-access.md: the operations whose
# answer carries a deploymentResult. app.py's operation names.
DEPLOYING_OPERATIONS = frozenset({"createCredential", "deleteCredential", "grantAccess", "revokeAccess"})
# Requests answered before an operation is known; counted under these names, so that the counts
# by name add up to every request.
NO_ROUTE = "(no route)"  # 404 unknown path, 400 undecodable path
NO_METHOD = "(method not allowed)"  # 405


class Stats:
    """Request counters, written on the server's event loop and read from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # stats() is called from the test's or benchmark's thread
        self._requests: Counter[str] = Counter()
        self._deploying: Counter[str] = Counter()

    def request(self, operation: str) -> None:
        with self._lock:
            self._requests[operation] += 1

    def deploy(self, operation: str) -> None:
        with self._lock:
            self._deploying[operation] += 1

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._deploying.clear()

    def snapshot(self) -> dict[str, Any]:
        """Plain values, names sorted: ``requests``, ``by_operation``, ``deploying``, ``deploying_by_operation``."""
        with self._lock:
            requests, deploying = dict(sorted(self._requests.items())), dict(sorted(self._deploying.items()))
        return {"requests": sum(requests.values()), "by_operation": requests,
                "deploying": sum(deploying.values()), "deploying_by_operation": deploying}


def summary(stats: dict[str, Any]) -> str:
    """One line: ``12 requests (listCredentials 5, ...); 4 deploy-costing (createCredential 2, ...)``."""

    def counts(by_name: dict[str, int]) -> str:
        return ", ".join(f"{name} {count}" for name, count in by_name.items()) or "none"

    return (f"{stats['requests']} requests ({counts(stats['by_operation'])}); "
            f"{stats['deploying']} deploy-costing ({counts(stats['deploying_by_operation'])})")


@dataclass(frozen=True)
class Timing:
    """What a request costs besides the model's work; 0 and 0 is the reference gateway's own speed."""

    latency_ms: float = 0.0
    deploy_ms: float = 0.0
    stats: Stats = field(default_factory=Stats, compare=False)

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.deploy_ms < 0:
            raise ValueError("latency_ms and deploy_ms cannot be negative")

    async def answer(self) -> None:
        """Before any answer is sent: the network's share."""
        if self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)

    async def deployed(self, operation: str, status: int) -> None:
        """After the model call of ``operation`` answered ``status``: the deployment's share, if any."""
        if operation in DEPLOYING_OPERATIONS and status == 200:
            self.stats.deploy(operation)
            if self.deploy_ms:
                await asyncio.sleep(self.deploy_ms / 1000)
