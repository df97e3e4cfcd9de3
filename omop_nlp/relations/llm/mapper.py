"""The LLM relation mapper: stage 2 by a model, on top of the rules, with the rules as the fallback.

The pipeline runs the rule engine on every note first (stage 1, assertion, rule relations).
Then ``refine(results)`` takes a whole batch: it picks each note's target keys (mode ``llm``:
every present lesion / malignant diagnosis that takes related keys and that the report's own
correction did not settle; mode ``hybrid``: only the keys where the rules are uncertain, see
``uncertain.py``), asks the backend for all of them at
once, validates each answer against the note's schema, and writes the answer into the result:
the related keys of every present mention of the key, the finding's related keys, and
``Mention.decided_by``:

- ``llm``: the related keys come from a validated answer;
- ``rules-fallback``: the model was asked but gave no valid answer after one retry (timeout,
  server down, invalid JSON...) or the report is too long for it: the rules' keys stand;
- ``rules``: the rules' keys, as chosen (hybrid mode: a key the rules are sure of).

Presence stays with stage 1 and the assertion step: the model maps relations only.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from omop_nlp.model import DECIDED_BY_FALLBACK, DECIDED_BY_LLM, Result
from omop_nlp.relations.llm.client import ChatOutcome, ChatRequest, OpenAIChatBackend
from omop_nlp.relations.llm.config import LlmConfig, LlmConfigError
from omop_nlp.relations.llm.prompts import build_messages, load_prompt
from omop_nlp.relations.llm.schema import answer_schema, parse_answer
from omop_nlp.relations.llm.uncertain import target_keys, uncertain_keys
from omop_nlp.relations.locations import LesionLocationMapper
from omop_nlp.rules import MODALITIES, MappingError, ModalityRules, load_rules
from omop_nlp.text.note import checked_text

log = logging.getLogger(__name__)


@dataclass
class MapperStats:
    notes: int = 0  # notes seen
    asked: int = 0  # notes sent to the model
    answered: int = 0  # ... with a valid answer used
    fallback: int = 0  # ... that kept the rules' keys
    keys_asked: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0  # HTTP requests / generations, retries included
    reasons: Counter = field(default_factory=Counter)

    def line(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()))
        per_note = ""
        if self.asked:
            per_note = (f"; tokens per asked note: prompt {self.prompt_tokens / self.asked:.0f}, "
                        f"completion {self.completion_tokens / self.asked:.0f}")  # fmt: skip
        return (f"llm: {self.asked} of {self.notes} note(s) asked, {self.answered} answered, "
                f"{self.fallback} fell back to rules{f' ({reasons})' if reasons else ''}{per_note}")  # fmt: skip


def make_backend(config: LlmConfig):
    if config.backend == "vllm-offline":
        from omop_nlp.relations.llm.vllm_offline import VllmOfflineBackend

        return VllmOfflineBackend(config)
    return OpenAIChatBackend(config)


class LlmRelationMapper:
    """The pipeline's ``RelationRefiner`` (``omop_nlp.model``) for ``--mapper llm|hybrid``; see the
    module docstring."""

    def __init__(self, config: LlmConfig, backend=None) -> None:
        config.check()
        if config.mode not in ("llm", "hybrid"):
            raise ValueError("LlmRelationMapper is for mode llm or hybrid; rules need no mapper")
        self.config = config
        self.mode = config.mode
        for modality in MODALITIES:  # a missing or broken prompt file is a setup error, not a note's
            try:
                load_prompt(modality)
            except MappingError as exc:
                raise LlmConfigError(str(exc)) from None
        self.backend = backend if backend is not None else make_backend(config)
        self.stats = MapperStats()
        self._cleanup: dict[str, LesionLocationMapper] = {}

    @property
    def system_tag(self) -> str:
        return self.config.system_tag

    def summary_line(self) -> str:
        return self.stats.line()

    def targets(self, result: Result) -> list[str]:
        rules = load_rules(result.modality)
        return uncertain_keys(result, rules) if self.mode == "hybrid" else target_keys(result, rules)

    def refine(self, results: list[Result]) -> None:
        """Replace the rules' related keys by the model's for each result's target keys, in place."""
        jobs: list[tuple[Result, list[str]]] = []
        requests: list[ChatRequest] = []
        for result in results:
            self.stats.notes += 1
            targets = self.targets(result)
            if not targets:
                continue
            self.stats.asked += 1
            self.stats.keys_asked += len(targets)
            text = checked_text(result.report.text, max_chars=None)
            if len(text) > self.config.max_report_chars:
                self._fallback(result, targets, "too_long")
                continue
            rules = load_rules(result.modality)
            jobs.append((result, targets))
            requests.append(ChatRequest(
                messages=build_messages(result.modality, text, targets),
                schema=answer_schema(rules, targets),
                validate=partial(parse_answer, rules=rules, targets=targets),
            ))  # fmt: skip
        if not requests:
            return
        try:
            outcomes = self.backend.complete(requests)
        except Exception as exc:  # a backend bug or a dead engine must not lose the batch
            log.warning("LLM backend failed on a batch of %d note(s): %s", len(requests), exc.__class__.__name__)
            outcomes = [ChatOutcome(error=f"backend_{exc.__class__.__name__}") for _ in requests]
        for (result, targets), outcome in zip(jobs, outcomes, strict=True):
            self.stats.prompt_tokens += outcome.prompt_tokens
            self.stats.completion_tokens += outcome.completion_tokens
            self.stats.requests += outcome.attempts
            if outcome.ok:
                self._apply(result, outcome.value)
                self.stats.answered += 1
            else:
                self._fallback(result, targets, outcome.error or "error")

    def _apply(self, result: Result, answer: dict[str, list[str]]) -> None:
        rules = load_rules(result.modality)
        for key, related in answer.items():
            finding = result.findings.get(key)
            if finding is None:
                continue
            related = self._most_specific(rules, related)
            for mention in finding.mentions:
                mention.related = list(related)
                mention.decided_by = DECIDED_BY_LLM
            finding.related = sorted(related)

    def _fallback(self, result: Result, targets: list[str], reason: str) -> None:
        self.stats.fallback += 1
        self.stats.reasons[reason] += 1
        log.debug("report %s: no usable LLM answer (%s); rule mapper kept", result.report.id, reason)
        for key in targets:
            for mention in result.findings[key].mentions:
                mention.decided_by = DECIDED_BY_FALLBACK

    def _most_specific(self, rules: ModalityRules, related: list[str]) -> list[str]:
        """Guideline §2 rule 3 on a model's answer too: a lung side goes where a lobe of it is given."""
        if rules.related_type != "location":
            return sorted(set(related))
        cleanup = self._cleanup.get(rules.modality)
        if cleanup is None:
            cleanup = self._cleanup[rules.modality] = LesionLocationMapper(rules)
        return cleanup.most_specific(list(related))

