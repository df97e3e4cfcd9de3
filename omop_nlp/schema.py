"""Loads the per-modality data in ``mappings/``: keys, entity values, codes, related keys.

Everything a site may want to change (a term, a code, a language) lives in YAML so that it
can be edited without a release; this module only reads and indexes it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from omop_nlp.data_files import data_dir
from omop_nlp.errors import MappingError

MODALITIES = ("chest_ct", "brain_mri")
MAPPINGS_ENV = "OMOP_NLP_MAPPINGS"


@dataclass(frozen=True)
class Code:
    vocabulary: str
    code: str

    @property
    def is_project_code(self) -> bool:
        return self.vocabulary == "omop-nlp"


@dataclass(frozen=True)
class KeyDef:
    """An entity key (lesion, diagnosis) or a related key (location, episode)."""

    key: str
    display: str
    code: Code
    terms: dict[str, list[str]]
    relates: bool = False
    group: str | None = None
    side: str | None = None
    expands_to: tuple[str, ...] = ()
    episode_concept: Code | None = None

    def all_terms(self) -> list[str]:
        return [t for lang_terms in self.terms.values() for t in lang_terms]


@dataclass(frozen=True)
class ModalitySchema:
    modality: str
    display: str
    document_loinc: Code
    entity_type: str
    related_type: str
    entities: dict[str, KeyDef]
    related: dict[str, KeyDef]
    extra: dict = field(default_factory=dict)

    def is_malignant(self, key: str) -> bool:
        return self.entities[key].group == "malignant"

    def expand(self, related: list[str] | set[str]) -> set[str]:
        """Bilateral expansion of guideline rule 4 (bll -> {rll, lll})."""
        out: set[str] = set()
        for key in related:
            definition = self.related.get(key)
            out.update(definition.expands_to if definition and definition.expands_to else (key,))
        return out


class _TermLoader(yaml.SafeLoader):
    """YAML 1.1 reads 'no', 'on', 'off' as booleans; in term lists they are words."""


_TermLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_TermLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def mappings_dir() -> Path:
    """The mappings folder: $OMOP_NLP_MAPPINGS, the copy inside the wheel, or the checkout's."""
    return data_dir("mappings", MAPPINGS_ENV)


def load_yaml(name: str, base: Path | None = None) -> dict:
    path = (base or mappings_dir()) / name
    if not path.is_file():
        raise MappingError(f"mappings file not found: {path}")
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_TermLoader)
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a mapping at the top level")
    return data


def _code(raw: dict | None) -> Code | None:
    return Code(str(raw["vocabulary"]), str(raw["code"])) if raw else None


def _key_def(key: str, raw: dict) -> KeyDef:
    return KeyDef(
        key=key,
        display=raw["display"],
        code=_code(raw["code"]),
        terms={lang: [str(t) for t in terms] for lang, terms in raw.get("terms", {}).items()},
        relates=bool(raw.get("relates", False)),
        group=raw.get("group"),
        side=raw.get("side"),
        expands_to=tuple(raw.get("expands_to", ())),
        episode_concept=_code(raw.get("episode_concept")),
    )


@cache
def load_schema(modality: str, base: Path | None = None) -> ModalitySchema:
    if modality not in MODALITIES:
        raise MappingError(f"unknown modality {modality!r}; expected one of {', '.join(MODALITIES)}")
    raw = load_yaml(f"{modality}.yaml", base)
    try:
        known = {"modality", "display", "document_loinc", "entity_type", "related_type", "entities", "related"}
        loinc = raw["document_loinc"]
        return ModalitySchema(
            modality=raw["modality"],
            display=raw["display"],
            document_loinc=Code("LOINC", str(loinc["code"])),
            entity_type=raw["entity_type"],
            related_type=raw["related_type"],
            entities={k: _key_def(k, v) for k, v in raw["entities"].items()},
            related={k: _key_def(k, v) for k, v in raw["related"].items()},
            extra={k: v for k, v in raw.items() if k not in known},
        )
    except (KeyError, TypeError) as exc:
        raise MappingError(f"{modality}.yaml: missing or malformed field {exc}") from exc


def mappings_fingerprint(base: Path | None = None) -> str:
    """A short hash of every mappings file, so nlp_system changes when the rules change."""
    root = base or mappings_dir()
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]
