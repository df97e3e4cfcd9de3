"""omop-nlp: structured findings from radiology reports in an OMOP CDM.

The Python API (docs/api.md)::

    import omop_nlp

    result = omop_nlp.extract("There is a 6 mm nodule in the right upper lobe.", modality="chest_ct")
    result.findings_json()  # {'nodule': ['rul']}

    pipeline = omop_nlp.load_pipeline(omop_nlp.PipelineConfig(modality="auto"))
    for outcome in pipeline.extract_many(reports): ...  # a Result or a NoteSkipped per report

Everything named in ``__all__`` is the stable API; the rest of the package may change.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"
NAME = "omop-nlp"

if TYPE_CHECKING:
    from omop_nlp.config import BertModels, PipelineConfig
    from omop_nlp.errors import (
        ConfigurationError,
        DatabaseError,
        NoteSkipped,
        OmopNlpError,
        UsageError,
    )
    from omop_nlp.model import Certainty, EntityType, Finding, Mention, Report, Result
    from omop_nlp.pipeline import Pipeline
    from omop_nlp.relations.llm.config import LlmConfig

# Loaded on first use, so that `import omop_nlp` (and the command line's start) stays light.
_LAZY = {
    "PipelineConfig": "omop_nlp.config", "BertModels": "omop_nlp.config", "LlmConfig": "omop_nlp.relations.llm.config",
    "Pipeline": "omop_nlp.pipeline",
    "Report": "omop_nlp.model", "Result": "omop_nlp.model", "Finding": "omop_nlp.model", "Mention": "omop_nlp.model",
    "Certainty": "omop_nlp.model", "EntityType": "omop_nlp.model",
    "OmopNlpError": "omop_nlp.errors", "UsageError": "omop_nlp.errors", "ConfigurationError": "omop_nlp.errors",
    "DatabaseError": "omop_nlp.errors", "NoteSkipped": "omop_nlp.errors",
}  # fmt: skip


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_pipeline(config: PipelineConfig | None = None) -> Pipeline:
    """The pipeline ``config`` describes (default: rules only, modality auto). Build it once and
    reuse it: loading the rules takes about a second, a note then takes milliseconds."""
    from omop_nlp.build import build_pipeline

    return build_pipeline(config)


def extract(text: str, modality: str = "auto", *, report_id: str = "1", title: str | None = None) -> Result:
    """The findings of one report's text with the default rules; raises ``NoteSkipped`` (with its
    ``reason``) for a text that cannot be processed, e.g. ``unknown_modality``."""
    from omop_nlp.model import Report

    return _default_pipeline(modality).extract(Report(report_id, text, title=title))


@cache
def _default_pipeline(modality: str) -> Pipeline:
    from omop_nlp.config import PipelineConfig

    return load_pipeline(PipelineConfig(modality=modality))


__all__ = [
    "NAME",
    "BertModels",
    "Certainty",
    "ConfigurationError",
    "DatabaseError",
    "EntityType",
    "Finding",
    "LlmConfig",
    "Mention",
    "NoteSkipped",
    "OmopNlpError",
    "Pipeline",
    "PipelineConfig",
    "Report",
    "Result",
    "UsageError",
    "__version__",
    "extract",
    "load_pipeline",
]  # fmt: skip
