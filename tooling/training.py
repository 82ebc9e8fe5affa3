"""`python -m tooling.training`: train the Rasa model if its data changed; print its path.

Models are named by a hash of config.yml, domain.yml and data/, so an
unchanged assistant is never retrained and a changed one always is.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from core.config import ROOT, Settings, child_environment

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"


def training_inputs(root: Path = ROOT) -> list[Path]:
    return [root / "config.yml", root / "domain.yml", *sorted((root / "data").rglob("*.yml"))]


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def rasa_env() -> dict[str, str]:
    return child_environment(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", TQDM_DISABLE="1")


def ensure_model(models_dir: Path) -> Path:
    name = f"assistant-{fingerprint()}"
    model = models_dir / f"{name}.tar.gz"
    if model.exists():
        return model
    models_dir.mkdir(parents=True, exist_ok=True)
    print(f"training the Rasa model ({name}); this takes a few minutes", file=sys.stderr)
    subprocess.run(
        [
            str(RASA),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            str(models_dir),
            "--fixed-model-name",
            name,
        ],
        cwd=ROOT,
        env=rasa_env(),
        check=True,
        stdout=sys.stderr,
    )
    return model


def main() -> int:
    model = ensure_model(Settings.from_env().var_dir / "models")
    print(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
