"""``mappings/prompts/<modality>.yaml``: the stage-2 LLM prompt of a modality (wording and examples).

The example keys are checked against the modality's rules and the answer's JSON schema when the
LLM mapper loads the prompt (``omop_nlp.relations.llm.prompts.load_prompt``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from omop_nlp.rules.load import RulesModel, load_model
from omop_nlp.rules.modality import ModalityRules

PROMPTS_DIR = "prompts"


class PromptExample(RulesModel):
    """One worked example: a user message (report + target keys) and the assistant's answer."""

    report: str = Field(description="the example report (write your own sentences, never a real report's)")
    targets: list[str] = Field(description="the target entity keys asked about")
    answer: dict[str, list[str]] = Field(description="target key -> its related keys")


class PromptTemplate(RulesModel):
    """The chat messages' wording; ``{report}`` and ``{targets}`` are the only placeholders."""

    version: int = Field(1, description="the prompt's version, for the reader (the rules fingerprint tracks changes)")
    system: str = Field(description="the system line")
    instruction: str = Field(description="the task and its rules")
    output_template: str = Field(description="the answer's shape")
    related_header: str = Field(description="heading of the list of related keys in the system message")
    related_line: str = Field(description="one related key of that list; placeholders {key} and {display}")
    user_template: str = Field(description="a user message; placeholders {report} and {targets}")
    examples: list[PromptExample] = Field(description="the examples, sent before the note (two-shot)")

    @field_validator("system", "instruction", "output_template")
    @classmethod
    def _strip(cls, text: str) -> str:
        return text.strip()

    def system_message(self, rules: ModalityRules) -> str:
        group = "\n".join(
            self.related_line.replace("{key}", key).replace("{display}", definition.display)
            for key, definition in rules.related.items()
        )
        return "\n\n".join([self.system, self.instruction, self.output_template, f"{self.related_header}\n{group}"])

    def user_message(self, report: str, targets: list[str] | tuple[str, ...]) -> str:
        # {targets} first: a report that happens to contain "{targets}" stays as written.
        return self.user_template.replace("{targets}", ", ".join(targets)).replace("{report}", report)


def load_prompt_template(modality: str, base: Path | None = None) -> PromptTemplate:
    """``mappings/prompts/<modality>.yaml``, validated (example keys are checked by the LLM mapper)."""
    return load_model(PromptTemplate, f"{PROMPTS_DIR}/{modality}.yaml", base)
