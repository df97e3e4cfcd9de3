"""Stage-2 prompts from ``mappings/prompts/<modality>.yaml``, in the paper's structure.

The chat messages are: a system message (system line, instruction, output template, the
location or episode group), two example exchanges (user: report and target keys; assistant:
the answer as JSON), then the note (report and "### Target Lesions:" / "### Target Diseases:").
Everything before the last message is identical for every note of a modality, so a server
with prefix caching computes it once.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from omop_nlp.relations.llm.schema import answer_schema, validate_answer
from omop_nlp.rules import MappingError, load_rules
from omop_nlp.rules.prompts import PROMPTS_DIR, PromptTemplate, load_prompt_template


@cache
def load_prompt(modality: str, base: Path | None = None) -> PromptTemplate:
    """The prompt file of a modality, its example keys checked against the modality's rules."""
    rules = load_rules(modality)
    template = load_prompt_template(modality, base)
    for number, example in enumerate(template.examples, 1):
        try:
            validate_answer(example.answer, answer_schema(rules, example.targets))
        except ValueError as exc:
            raise MappingError(f"{PROMPTS_DIR}/{modality}.yaml: example {number}: {exc}") from None
    return template


def build_messages(modality: str, report: str, targets: list[str]) -> list[dict[str, str]]:
    """The chat messages for one note: the fixed part (system, two examples), then the note."""
    rules = load_rules(modality)
    template = load_prompt(modality)
    messages = [{"role": "system", "content": template.system_message(rules)}]
    for example in template.examples:
        messages.append({"role": "user", "content": template.user_message(example.report, example.targets)})
        answer = {key: example.answer.get(key, []) for key in example.targets}
        messages.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)})
    messages.append({"role": "user", "content": template.user_message(report, targets)})
    return messages
