"""What ``train-bert`` trains: the modality, the folders, gold, and the recipe's hyper-parameters (no torch).

One definition: ``train.py`` reads these, and the command line (``omop_nlp.cli.bert``) takes
its defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omop_nlp.errors import UsageError
from omop_nlp.rules import MODALITIES


@dataclass
class TrainOptions:
    modality: str
    base_model: Path
    output: Path
    gold: Path | None = None
    eval_gold: Path | None = None
    gold_holdout: float = 0.2
    validation: float = 0.1
    epochs: int = 5
    patience: int = 2
    batch_size: int = 8  # notes per step (all their windows)
    max_length: int = 256
    stride: int = 64
    train_windows: int = 8  # windows per note in training
    max_windows: int = 16  # windows per note at inference
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.1
    absent_weight: float = 0.5
    gold_weight: float = 2.0
    max_pos_weight: float = 10.0
    threshold: float = 0.5
    union_threshold: float = 0.9
    seed: int = 13
    threads: int | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        self.base_model, self.output = Path(self.base_model), Path(self.output)
        self.gold = Path(self.gold) if self.gold else None
        self.eval_gold = Path(self.eval_gold) if self.eval_gold else None

    def check(self) -> None:
        """A ``UsageError`` now, before any training, for an unknown modality or a missing folder or file."""
        if self.modality not in MODALITIES:
            raise UsageError(f"unknown modality {self.modality!r}: use {', '.join(MODALITIES)}")
        if not self.base_model.is_dir():
            raise UsageError(f"--base-model: not a local model folder: {self.base_model} (nothing is downloaded)")
        for option, path in (("--gold", self.gold), ("--eval-gold", self.eval_gold)):
            if path is not None and not path.is_file():
                raise UsageError(f"{option}: file not found: {path}")
