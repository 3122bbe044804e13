"""``python -m contracts.settings``: every setting, its value (secrets masked) and where it came from, as a run
without options would settle it; an option given on pytest's command line wins over all of these."""

from __future__ import annotations

import tomllib
from pathlib import Path

from contracts.redaction import MASK
from contracts.settings import OPTIONS, VARIABLES, variable


def lines(config_ini: dict[str, str] | None = None) -> list[str]:
    """One line a setting: its value and its source (``config_ini``: pyproject's [tool.pytest.ini_options])."""
    ini = config_ini or {}
    said = []
    for option in OPTIONS:
        found = variable(option.env) if option.env else None
        value, source = (found, f"env {option.env}") if found else \
            (ini.get(option.dest), f"ini {option.dest}") if ini.get(option.dest) else (option.default, "default")
        said.append(f"--{option.flag:<20} {value if value is not None else '(unset)'}  ({source})")
    for declared in VARIABLES:
        value = variable(declared.name)
        shown = "(unset)" if value is None else MASK if declared.secret else value
        said.append(f"{declared.name:<22} {shown}  ({declared.help})")
    return said



def main() -> None:
    pyproject = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
    found = tomllib.loads(pyproject.read_text(encoding="utf-8")) if pyproject.is_file() else {}
    ini = found.get("tool", {}).get("pytest", {}).get("ini_options", {})
    print("\n".join(lines({key: str(value) for key, value in ini.items()})))


main()
