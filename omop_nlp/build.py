"""``build_pipeline(config)``: the one place a ``Pipeline`` is assembled, and ``nlp_system`` named.

Every front door (the commands, the Python API, worker processes, the benchmarks, the Spark
and spaCy adapters) builds its pipeline here from a ``PipelineConfig``, so the same config
gives the same stages and the same ``nlp_system`` everywhere.
"""

from __future__ import annotations

from dataclasses import replace

from omop_nlp import NAME, __version__
from omop_nlp.config import BertModels, PipelineConfig
from omop_nlp.errors import BertModelError, ConfigurationError, LlmConfigError
from omop_nlp.model import KeyClassifier, RelationRefiner
from omop_nlp.pipeline import ModalityEngine, Pipeline
from omop_nlp.relations.llm.config import LlmConfig
from omop_nlp.routing import load_router
from omop_nlp.rules import MODALITIES, rules_fingerprint

NLP_SYSTEM_MAX = 250  # NOTE_NLP.nlp_system is VARCHAR(250)
_BERT_EXTRA = "pip install 'omop-nlp[bert]'"


def build_pipeline(config: PipelineConfig | None = None, *, key_classifier: KeyClassifier | None = None,
                   relation_refiner: RelationRefiner | None = None) -> Pipeline:  # fmt: skip
    """The pipeline ``config`` describes; raises ``UsageError`` or ``ConfigurationError`` before
    any note is read when it cannot work (a missing model folder, an LLM server that lists no model).

    ``key_classifier`` / ``relation_refiner``: a ready stage (a test double, an adapter's own
    client) in place of the one ``config.bert`` / ``config.llm`` describes."""
    config = config or PipelineConfig()
    config.check()
    if key_classifier is None and config.bert is not None:
        key_classifier = _key_classifier(config.bert)
    refiner = relation_refiner
    if refiner is None and config.relation_mapper != "rules":
        refiner = _relation_refiner(config.llm)
    return Pipeline(
        config,
        {m: ModalityEngine.for_modality(m) for m in MODALITIES},
        load_router(),
        nlp_system=nlp_system(refiner, key_classifier),
        key_classifier=key_classifier,
        relation_refiner=refiner,
    )


def nlp_system(refiner: RelationRefiner | None = None, key_classifier: KeyClassifier | None = None) -> str:
    """``omop-nlp <version> <stage 2> <rules fingerprint>[ + <stage-1 models>]``: what wrote a row.

    A new release, other rules, another LLM or BERT model make a new value, so ``unload`` can
    remove one system's rows and the ledger redoes notes for the new one."""
    stage2 = refiner.system_tag if refiner is not None else "rules"
    name = f"{NAME} {__version__} {stage2} {rules_fingerprint()}"
    if key_classifier is not None:
        name = f"{name} + {key_classifier.name}"
    return name[:NLP_SYSTEM_MAX]


def _key_classifier(bert: BertModels) -> KeyClassifier:
    try:
        from omop_nlp.entities.bert.combine import load_stage_one

        return load_stage_one(bert.dirs, threads=bert.threads, device=bert.device, variant=bert.variant)
    except ImportError as exc:
        raise ConfigurationError(f"--bert needs onnxruntime and tokenizers ({_BERT_EXTRA}): {exc.name} is missing"
                                 ) from None  # fmt: skip
    except BertModelError:
        raise
    except ValueError as exc:  # two models for one modality
        raise BertModelError(str(exc)) from None
    except RuntimeError as exc:  # onnxruntime: a damaged or foreign .onnx file
        raise BertModelError(f"--bert: cannot load the ONNX model ({exc.__class__.__name__})") from None


def _relation_refiner(llm: LlmConfig) -> RelationRefiner:
    """The LLM relation mapper; with no model named, the server's only model."""
    from omop_nlp.relations.llm.client import list_models
    from omop_nlp.relations.llm.mapper import LlmRelationMapper

    llm.check()
    if llm.backend == "openai" and llm.model is None:
        served = list_models(llm.url, llm.api_key)
        if len(served) != 1:
            why = f"it serves {', '.join(served)}" if served else "it lists no model (is it up?)"
            raise LlmConfigError(f"--llm-model not given and {llm.url.rstrip('/')}/models cannot tell which: {why}")
        llm = replace(llm, model=served[0])
    return LlmRelationMapper(llm)
