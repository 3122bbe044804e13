"""Following a docs change is one command: ``python -m contracts.regenerate`` (contracts/regenerate.py).

Both tests work on a copy of the repository's files, never on the checkout itself: the first proves the shipped
recordings and generated files are exactly what the command makes (run on an unchanged tree, it changes nothing);
the second moves one expected answer of one edition, as a docs change would, and shows that the command alone
brings everything along: that edition's offline replay is green again, the other edition is untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SKIPPED = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}


def tracked_files() -> list[Path]:
    """The repository's own files: git's list where this is a clone, else the tree without caches."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [Path(name) for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]
    return [path.relative_to(ROOT) for path in ROOT.rglob("*")
            if path.is_file() and not SKIPPED & set(path.relative_to(ROOT).parts)]


def copy_of_the_repository(into: Path) -> Path:
    for name in tracked_files():
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, into / name)
    return into


def fingerprint(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in root.rglob("*")
            if path.is_file() and not SKIPPED & set(path.relative_to(root).parts)}


def run(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The copy's own contracts package, not the one this test process imported.
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "PYTEST_"))}, "PYTHONPATH": str(copy)}
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=900,
                          check=False)


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {name for name in {*before, *after} if before.get(name) != after.get(name)}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return copy_of_the_repository(tmp_path / "repo")


@pytest.mark.long
def test_regenerating_an_unchanged_tree_changes_no_file(copy: Path) -> None:
    """Reproducible: a fixed clock, fixed names, derandomized cases and one request at a time make the shipped
    recordings and every generated file exactly what the command writes."""
    before = fingerprint(copy)
    done = run(copy, "-m", "contracts.regenerate")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert changed(before, fingerprint(copy)) == set(), done.stdout[-3000:]


@pytest.mark.long
def test_one_moved_answer_of_one_edition_is_followed_by_the_one_command(copy: Path) -> None:
    """The docs of 2026-08 move the unknown project's answer (400 to 404, or back): after the edit and the command, the
    edition's document and recordings say the new status, the offline replay of that edition is green, and nothing of
    the other edition moved."""
    data = copy / "contracts" / "editions" / "2026-08.yaml"
    text = data.read_text(encoding="utf-8")
    found = re.search(r"\n  unknown-project:[^\n]*\n    status: (\d+)\n", text)
    assert found, "the 2026-08 data no longer has the unknown project's answer where this test looks"
    moved_to = "404" if found[1] != "404" else "400"  # whatever the docs say today, the answer moves
    data.write_text(text[:found.start(1)] + moved_to + text[found.end(1):], encoding="utf-8")
    before = fingerprint(copy)

    done = run(copy, "-m", "contracts.regenerate")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    moved = changed(before, fingerprint(copy))
    assert "contracts/editions/2026-08.openapi.yaml" in moved
    assert any(name.startswith("contracts/recordings/2026-08/") for name in moved), moved
    assert not any(name.startswith("contracts/recordings/2025-12/") for name in moved), moved
    recorded = (copy / "contracts/recordings/2026-08/scenarios/test_delete_credential/"
                "test_deleting_in_an_unknown_project_fails_naming_the_project.yaml").read_text(encoding="utf-8")
    assert f"status: {moved_to}" in recorded
    replay = run(copy, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--edition", "2026-08")
    assert replay.returncode == 0, replay.stdout[-3000:]
    check = run(copy, "-m", "contracts.pages", "--check")
    assert check.returncode == 0, check.stderr
