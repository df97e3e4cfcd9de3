"""Reads a mappings file into its typed model, or fails with the file, the key path and the line.

Every file under ``mappings/`` has a pydantic model in this package (one module per kind of
file). Loading is strict: an unknown key (``relation_gramar:``) or a value of the wrong type is
a :class:`MappingError` at start-up, never a rule that silently stops working.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from omop_nlp.data_files import data_dir

MAPPINGS_ENV = "OMOP_NLP_MAPPINGS"

Model = TypeVar("Model", bound=BaseModel)
KeyPath = tuple[str | int, ...]


class MappingError(ValueError):
    """A mappings file is missing or malformed; the message names the file, the line and the key path."""


class RulesModel(BaseModel):
    """Base of every mappings model: unknown keys are errors, a loaded model is immutable.

    Numbers are read as words where a string is expected (an unquoted code such as ``24627``); a
    section that may be left out may also be written empty.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, data: object) -> object:
        """``ignore:`` with nothing after it is the section left out (empty), not a wrong type."""
        if not isinstance(data, dict):
            return data
        optional = {name for name, field in cls.model_fields.items() if field.default_factory is not None}
        return {k: v for k, v in data.items() if not (v is None and k in optional)}


class _RulesLoader(yaml.SafeLoader):
    """YAML 1.1 reads 'no', 'on', 'off' as booleans; in term lists they are words."""


_RulesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RulesLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def mappings_dir() -> Path:
    """The mappings folder: $OMOP_NLP_MAPPINGS, the copy inside the wheel, or the checkout's."""
    return data_dir("mappings", MAPPINGS_ENV)


def _key_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    """The 1-based line of every mapping key and sequence item below ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            lines.setdefault((*path, key), key_node.start_mark.line + 1)
            _key_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.setdefault((*path, index), item.start_mark.line + 1)
            _key_lines(item, (*path, index), lines)


def read_yaml(path: Path) -> tuple[object, dict[KeyPath, int]]:
    """The data of a YAML file and the line of each key path in it."""
    if not path.is_file():
        raise MappingError(f"mappings file not found: {path}")
    loader = _RulesLoader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise MappingError(f"{where}: not valid YAML ({problem})") from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _key_lines(node, (), lines)
    return data, lines


def _line(loc: KeyPath, lines: dict[KeyPath, int]) -> int:
    """The line of the longest prefix of ``loc`` that is in the file (a missing key: its parent's)."""
    for end in range(len(loc), 0, -1):
        prefix = tuple(str(p) if isinstance(p, str) else p for p in loc[:end])
        if prefix in lines:
            return lines[prefix]
    return 1


_MESSAGES = {"extra_forbidden": "unknown key", "missing": "missing key"}


def describe(error: ValidationError, path: Path, lines: dict[KeyPath, int]) -> str:
    """One line per problem: ``file:line: key.path: what is wrong``."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        loc = tuple(item["loc"])
        message = _MESSAGES.get(item["type"], item["msg"])
        if loc and loc[-1] == "[key]":  # a key outside a fixed set (a category, a modality)
            loc, message = loc[:-1], f"unknown key ({message})"
        key_path = ".".join(str(p) for p in loc) or "(top level)"
        problems.append(f"{path}:{_line(loc, lines)}: {key_path}: {message}")
    return "\n".join(problems)


def load_model(model: type[Model], name: str, base: Path | None = None, context: dict | None = None) -> Model:
    """``mappings/<name>`` validated as ``model``; :class:`MappingError` names file, line and key path."""
    path = (base or mappings_dir()) / name
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise MappingError(f"{path}:1: expected a mapping of keys at the top level")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise MappingError(describe(exc, path, lines)) from None
