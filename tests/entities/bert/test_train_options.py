"""TrainOptions: checked before torch is touched, with the command line's messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from omop_nlp.entities.bert.options import TrainOptions
from omop_nlp.errors import UsageError


def test_train_options_reject_unknown_modality_and_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown modality 'lung': use chest_ct, brain_mri"):
        TrainOptions(modality="lung", base_model=tmp_path, output=tmp_path / "m").check()
    with pytest.raises(UsageError, match="--base-model: not a local model folder"):
        TrainOptions(modality="chest_ct", base_model=tmp_path / "none", output=tmp_path / "m").check()
    with pytest.raises(UsageError, match="--eval-gold: file not found"):
        TrainOptions(modality="chest_ct", base_model=tmp_path, output=tmp_path / "m",
                     eval_gold=str(tmp_path / "gold.jsonl")).check()  # fmt: skip
    options = TrainOptions(modality="brain_mri", base_model=str(tmp_path), output=str(tmp_path / "m"))
    options.check()
    assert options.base_model == tmp_path and options.gold is None
