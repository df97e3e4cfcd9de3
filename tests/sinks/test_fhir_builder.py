"""The FHIR mapping: golden files, validity, ids, references, NDJSON files. No server needed."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir_samples import SAMPLES, brain_mri, chest_ct, many, normal_chest, treated_glioma

from omop_nlp.sinks.fhir import (
    FhirBuilder,
    FhirOptions,
    FhirSink,
    FhirValidationError,
    NdjsonWriter,
    NoteContext,
    read_ndjson,
    validate_resource,
)
from omop_nlp.sinks.fhir.validate import check_local_references

GOLDEN = Path(__file__).parents[1] / "golden" / "fhir"
UPDATE = os.environ.get("OMOP_NLP_UPDATE_GOLDEN") == "1"
RECORDED = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SNOMED = "http://snomed.info/sct"
BASE = FhirOptions(nlp_system="omop-nlp 0.1.0 rules golden", nlp_version="0.1.0")
VARIANTS = {
    "default": BASE,
    "full": replace(BASE, create_documents=True, absent=True, patient_reference="Patient/{person_id}"),
}


def build(result, options: FhirOptions = BASE) -> list[dict]:
    return FhirBuilder(options, RECORDED).build(result)


def by_type(resources: list[dict], resource_type: str) -> list[dict]:
    return [r for r in resources if r["resourceType"] == resource_type]


def codes_of(concept: dict) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in concept["coding"]}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_golden(sample: str, variant: str) -> None:
    resources = build(SAMPLES[sample](), VARIANTS[variant])
    path = GOLDEN / f"{sample}.{variant}.json"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(resources, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with OMOP_NLP_UPDATE_GOLDEN=1 to create it"
    assert resources == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_resource_is_what_its_r4b_model_serializes(variant: str) -> None:
    """The JSON written is exactly the model's own serialization: nothing the model would drop or change."""
    builder = FhirBuilder(VARIANTS[variant], RECORDED)
    resources = [builder.device] + [r for make in SAMPLES.values() for r in builder.build(make())]
    for resource in resources:
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert json.loads(model.model_dump_json()) == resource
        assert resource["meta"]["security"] == [
            {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "AIAST",
             "display": "Artificial Intelligence asserted"}
        ]


def test_ids_are_deterministic_and_note_specific() -> None:
    first = [r["id"] for r in FhirBuilder(BASE, RECORDED).build(chest_ct())]
    again = [r["id"] for r in FhirBuilder(BASE, datetime(2030, 1, 1, tzinfo=UTC)).build(chest_ct())]
    other_note = chest_ct()
    other_note = replace(other_note, report=replace(other_note.report, id="ct-9999"))
    other = [r["id"] for r in build(other_note)]
    other_site = [r["id"] for r in build(chest_ct(), replace(BASE, document_system="https://site-b/note_id"))]
    assert first == again
    assert len(set(first)) == len(first)
    assert not set(first) & set(other)
    assert not set(first) & set(other_site)


def test_chest_ct_lesions_locations_and_laterality() -> None:
    resources = build(chest_ct())
    observations = {r["id"]: r for r in by_type(resources, "Observation")}
    parents = [o for o in observations.values() if "bodySite" not in o]
    assert sorted(c["code"] for p in parents for c in p["code"]["coding"] if c["system"] != SNOMED) == [
        "112120", "ggo", "nodule", "pleural_effusion",
    ]
    nodule = next(p for p in parents if (SNOMED, "786838002") in codes_of(p["code"]))
    members = [observations[m["reference"].split("/")[1]] for m in nodule["hasMember"]]
    assert {codes_of(m["bodySite"]).pop() for m in members} == {(SNOMED, "42400003"), (SNOMED, "3120008")}
    rul = next(m for m in members if (SNOMED, "42400003") in codes_of(m["bodySite"]))
    assert rul["bodySite"]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "24028007"
    pleura = next(m for m in members if m is not rul)
    assert "extension" not in pleura["bodySite"]  # pleura has no side
    assert nodule["status"] == "final" and nodule["effectiveDateTime"] == "2024-03-05"
    assert nodule["derivedFrom"] == [{"type": "DocumentReference",
                                      "identifier": {"system": BASE.document_system, "value": "ct-0001"}}]
    ggo = next(p for p in parents if p["code"]["text"] == "Ground-glass opacity")
    assert ggo["status"] == "preliminary"
    (bll,) = [observations[m["reference"].split("/")[1]] for m in ggo["hasMember"]]
    assert codes_of(bll["bodySite"]) == {(SNOMED, "90572001")}
    assert bll["bodySite"]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "51440002"


