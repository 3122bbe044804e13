"""The plugin's options, and the one mistake pytest makes with them before the plugin can speak.

The options themselves are declared once, in contracts/settings.py. pytest decides its rootdir and ini
file before it knows them, so a path option in the space form can change that decision: said here, in
one line, before anything runs.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import pytest

from contracts import settings as settings_module
from contracts.plugin.run import EXIT_USAGE


def pytest_addoption(parser: pytest.Parser) -> None:
    settings_module.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """A path option in the space form that changed pytest's rootdir or ini file: one line, exit 4.

    Before pytest runs anything (nothing is configured yet, so nothing else is printed).
    """
    problem = _space_form_problem(config)
    if problem is None:
        return None
    sys.stderr.write(f"apiops: {problem}\n")
    return int(EXIT_USAGE)


PATH_METAVARS = ("DIR", "FILE", "PATH")
PYTEST_SECTIONS = {"pytest.ini": "", ".pytest.ini": "", "pyproject.toml": "[tool.pytest", "tox.ini": "[pytest]",
                   "setup.cfg": "[tool:pytest]"}


def _space_form_problem(config: pytest.Config) -> str | None:
    """pytest decides its rootdir and ini file before it knows this plugin's options, so ``--recordings DIR``
    hands it DIR as a test path, and it decides from DIR too. When that decision differs from the one the
    ``=`` form gets (decided from the real test paths alone), the project's configuration would be lost
    (``testpaths``, ``addopts``…) or another one read: say so, with the ``=`` form to use instead."""
    if config.getoption("inifilename", default=None):  # -c FILE: nothing was decided from the arguments
        return None
    args = [*shlex.split(settings_module.variable("PYTEST_ADDOPTS") or ""), *config.invocation_params.args]
    invoked = config.invocation_params.dir
    paths = {f"--{option.flag}" for option in settings_module.OPTIONS if option.metavar in PATH_METAVARS}
    spaced = [(flag, value) for flag, value in zip(args, args[1:], strict=False)
              if flag in paths and not value.startswith("-") and (invoked / value).exists()]
    if not spaced:
        return None
    given = [invoked / str(arg) for arg in (config.getoption("file_or_dir", default=None) or [])]
    dirs = [path if path.is_dir() else path.parent for path in given if path.exists()]
    start = Path(os.path.commonpath([str(path.resolve()) for path in dirs])) if dirs else invoked
    inifile = next((path for directory in (start, *start.parents) for path in _pytest_config_files(directory)), None)
    if inifile == config.inipath and (inifile is None or inifile.parent == config.rootpath):
        return None
    flag, value = spaced[0]
    decided = f"{config.rootpath} and {config.inipath or 'no configuration file'}"
    return (f"{flag} {value}: in the space form pytest took the path for a test path, before it knew the option, "
            f"and decided its rootdir and configuration from it ({decided}, not {inifile or start}); write "
            f"{flag}={value}")


def _pytest_config_files(directory: Path) -> list[Path]:
    """The files of ``directory`` that pytest would read its configuration from, in pytest's order."""
    found = []
    for name, section in PYTEST_SECTIONS.items():
        path = directory / name
        if path.is_file() and (not section or section in path.read_text(encoding="utf-8", errors="replace")):
            found.append(path)
    return found
