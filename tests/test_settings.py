"""Settings are read once, in core/config.py only, and the README's configuration table matches them."""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from pathlib import Path

import pytest

from core.config import ROOT, Settings

SETTINGS_MODULE = ROOT / "core" / "config.py"
# Tooling may read the environment it runs in; the tests set it up.
MAY_READ_THE_ENVIRONMENT = ("scripts", "benchmarks", "tests")
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def project_modules() -> list[Path]:
    """The project's Python files; hidden folders (the environments), var/ and node_modules are not walked into."""
    found = []
    for folder, folders, files in os.walk(ROOT):
        folders[:] = [name for name in folders if not name.startswith(".") and name not in ("var", "node_modules")]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return sorted(found)


def environment_reads(source: str) -> list[int]:
    """Line numbers where `source` touches the process environment (os.environ, os.getenv, from os import ...)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        is_attribute = (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        )
        is_import = isinstance(node, ast.ImportFrom) and node.module == "os" and any(a.name in ENVIRONMENT_NAMES for a in node.names)
        if is_attribute or is_import:
            lines.append(node.lineno)
    return lines


def test_the_check_finds_every_way_of_reading_the_environment():
    source = "import os\nfrom os import getenv\na = os.environ['X']\nb = os.getenv('Y')\nc = os.environ.get('Z')\nd = os.path.join('a')\n"
    assert environment_reads(source) == [2, 3, 4, 5]


def test_no_module_outside_the_settings_module_reads_the_environment():
    readers = {}
    for path in project_modules():
        relative = path.relative_to(ROOT)
        if path == SETTINGS_MODULE or relative.parts[0] in MAY_READ_THE_ENVIRONMENT:
            continue
        lines = environment_reads(path.read_text(encoding="utf-8"))
        if lines:
            readers[str(relative)] = lines
    assert readers == {}, "read the value through core.config.Settings instead"


def variables_settings_read() -> set[str]:
    """Every variable name core/config.py passes to its reader (`_env("NAME", ...)`)."""
    tree = ast.parse(SETTINGS_MODULE.read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_env"
        and isinstance(node.args[0], ast.Constant)
    }


def variables_in_readme_table() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for line in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])}


def test_the_readme_lists_exactly_the_variables_the_settings_read():
    read, listed = variables_settings_read(), variables_in_readme_table()
    assert len(read) > 40  # the reader was found
    assert read - listed == set(), "add these to README.md's configuration table"
    assert listed - read == set(), "the README lists variables the settings do not read"


def test_the_settings_are_read_once_into_a_frozen_object(monkeypatch):
    monkeypatch.setenv("GATEWAY_WORKERS", "3")
    monkeypatch.setenv("ASSISTANT_SQLITE_SYNCHRONOUS", "full")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+447700900000")
    settings = Settings.from_env()
    monkeypatch.setenv("GATEWAY_WORKERS", "5")
    assert settings.gateway_workers == 3 and settings.sqlite.synchronous == "FULL"
    assert settings.twilio.whatsapp_from == "whatsapp:+447700900000"
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.gateway_workers = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    ("variable", "value"), [("ASSISTANT_RETENTION_DAYS", "0"), ("ASSISTANT_SQLITE_SYNCHRONOUS", "OFF"), ("ASSISTANT_MODE", "test")]
)
def test_a_bad_value_stops_the_start_with_its_name(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        Settings.from_env()


def test_each_app_has_its_own_rate_limiter(app):
    from assistant.gateway import security

    assert "rate_limiter" in app.extensions
    assert not hasattr(security, "limiter")
