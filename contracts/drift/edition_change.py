"""Which differences the documented edition change explains, when two recordings are of different editions.

An upgrade that moves the gateway from one edition of the docs to another changes every answer's wire format:
its status (an unknown project: 404 in 2025-12, 400 in 2026-08), its envelope, its deployment result. A client
has to follow that change whatever else happened, and an on-call reader wants it apart from what no edition
explains (a regression). The editions are data (contracts/editions/*.yaml): an exchange is *expected* when its
baseline answer is one of the baseline edition's expected answers (by status, code and message, or a success in
its envelope) and its current answer is the same expected answer in the current edition. Its differences of
status, envelope and body shape, and of message wording, are then the edition change's; a change of outcome
(what succeeded now fails), a missing environment, a test that took another course or a slowdown never are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from contracts.drift.report import Difference
from contracts.editions import SUCCESS, Edition
from contracts.recording import Interaction

# What the edition change may explain in an exchange whose answer is the same expected answer on both sides.
EXPLAINABLE = frozenset({"status", "error code", "error description", "field removed", "field added", "field type",
                         "environment count"})


def label(was: Edition, now: Edition) -> str:
    """How the report names the change: ``2025-12 → 2026-08``."""
    return f"{was.id} → {now.id}"


def answers(edition: Edition, interaction: Interaction, operation: str | None) -> set[str]:
    """Every expected answer of ``edition`` (by name) that ``interaction``'s answer is; empty when it is none.

    A set: an edition may give two answers the same status, code and message (2025-12's refused and missing
    token), while the other edition tells them apart.
    """
    status, body = interaction.status, interaction.response_body
    if not interaction.json_body:
        return set()
    if status == edition.answer(SUCCESS).status and edition.is_success(body, operation):
        return {SUCCESS}
    return {name for name in edition.answers if edition.answered(status, body, among=(name,)) == name}


def same_answer(was: Edition, now: Edition, before: Interaction, after: Interaction, operation: str | None) -> bool:
    """Whether the two answers are one expected answer, each in its own edition."""
    return bool(answers(was, before, operation) & answers(now, after, operation))


def mark(differences: Iterable[Difference], change: str) -> list[Difference]:
    """``differences`` of one exchange, those the edition change explains marked as expected by it."""
    return [dataclasses.replace(difference, expected=change) if difference.aspect in EXPLAINABLE else difference
            for difference in differences]
