"""In-process vLLM (``--llm-backend vllm-offline``): the whole batch handed to ``vllm.LLM.chat``.

For batch jobs on a GPU node with no server to run. vLLM is the ``[vllm]`` extra and needs an
environment of its own (it pins its torch and transformers versions, which the BERT extra's
may not match): ``python -m venv .venv-vllm && .venv-vllm/bin/pip install 'omop-nlp[vllm]'``.
The import is guarded: without vLLM, choosing this backend is a one-line error.

Prefix caching is on, so the fixed part of the prompt (system message and the two examples)
is computed once per modality; every request is temperature 0, bounded in tokens, and decoded
under the note's JSON schema (vLLM's structured outputs / guided decoding). Invalid answers
are retried once in a second batch, as the HTTP client does.
"""

from __future__ import annotations

import logging

from omop_nlp.relations.llm.client import ChatOutcome, ChatRequest
from omop_nlp.relations.llm.config import LlmConfig, LlmConfigError
from omop_nlp.relations.llm.schema import InvalidAnswer

log = logging.getLogger(__name__)

INSTALL_HINT = ("--llm-backend vllm-offline needs vLLM: install omop-nlp[vllm] in an environment of its own "
                "(vLLM pins its own torch and transformers), see docs/llm.md")  # fmt: skip


def _import_vllm():
    try:
        import vllm
    except ImportError:
        raise LlmConfigError(INSTALL_HINT) from None
    return vllm


class VllmOfflineBackend:
    name = "vllm-offline"

    def __init__(self, config: LlmConfig, llm=None) -> None:
        self.config = config
        self._vllm = _import_vllm()
        self._llm = llm if llm is not None else self._vllm.LLM(model=config.model, enable_prefix_caching=True)

    def _sampling(self, schema: dict):
        sampling_params = self._vllm.SamplingParams
        common = {"temperature": 0.0, "max_tokens": self.config.max_tokens}
        try:  # vLLM >= 0.11
            from vllm.sampling_params import StructuredOutputsParams

            return sampling_params(**common, structured_outputs=StructuredOutputsParams(json=schema))
        except ImportError:
            from vllm.sampling_params import GuidedDecodingParams

            return sampling_params(**common, guided_decoding=GuidedDecodingParams(json=schema))

    def complete(self, requests: list[ChatRequest]) -> list[ChatOutcome]:
        outcomes = [ChatOutcome() for _ in requests]
        pending = list(range(len(requests)))
        for _ in range(1 + self.config.retries):
            if not pending:
                break
            try:
                outputs = self._llm.chat(
                    [requests[i].messages for i in pending],
                    sampling_params=[self._sampling(requests[i].schema) for i in pending],
                    use_tqdm=False,
                )
            except Exception as exc:  # the engine died: these notes fall back
                log.warning("vLLM failed on %d request(s): %s", len(pending), exc.__class__.__name__)
                for i in pending:
                    outcomes[i].error = f"engine_{exc.__class__.__name__}"
                    outcomes[i].attempts += 1
                break
            still: list[int] = []
            for i, output in zip(pending, outputs, strict=True):
                outcome = outcomes[i]
                outcome.attempts += 1
                completion = output.outputs[0]
                outcome.prompt_tokens += len(output.prompt_token_ids or ())
                outcome.completion_tokens += len(completion.token_ids or ())
                try:
                    outcome.value = requests[i].validate(completion.text)
                    outcome.error = None
                except InvalidAnswer:
                    outcome.error = "truncated" if completion.finish_reason == "length" else "invalid_answer"
                    still.append(i)
            pending = still
        return outcomes
