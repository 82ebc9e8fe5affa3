"""Set-up time from a fresh clone: `git clone`, then `make install`, `make knowledge`, `make model` timed apart.

The clone is of the committed state. Its environment has none of the variables
that point a running assistant at this working tree, so it sets itself up as a
new developer's checkout would; pip uses whatever cache and local wheel folder
this machine has, and the report says which.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from core.config import ROOT

STEPS = (("install", 1800), ("knowledge", 900), ("model", 1800))  # make target, time limit in seconds
# Variables that would point the clone at this working tree's files, ports or environments.
FOREIGN_PREFIXES = ("ASSISTANT_", "RASA_", "TRACKER_", "ACTION_", "GATEWAY_", "VIRTUAL_ENV", "PYTHONPATH")


@dataclass
class Step:
    command: str
    seconds: float
    returncode: int
    output_tail: str = ""


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def timed(command: list[str], cwd: Path, env: dict[str, str], limit: float, log: Path) -> Step:
    started = time.monotonic()
    with log.open("w") as output:
        try:
            code = subprocess.run(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, timeout=limit).returncode
        except subprocess.TimeoutExpired:
            code = -1
    tail = "" if code == 0 else log.read_text(errors="replace")[-1500:]
    return Step(" ".join(command), time.monotonic() - started, code, tail)


def pip_cache_mb() -> float:
    cache = Path.home() / ".cache" / "pip"
    return sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 1024 / 1024 if cache.exists() else 0.0


@dataclass
class Setup:
    commit: str
    steps: list[Step]
    pip_cache_mb: float
    pip_find_links: str  # a local wheel folder pip also installs from, if the machine has one


def time_setup() -> Setup:
    """Clone, then each make target in turn; stops at the first failing step."""
    folder = Path(tempfile.mkdtemp(prefix="bench-clone-"))
    try:
        clone, env = folder / "repo", clean_env()
        cache_mb = pip_cache_mb()
        steps = [timed(["git", "clone", "--quiet", str(ROOT), str(clone)], folder, env, 300, folder / "clone.log")]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip()
        for target, limit in STEPS:
            if steps[-1].returncode != 0:
                break
            steps.append(timed(["make", target], clone, env, limit, folder / f"{target}.log"))
            print(f"  make {target}: {steps[-1].seconds:.0f} s (exit {steps[-1].returncode})", flush=True)
        return Setup(commit or "unknown", steps, cache_mb, env.get("PIP_FIND_LINKS", ""))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
