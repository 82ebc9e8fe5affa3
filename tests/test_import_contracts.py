"""The import contracts `make lint` checks (pyproject.toml, [tool.importlinter]) hold, and break on an upward import."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.config import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LAYERS = (
    "Layers, top to bottom: tooling; the action server's plug-in; the entry points (gateway and inbox, actions);"
    " the knowledge rules; the core"
)
RASA = "Rasa's extensions run in the Rasa environment and import nothing of the project's own"
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


def test_every_package_of_the_project_is_in_a_layer_or_kept_apart():
    layered = {name.strip() for layer in contract(LAYERS)["layers"] for name in layer.split("|")}
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests"}
    assert packages == set(CONFIG["root_packages"])
    assert packages - layered == set(contract(RASA)["source_modules"])


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
        ("core/storage/database.py", "from assistant.gateway import create_app", LAYERS),
        ("core/config.py", "import knowledge.retriever", LAYERS),
        ("knowledge/retriever.py", "from assistant.gateway.chat_api import chat", LAYERS),
        ("knowledge/build.py", "from tooling.training import ensure_model", LAYERS),
        ("assistant/turns.py", "import actions.answer", LAYERS),
        ("actions/answer.py", "from assistant.inbox.queue import queue", LAYERS),
        ("rasa_addons/tracker_store.py", "from core.config import Settings", RASA),
        ("assistant/inbox/queue.py", "from assistant.gateway.chat_api import chat", CYCLES),
    ],
)
def test_an_upward_import_or_a_new_cycle_breaks_a_contract(project_copy, module, line, broken):
    # The unchanged copy keeps every contract (test_the_contracts_hold), so the added line is what breaks one.
    add_import(project_copy / module, line)
    done = lint_imports(project_copy)
    assert done.returncode == 1
    assert f"{broken} BROKEN" in verdicts(done.stdout), done.stdout[-3000:]
