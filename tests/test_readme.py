"""The README shows what the self-tests prove."""

from __future__ import annotations

from tests.fault_table import README, render


def test_the_readme_fault_table_is_generated_from_the_self_tests() -> None:
    text = README.read_text(encoding="utf-8")
    assert text == render(text), "the README's fault table is out of date: run python -m tests.fault_table"
