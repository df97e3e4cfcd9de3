"""Stage-2 prompts from ``mappings/prompts/<modality>.yaml``, in the paper's structure.

The chat messages are: a system message (system line, instruction, output template, the
location or episode group), two example exchanges (user: report and target keys; assistant:
the answer as JSON), then the note (report and "### Target Lesions:" / "### Target Diseases:").
Everything before the last message is identical for every note of a modality, so a server
with prefix caching computes it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from omop_nlp.relations.llm.schema import answer_schema, relatable_keys, validate_answer
from omop_nlp.schema import MappingError, ModalitySchema, load_schema, load_yaml, mappings_dir

PROMPTS_DIR = "prompts"
_REQUIRED = ("system", "instruction", "output_template", "related_header", "related_line", "user_template", "examples")


@dataclass(frozen=True)
class Example:
    report: str
    targets: tuple[str, ...]
    answer: dict[str, list[str]]


@dataclass(frozen=True)
class PromptTemplate:
    modality: str
    system: str
    instruction: str
    output_template: str
    related_header: str
    related_line: str
    user_template: str
    examples: tuple[Example, ...]

    def system_message(self, schema: ModalitySchema) -> str:
        group = "\n".join(
            self.related_line.replace("{key}", key).replace("{display}", definition.display)
            for key, definition in schema.related.items()
        )
        return "\n\n".join([self.system, self.instruction, self.output_template, f"{self.related_header}\n{group}"])

    def user_message(self, report: str, targets: list[str] | tuple[str, ...]) -> str:
        # {targets} first: a report that happens to contain "{targets}" stays as written.
        return self.user_template.replace("{targets}", ", ".join(targets)).replace("{report}", report)


@cache
def load_prompt(modality: str, base: Path | None = None) -> PromptTemplate:
    """The prompt file of a modality, checked against its mappings (example keys must be valid)."""
    schema = load_schema(modality)
    name = f"{PROMPTS_DIR}/{modality}.yaml"
    raw = load_yaml(name, base or mappings_dir())
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise MappingError(f"{name}: missing field(s) {', '.join(missing)}")
    examples = []
    for number, item in enumerate(raw["examples"], 1):
        try:
            targets = tuple(str(t) for t in item["targets"])
            answer = {str(k): [str(v) for v in values] for k, values in item["answer"].items()}
            example = Example(str(item["report"]), targets, answer)
        except (KeyError, TypeError, AttributeError) as exc:
            raise MappingError(f"{name}: example {number} is malformed ({exc.__class__.__name__})") from None
        try:
            validate_answer(example.answer, answer_schema(schema, list(targets)))
        except ValueError as exc:
            raise MappingError(f"{name}: example {number}: {exc}") from None
        examples.append(example)
    return PromptTemplate(
        modality=modality,
        system=str(raw["system"]).strip(),
        instruction=str(raw["instruction"]).strip(),
        output_template=str(raw["output_template"]).strip(),
        related_header=str(raw["related_header"]),
        related_line=str(raw["related_line"]),
        user_template=str(raw["user_template"]),
        examples=tuple(examples),
    )


def targets_in_order(schema: ModalitySchema, keys) -> list[str]:
    """Target keys in the order of the mappings file, so equal notes give equal prompts."""
    wanted = set(keys)
    return [key for key in relatable_keys(schema) if key in wanted]


def build_messages(modality: str, report: str, targets: list[str]) -> list[dict[str, str]]:
    """The chat messages for one note: the fixed part (system, two examples), then the note."""
    schema = load_schema(modality)
    template = load_prompt(modality)
    messages = [{"role": "system", "content": template.system_message(schema)}]
    for example in template.examples:
        messages.append({"role": "user", "content": template.user_message(example.report, example.targets)})
        answer = {key: example.answer.get(key, []) for key in example.targets}
        messages.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)})
    messages.append({"role": "user", "content": template.user_message(report, targets)})
    return messages
