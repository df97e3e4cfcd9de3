"""Settings of the LLM relation mapper and the names it records."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from omop_nlp.errors import LlmConfigError

MODES = ("rules", "llm", "hybrid")
BACKENDS = ("openai", "vllm-offline")
DEFAULT_API_KEY_ENV = "OMOP_NLP_LLM_API_KEY"
DEFAULT_CONCURRENCY = 64


@dataclass(frozen=True)
class LlmConfig:
    """How to reach the model and how hard to push it.

    ``url`` is the OpenAI-compatible base URL (``http://host:8000/v1``); ``model`` the served
    model name (for ``vllm-offline``: the model path or hub id to load in-process).
    """

    mode: str = "llm"
    url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never printed with the settings
    backend: str = "openai"
    concurrency: int = DEFAULT_CONCURRENCY
    max_tokens: int = 256
    timeout_s: float = 60.0
    connect_timeout_s: float = 5.0
    retries: int = 1  # after an invalid answer or a timeout: one more try, then the rules
    response_format: str = "auto"  # auto | json_schema | json_object
    max_report_chars: int = 12_000  # longer reports stay with the rules (context window of an 8B model)
    breaker_failures: int = 16  # consecutive transport failures after which a batch stops asking
    breaker_pause_s: float = 30.0  # ... and later batches go straight to the rules for this long

    def check(self) -> None:
        if self.mode not in MODES:
            raise LlmConfigError(f"unknown mapper {self.mode!r}: use {', '.join(MODES)}")
        if self.backend not in BACKENDS:
            raise LlmConfigError(f"unknown LLM backend {self.backend!r}: use {', '.join(BACKENDS)}")
        if self.mode == "rules":
            return
        if self.backend == "openai" and not self.url:
            raise LlmConfigError(f"--mapper {self.mode} needs --llm-url (an OpenAI-compatible base URL, e.g. "
                                 "http://localhost:8000/v1)")
        if self.backend == "openai" and not self.url.startswith(("http://", "https://")):
            raise LlmConfigError(f"--llm-url must start with http:// or https://, got {self.url!r}")
        if self.backend == "vllm-offline" and not self.model:
            raise LlmConfigError("--llm-backend vllm-offline needs --llm-model (a model path or id)")
        if not 1 <= self.concurrency <= 4096:
            raise LlmConfigError(f"--llm-concurrency must be 1..4096, got {self.concurrency}")
        if self.response_format not in ("auto", "json_schema", "json_object"):
            raise LlmConfigError(f"unknown response format {self.response_format!r}")

    @property
    def system_tag(self) -> str:
        """The mapper part of nlp_system: ``rules``, ``llm:<model>`` or ``hybrid:<model>``."""
        if self.mode == "rules":
            return "rules"
        model = self.model or "default"
        if model.startswith("/"):  # a local path (llama.cpp, vllm-offline): its file or folder name
            model = model.rstrip("/").rsplit("/", 1)[-1]
        return f"{self.mode}:{model.replace(' ', '_')}"


def llm_api_key(env: str | None) -> str | None:
    """The LLM API key from ``env`` (which must be set), or from $OMOP_NLP_LLM_API_KEY when present."""
    if env is not None:
        key = os.environ.get(env)
        if not key:
            raise LlmConfigError(f"--llm-api-key-env: environment variable {env} is not set")
        return key
    return os.environ.get(DEFAULT_API_KEY_ENV) or None
