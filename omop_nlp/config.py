"""``PipelineConfig``: everything that decides what the pipeline extracts, in one picklable value.

The command line, the Python API, the benchmarks and the engine adapters (worker processes,
Spark, spaCy) all describe a pipeline with a ``PipelineConfig`` and hand it to
``omop_nlp.build.build_pipeline``; nothing else assembles one. A config is plain data (it can
be pickled to a worker process and rebuilt there), checked by ``check()`` before anything loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omop_nlp.budget import DEFAULT_NOTE_TIMEOUT_S
from omop_nlp.errors import ConfigurationError, UsageError
from omop_nlp.relations.llm.config import LlmConfig
from omop_nlp.rules import MODALITIES, mappings_dir
from omop_nlp.text.note import MAX_NOTE_CHARS

MODALITY_CHOICES = ("auto", *MODALITIES)


@dataclass(frozen=True)
class BertModels:
    """Stage-1 classifiers to plug in (``--bert``): one exported model folder per modality."""

    dirs: tuple[str, ...]
    threads: int | None = None  # onnxruntime threads (default: all cores)
    device: str = "auto"  # auto | cpu | cuda
    variant: str = "auto"  # auto | fp32 | int8

    def check(self) -> None:
        for folder in self.dirs:
            if not Path(folder).is_dir():
                raise UsageError(f"--bert: not a folder: {folder}")


@dataclass(frozen=True)
class PipelineConfig:
    """What to extract and how.

    - ``modality``: ``auto`` (routing.yaml, then the text) or one modality for every note.
    - ``mappings_dir``: the rules' folder; None is $OMOP_NLP_MAPPINGS or the bundled one.
    - ``llm``: the stage-2 relation mapper backend past the rules (``LlmConfig.mode`` llm or
      hybrid); None keeps the rules alone. ``relation_mapper`` names the choice.
    - ``bert``: the stage-1 classifiers; None keeps the lexicon alone.
    - ``max_note_chars``: longer notes are skipped (``too_long``).
    - ``note_timeout``: seconds the rules may spend on one note before it is skipped (``timeout``);
      None: no limit.
    """

    modality: str = "auto"
    mappings_dir: Path | None = None
    llm: LlmConfig | None = None
    bert: BertModels | None = None
    max_note_chars: int = MAX_NOTE_CHARS
    note_timeout: float | None = DEFAULT_NOTE_TIMEOUT_S

    @property
    def relation_mapper(self) -> str:
        """The stage-2 relation mapper backend: ``rules``, ``llm`` or ``hybrid``."""
        return "rules" if self.llm is None else self.llm.mode

    def check(self) -> None:
        """Raise ``UsageError`` / ``ConfigurationError`` for a config that cannot work."""
        if self.modality not in MODALITY_CHOICES:
            raise UsageError(f"unknown modality {self.modality!r}: use {', '.join(MODALITY_CHOICES)}")
        if self.max_note_chars < 1:
            raise UsageError(f"max_note_chars must be at least 1, got {self.max_note_chars}")
        if self.note_timeout is not None and self.note_timeout <= 0:
            raise UsageError(f"note_timeout must be positive (None: no limit), got {self.note_timeout}")
        if self.mappings_dir is not None and Path(self.mappings_dir).resolve() != mappings_dir().resolve():
            # The rule files are loaded once per process (rules.load_rules and friends are cached):
            # another folder is chosen with $OMOP_NLP_MAPPINGS before the process starts.
            raise ConfigurationError(f"mappings_dir {self.mappings_dir} is not this process's mappings folder "
                                     f"({mappings_dir()}); set OMOP_NLP_MAPPINGS={self.mappings_dir}")  # fmt: skip
        if self.llm is not None:
            self.llm.check()
        if self.bert is not None:
            self.bert.check()
