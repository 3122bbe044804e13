"""The suite fits a CI's pytest: an installed plugin (options in either form, see tests/test_path_options.py), beside
the common CI plugins, with a --help and a header that say what a newcomer needs to know."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

from contracts import settings
from tests.conftest import RunSuite

SUITE = "contracts/scenarios"


def test_the_plugin_is_an_installed_pytest11_entry_point() -> None:
    entry_points = importlib.metadata.entry_points(group="pytest11")
    assert any(point.name == "apiops" and point.value == "contracts.plugin" for point in entry_points)


def test_directory_options_work_in_the_space_form_with_directories_outside_the_checkout(
    run_suite: RunSuite, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pytest reads test paths before conftest.py could register an option: only an installed plugin's
    options are known by then."""
    outside = tmp_path_factory.mktemp("runner-temp")  # like $RUNNER_TEMP, or /tmp
    recorded = run_suite(SUITE, "--target", "local", "--record", "--recordings", str(outside / "rec"),
                         "-k", "does_not_exist")
    assert recorded.returncode == 0, recorded.output[-2000:]  # nothing selected: the options were understood
    baseline = outside / "baseline"
    assert run_suite(SUITE, "--target", "local", "--record", "--recordings", str(baseline)).returncode == 0
    run = run_suite(SUITE, "--target", "local", "--baseline", str(baseline), "--report-json",
                    str(outside / "report.json"))
    assert run.returncode == 0, run.output[-2000:]
    assert "no drift" in run.output and json.loads((outside / "report.json").read_text())["rules"]
    replay = run_suite(SUITE, "--recordings", str(baseline))
    assert replay.returncode == 0, replay.output[-2000:]


CI_PLUGINS = ("pytest-timeout", "pytest-rerunfailures", "pytest-randomly", "pytest-cov", "pytest-html")


@pytest.mark.parametrize("seed", ["1", "20261129"])
def test_the_default_job_passes_beside_the_common_ci_plugins_in_random_order(
    run_suite: RunSuite, tmp_path: Path, seed: str
) -> None:
    """pytest-timeout (whose --timeout the suite's timeout option no longer collides with), pytest-rerunfailures,
    pytest-randomly (a random order each seed), pytest-cov and pytest-html, all active at once."""
    assert all(importlib.metadata.version(name) for name in CI_PLUGINS)
    run = run_suite("-v", "-p", "randomly", f"--randomly-seed={seed}", "--timeout", "300", "--reruns", "0",
                    "--cov=contracts", "--cov-report=", f"--html={tmp_path / 'report.html'}")
    assert run.returncode == 0, run.output[-3000:]
    assert f"randomly-seed={seed}" in run.output.replace(" ", "")  # pytest-randomly's header: it was active
    assert (tmp_path / "report.html").is_file()


def test_help_names_the_token_variable_and_every_options_environment_variable(run_suite: RunSuite) -> None:
    run = run_suite("--help")
    text = " ".join(run.output.split())
    assert "APIOPS_TOKEN" in text and "Manager URL" in text and "/apiops" in text
    for option in settings.OPTIONS:
        assert f"--{option.flag}" in text
        if option.env:
            assert f"env {option.env}" in text, option.flag


@pytest.mark.parametrize("args, says", [
    ((), "apiops target: stub (from default): replays the shipped recordings, of the bundled reference gateway"),
    (("-o", "apiops_target=local"), "apiops target: local (from ini apiops_target): the bundled reference gateway"),
    (("--target", "local"), "apiops target: local (from command line)"),
], ids=["default", "ini", "command-line"])
def test_the_header_names_the_resolved_target_and_where_it_came_from(
    run_suite: RunSuite, args: tuple[str, ...], says: str
) -> None:
    run = run_suite(SUITE, *args, "--collect-only", "-v")  # -q -v: the header's verbosity
    assert says in run.output, run.output[:2000]


def test_the_header_says_whose_recordings_a_replay_replays(run_suite: RunSuite, tmp_path: Path) -> None:
    assert run_suite(SUITE, "--target", "local", "--record", "--recordings", str(tmp_path)).returncode == 0
    run = run_suite(SUITE, "--recordings", str(tmp_path), "--collect-only", "-v")
    assert f"replays the recordings in {tmp_path}, of the bundled reference gateway" in run.output
