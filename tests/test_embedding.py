"""The ONNX encoder gives the vectors sentence-transformers gives, and keeps its export current."""

from __future__ import annotations

import json

import numpy as np
import pytest

from knowledge import embedding, encoder_export

TEXTS = [
    "hi",
    "when can i drive after my angiogram",
    "Wat is an embolisation?? my mum is having one next week & she is scared",
    "What happens on the day of the gastrostomy, do I stay overnight?",
    # Longer than the model's 256 tokens: both must cut it at the same place.
    "the drain in my side is leaking a bit and " * 60,
    "café, naïve, São Paulo: accents and 😀 emoji",
]


@pytest.fixture(scope="module")
def sentence_transformer():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(encoder_export.model_path()), device="cpu")


def test_vectors_match_sentence_transformers_one_by_one_and_in_a_padded_batch(sentence_transformer):
    expected = sentence_transformer.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    batch = embedding.embed(TEXTS)
    single = np.vstack([embedding.embed([text]) for text in TEXTS])
    assert batch.dtype == np.float32 and batch.shape == (len(TEXTS), encoder_export.DIMENSIONS)
    np.testing.assert_allclose(batch, expected, atol=1e-4)
    np.testing.assert_allclose(single, expected, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_rows_come_back_in_the_order_of_the_texts_across_batches():
    texts = [f"question number {i} " + "word " * (i % 7) for i in range(embedding.BATCH_SIZE * 2 + 5)]
    together = embedding.embed(texts)
    np.testing.assert_allclose(together[40], embedding.embed([texts[40]])[0], atol=1e-5)
    np.testing.assert_allclose(together[-1], embedding.embed([texts[-1]])[0], atol=1e-5)
    assert embedding.embed([]).shape == (0, encoder_export.DIMENSIONS)


def test_an_outdated_or_partial_export_is_replaced(tmp_path):
    directory = tmp_path / "encoder"
    assert not encoder_export.is_current(directory)
    encoder_export.ensure_exported(directory)
    assert encoder_export.is_current(directory)

    stamp = json.loads((directory / encoder_export.STAMP_FILE).read_text())
    (directory / encoder_export.STAMP_FILE).write_text(json.dumps(stamp | {"exporter": stamp["exporter"] - 1}))
    assert not encoder_export.is_current(directory)
    encoder_export.ensure_exported(directory)
    assert encoder_export.is_current(directory)

    (directory / encoder_export.MODEL_FILE).unlink()
    assert not encoder_export.is_current(directory)
    encoder_export.ensure_exported(directory)
    vectors = embedding.Encoder(directory).encode(["what is an angiogram"])
    np.testing.assert_allclose(vectors, embedding.embed(["what is an angiogram"]), atol=1e-5)
