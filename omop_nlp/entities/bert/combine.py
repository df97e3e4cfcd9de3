"""How stage-1 probabilities combine with the lexicon: the *recall union* policy (docs/bert.md).

For a report routed to a modality that has a model:

1. The lexicon + ConText findings are kept as they are. The classifier never removes a key and
   never changes a certainty or a related key (locations, episodes): those need spans.
2. A key the lexicon did **not mention at all** is added when its probability is at or above the
   model's ``union_threshold`` (default 0.9: an addition has no span to check, so it must be a
   confident one; ``threshold``, default 0.5, is the classifier's own cut-off). It becomes a
   finding with certainty ``hedged`` (present under the guideline, but marked as not read from
   a span: FHIR ``preliminary``/``provisional``), no related keys, and one report-level mention
   with ``decided_by="bert"``, offset 0 and no text, so NOTE_NLP, CDM facts and FHIR all show where
   it came from.
3. A key the lexicon mentioned with a non-present certainty (negated, unlikely, hypothetical,
   ...) stays absent whatever the probability: the assertion of a span outranks a report-level
   score, which is what the paper's BERT got wrong on negated reports.

So the union can only add recall on vocabulary the lexicon lacks (a site's own spellings and
templates), at the cost of the false positives the threshold lets through. ``target_keys``
gives the classifier's whole list at ``threshold``, for an LLM stage-2 mapper's "target" prompt
(the paper's "### Target Lesions:"). With ``--mapper llm`` the added keys are findings before
stage 2 runs, so the LLM is asked for their locations or episodes like any other target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from omop_nlp.model import DECIDED_BY_BERT, Certainty, EntityType, Finding, Mention, Report
from omop_nlp.text.note import checked_text

BERT_CERTAINTY = Certainty.HEDGED
REPORT_LEVEL_SENTENCE = -1


def union_additions(keys: Sequence[str], probs: np.ndarray, mentioned: set[str], threshold: float) -> list[str]:
    """Keys the union adds: at or above the threshold and not mentioned by the lexicon at all."""
    return [k for k, p in zip(keys, probs, strict=True) if p >= threshold and k not in mentioned]


def bert_finding(key: str, entity_type: str) -> Finding:
    mention = Mention(key=key, type=EntityType(entity_type), start=0, end=0, text="", section=None,
                      sentence=REPORT_LEVEL_SENTENCE, certainty=BERT_CERTAINTY, decided_by=DECIDED_BY_BERT)  # fmt: skip
    return Finding(key, mention.type, [], BERT_CERTAINTY, [mention])


class StageOne:
    """The pipeline's ``KeyClassifier`` (``omop_nlp.model``): one ONNX classifier per modality."""

    def __init__(self, classifiers: Iterable, prefetch_size: int = 256) -> None:
        self.classifiers = {}
        for classifier in classifiers:
            modality = classifier.config.modality
            if modality in self.classifiers:
                raise ValueError(f"two --bert models for {modality}")
            self.classifiers[modality] = classifier
        self.prefetch_size = prefetch_size
        self._cache: dict[tuple[str, str], np.ndarray | None] = {}

    @property
    def name(self) -> str:
        return " + ".join(c.name for c in self.classifiers.values())

    def probabilities(self, text: str, modality: str) -> np.ndarray | None:
        classifier = self.classifiers.get(modality)
        if classifier is None:
            return None
        cached = self._cache.get((modality, text))
        return cached if cached is not None else classifier.predict([text])[0]

    def target_keys(self, text: str, modality: str) -> list[str]:
        """Keys at or above the threshold, most probable first (for an LLM mapper's prompt)."""
        probs = self.probabilities(text, modality)
        if probs is None:
            return []
        classifier = self.classifiers[modality]
        order = np.argsort(-probs, kind="stable")
        return [classifier.config.keys[i] for i in order if probs[i] >= classifier.config.threshold]

    def combine(self, text: str, modality: str, mentions: list[Mention], findings: dict[str, Finding]) -> dict:
        probs = self.probabilities(text, modality)
        if probs is None:
            return findings
        config = self.classifiers[modality].config
        mentioned = {m.key for m in mentions if m.type == config.entity_type}
        for key in union_additions(config.keys, probs, mentioned, config.union_threshold):
            finding = bert_finding(key, config.entity_type)
            mentions.append(finding.mentions[0])
            findings[key] = finding
        return findings

    def prefetching(self, reports: Iterable[Report], route: Callable[[Report], str | None]) -> Iterator[Report]:
        """Yields ``reports`` unchanged, having scored them ``prefetch_size`` at a time, so the
        classifier runs length-bucketed batches instead of one note at a time."""
        chunk: list[Report] = []
        for report in reports:
            chunk.append(report)
            if len(chunk) >= self.prefetch_size:
                self.prefetch(chunk, route)
                yield from chunk
                chunk = []
        self.prefetch(chunk, route)
        yield from chunk

    def prefetch(self, reports: list[Report], route: Callable[[Report], str | None]) -> None:
        """Scores ``reports`` in one bucketed pass; ``combine`` then finds them ready. Only this
        chunk is kept (scores already there are reused); a note missed here is scored on demand."""
        old, self._cache = self._cache, {}
        todo: dict[str, list[str]] = {}
        for report in reports:
            try:
                text = checked_text(report.text, max_chars=None)  # the text combine() will be asked about
                modality = route(report)
            except Exception:  # a skipped note or a routing problem surfaces in extract(), with the note's id
                continue
            if modality not in self.classifiers:
                continue
            if (modality, text) in old:
                self._cache[(modality, text)] = old[(modality, text)]
            elif (modality, text) not in self._cache:
                todo.setdefault(modality, []).append(text)
                self._cache[(modality, text)] = None  # placeholder, filled below
        for modality, texts in todo.items():
            for text, probs in zip(texts, self.classifiers[modality].predict(texts), strict=True):
                self._cache[(modality, text)] = probs


def load_stage_one(model_dirs: Sequence[Path | str], *, threads: int | None = None, device: str = "auto",
                   variant: str = "auto") -> StageOne:  # fmt: skip
    from omop_nlp.entities.bert.runtime import OnnxKeyClassifier

    return StageOne(OnnxKeyClassifier(d, threads=threads, device=device, variant=variant) for d in model_dirs)
