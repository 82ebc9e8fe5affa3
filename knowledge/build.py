"""`python -m knowledge.build`: validate the texts and write the search index.

The index folder holds the dense vectors (FAISS), the keyword index (bm25s),
the chunks with their metadata, the vectors of the patient questions each
section answers (the texts' `questions:`) and of the dialogue's example
questions per topic, and a manifest with the model name and the
texts' content hash. It is rebuilt only when the texts changed, unless --force.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

INDEX_FORMAT = 7


def chunks_of(docs: list[Document]) -> list[dict]:
    chunks = []
    for doc in docs:
        for section in doc.sections:
            chunks.append(
                {
                    "doc": doc.id,
                    "procedure": doc.procedure,
                    "section": section.id,
                    "title": doc.title,
                    "section_title": section_label(section.id),
                    # Shown as "reviewed <date>" only for a signed text unchanged since; otherwise as a draft.
                    "status": "signed" if doc.signed else "draft",
                    "reviewed": doc.reviewed,
                    "names": doc.names,
                    "not_names": doc.not_names,
                    "text": section.text,
                    "questions": doc.questions.get(section.id, []),
                }
            )
    return chunks


def dense_text(chunk: dict) -> str:
    return f"{section_question(chunk['section'], chunk['title'])}\n{chunk['text']}"


def keyword_text(chunk: dict) -> str:
    return " ".join([section_question(chunk["section"], chunk["title"]), " ".join(chunk["names"]), chunk["text"]])


def read_manifest(index_dir: Path) -> dict | None:
    try:
        return json.loads((index_dir / "manifest.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_current(texts_dir: Path, index_dir: Path) -> bool:
    manifest = read_manifest(index_dir)
    return (
        bool(manifest)
        and manifest.get("format") == INDEX_FORMAT
        and manifest.get("content_hash") == content_hash(texts_dir)
        and manifest.get("topic_examples_hash") == topic_examples.source_hash()
        and manifest.get("encoder") == encoder_export.wanted_stamp()
    )


def build(texts_dir: Path, index_dir: Path) -> dict:
    """Write a fresh index atomically (build beside, then swap) and return its manifest."""
    import bm25s
    import faiss

    from knowledge import embedding
    from knowledge.keywords import tokenize

    started = time.perf_counter()
    texts_hash = content_hash(texts_dir)
    docs, problems = load_and_validate(texts_dir)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise ValueError("\n".join(map(str, errors)))
    chunks = chunks_of(docs)
    # A build has the machine to itself: each text's run may use every core.
    embed = embedding.Encoder(encoder_export.ensure_exported(), threads=os.cpu_count() or 1).encode
    vectors = embed([dense_text(c) for c in chunks])
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    asked = [(position, question) for position, chunk in enumerate(chunks) for question in chunk["questions"]]
    asked_vectors = embed([q for _, q in asked]) if asked else np.zeros((0, vectors.shape[1]))
    examples = topic_examples.load()
    example_vectors = embed([text for _, text in examples]) if examples else np.zeros((0, vectors.shape[1]))
    keyword = bm25s.BM25()
    keyword.index([tokenize(keyword_text(c)) for c in chunks], show_progress=False)

    staging = index_dir.with_name(index_dir.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    faiss.write_index(dense, str(staging / "dense.faiss"))
    keyword.save(str(staging / "bm25"))
    (staging / "chunks.json").write_text(json.dumps(chunks, ensure_ascii=False, indent=1))
    np.save(staging / "questions.npy", asked_vectors.astype(np.float32))
    (staging / "questions.json").write_text(json.dumps([position for position, _ in asked]))
    np.save(staging / "topic_examples.npy", example_vectors.astype(np.float32))
    (staging / "topic_examples.json").write_text(json.dumps([topic for topic, _ in examples]))
    manifest = {
        "format": INDEX_FORMAT,
        "model": embedding.MODEL_NAME,
        "encoder": encoder_export.wanted_stamp(),  # a new export (another wheel, exporter or quantisation) rebuilds
        "dimensions": int(vectors.shape[1]),
        "content_hash": texts_hash,
        "topic_examples_hash": topic_examples.source_hash(),
        "topic_examples": len(examples),
        "questions": len(asked),
        "documents": len(docs),
        "chunks": len(chunks),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
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
    from assistant.config import Settings

    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, default=settings.knowledge_dir)
    parser.add_argument("--index", type=Path, default=settings.index_dir)
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--force", action="store_true", help="rebuild even if the texts did not change")
    args = parser.parse_args(argv)

    docs, problems = load_and_validate(args.texts)
    report(problems)
    errors = sum(p.level == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"knowledge: {len(docs)} texts, {errors} errors, {warnings} warnings")
    for line in review.report(docs, dt.date.today()):
        print(line)
    if errors:
        return 1
    if args.check:
        return 0
    if not args.force and is_current(args.texts, args.index):
        print(f"knowledge: index in {args.index} is up to date")
        return 0
    manifest = build(args.texts, args.index)
    print(
        f"knowledge: indexed {manifest['chunks']} sections from {manifest['documents']} texts "
        f"in {manifest['build_seconds']} s -> {args.index}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
