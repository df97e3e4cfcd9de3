"""Stage 2 by an LLM: OpenAI-compatible servers (vLLM, llama.cpp, Ollama, TGI) or in-process vLLM.

``relation_mapper(config)`` gives the object that ``Pipeline(relation_mapper=...)`` takes
(None for mode ``rules``). See docs/llm.md.
"""

from __future__ import annotations

from omop_nlp.relations.llm.config import (
    BACKENDS,
    DEFAULT_API_KEY_ENV,
    DEFAULT_CONCURRENCY,
    MAPPER_FALLBACK,
    MAPPER_LLM,
    MAPPER_RULES,
    MODES,
    LlmConfig,
    LlmConfigError,
)
from omop_nlp.relations.llm.mapper import LlmRelationMapper, MapperStats


def relation_mapper(config: LlmConfig) -> LlmRelationMapper | None:
    """The mapper for ``config.mode``: None for ``rules`` (the pipeline's own rule mapper)."""
    config.check()
    return None if config.mode == "rules" else LlmRelationMapper(config)


__all__ = [
    "BACKENDS",
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_CONCURRENCY",
    "MAPPER_FALLBACK",
    "MAPPER_LLM",
    "MAPPER_RULES",
    "MODES",
    "LlmConfig",
    "LlmConfigError",
    "LlmRelationMapper",
    "MapperStats",
    "relation_mapper",
]
