"""Hand-built ``Result`` objects for the FHIR tests: independent of the extraction rules on purpose,
so that golden files change only when the FHIR mapping changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from omop_nlp.model import Certainty, EntityType, Finding, Mention, Report, Result

P, H, N, R = Certainty.PRESENT, Certainty.HEDGED, Certainty.NEGATED, Certainty.RESOLVED


def mention(key: str, type_: EntityType, certainty: Certainty = P, sentence: int = 0, related=()) -> Mention:
    return Mention(key, type_, 0, 0, key, "findings", sentence, certainty, list(related))


def result(report: Report, modality: str, mentions: list[Mention], findings: dict[str, tuple]) -> Result:
    """``findings``: key -> (certainty, related keys); each takes the note's non-negated mentions of its key."""
    out = {}
    for key, (certainty, related) in findings.items():
        own = [m for m in mentions if m.key == key and m.certainty != N]
        out[key] = Finding(key, own[0].type, sorted(related), certainty, own)
    return Result(report, modality, mentions, out)


def chest_ct() -> Result:
    """Subpleural RUL nodule, hedged bibasilar GGO, effusion without location, no consolidation."""
    lesion, loc = EntityType.LESION, EntityType.LOCATION
    mentions = [
        mention("nodule", lesion, P, 0, ["rul", "pleura"]),
        mention("rul", loc, P, 0),
        mention("ggo", lesion, H, 1, ["bll"]),
        mention("pleural_effusion", lesion, P, 2),
        mention("consolidation", lesion, N, 3),
    ]
    report = Report("ct-0001", "", "chest_ct", person_id=1001, note_date=date(2024, 3, 5))
    return result(report, "chest_ct", mentions, {
        "nodule": (P, ["rul", "pleura"]),
        "ggo": (H, ["bll"]),
        "pleural_effusion": (P, []),
    })


def brain_mri() -> Result:
    """Glioma with mixed episodes, a differential (metastasis vs lymphoma), a hedged meningioma, no infarct."""
    dx, ep = EntityType.DIAGNOSIS, EntityType.EPISODE
    mentions = [
        mention("glioma", dx, P, 0, ["progression", "stable"]),
        mention("metastasis", dx, H, 1, ["progression"]),
        mention("lymphoma", dx, H, 1, ["progression"]),
        mention("progression", ep, P, 1),
        mention("non_malignant_tumor", dx, H, 2),
        mention("stroke_infarction", dx, N, 3),
    ]
    report = Report("mr-0001", "", "brain_mri", person_id=2002, note_date=date(2024, 6, 1))
    return result(report, "brain_mri", mentions, {
        "glioma": (P, ["progression", "stable"]),
        "metastasis": (H, ["progression"]),
        "lymphoma": (H, ["progression"]),
        "non_malignant_tumor": (H, []),
    })


def treated_glioma() -> Result:
    """A treated glioma whose lesions have resolved: present with improvement."""
    mentions = [mention("glioma", EntityType.DIAGNOSIS, R, 0, ["improvement"])]
    report = Report("mr-0002", "", "brain_mri", person_id=2002, note_date=date(2024, 12, 2))
    return result(report, "brain_mri", mentions, {"glioma": (R, ["improvement"])})


def normal_chest() -> Result:
    """Nothing present: no findings, so no resources unless the DocumentReference is asked for."""
    mentions = [mention("nodule", EntityType.LESION, N, 0)]
    report = Report("ct-0002", "", "chest_ct", person_id=1001, note_date=date(2024, 9, 9))
    return result(report, "chest_ct", mentions, {})


SAMPLES = {"chest_ct": chest_ct, "brain_mri": brain_mri, "treated_glioma": treated_glioma, "normal_chest": normal_chest}


def many(count: int) -> list[Result]:
    """``count`` notes cycling through the samples, each with its own note id and person."""
    makers = list(SAMPLES.values())
    out = []
    for i in range(count):
        base = makers[i % len(makers)]()
        report = replace(base.report, id=f"{base.report.id}-{i}", person_id=5000 + i % 7)
        out.append(replace(base, report=report))
    return out
