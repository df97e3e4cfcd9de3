"""``omop-nlp export-onnx DIR``: the trained model as ONNX, plus a dynamically quantized int8 copy.

- Exporter: torch's TorchScript-based one (``dynamo=False``), opset 17, inputs ``input_ids`` and
  ``attention_mask`` (int64, dynamic ``batch`` and ``sequence`` axes), output ``probs``
  (batch, keys), the sigmoid already applied.
- int8: ``onnxruntime.quantization.quantize_dynamic`` (int8 weights, activations quantized on
  the fly) of the encoder's products after SmoothQuant smoothing calibrated on the parity
  windows (``quantize_int8``): the CPU variant.
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
from omop_nlp.rules import load_rules

OPSET = 17
FP32_TOLERANCE = 1e-4
INT8_TOLERANCE = 0.05
SMOOTH_ALPHA = 0.5

_TEMPLATES = (
    "There is a {t} in the {loc}.", "No {t}.", "{t} is not seen.", "Interval increase of the {t}.",
    "Findings: {t} and {u}, unchanged.", "Suspicious for {t}.", "r/o {t}", "{t} in the {loc}, likely benign.",
    "Impression: 1. {t}. 2. No {u}.", "Resolved {t} compared with prior.",
)
_PLACES = ("right upper lobe", "left lower lobe", "both lungs", "right frontal lobe", "cerebellum", "RLL", "lingula")


def synthetic_texts(modality: str, count: int = 24, seed: int = 7) -> list[str]:
    """Report-like texts from the lexicon (no site data): short ones and some longer than a window."""
    rules = load_rules(modality)
    terms = [t for d in rules.entities.values() for t in d.all_terms()] or ["finding"]
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


Batches = list[tuple[np.ndarray, np.ndarray]]


def _quantized_linears(graph) -> list:
    """The encoder's matrix products to quantize: constant weights, and not the feed-forward
    output projection, whose GELU input has token outliers (up to 25 against a median of 1 on
    MiniLM) that a per-tensor activation scale cannot resolve: it alone gave 0.09 of error."""
    weights = {i.name for i in graph.initializer}
    return [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights and "/encoder/" in n.name
            and not ("/output/dense/" in n.name and "/attention/" not in n.name)]  # fmt: skip


def _activation_peaks(model, tensors: list[str], batches: Batches) -> dict[str, np.ndarray]:
    """Largest |value| per channel of each tensor, from fp32 runs of the calibration windows."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(onnx.helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, None) for t in tensors)
    session = ort.InferenceSession(probe.SerializeToString(), session_options(None), providers=["CPUExecutionProvider"])
    peaks: dict[str, np.ndarray] = {}
    for ids, mask in batches:
        for name, value in zip(tensors, session.run(tensors, {"input_ids": ids, "attention_mask": mask}), strict=True):
            peak = np.abs(value.reshape(-1, value.shape[-1])).max(0)
            peaks[name] = np.maximum(peaks[name], peak) if name in peaks else peak
    return peaks


def smooth_activations(model, batches: Batches, alpha: float = SMOOTH_ALPHA) -> None:
    """SmoothQuant: divide each LayerNorm output that feeds quantized products by a per-channel
    ``s`` (a Mul node) and multiply the weights' rows by it, exact in fp32. BERT's LayerNorm
    outputs carry a few outlier channels (MiniLM's channel 99 reaches 30 where the median is
    1.8), which set the per-tensor int8 step for every channel; ``s = peak_x^alpha /
    peak_w^(1 - alpha)`` evens them."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    normalized = {n.output[0] for n in graph.node if n.op_type == "LayerNormalization"}
    consumers: dict[str, list] = {}
    for node in _quantized_linears(graph):
        if node.input[0] in normalized:  # query, key, value and feed-forward input
            consumers.setdefault(node.input[0], []).append(node)
    if not consumers:  # no LayerNorm feeds a quantized product: nothing to smooth
        return
    peaks = _activation_peaks(model, list(consumers), batches)
    for position, (source, nodes) in enumerate(consumers.items()):
        matrices = [numpy_helper.to_array(weights[n.input[1]]) for n in nodes]
        weight_peak = np.max([np.abs(m).max(1) for m in matrices], axis=0)
        scale = np.maximum(peaks[source], 1e-5) ** alpha / np.maximum(weight_peak, 1e-5) ** (1 - alpha)
        for node, matrix in zip(nodes, matrices, strict=True):
            weights[node.input[1]].CopyFrom(numpy_helper.from_array((matrix * scale[:, None]).astype(np.float32),
                                                                    node.input[1]))  # fmt: skip
            node.input[0] = f"{source}_smoothed"
        graph.initializer.append(numpy_helper.from_array((1 / scale).astype(np.float32), f"smooth_{position}"))
        first = min(list(graph.node).index(n) for n in nodes)  # before its first consumer: stays topological
        graph.node.insert(first, helper.make_node("Mul", [source, f"smooth_{position}"], [f"{source}_smoothed"],
                                                  name=f"/smooth/Mul_{position}"))  # fmt: skip


def quantize_int8(source: Path, target: Path, calibration: Batches) -> None:
    """Dynamic quantization (int8 weights per output channel, uint8 activations per tensor at run
    time) of the encoder's products, after smoothing their inputs on ``calibration`` windows.
    Kept fp32: the head (cheap, and where an error moves the logits most), the feed-forward
    output projections and the embeddings (a Gather: int8 there saves size, not time, and cost
    0.03 alone). On MiniLMs trained on the development set this took the largest probability
    error from 0.07-0.14 to 0.03-0.045 at about 1.5x fp32's speed instead of 1.9x (docs/bert.md).
    The export calibrates on its parity windows, so its own int8 check is in-sample; the figures on
    windows not used for calibration are in docs/bert.md."""
    import logging
    import tempfile

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    smooth_activations(model, calibration)
    include = [n.name for n in _quantized_linears(model.graph)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its "consider pre-processing" advice, printed on every call
    try:
        with tempfile.TemporaryDirectory() as scratch:
            smoothed = Path(scratch) / "smoothed.onnx"
            onnx.save(model, str(smoothed))
            quantize_dynamic(str(smoothed), str(target), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"], nodes_to_quantize=include)  # fmt: skip
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
    buckets = length_buckets(windows.lengths, 8)  # padded, length-bucketed batches, as inference runs them
    batches = [pad_batch([windows.ids[i] for i in bucket], config.pad_id) for bucket in buckets]

    fp32_path, int8_path = folder / ONNX_FP32, folder / ONNX_INT8
    sample = [windows.ids[i] for i in np.argsort(windows.lengths)[-2:]]  # two lengths: padding in the trace input
    input_ids, attention_mask = pad_batch(sample, config.pad_id, multiple=1)
    started = time.perf_counter()
    export_graph(model, torch.from_numpy(input_ids), torch.from_numpy(attention_mask), fp32_path)
    log(f"exported {fp32_path.name} ({fp32_path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.0f} s)")
    if int8:
        quantize_int8(fp32_path, int8_path, batches)
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
        for bucket, (ids, mask) in zip(buckets, batches, strict=True):
            got[bucket] = session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})[0]
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
