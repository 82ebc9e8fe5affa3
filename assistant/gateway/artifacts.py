"""One model and one knowledge index across servers (#25): what the gateway reports and, when scaled, checks.

The gateway's /readyz reports the index it sees on disk (knowledge/artifacts.py) and the Rasa model named in
var/.model-path (`make model` writes it). When the assistant is scaled it also asks every action server for
its index (GET /artifacts, actions/artifacts.py) and is not ready while one that answers reports another hash
than the expected one: ASSISTANT_EXPECTED_INDEX_HASH when set (pin a release), else the gateway's own.
Rasa's model is reported, not compared: Rasa serves no model name without its whole HTTP API.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import requests

from core.config import Settings
from knowledge.artifacts import HASH_LENGTH, index_identity

MODEL_PATH_FILE = ".model-path"


@lru_cache(maxsize=4)
def _file_hash(path: Path, size: int, mtime_ns: int) -> str:
    # Keyed by size and time too: a model is hashed once per version, not once per probe.
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:HASH_LENGTH]


def model_identity(var_dir: Path) -> dict | None:
    """The trained model named in var/.model-path: its file name and hash (None: no model named or found)."""
    try:
        model = Path((var_dir / MODEL_PATH_FILE).read_text(encoding="utf-8").strip())
        status = model.stat()
    except OSError:
        return None
    return {"file": model.name, "sha256": _file_hash(model, status.st_size, status.st_mtime_ns)}


def own_report(settings: Settings) -> dict:
    return {
        "knowledge_index": index_identity(settings.knowledge_dir, settings.index_dir),
        "model": model_identity(settings.var_dir),
    }


def _reported_hash(url: str, headers: dict[str, str]) -> str | None:
    """The index hash an action server reports; None when it does not answer (the action_server check says so)."""
    try:
        response = requests.get(f"{url}/artifacts", timeout=2, headers=headers)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return f"no report (HTTP {response.status_code})"
    try:
        reported = response.json()["knowledge_index"]["hash"]
    except (ValueError, KeyError, TypeError):
        return "an unreadable report"
    return str(reported) if reported else "no index"


def same_index(settings: Settings, own_hash: str | None) -> str:
    """ "ok" when every action server that answers serves the expected index, else what differs."""
    expected = settings.expected_index_hash or own_hash
    if not expected:
        return "no index to compare with: none on this gateway's disk and ASSISTANT_EXPECTED_INDEX_HASH unset"
    urls = settings.action_server_urls
    differing = []
    for position, url in enumerate(urls, start=1):
        reported = _reported_hash(url, settings.internal_headers)
        if reported is not None and reported != expected:
            differing.append(f"action server {position} of {len(urls)} has {reported}")
    return "ok" if not differing else f"expected index {expected}; " + ", ".join(differing)
