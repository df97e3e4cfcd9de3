"""The stage-2 mapper options shared by ``extract`` and ``run``: --mapper and --llm-*."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from omop_nlp.cli.app import fail
from omop_nlp.relations.llm.config import BACKENDS, DEFAULT_API_KEY_ENV, MODES  # light: no HTTP client yet

Mapper = Annotated[str, typer.Option(
    "--mapper", help="stage 2: rules, llm (every note's relations by the LLM, rules as fallback) or hybrid "
                     "(the LLM only where the rules are uncertain); see docs/llm.md")]  # fmt: skip
LlmUrl = Annotated[str | None, typer.Option(
    "--llm-url", help="OpenAI-compatible base URL (vLLM, llama.cpp, Ollama, TGI), e.g. http://localhost:8000/v1")]
LlmModel = Annotated[str | None, typer.Option(
    "--llm-model", help="served model name (default: the server's only model); vllm-offline: model path or id")]
LlmApiKeyEnv = Annotated[str | None, typer.Option(
    "--llm-api-key-env",
    help=f"environment variable with the API key (default {DEFAULT_API_KEY_ENV}; none sent if unset)")]
LlmConcurrency = Annotated[int, typer.Option("--llm-concurrency", help="LLM requests in flight at once")]
LlmBackend = Annotated[str, typer.Option(
    "--llm-backend", help="openai (any OpenAI-compatible server) or vllm-offline (in-process, the [vllm] extra)")]


def llm_relation_mapper(mapper: str, url: str | None, model: str | None, api_key_env: str | None,
                        concurrency: int, backend: str):  # fmt: skip
    """The relation mapper for these options (None for rules); a bad option is one line, exit 2."""
    if mapper not in MODES:
        fail(f"unknown mapper {mapper!r}: use {', '.join(MODES)}")
    if backend not in BACKENDS:
        fail(f"unknown LLM backend {backend!r}: use {', '.join(BACKENDS)}")
    if mapper == "rules":
        return None
    from omop_nlp.relations.llm import LlmConfig, LlmConfigError, LlmRelationMapper
    from omop_nlp.relations.llm.client import list_models

    api_key = None
    if api_key_env is not None:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            fail(f"--llm-api-key-env: environment variable {api_key_env} is not set")
    else:
        api_key = os.environ.get(DEFAULT_API_KEY_ENV) or None
    config = LlmConfig(mode=mapper, url=url, model=model, api_key=api_key, backend=backend, concurrency=concurrency)
    try:
        config.check()
        if backend == "openai" and model is None:
            served = list_models(url, api_key)
            if len(served) != 1:
                why = f"it serves {', '.join(served)}" if served else "it lists no model (is it up?)"
                fail(f"--llm-model not given and {url.rstrip('/')}/models cannot tell which: {why}")
            config = LlmConfig(mode=mapper, url=url, model=served[0], api_key=api_key, backend=backend,
                               concurrency=concurrency)  # fmt: skip
        return LlmRelationMapper(config)
    except LlmConfigError as exc:
        fail(str(exc))


def mapper_summary_line(pipeline) -> str | None:
    mapper = getattr(pipeline, "relation_mapper", None)
    stats = getattr(mapper, "stats", None)
    return stats.line() if stats is not None else None
