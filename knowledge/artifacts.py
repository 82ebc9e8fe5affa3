"""The knowledge index's identity, which every server of a scaled set-up reports and the gateways compare.

One short hash over each language's manifest (knowledge/build.py): the index format, the encoder, and the
hashes of the texts and of the topic examples it was built from. Two builds from the same texts with the same
encoder have the same hash, wherever and whenever they ran; anything that changes an answer changes it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from knowledge.build import read_manifest
from knowledge.languages import index_dir, with_texts

HASH_LENGTH = 16  # hex digits: far beyond collisions between a department's index versions
IDENTITY_FIELDS = ("format", "encoder", "content_hash", "topic_examples_hash")
REPORTED_FIELDS = (*IDENTITY_FIELDS, "documents", "chunks", "built_at")


def index_identity(knowledge_dir: Path, index_root: Path) -> dict:
    """{"hash": the index's hash (None when a language's index is missing), "languages": each one's manifest
    fields (None: not built)}, for every language with texts under `knowledge_dir`."""
    manifests = {code: read_manifest(index_dir(index_root, code)) for code in with_texts(knowledge_dir)}
    languages = {code: {key: m.get(key) for key in REPORTED_FIELDS} if m else None for code, m in manifests.items()}
    if not all(manifests.values()):
        return {"hash": None, "languages": languages}
    identity = {code: [m.get(key) for key in IDENTITY_FIELDS] for code, m in manifests.items() if m}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return {"hash": digest[:HASH_LENGTH], "languages": languages}
