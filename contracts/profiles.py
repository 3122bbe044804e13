"""Hypothesis profiles of the property tests: how much effort a run spends generating cases.

- ``staging`` (the default of ``--target live``, whatever ``CI`` says): what a shared staging can
  afford: the same cases on every run, no shrinking (every shrinking step would be real deployments),
  and few examples of the properties that create credentials;
- ``dev`` (the default off CI, offline or against the reference gateway): seconds, not minutes;
- ``ci`` (the default when ``CI`` is set, offline or local): the same cases on every run
  (derandomized), no example database, a failure prints the blob that reproduces it;
- ``thorough``: nightly runs against staging, many examples.

Every run has a cap on the credentials it may create (:func:`create_cap`), stated in its header: a run
that would create more stops cleanly instead (contracts/client.py, ``CreateBudget``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings

from contracts import settings as settings_module

# Sending a request is the slow part of every example, so no profile has a per-example deadline:
# the response-time budget (--max-response-time) is the check for slowness. ci and thorough do not
# shrink: against a gateway every shrinking step is real requests (on staging, real deployments),
# and what fails is the gateway's answer, which the failing example already shows.
_NO_SHRINKING = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
PROFILES: dict[str, settings] = {
    "dev": settings(max_examples=10, deadline=None),
    "ci": settings(max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True,
                   suppress_health_check=[HealthCheck.too_slow], phases=_NO_SHRINKING),
    "staging": settings(max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True,
                        suppress_health_check=[HealthCheck.too_slow], phases=_NO_SHRINKING),
    "thorough": settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                         phases=_NO_SHRINKING),
}


# The properties that create real credentials (each one a deployment on create and on delete) run this
# many examples, each a batch of --concurrency names: what finds a mistake in how names travel, not a
# count that makes a staging run take a quarter of an hour.
DEPLOYING_EXAMPLES = {"staging": 2, "dev": 2, "ci": 5, "thorough": 50}
DEPLOYING_PROPERTIES = 2  # the property tests that create credentials (contracts/properties)
# What the scenarios create in all (contracts/scenarios; tests/test_profiles.py counts it in the recordings), plus
# the one credential the schema-driven property test creates.
SCENARIO_CREATES = 32
# A property that fails has hypothesis run its failing example once more, to report it.
FAILING_EXAMPLE_REPLAY = 1
# A shrinking profile (dev) against a gateway that keeps failing may replay its examples many times over.
SHRINKING_ALLOWANCE = 4


def current() -> str:
    """The name of the profile in force."""
    return str(settings.get_current_profile_name())


def deploying_settings() -> settings:
    """The profile in force, with the example count of the properties that create real credentials."""
    name = settings.get_current_profile_name()
    return settings(settings.default, max_examples=DEPLOYING_EXAMPLES.get(name, DEPLOYING_EXAMPLES["dev"]))


def default_profile(target: str | None = None) -> str:
    """``staging`` against a live Manager, whatever ``CI`` says; else ``ci`` when ``CI`` is set, else ``dev``."""
    if target == "live":
        return "staging"
    return "ci" if settings_module.variable("CI") is not None else "dev"


def create_cap(profile: str, concurrency: int) -> int:
    """How many credentials a run of ``profile`` may create at most: the scenarios', and each deploying property's
    examples (a batch of ``concurrency`` names each), plus the one replay hypothesis makes of a failing example to
    report it (without it, a gateway that fails a property stopped the default live run at its cap, exit 4, instead
    of failing the rule), with room for a shrinking profile's replays."""
    examples = DEPLOYING_EXAMPLES.get(profile, DEPLOYING_EXAMPLES["dev"]) + FAILING_EXAMPLE_REPLAY
    shrinking = 1 if Phase.shrink not in (PROFILES.get(profile) or PROFILES["dev"]).phases else SHRINKING_ALLOWANCE
    return SCENARIO_CREATES + DEPLOYING_PROPERTIES * examples * max(1, concurrency) * shrinking


def configure(config: pytest.Config) -> str:
    """Register the profiles and load the one in force; return its name.

    Runs in the plugin's ``pytest_configure`` (tryfirst), before hypothesis' own ``pytest_configure``
    loads ``--hypothesis-profile``, so that every name exists by then and a wrong one is one line.
    """
    for name, profile in PROFILES.items():
        settings.register_profile(name, profile)
    given = config.getoption("hypothesis_profile", default=None)
    if given is not None and given not in PROFILES:
        raise pytest.UsageError(f"--hypothesis-profile {given!r}: choose one of {', '.join(PROFILES)}")
    target = settings_module.raw(config, "apiops_target")
    name = given or default_profile(target)
    settings.load_profile(name)
    return name


def seed_of(value: object) -> int:
    """``--hypothesis-seed`` as the integer seed schemathesis needs (hypothesis takes any string)."""
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else int.from_bytes(text.encode()[:8].ljust(8, b"\0"), "big")
