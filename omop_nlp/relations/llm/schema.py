"""The JSON schema of a stage-2 answer, and the check every answer passes before it is used.

An answer maps each target key (a chest CT lesion, a brain MRI malignant diagnosis) to a list
of related keys (locations, episodes). The schema enumerates only valid keys: the properties
are the note's target keys (all required, nothing else allowed) and the list items are the
modality's related keys, so a server that decodes under the schema (vLLM, llama.cpp) cannot
answer anything else. ``uniqueItems`` is left out (llama.cpp's grammar converter does not
support it); ``maxItems`` bounds a list instead, and duplicates are dropped when reading.
"""

from __future__ import annotations

import json
import re

from omop_nlp.rules import ModalityRules


class InvalidAnswer(ValueError):
    """An answer that is not JSON, or not valid under the note's schema. Never carries the answer text."""


def relatable_keys(rules: ModalityRules) -> list[str]:
    """Entity keys that take related keys: chest CT lesions but effusion/pleural thickening; malignant diagnoses."""
    return [key for key, definition in rules.entities.items() if definition.relates]


def related_keys(rules: ModalityRules) -> list[str]:
    return list(rules.related)


def answer_schema(rules: ModalityRules, targets: list[str] | None = None) -> dict:
    """The JSON rules of an answer about ``targets`` (default: every relatable key, none required)."""
    valid = relatable_keys(rules)
    keys = valid if targets is None else list(targets)
    unknown = [k for k in keys if k not in valid]
    if unknown:
        raise ValueError(f"not a relatable {rules.entity_type} key of {rules.modality}: {', '.join(unknown)}")
    related = related_keys(rules)
    item = {"type": "string", "enum": related}
    return {
        "type": "object",
        "properties": {key: {"type": "array", "items": item, "maxItems": len(related)} for key in keys},
        "required": keys if targets is not None else [],
        "additionalProperties": False,
    }


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_answer(content: str | None, rules: ModalityRules, targets: list[str]) -> dict[str, list[str]]:
    """The validated answer: every target key with its related keys (sorted, unique). Raises InvalidAnswer."""
    if content is None or not content.strip():
        raise InvalidAnswer("empty answer")
    fenced = _FENCE.match(content)
    try:
        data = json.loads(fenced.group(1) if fenced else content)
    except json.JSONDecodeError:
        raise InvalidAnswer("not JSON") from None
    validate_answer(data, answer_schema(rules, targets))
    return {key: sorted(set(data[key])) for key in targets}


def validate_answer(data: object, json_schema: dict) -> None:
    """Validate ``data`` against a schema made by ``answer_schema`` (object of arrays of enum strings)."""
    if not isinstance(data, dict):
        raise InvalidAnswer(f"expected an object, got {type(data).__name__}")
    properties: dict = json_schema["properties"]
    extra = [k for k in data if k not in properties]
    if extra and json_schema.get("additionalProperties") is False:
        raise InvalidAnswer(f"{len(extra)} key(s) not asked for")
    missing = [k for k in json_schema.get("required", []) if k not in data]
    if missing:
        raise InvalidAnswer(f"missing key(s): {', '.join(missing)}")
    for key, value in data.items():
        spec = properties.get(key)
        if spec is None:
            continue
        if not isinstance(value, list):
            raise InvalidAnswer(f"{key}: expected a list, got {type(value).__name__}")
        if len(value) > spec.get("maxItems", len(value)):
            raise InvalidAnswer(f"{key}: more than {spec['maxItems']} items")
        allowed = spec["items"]["enum"]
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                raise InvalidAnswer(f"{key}: an item is not one of the valid keys")
