"""The French and Spanish side of retrieval: stemming after accent folding, the multilingual encoder, and an
index per language that knows which texts it lacks."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from knowledge import multilingual
from knowledge.keywords import tokenize
from knowledge.languages import index_dir, texts_dir, with_texts


@pytest.mark.parametrize(
    "language, forms",
    [
        ("fr", ["opération", "operation", "opérations", "Opérer"]),
        ("fr", ["préparation", "preparation", "préparer", "prépare"]),
        ("es", ["embolización", "embolizacion", "embolizaciones"]),
        ("es", ["operación", "operacion", "operaciones", "operar"]),
    ],
)
def test_a_words_forms_stem_alike_with_or_without_accents(language, forms):
    stems = {tuple(tokenize(form, language)) for form in forms}
    assert len(stems) == 1, stems


def test_stop_words_go_and_topic_words_stay():
    assert tokenize("quand est-ce que je peux conduire après", "fr") == tokenize("quand peux conduire après", "fr")
    assert "conduc" in tokenize("¿cuándo puedo conducir después?", "es")


def test_the_multilingual_encoder_gives_a_text_the_same_vector_alone_or_in_a_batch():
    texts = ["Quand puis-je conduire ?", "¿Cuándo puedo conducir después de la biopsia?", "Puis-je me doucher ?"]
    together = multilingual.embed(texts)
    alone = np.stack([multilingual.embed([text])[0] for text in texts])
    assert together.shape == (3, multilingual.DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_the_multilingual_encoder_puts_a_question_nearer_its_answer_in_either_language():
    question_fr, question_es = multilingual.embed(["Quand puis-je reprendre le volant ?", "¿Cuándo puedo volver a conducir?"])
    passages = multilingual.embed(
        [
            "Ne conduisez pas pendant 24 heures après une sédation.",
            "Les risques sont rares : saignement, infection.",
            "No conduzca durante 24 horas después de la sedación.",
            "Los riesgos son poco frecuentes: sangrado, infección.",
        ],
        passages=True,
    )
    assert int(np.argmax(passages[:2] @ question_fr)) == 0
    assert int(np.argmax(passages[2:] @ question_es)) == 0


def test_each_language_has_its_texts_folder_and_an_index_beside_the_english_one(tmp_path):
    root = tmp_path / "texts"
    (root / "fr").mkdir(parents=True)
    (root / "es").mkdir()
    (root / "fr" / "embolization.md").write_text("x")
    assert texts_dir(root, "en") == root and texts_dir(root, "fr") == root / "fr"
    assert index_dir(tmp_path / "index", "fr") == tmp_path / "index-fr"
    assert index_dir(tmp_path / "index", "en") == tmp_path / "index"
    assert with_texts(root) == ["en", "fr"]  # Spanish has a folder but no text yet


@functools.cache
def matcher_of(language: str):
    from core.config import ROOT
    from knowledge.build import chunks_of, with_reference_names
    from knowledge.documents import load_and_validate
    from knowledge.names import ProcedureMatcher

    texts = ROOT / "knowledge" / "texts"
    docs = load_and_validate(texts / language, complete=False)[0]
    extra, others = with_reference_names(docs, load_and_validate(texts)[0])
    return ProcedureMatcher.from_entries(chunks_of(docs, extra) + others)


@pytest.mark.parametrize(
    "language, message, procedure",
    [
        ("fr", "que se passe-t-il après l'embolisation utérine ?", "uterine_fibroid_embolization"),
        ("fr", "après l'embolisation des artères utérines", "uterine_fibroid_embolization"),
        ("fr", "embolisation pour hémorragie du post-partum", "embolization"),
        ("fr", "la pose du PICC line fait mal ?", "central_venous_access"),  # an English name in a French question
        ("es", "embolización de arterias uterinas", "uterine_fibroid_embolization"),
        ("es", "¿duele la TACE?", "chemoembolization_tace"),
    ],
)
def test_a_french_or_spanish_question_names_the_right_procedure(language, message, procedure):
    assert matcher_of(language).procedures(message) == [procedure]
