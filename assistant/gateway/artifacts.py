"""One model and one knowledge index across servers (#25): what the gateway reports and, when scaled, checks.

The gateway's /readyz reports the index it sees on disk (knowledge/artifacts.py) and the Rasa model named in
var/.model-path (`make model` writes it). When the assistant is scaled it also asks every action server for
its index (GET /artifacts, actions/artifacts.py) and is not ready while one that answers reports another hash
than the expected one: ASSISTANT_EXPECTED_INDEX_HASH when set (pin a release), else the gateway's own.
It also asks every Rasa server which model it has loaded (GET /assistant/model, rasa_addons/model_report.py)
and is not ready while one that answers has another model file than ASSISTANT_EXPECTED_MODEL, or else than the
one in this gateway's var/.model-path, or else than the others (a gateway without a model of its own, in a container).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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


def _reported(url: str, headers: dict[str, str], read: Callable[[dict], object], nothing: str) -> str | None:
    """What a server reports at `url` (`read` picks it from the JSON; `nothing` when empty); None when it does not
    answer (the action_server and rasa checks say so)."""
    try:
        response = requests.get(url, timeout=2, headers=headers)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return f"no report (HTTP {response.status_code})"
    try:
        reported = read(response.json())
    except (ValueError, KeyError, TypeError):
        return "an unreadable report"
    return str(reported) if reported else nothing


def _reported_hash(url: str, headers: dict[str, str]) -> str | None:
    """The index hash an action server reports."""
    return _reported(f"{url}/artifacts", headers, lambda report: report["knowledge_index"]["hash"], "no index")


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


def _reported_model(url: str, headers: dict[str, str]) -> str | None:
    """The model file a Rasa server has loaded (rasa_addons/model_report.py)."""
    return _reported(f"{url}/assistant/model", headers, lambda report: report["model_file"], "no model loaded")


def same_model(settings: Settings, own_model: dict | None) -> str:
    """ "ok" when every Rasa server that answers has the expected model loaded (ASSISTANT_EXPECTED_MODEL, else the
    one in this gateway's var/.model-path; with neither, the one the first server reports), else what differs."""
    urls = settings.rasa_urls
    reported = [_reported_model(url, settings.internal_headers) for url in urls]
    expected = settings.expected_model or (own_model or {}).get("file") or next((r for r in reported if r), None)
    differing = [
        f"Rasa server {position} of {len(urls)} has {model}"
        for position, model in enumerate(reported, start=1)
        if model is not None and model != expected
    ]
    return "ok" if not differing else f"expected model {expected}; " + ", ".join(differing)
