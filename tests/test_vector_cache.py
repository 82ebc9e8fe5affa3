"""A rebuild embeds only the texts an earlier build did not: same vectors, far less work."""

from __future__ import annotations

import numpy as np

from knowledge.vector_cache import VectorCache


class CountingEncoder:
    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32).reshape(len(texts), 3)


def test_a_second_build_embeds_only_the_changed_text_and_gets_the_same_vectors(tmp_path):
    path = tmp_path / "cache" / "index-fr.npz"
    encoder = CountingEncoder()
    first_build = VectorCache(path, "e5")
    first = first_build.wrap(encoder, "query")(["quand conduire", "comment se préparer"])
    first_build.save()
    encoder.seen.clear()
    again = VectorCache(path, "e5").wrap(encoder, "query")(["quand conduire", "comment se préparer", "puis-je manger"])
    assert encoder.seen == ["puis-je manger"]
    np.testing.assert_array_equal(again[:2], first)


def test_another_encoder_or_kind_never_reuses_a_vector(tmp_path):
    path = tmp_path / "index.npz"
    encoder = CountingEncoder()
    cache = VectorCache(path, "e5")
    cache.wrap(encoder, "query")(["douleur"])
    cache.save()
    encoder.seen.clear()
    VectorCache(path, "minilm").wrap(encoder, "query")(["douleur"])
    VectorCache(path, "e5").wrap(encoder, "passage")(["douleur"])
    assert encoder.seen == ["douleur", "douleur"]


def test_the_cache_keeps_only_what_the_last_build_used(tmp_path):
    path = tmp_path / "index.npz"
    encoder = CountingEncoder()
    cache = VectorCache(path, "e5")
    cache.wrap(encoder, "query")(["ancien texte", "texte gardé"])
    cache.save()
    cache = VectorCache(path, "e5")
    cache.wrap(encoder, "query")(["texte gardé"])
    cache.save()
    with np.load(path) as stored:
        assert len(stored["keys"]) == 1


def test_an_unreadable_cache_file_is_a_build_from_nothing(tmp_path):
    path = tmp_path / "index.npz"
    path.write_bytes(b"not a numpy file")
    encoder = CountingEncoder()
    VectorCache(path, "e5").wrap(encoder, "query")(["texte"])
    assert encoder.seen == ["texte"]
