"""Reading a recording for comparison: every scenario test, with its run's names normalised away.

Two recordings of the same gateway differ in their run ids, which every name the suite invents
carries (``apiops-ct-<run id>-…``). Each test file says which prefix its names used (``namespace``);
replacing it by :data:`NAMESPACE_MARKER` everywhere makes the two sides comparable.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import recording, yamltext
from contracts.recording import Interaction, RecordingError

NAMESPACE_MARKER = "<namespace>"
# Only the hand-written scenarios: property tests draw random inputs, so their exchanges differ
# from one run to the next by design and would drown a comparison in noise.
COMPARED_DIRS = ("scenarios",)


@dataclass(frozen=True)
class Exchange:
    interaction: Interaction  # normalised
    timed: bool  # the response carries elapsed_ms (older recordings may not)


@dataclass(frozen=True)
class TestRecording:
    test: str  # the node id
    exchanges: list[Exchange]
    path: Path


@dataclass(frozen=True)
class LoadedRecording:
    root: Path
    meta: dict[str, Any]
    tests: dict[str, TestRecording]  # by node id


def load(root: Path) -> LoadedRecording:
    """Every scenario test of the recording at ``root``; any unusable file is a :class:`RecordingError`."""
    if not root.is_dir():
        raise RecordingError(f"no recordings at {root}: not a directory")
    meta = recording.read_meta(root)
    tests: dict[str, TestRecording] = {}
    for path in test_files(root):
        loaded = load_test(path)
        if loaded.test in tests:
            other = tests[loaded.test].path
            raise RecordingError(f"corrupt recording {path}: {loaded.test} is also recorded in {other}")
        tests[loaded.test] = loaded
    return LoadedRecording(root, meta, tests)


def test_files(root: Path) -> list[Path]:
    return sorted(path for name in COMPARED_DIRS for path in (root / name).rglob("*.yaml"))


def load_test(path: Path) -> TestRecording:
    raw = recording.load_file(path)  # validates the file; its errors name it
    timed = _timed(path)
    exchanges = [Exchange(normalise(interaction, raw.namespace), was_timed)
                 for interaction, was_timed in zip(raw.interactions, timed, strict=True)]
    return TestRecording(raw.test, in_a_stable_order(exchanges), path)


def in_a_stable_order(exchanges: list[Exchange]) -> list[Exchange]:
    """A run of the very same request sent again and again, as answered in a stable order (by status, then body).

    Identical requests may go out at once (two deletes of one credential), and which of them the gateway answers
    first is a race, not a change: compared in recorded order, the same gateway would drift from run to run.
    Ordered alike on both sides, they are compared as the set of answers they are. (A change only in which of them
    came first is then not drift; the run's own rules judge that order where it matters.)
    """
    ordered: list[Exchange] = []
    for _, same in itertools.groupby(exchanges, key=lambda exchange: _request(exchange.interaction)):
        ordered += sorted(same, key=lambda exchange: (exchange.interaction.status,
                                                      json.dumps(exchange.interaction.response_body, sort_keys=True,
                                                                 default=str)))
    return ordered


def _request(interaction: Interaction) -> str:
    return json.dumps([interaction.method, interaction.path, interaction.request_headers, interaction.request_body],
                      sort_keys=True, default=str)


def _timed(path: Path) -> list[bool]:
    # The reader turns a missing elapsed_ms into 0, which would read as "instant": look at the file.
    document = yamltext.load(path.read_text(encoding="utf-8"))
    return ["elapsed_ms" in (item.get("response") or {}) for item in document["interactions"] or []]


def normalise(interaction: Interaction, namespace: str) -> Interaction:
    """The interaction with ``namespace`` replaced by the marker in its path, headers and bodies."""
    if not namespace:  # replacing "" would put the marker between every two characters
        return interaction
    return dataclasses.replace(
        interaction,
        path=interaction.path.replace(namespace, NAMESPACE_MARKER),
        request_headers=scrub(interaction.request_headers, namespace),
        request_body=scrub(interaction.request_body, namespace),
        response_headers=scrub(interaction.response_headers, namespace),
        response_body=scrub(interaction.response_body, namespace),
    )


def scrub(value: Any, namespace: str) -> Any:
    """``value`` with ``namespace`` replaced in every string of it, keys included."""
    if isinstance(value, str):
        return value.replace(namespace, NAMESPACE_MARKER)
    if isinstance(value, dict):
        return {scrub(key, namespace): scrub(item, namespace) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, namespace) for item in value]
    return value
