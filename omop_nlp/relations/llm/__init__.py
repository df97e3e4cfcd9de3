"""Stage 2 by an LLM: OpenAI-compatible servers (vLLM, llama.cpp, Ollama, TGI) or in-process vLLM.

``omop_nlp.build.build_pipeline`` makes an ``LlmRelationMapper`` from ``PipelineConfig.llm``.
See docs/llm.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omop_nlp.relations.llm.config import (
    BACKENDS,
    DEFAULT_API_KEY_ENV,
    DEFAULT_CONCURRENCY,
    MODES,
    LlmConfig,
    LlmConfigError,
)

if TYPE_CHECKING:
    from omop_nlp.relations.llm.mapper import LlmRelationMapper

_LAZY = ("LlmRelationMapper", "MapperStats")


def __getattr__(name: str):
    """The mapper (and its HTTP client) load on first use, so that the CLI can read the settings
    above without them when the rules are used."""
    if name in _LAZY:
        from omop_nlp.relations.llm import mapper

        return getattr(mapper, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BACKENDS",
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_CONCURRENCY",
    "MODES",
    "LlmConfig",
    "LlmConfigError",
    "LlmRelationMapper",
    "MapperStats",
]
