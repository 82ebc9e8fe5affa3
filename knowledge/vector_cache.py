"""Vectors of texts embedded by earlier index builds, so a rebuild embeds only what changed.

A text's vector depends on the text alone (each encoder runs a text on its own, knowledge/embedding.py and
knowledge/multilingual.py), so a vector kept from an earlier build is the one a build from nothing computes.
The cache is one file per index (`<var>/cache/<index name>.npz`), rewritten with the vectors the build used:
it never grows past one index's worth. Keys name the encoder, so a new encoder starts afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

Embed = Callable[[list[str]], np.ndarray]


class VectorCache:
    def __init__(self, path: Path | None, encoder: str):
        self.path = path
        self.encoder = encoder
        self._known: dict[str, np.ndarray] = {}
        self._used: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            try:
                with np.load(path) as stored:
                    self._known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self._known = {}  # unreadable: rebuilt from nothing

    def key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.encoder}\0{kind}\0{text}".encode()).hexdigest()[:32]

    def wrap(self, embed: Embed, kind: str) -> Embed:
        """`embed`, computing only the texts this cache has no vector for."""

        def cached(texts: list[str]) -> np.ndarray:
            texts = list(texts)
            keys = [self.key(kind, text) for text in texts]
            missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in self._known}
            if missing:
                self._known.update(zip(missing, embed(list(missing.values())), strict=True))
            rows = [self._known[key] for key in keys]
            self._used.update(zip(keys, rows, strict=True))
            if not rows:
                return embed([])
            return np.ascontiguousarray(np.stack(rows), dtype=np.float32)

        return cached

    def save(self) -> None:
        """Keep the vectors this build used (written beside, then moved: a reader never sees half a file)."""
        if self.path is None or not self._used:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial.npz")
        np.savez(partial, keys=np.array(list(self._used)), vectors=np.stack(list(self._used.values())))
        partial.replace(self.path)
