"""Path options in the space form (``--recordings DIR``, ``--baseline DIR``, ``--deviations FILE``) with a path
outside the checkout: they work like the ``=`` form, or the run stops in one line giving the ``=`` form; the
project's configuration (``[tool.pytest.ini_options]``) is never silently lost (README: Options).

pytest decides its rootdir and ini file before it knows the plugin's options, so in the space form it takes
the path for a test path, and decides from it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contracts import recording
from tests.conftest import ROOT, Run

SUITE = ROOT / "contracts" / "scenarios"
FEW = ("-k", "deleted_credential_is_gone or second_delete")  # two recorded scenarios: fast


def run_from(cwd: Path, *args: str) -> Run:
    """``python -m pytest <args>`` from ``cwd``, as a user would type it (no --rootdir, no -c)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("APIOPS_", "PYTEST_"))}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600,
                          check=False)
    return Run(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A recordings directory, a baseline and a deviations file outside the checkout, and a directory to run from."""
    where = tmp_path_factory.mktemp("runner-temp")  # like $RUNNER_TEMP, or /tmp
    shutil.copytree(recording.DEFAULT_DIR, where / "recordings")  # the default edition's shipped recordings
    (where / "deviations.yaml").write_text(json.dumps({"deviations": []}), encoding="utf-8")
    (where / "elsewhere").mkdir()
    return {"recordings": where / "recordings", "baseline": where / "recordings",
            "deviations": where / "deviations.yaml", "cwd": where / "elsewhere"}


def option_args(option: str, value: Path, *, space: bool) -> tuple[str, ...]:
    given = (f"--{option}", str(value)) if space else (f"--{option}={value}",)
    return (*given, "--target", "local") if option == "baseline" else given


OPTIONS = ["recordings", "baseline", "deviations"]


@pytest.mark.parametrize("option", OPTIONS)
def test_a_space_form_path_option_run_from_outside_the_checkout_works_like_the_equals_form(
    outside: dict[str, Path], option: str
) -> None:
    """The checkout's suite given as the test path, run from elsewhere: the project's configuration holds."""
    space = run_from(outside["cwd"], str(SUITE), *FEW, *option_args(option, outside[option], space=True))
    equals = run_from(outside["cwd"], str(SUITE), *FEW, *option_args(option, outside[option], space=False))
    assert equals.returncode == 0, equals.output[-2000:]
    assert space.returncode == 0, space.output[-2000:]
    assert "2 passed" in space.output and "2 passed" in equals.output, space.output[-2000:]
    assert f"configfile: {Path('pyproject.toml')}" in space.output or "pyproject.toml" in space.output


@pytest.mark.parametrize("option", OPTIONS)
def test_a_space_form_path_option_that_would_lose_the_projects_configuration_stops_in_one_line(
    outside: dict[str, Path], option: str
) -> None:
    """From the checkout with no test path, the path outside would become pytest's rootdir and drop
    [tool.pytest.ini_options] (testpaths among it): the run names the ``=`` form instead, exit 4."""
    value = outside[option]
    run = run_from(ROOT, *FEW, *option_args(option, value, space=True))
    assert run.returncode == 4, run.output[-3000:]
    assert "Traceback" not in run.output and "passed" not in run.output and "error" not in run.output.lower(), \
        run.output[-3000:]
    lines = [line for line in run.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("apiops: ") and f"--{option}={value}" in lines[0], run.output
