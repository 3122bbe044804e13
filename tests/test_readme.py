"""The README shows what the rulebook, the faults and the options say (generated, never hand-edited)."""

from __future__ import annotations

from contracts import docs


def test_the_readme_tables_are_generated_from_the_rulebook_the_faults_and_the_options() -> None:
    text = docs.README.read_text(encoding="utf-8")
    assert text == docs.render_readme(text), "the README's tables are out of date: run python -m contracts.docs"
