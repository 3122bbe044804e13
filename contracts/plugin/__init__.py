"""The pytest plugin (entry point ``apiops``): options, the session's target, fixtures, rules, hygiene.

A session opens its target only when a collected test asks for one, so the project's own tests
(``tests/``) never start a gateway or run a preflight. Per test, the plugin keeps a
:class:`~contracts.judge.Ledger` of the rules the judge saw, attributes a failure to its rule (the
failure message begins with the rule's id, statement and public address), turns a failure of a
waived rule into a known deviation, and hands the record to the conformance report. At the end it
cleans up what the run created, lists what it could not, and writes the reports.

pytest registers this package's module as the plugin and finds its hooks and fixtures among its
attributes, so every one is imported here from the module that keeps it: one plugin, named ``apiops``
(``-p no:apiops`` turns all of it off), whatever the modules behind it.

- :mod:`~contracts.plugin.run`: the session's Run, kept in the config's stash;
- :mod:`~contracts.plugin.options`: the options, and the space form of a path option;
- :mod:`~contracts.plugin.session`: configure, the run id and budget, the header, unconfigure;
- :mod:`~contracts.plugin.opening`: opening the target, the token watch, the published description;
- :mod:`~contracts.plugin.collection`: declared rules, ``--rules``;
- :mod:`~contracts.plugin.outcomes`: per test, the rule of a failure and the test's record; scrubbing;
- :mod:`~contracts.plugin.failures`: a failed test's line names the rules it broke; a failure in a screen;
- :mod:`~contracts.plugin.output`: every byte printed redacted (stdout, stderr, log records);
- :mod:`~contracts.plugin.summary`: the session's clean-up, drift, reports and terminal summary;
- :mod:`~contracts.plugin.fixtures`: the fixtures (the ``credential`` fixture's class is contracts/credentials.py).
"""

from contracts.plugin.collection import pytest_collection_finish, pytest_collection_modifyitems
from contracts.plugin.fixtures import (
    api_proxy,
    client,
    contract,
    credential,
    edition,
    judge,
    namespace,
    other_project,
    project,
    property_seed,
    recorded_exchanges,
    target,
)
from contracts.plugin.options import pytest_addoption, pytest_cmdline_main
from contracts.plugin.outcomes import (
    pytest_exception_interact,
    pytest_report_teststatus,
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_protocol,
)
from contracts.plugin.session import (
    pytest_configure,
    pytest_configure_node,
    pytest_report_header,
    pytest_unconfigure,
)
from contracts.plugin.summary import pytest_sessionfinish, pytest_terminal_summary

__all__ = [
    # hooks
    "pytest_addoption", "pytest_cmdline_main",
    "pytest_configure", "pytest_configure_node", "pytest_report_header", "pytest_unconfigure",
    "pytest_collection_modifyitems", "pytest_collection_finish",
    "pytest_runtest_protocol", "pytest_runtest_call", "pytest_runtest_makereport", "pytest_exception_interact",
    "pytest_report_teststatus",
    "pytest_sessionfinish", "pytest_terminal_summary",
    # fixtures
    "target", "client", "contract", "edition", "judge", "recorded_exchanges", "property_seed", "namespace",
    "project", "api_proxy", "other_project", "credential",
]
