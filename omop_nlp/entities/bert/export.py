"""``omop-nlp export-onnx DIR``: the trained model as ONNX, plus a dynamically quantized int8 copy.

- Exporter: torch's TorchScript-based one (``dynamo=False``), opset 17, inputs ``input_ids`` and
  ``attention_mask`` (int64, dynamic ``batch`` and ``sequence`` axes), output ``probs``
  (batch, keys), the sigmoid already applied.
- int8: ``onnxruntime.quantization.quantize_dynamic`` (int8 weights, activations quantized on
  the fly): the CPU variant.
- Parity, part of every export: windows of some texts are scored by torch one window at a time
  (no padding) and by each ONNX graph in padded, length-bucketed batches, as inference runs
  them; the largest absolute difference in probability must be <= 1e-4 for fp32 and <= 0.05
  for int8. The texts are the site's notes when ``--parity-notes`` is given, else sentences
  built from the modality's lexicon. A failed fp32 parity fails the export; a failed int8
  parity only keeps int8 from being chosen automatically. ``export.json`` records both.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from omop_nlp.entities.bert.config import (
    EXPORT_JSON,
    ONNX_FP32,
    ONNX_INT8,
    BertConfig,
    BertModelError,
    file_digest,
    offline,
)
from omop_nlp.entities.bert.runtime import INPUTS, OUTPUT, session_options
from omop_nlp.entities.bert.windows import WindowTokenizer, length_buckets, pad_batch
from omop_nlp.schema import load_schema

OPSET = 17
FP32_TOLERANCE = 1e-4
INT8_TOLERANCE = 0.05

_TEMPLATES = (
    "There is a {t} in the {loc}.", "No {t}.", "{t} is not seen.", "Interval increase of the {t}.",
    "Findings: {t} and {u}, unchanged.", "Suspicious for {t}.", "r/o {t}", "{t} in the {loc}, likely benign.",
    "Impression: 1. {t}. 2. No {u}.", "Resolved {t} compared with prior.",
)
_PLACES = ("right upper lobe", "left lower lobe", "both lungs", "right frontal lobe", "cerebellum", "RLL", "lingula")


def synthetic_texts(modality: str, count: int = 24, seed: int = 7) -> list[str]:
    """Report-like texts from the lexicon (no site data): short ones and some longer than a window."""
    schema = load_schema(modality)
    terms = [t for d in schema.entities.values() for t in d.all_terms()] or ["finding"]
    rng = random.Random(seed)
    texts = []
    for n in range(count):
        sentences = 1 + (n % 6) * (1 + n // 6) * 2
        parts = [rng.choice(_TEMPLATES).format(t=rng.choice(terms), u=rng.choice(terms), loc=rng.choice(_PLACES))
                 for _ in range(sentences)]  # fmt: skip
        texts.append(" ".join(parts))
    return texts


def export_graph(model, input_ids, attention_mask, path: Path) -> None:
    """``model(input_ids, attention_mask) -> probs`` to ONNX: legacy exporter, opset 17, dynamic axes."""
    import warnings

    import onnx
    import torch

    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter is the one asked for
        torch.onnx.export(
            model, (input_ids, attention_mask), str(path),
            dynamo=False, opset_version=OPSET, input_names=list(INPUTS), output_names=[OUTPUT],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                          OUTPUT: {0: "batch"}},
            do_constant_folding=True,
        )  # fmt: skip
    onnx.checker.check_model(str(path))


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic quantization of the encoder's matrix products: int8 weights per output channel,
    activations quantized at run time (CPU). The small head (attention pooling, feed-forward)
    stays fp32: it is cheap and where a rounding error moves the logits most. Measured on a
    MiniLM trained on the development set, per-channel weights cut the largest probability error
    from 0.30 to 0.11 at the same speed (docs/bert.md)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    head = [n.name for n in onnx.load(str(source), load_external_data=False).graph.node
            if n.op_type in ("MatMul", "Gemm") and "/encoder/" not in n.name]  # fmt: skip

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its "consider pre-processing" advice, printed on every call
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=head)
    finally:
        root.setLevel(level)


def export_onnx(folder: Path | str, *, parity_texts: list[str] | None = None, int8: bool = True,
                log: Callable[[str], None] = print) -> dict:  # fmt: skip
    offline()
    import onnxruntime as ort
    import torch

    from omop_nlp.entities.bert.network import ProbabilityNet, load_trained

    folder = Path(folder)
    config = BertConfig.load(folder)
    net = load_trained(folder, config, attn_implementation="eager")
    model = ProbabilityNet(net).eval()
    tokenizer = WindowTokenizer.from_model_dir(folder, config)
    source = "notes" if parity_texts else "synthetic"
    texts = parity_texts or synthetic_texts(config.modality)
    windows = tokenizer.windows(texts)

    fp32_path, int8_path = folder / ONNX_FP32, folder / ONNX_INT8
    sample = [windows.ids[i] for i in np.argsort(windows.lengths)[-2:]]  # two lengths: padding in the trace input
    input_ids, attention_mask = pad_batch(sample, config.pad_id, multiple=1)
    started = time.perf_counter()
    export_graph(model, torch.from_numpy(input_ids), torch.from_numpy(attention_mask), fp32_path)
    log(f"exported {fp32_path.name} ({fp32_path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.0f} s)")
    if int8:
        quantize_int8(fp32_path, int8_path)
        log(f"quantized {int8_path.name} ({int8_path.stat().st_size / 1e6:.1f} MB)")
    elif int8_path.exists():
        int8_path.unlink()

    # Reference: torch, one window at a time, so no padding can hide a masking error.
    reference = np.empty((len(windows.ids), len(config.keys)), dtype=np.float32)
    with torch.inference_mode():
        for i, ids in enumerate(windows.ids):
            tensor = torch.from_numpy(ids)[None, :]
            reference[i] = model(tensor, torch.ones_like(tensor)).numpy()[0]

    def compare(path: Path, tolerance: float) -> dict:
        session = ort.InferenceSession(str(path), session_options(None), providers=["CPUExecutionProvider"])
        got = np.empty_like(reference)
        for batch in length_buckets(windows.lengths, 8):
            ids, mask = pad_batch([windows.ids[i] for i in batch], config.pad_id)
            got[batch] = session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})[0]
        diff = float(np.abs(got - reference).max())
        flips = int(((got >= config.threshold) != (reference >= config.threshold)).sum())
        return {"file": path.name, "bytes": path.stat().st_size, "sha256": file_digest(path), "max_abs_diff": diff,
                "tolerance": tolerance, "decision_flips": flips, "passed": diff <= tolerance}  # fmt: skip

    report = {
        "exporter": "torch.onnx.export (TorchScript, dynamo=False)", "opset": OPSET, "torch_version": torch.__version__,
        "onnxruntime_version": ort.__version__, "inputs": list(INPUTS), "output": OUTPUT,
        "dynamic_axes": {"input_ids": ["batch", "sequence"], "attention_mask": ["batch", "sequence"]},
        "parity": {"texts": len(texts), "windows": len(windows.ids), "source": source,
                   "longest_window": int(windows.lengths.max())},
        "fp32": compare(fp32_path, FP32_TOLERANCE),
    }  # fmt: skip
    if int8:
        report["int8"] = compare(int8_path, INT8_TOLERANCE)
    (folder / EXPORT_JSON).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for variant in ("fp32", "int8"):
        if variant in report:
            r = report[variant]
            log(f"parity {variant}: max |torch - onnx| = {r['max_abs_diff']:.2e} over {len(windows.ids)} windows "
                f"(tolerance {r['tolerance']:g}): {'ok' if r['passed'] else 'FAILED'}")  # fmt: skip
    if not report["fp32"]["passed"]:
        raise BertModelError(f"ONNX parity failed: {report['fp32']['max_abs_diff']:.2e} > {FP32_TOLERANCE:g}")
    return report
