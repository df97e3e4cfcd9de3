"""The engine as a spaCy pipeline component: ``nlp.add_pipe("omop_nlp", config={"modality": "chest_ct"})``.

Registered through the ``spacy_factories`` entry point, so spaCy finds it without an import.
Each mention becomes a span in ``doc.spans[spans_key]`` labelled with its key, with custom
attributes for what the engine decided; ``doc.ents`` gets them too, with the entities already
there, overlaps resolved by ``spacy.util.filter_spans`` (the longest span wins).
``doc._.omop_findings`` holds the findings in the guideline's form.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline
from omop_nlp.rules import MODALITIES

SPAN_ATTRIBUTES = ("omop_type", "omop_certainty", "omop_section", "omop_related", "omop_mapper")
DOC_ATTRIBUTES = ("omop_modality", "omop_findings", "omop_skipped")


def _register_extensions() -> None:
    for name in SPAN_ATTRIBUTES:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    for name in DOC_ATTRIBUTES:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


class OmopNlpComponent:
    """Runs the rule engine on ``doc.text``; mentions map to spans with ``alignment_mode="expand"``."""

    def __init__(self, name: str, modality: str, spans_key: str, set_ents: bool) -> None:
        if modality != "auto" and modality not in MODALITIES:
            raise ValueError(f"[omop_nlp] unknown modality {modality!r}; expected auto, {', '.join(MODALITIES)}")
        _register_extensions()
        self.name = name
        self.spans_key = spans_key
        self.set_ents = set_ents
        self.pipeline = Pipeline(modality)

    def __call__(self, doc: Doc) -> Doc:
        try:
            result = self.pipeline.extract(Report(id=self.name, text=doc.text))
        except NoteSkipped as skipped:  # an empty or unroutable text: no spans, and why
            doc._.omop_skipped = skipped.reason
            doc.spans[self.spans_key] = []
            return doc
        spans = []
        for mention in result.mentions:
            span = doc.char_span(mention.start, mention.end, label=mention.key, alignment_mode="expand")
            if span is None:
                continue
            span._.omop_type = mention.type.value
            span._.omop_certainty = mention.certainty.value
            span._.omop_section = mention.section
            span._.omop_related = sorted(set(mention.related))
            span._.omop_mapper = mention.mapper
            spans.append(span)
        doc.spans[self.spans_key] = spans
        doc._.omop_modality = result.modality
        doc._.omop_findings = result.findings_json()
        if self.set_ents:
            doc.ents = filter_spans([*doc.ents, *spans])
        return doc


@Language.factory(
    "omop_nlp",
    default_config={"modality": "auto", "spans_key": "omop_nlp", "set_ents": True},
)
def make_omop_nlp(nlp: Language, name: str, modality: str, spans_key: str, set_ents: bool) -> OmopNlpComponent:
    return OmopNlpComponent(name, modality, spans_key, set_ents)
