"""The import contracts `make lint` checks (pyproject.toml, [tool.importlinter]) hold, and break on an upward import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from assistant.config import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CORE = "The core (settings, site facts, log privacy, storage, message catalogs, language) imports nothing of the project above it"
KNOWLEDGE = "The knowledge builder and retriever import neither the gateway, its channels and inbox, nor the actions"
CYCLES = "No two packages import each other (the gateway mounts the inbox, so the inbox must not import the gateway)"


def contract(name: str) -> dict:
    return next(c for c in CONFIG["contracts"] if c["name"] == name)


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The packages the contracts cover and pyproject.toml, copied to break one import at a time."""
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def add_import(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_every_module_of_the_assistant_package_is_either_core_or_forbidden_to_the_core():
    core = contract(CORE)
    children = {
        f"assistant.{p.stem}"
        for p in (ROOT / "assistant").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert children - set(core["source_modules"]) - set(core["forbidden_modules"]) == set()


def test_the_contracts_hold(project_copy):
    done = lint_imports(project_copy)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"Contracts: {len(CONFIG['contracts'])} kept, 0 broken." in done.stdout


def verdicts(output: str) -> str:
    """lint-imports' summary, with its line wrapping undone."""
    return " ".join(output.split())


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("assistant/storage/database.py", "from assistant.gateway import create_app", CORE),
        ("assistant/config.py", "import assistant.turns", CORE),
        ("knowledge/retriever.py", "from assistant.gateway.chat_api import chat", KNOWLEDGE),
        ("assistant/inbox/queue.py", "from assistant.gateway.chat_api import chat", CYCLES),
    ],
)
def test_an_upward_import_or_a_new_cycle_breaks_a_contract(project_copy, module, line, broken):
    assert f"{broken} KEPT" in verdicts(lint_imports(project_copy).stdout)
    add_import(project_copy / module, line)
    done = lint_imports(project_copy)
    assert done.returncode == 1
    assert f"{broken} BROKEN" in verdicts(done.stdout), done.stdout[-3000:]
