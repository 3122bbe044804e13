"""Collection: every contract test declares known rules, ``--rules`` keeps the tests of the chosen classes,
and the target is opened once the collected tests are known to need it (never for the project's own tests).
"""

from __future__ import annotations

import pytest

from contracts import rules
from contracts import settings as settings_module
from contracts.plugin.opening import open_once
from contracts.plugin.run import run_of


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every contract test declares known rules; ``--rules`` keeps the tests of the chosen classes."""
    suite = [item for item in items if "target" in getattr(item, "fixturenames", ())]
    if not suite:
        return
    for item in suite:
        ids = [rule_id for marker in item.iter_markers("rule") for rule_id in marker.args]
        if not ids:
            raise pytest.UsageError(f"{item.nodeid} declares no rule: mark it @pytest.mark.rule(<rule id>)")
        unknown = [rule_id for rule_id in ids if rule_id not in rules.RULES]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} declares an unknown rule {unknown[0]!r} (contracts/rules.py)")
    try:
        chosen = settings_module.kinds(_raw_rules(config))
    except settings_module.SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if tuple(chosen) == rules.KINDS:
        return
    deselected = [item for item in suite if not any(rules.RULES[rule_id].kind in chosen for rule_id in declared(item))]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


def _raw_rules(config: pytest.Config) -> str:
    return settings_module.raw(config, "apiops_rules") or ",".join(rules.KINDS)


def declared(item: pytest.Item) -> list[str]:
    """The rule ids a test declares (its ``rule`` markers)."""
    return [rule_id for marker in item.iter_markers("rule") for rule_id in marker.args]


def pytest_collection_finish(session: pytest.Session) -> None:
    if config_uses_target(session) and not session.config.option.collectonly:
        try:
            open_once(session.config)
        except pytest.exit.Exception as stopped:
            if not hasattr(session.config, "workerinput"):
                raise
            # An xdist worker may not end its session here: its controller has already handed it tests, and would
            # crash (INTERNALERROR) on the ones it never ran. It stops after its first test instead, which the
            # target fixture skips, and its controller says the line and exits 4, as when a Manager goes down mid-run.
            run = run_of(session.config)
            run.exit_line = run.exit_line or str(stopped.msg)
            session.shouldstop = "the run stopped: its last line says why"


def config_uses_target(session: pytest.Session) -> bool:
    return any("target" in getattr(item, "fixturenames", ()) for item in session.items)
