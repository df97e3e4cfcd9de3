"""The model folder written by ``train-bert`` and read by ``export-onnx`` and ``--bert``.

    DIR/config.json          this module's ``BertConfig``: modality, keys, windowing, threshold
    DIR/tokenizer/           the base model's tokenizer (tokenizer.json is what inference reads)
    DIR/encoder/             the fine-tuned encoder (Hugging Face config.json + model.safetensors)
    DIR/head.safetensors     attention pooling + feed-forward head
    DIR/model_card.json, DIR/MODEL_CARD.md
    DIR/model.onnx, DIR/model.int8.onnx, DIR/export.json   (after ``export-onnx``)

Weights are never committed (.gitignore: *.safetensors, *.onnx); ``make bert`` rebuilds them.
No note text is ever written into the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from omop_nlp.errors import BertModelError

CONFIG = "config.json"
TOKENIZER_DIR = "tokenizer"
TOKENIZER_FILE = "tokenizer.json"
ENCODER_DIR = "encoder"
HEAD_FILE = "head.safetensors"
CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
ONNX_FP32 = "model.onnx"
ONNX_INT8 = "model.int8.onnx"
EXPORT_JSON = "export.json"
FORMAT = "omop-nlp-bert/1"


def offline() -> None:
    """Nothing is downloaded at run time: every Hugging Face call reads local folders only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def quiet_transformers() -> None:
    """transformers' load reports and progress bars are noise on a CLI's stderr."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


@dataclass
class BertConfig:
    modality: str
    entity_type: str
    keys: list[str]
    max_length: int = 256  # tokens per window, [CLS] and [SEP] included
    stride: int = 64  # tokens shared by consecutive windows
    max_windows: int = 16  # windows per note at inference; text past them is left to the lexicon
    threshold: float = 0.5  # probability at or above which a key counts as present (target_keys, the card's "bert")
    union_threshold: float = 0.9  # probability at or above which --bert adds a key the lexicon never mentioned
    pad_id: int = 0
    attention_dim: int = 256
    head_dim: int = 512
    base_model: str = ""  # the --base-model folder's name (not its path)
    model_id: str = ""  # sha256 prefix of the trained weights: names the model in nlp_system
    format: str = FORMAT
    extra: dict = field(default_factory=dict)

    def save(self, folder: Path) -> None:
        (folder / CONFIG).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path | str) -> BertConfig:
        folder = Path(folder)
        path = folder / CONFIG
        if not path.is_file():
            raise BertModelError(f"{folder}: not a model folder from train-bert (no {CONFIG})")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise BertModelError(f"{path}: unreadable ({exc.__class__.__name__})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BertModelError(f"{path}: not an omop-nlp BERT config (format {FORMAT} expected)")
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def name(self) -> str:
        return f"bert {self.modality}:{self.model_id or 'untrained'}"


def file_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
