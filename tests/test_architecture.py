"""The house's shape: layers that only import downwards (import-linter, pyproject's ``[tool.importlinter]``), no
module of contracts/ over 500 lines, and a layout table (docs/development.md) that names every package and module
of contracts/ and nothing that is not there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CONTRACTS = ROOT / "contracts"
LAYOUT = ROOT / "docs" / "development.md"
MAX_LINES = 500
LINT_IMPORTS = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; "
                "sys.exit(c())"]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the tree under test, not the installed one
    return subprocess.run(LINT_IMPORTS, cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_an_import_that_crosses_a_layer_breaks_the_contracts(tmp_path: Path) -> None:
    """The transport importing the pytest plugin (a layer far above it) is caught, naming both."""
    shutil.copytree(CONTRACTS, tmp_path / "contracts", ignore=shutil.ignore_patterns("__pycache__", "recordings"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    session = tmp_path / "contracts" / "http" / "session.py"
    session.write_text(session.read_text(encoding="utf-8") + "\nimport contracts.plugin  # noqa\n", encoding="utf-8")
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "BROKEN" in done.stdout and "contracts.http.session -> contracts.plugin" in done.stdout, done.stdout[-3000:]


def test_no_module_of_the_suite_is_over_500_lines() -> None:
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
             for path in CONTRACTS.rglob("*.py") if "__pycache__" not in path.parts}
    assert len(sizes) > 50, "the modules of contracts/ were not found"
    assert {module: lines for module, lines in sizes.items() if lines > MAX_LINES} == {}, "split these along their jobs"


def test_the_layout_table_names_every_package_and_module_and_nothing_else() -> None:
    table = LAYOUT.read_text(encoding="utf-8").split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = {path.rstrip("/") for path in re.findall(r"`(contracts/[^`]+)`", table)}
    entries = [entry for entry in CONTRACTS.iterdir() if entry.name not in ("__init__.py", "__pycache__")]
    present = {f"contracts/{entry.name}" for entry in entries if entry.is_dir() or entry.suffix in (".py", ".yaml")}
    assert sorted(present - named) == [], "in contracts/ but not in the layout table of docs/development.md"
    assert sorted(named - present) == [], "in the layout table of docs/development.md but not in contracts/"
