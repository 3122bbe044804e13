"""Everything written from the rulebook (contracts/rules.py), regenerated, never edited by hand.

    python -m contracts.pages [--recordings DIR] [--output docs/delete-credential.md] [--check]
    python -m contracts.pages --rules          # the rule ids, for a deviations file

writes

- ``docs/delete-credential.md``, the rules page (page.py): every rule of the endpoint by class, with
  its expected answer in each edition, its sources, the tests that verify it and one recorded DELETE
  of each edition, linked to
- ``docs/exchanges/<edition id>.md`` (exchanges.py): what the gateway answered every scenario test
  when the shipped recordings were made (curl commands and JSON);
- the DELETE operation's description and responses in ``openapi.yaml`` (between ``# rulebook:``
  markers), and the other editions' contract documents derived from it (openapi.py);
- the README's tables of rules, faults and options (between ``<!-- …:begin/end -->`` markers, readme.py).

``--check`` writes nothing and fails when any of them is stale (tests/test_docs.py runs it). The
output depends on nothing but its inputs (no date, no run id, the token never).
"""

from contracts.pages.cli import generate, main, outputs
from contracts.pages.common import OUTPUT, README, ROOT, SPEC, DocsError
from contracts.pages.exchanges import curl, pretty_json
from contracts.pages.openapi import edition_document, render_spec, spec_block
from contracts.pages.readme import faults_table, options_table, render_readme, rules_table
from contracts.pages.verified import ContractTest, contract_tests, tests_by_rule

__all__ = ["OUTPUT", "README", "ROOT", "SPEC", "ContractTest", "DocsError", "contract_tests", "curl",
           "edition_document", "faults_table", "generate", "main", "options_table", "outputs", "pretty_json",
           "render_readme", "render_spec", "rules_table", "spec_block", "tests_by_rule"]