def test_negated_findings_are_never_present_and_absent_only_on_request() -> None:
    present = build(chest_ct())
    assert all(o["code"]["text"] != "Lung consolidation" for o in by_type(present, "Observation"))
    with_absent = build(chest_ct(), replace(BASE, absent=True))
    (consolidation,) = [o for o in by_type(with_absent, "Observation") if o["code"]["text"] == "Lung consolidation"]
    assert codes_of(consolidation["valueCodeableConcept"]) == {(SNOMED, "2667000")}
    assert "hasMember" not in consolidation
    brain = build(brain_mri(), replace(BASE, absent=True))
    (infarct,) = [c for c in by_type(brain, "Condition") if c["code"]["text"] == "Cerebral infarction"]
    assert infarct["verificationStatus"]["coding"][0]["code"] == "refuted"
    assert "clinicalStatus" not in infarct


def test_brain_conditions_verification_and_disease_status() -> None:
    resources = build(brain_mri())
    conditions = {c["code"]["text"]: c for c in by_type(resources, "Condition")}
    verification = {name: c["verificationStatus"]["coding"][0]["code"] for name, c in conditions.items()}
    assert verification == {
        "Glioma": "confirmed",
        "Secondary malignant neoplasm of brain": "differential",
        "Primary CNS lymphoma": "differential",
        "Benign neoplasm of brain": "provisional",
    }
    assert conditions["Glioma"]["evidence"] == [{"detail": [{"type": "DocumentReference", "identifier": {
        "system": BASE.document_system, "value": "mr-0001"}}]}]
    statuses = [o for o in by_type(resources, "Observation") if (
        "http://loinc.org", "97509-4") in codes_of(o["code"])]
    glioma_id = conditions["Glioma"]["id"]
    glioma_values = {codes_of(o["valueCodeableConcept"]).pop() for o in statuses
                     if o["focus"] == [{"reference": f"Condition/{glioma_id}"}]}
    assert glioma_values == {(SNOMED, "271299001"), (SNOMED, "359746009")}
    assert len(statuses) == 4  # glioma x2, metastasis, lymphoma; never the benign tumour
    for status in statuses:
        assert status["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "363679005"
        assert status["meta"]["profile"] == ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status"]
    treated = build(treated_glioma())
    (condition,) = by_type(treated, "Condition")
    assert condition["clinicalStatus"]["coding"][0]["code"] == "remission"
    (improved,) = [o for o in by_type(treated, "Observation")]
    assert codes_of(improved["valueCodeableConcept"]) == {(SNOMED, "268910001")}


def test_provenance_and_documents() -> None:
    options = replace(BASE, create_documents=True)
    builder = FhirBuilder(options, RECORDED)
    resources = builder.build(brain_mri())
    (document,) = by_type(resources, "DocumentReference")
    assert codes_of(document["type"]) == {("http://loinc.org", "24590-2")}
    (provenance,) = by_type(resources, "Provenance")
    targets = {t["reference"] for t in provenance["target"]}
    assert targets == {f"{r['resourceType']}/{r['id']}" for r in resources
                       if r["resourceType"] in ("Condition", "Observation")}
    assert provenance["entity"] == [{"role": "derivation", "what": {
        "reference": f"DocumentReference/{document['id']}",
        "identifier": {"system": options.document_system, "value": "mr-0001"}}}]
    assert provenance["agent"][0]["who"] == {"reference": f"Device/{builder.device['id']}",
                                             "display": options.nlp_system}
    assert provenance["recorded"] == "2025-01-01T12:00:00Z"
    assert builder.build(normal_chest()) == [document_for(builder, normal_chest())]
    assert FhirBuilder(BASE, RECORDED).build(normal_chest()) == []


def document_for(builder: FhirBuilder, result) -> dict:
    (document,) = by_type(builder.build(result), "DocumentReference")
    return document


def test_reference_target_types_are_checked() -> None:
    good = build(chest_ct())[0]
    validate_resource(good)
    wrong_target = {**good, "derivedFrom": [{"reference": "DiagnosticReport/r1"}]}
    with pytest.raises(FhirValidationError, match=r"Observation.derivedFrom\[0\]: a reference to DiagnosticReport"):
        validate_resource(wrong_target)
    untyped = {**good, "subject": {"identifier": {"system": "urn:x", "value": "1"}}}
    with pytest.raises(FhirValidationError, match="neither a type nor a literal"):
        validate_resource(untyped)
    nested = by_type(build(brain_mri()), "Provenance")[0]
    bad_agent = {**nested, "agent": [{"who": {"reference": "Observation/x"}}]}
    with pytest.raises(FhirValidationError, match=r"Provenance.agent\[0\].who: a reference to Observation"):
        validate_resource(bad_agent)
    with pytest.raises(FhirValidationError, match="dangling reference Observation/missing"):
        check_local_references([{**good, "hasMember": [{"reference": "Observation/missing"}]}])


def test_r4_cardinality_is_enforced() -> None:
    member = next(o for o in build(chest_ct()) if "bodySite" in o)
    with pytest.raises(FhirValidationError, match="bodySite"):
        validate_resource({**member, "bodySite": [member["bodySite"], member["bodySite"]]})


def test_sink_skips_notes_without_person_and_counts_them(tmp_path: Path) -> None:
    anonymous = chest_ct()
    anonymous = replace(anonymous, report=replace(anonymous.report, person_id=None))
    sink = FhirSink(BASE, out_dir=tmp_path, recorded=RECORDED)
    assert sink.write(anonymous) == 0
    assert sink.write(brain_mri(), NoteContext("note-77", 31, None)) > 0
    summary = sink.close()
    assert summary.skipped == {"fhir_no_person": 1}
    assert summary.notes == 1
    conditions = read_ndjson(tmp_path / "Condition.ndjson")
    assert {c["subject"]["identifier"]["value"] for c in conditions} == {"31"}
    assert all("recordedDate" not in c for c in conditions)  # no note date: left out, never invented


def test_ndjson_one_file_per_type_streamed(tmp_path: Path) -> None:
    builder = FhirBuilder(BASE, RECORDED)
    writer = NdjsonWriter(tmp_path)
    writer.write_all(builder.build(chest_ct()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Observation.ndjson.part", "Provenance.ndjson.part"]
    for result in many(400):  # more than any write buffer: lines reach the disk before close()
        writer.write_all(builder.build(result))
    assert (tmp_path / "Observation.ndjson.part").stat().st_size > 100_000
    writer.write_all(builder.build(brain_mri()))
    counts = writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Condition.ndjson", "Observation.ndjson", "Provenance.ndjson"]
    for resource_type, count in counts.items():
        lines = (tmp_path / f"{resource_type}.ndjson").read_text(encoding="utf-8").splitlines()
        assert len(lines) == count
        assert {json.loads(line)["resourceType"] for line in lines} == {resource_type}
    assert counts["Provenance"] == 2 + 300  # every note with findings; the 100 normal chests have none


def test_sink_writes_device_once_and_counts_match(tmp_path: Path) -> None:
    with FhirSink(VARIANTS["full"], out_dir=tmp_path, recorded=RECORDED) as sink:
        for result in many(40):
            sink.write(result)
    summary = sink.close()
    assert read_ndjson(tmp_path / "Device.ndjson") == [FhirBuilder(VARIANTS["full"], RECORDED).device]
    on_disk = {p.name.split(".")[0]: len(read_ndjson(p)) for p in tmp_path.glob("*.ndjson")}
    assert on_disk == {**summary.resources, "Device": 1}
    assert summary.written == sum(on_disk.values())
    assert summary.notes == 40 and on_disk["DocumentReference"] == 40


def test_results_of_the_real_pipeline_build_and_validate(tmp_path: Path, pipeline) -> None:
    """Every devset report through the rule pipeline: each present key becomes a resource."""
    from omop_nlp.model import Report

    sink = FhirSink(replace(BASE, absent=True, create_documents=True), out_dir=tmp_path)
    expected_codes: set[str] = set()
    for path in sorted((Path(__file__).parents[1] / "devset").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            data = json.loads(line)
            result = pipeline.extract(Report(data["id"], data["text"], data["modality"], person_id=number))
            expected_codes |= set(result.findings)
            sink.write(result)
    summary = sink.close()
    assert summary.skipped == {} and summary.notes > 50
    written = {c["code"] for p in tmp_path.glob("*.ndjson") for r in read_ndjson(p) if "code" in r
               for c in r["code"]["coding"] if c["system"] == BASE.code_system}
    assert expected_codes <= written
