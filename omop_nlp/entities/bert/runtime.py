"""Running an exported model with onnxruntime: no torch, no transformers.

- Execution provider: CUDA when onnxruntime has it (the ``[gpu]`` extra installs
  onnxruntime-gpu) and ``device`` is ``auto`` or ``cuda``; else CPU. On CUDA, inputs are bound
  with IO binding and the fp32 graph runs (dynamic int8 is a CPU format).
- Variant: ``auto`` takes the int8 graph on CPU when the export's parity check passed it, else
  fp32; ``fp32`` or ``int8`` force one.
- Length-bucketed batching: a note's windows are sorted by length with every other note's, so a
  batch pads to its own longest window (at most ``batch_size`` windows, about
  ``max_batch_tokens`` padded tokens); results go back to their notes in input order.
- ``threads``: onnxruntime intra-op threads (default: onnxruntime's choice, all cores).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from omop_nlp.entities.bert.config import EXPORT_JSON, ONNX_FP32, ONNX_INT8, BertConfig, BertModelError
from omop_nlp.entities.bert.windows import WindowTokenizer, note_probabilities

INPUTS = ("input_ids", "attention_mask")
OUTPUT = "probs"
VARIANTS = ("auto", "fp32", "int8")
DEVICES = ("auto", "cpu", "cuda")


def session_options(threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def providers_for(device: str) -> list[str]:
    import onnxruntime as ort

    if device not in DEVICES:
        raise BertModelError(f"unknown device {device!r}: use {', '.join(DEVICES)}")
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if device == "cuda" and not has_cuda:
        raise BertModelError("device cuda: onnxruntime has no CUDA provider (install the [gpu] extra)")
    if has_cuda and device != "cpu":
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def read_export_report(folder: Path) -> dict:
    path = folder / EXPORT_JSON
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, json.JSONDecodeError):
        return {}


class OnnxKeyClassifier:
    def __init__(self, folder: Path | str, *, threads: int | None = None, device: str = "auto", variant: str = "auto",
                 batch_size: int = 32, max_batch_tokens: int = 16384) -> None:  # fmt: skip
        import onnxruntime as ort

        folder = Path(folder)
        self.config = BertConfig.load(folder)
        if variant not in VARIANTS:
            raise BertModelError(f"unknown variant {variant!r}: use {', '.join(VARIANTS)}")
        providers = providers_for(device)
        self.on_cuda = providers[0] == "CUDAExecutionProvider"
        self.variant = self._pick_variant(folder, variant)
        path = folder / (ONNX_INT8 if self.variant == "int8" else ONNX_FP32)
        if not path.is_file():
            raise BertModelError(f"{folder}: no {path.name}; run `omop-nlp export-onnx {folder}` first")
        self.session = ort.InferenceSession(str(path), session_options(threads), providers=providers)
        self.tokenizer = WindowTokenizer.from_model_dir(folder, self.config)
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens

    def _pick_variant(self, folder: Path, variant: str) -> str:
        report = read_export_report(folder)
        if report and not report.get("fp32", {}).get("passed", False):
            raise BertModelError(f"{folder}: its ONNX export failed the parity check ({EXPORT_JSON}); export again")
        if variant != "auto":
            return variant
        int8_ok = report.get("int8", {}).get("passed", False)
        return "int8" if int8_ok and not self.on_cuda and (folder / ONNX_INT8).is_file() else "fp32"

    @property
    def name(self) -> str:
        return f"{self.config.name} {self.variant}"

    def predict(self, texts: list[str]) -> np.ndarray:
        """Probabilities (notes, keys), float32, in the order of ``texts``."""
        if not texts:
            return np.zeros((0, len(self.config.keys)), dtype=np.float32)
        return note_probabilities(self.tokenizer.windows(texts), len(self.config.keys), self.config.pad_id, self.run,
                                  self.batch_size, self.max_batch_tokens)  # fmt: skip

    def run(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        if not self.on_cuda:
            return self.session.run([OUTPUT], {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        binding = self.session.io_binding()
        binding.bind_cpu_input("input_ids", input_ids)
        binding.bind_cpu_input("attention_mask", attention_mask)
        binding.bind_output(OUTPUT, "cuda")
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0].astype(np.float32, copy=False)
