"""Another writer in the project (conditions.py's ``Conditions.writer``): a thread that goes through the model (its
lock), not HTTP, as a second pipeline or Apinizer 2026.09's Credential Synchronization (APNZ-6445) would."""

from __future__ import annotations

import threading

from contracts.gateway.conditions import Conditions
from contracts.gateway.model import ApiError, Gateway

WRITER_PREFIX = "team-x-"
WRITER_KEEPS = 2  # the writer's newest credentials it leaves in place; it deletes the older ones


class Writer:
    """Another writer: every ``writer_interval`` seconds it creates the next ``team-x-NNNNN`` in ``writer_project``
    and deletes its own older ones, as a second pipeline or Apinizer 2026.09's Credential Synchronization would.

    A name already taken is skipped; a credential of its own that someone else deleted is forgotten."""

    def __init__(self, gateway: Gateway, conditions: Conditions) -> None:
        self.gateway, self.conditions = gateway, conditions
        self.created = 0  # names used so far: the next is team-x-{created + 1:05d}
        self.mine: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway-writer", daemon=True)

    def start(self) -> None:
        if self._thread.ident is None:  # once: a server started twice has one writer
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.conditions.writer_interval):
            self.write()

    def write(self) -> None:
        """One change of the other writer: a create, then the deletes of its credentials older than the newest."""
        project = self.conditions.writer_project
        self.created += 1
        name = f"{WRITER_PREFIX}{self.created:05d}"
        try:
            self.gateway.add_credential(project, name, email=f"{name}@team-x.example.com", full_name="Team X",
                                        description="another writer's credential")
            self.mine.append(name)
        except ApiError:  # the project is gone, or the name is taken: the next change tries again
            return
        while len(self.mine) > WRITER_KEEPS:
            self.gateway.drop_credential(project, self.mine.pop(0))
