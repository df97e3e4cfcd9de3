"""Code systems, fixed codes and extension URLs of the FHIR mapping (standards-facts.md, FHIR R4)."""

from __future__ import annotations

from omop_nlp.rules import Code

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"

# Vocabulary names of mappings/*.yaml -> FHIR code system URIs; "omop-nlp" is FhirOptions.code_system.
VOCABULARY_SYSTEMS = {"SNOMED": SNOMED, "LOINC": LOINC, "DCM": DICOM}

AIAST = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "AIAST",
    "display": "Artificial Intelligence asserted",
}
CATEGORY_IMAGING = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "imaging",
            "display": "Imaging",
        }
    ]
}
PRESENT = {"system": SNOMED, "code": "52101004", "display": "Present"}
ABSENT = {"system": SNOMED, "code": "2667000", "display": "Absent"}

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# Laterality qualifiers (SNOMED) by the `side` of a location key in chest_ct.yaml.
LATERALITY = {
    "right": {"system": SNOMED, "code": "24028007", "display": "Right"},
    "left": {"system": SNOMED, "code": "7771000", "display": "Left"},
    "both": {"system": SNOMED, "code": "51440002", "display": "Right and left"},
}
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition"
LATERALITY_EXTENSION = f"{MCODE}/mcode-laterality-qualifier"
CANCER_DISEASE_STATUS_PROFILE = f"{MCODE}/mcode-cancer-disease-status"
EVIDENCE_TYPE_EXTENSION = f"{MCODE}/mcode-cancer-disease-status-evidence-type"
CANCER_DISEASE_STATUS = {"system": LOINC, "code": "97509-4", "display": "Cancer disease progression"}
EVIDENCE_IMAGING = {"system": SNOMED, "code": "363679005", "display": "Imaging"}

DOCUMENT_STATUS = "current"
PROVENANCE_AUTHOR = {
    "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
    "code": "author",
    "display": "Author",
}


def coding(code: Code, display: str, project_system: str) -> dict:
    """One Coding from a mappings code; the project's own keys go to its CodeSystem."""
    system = project_system if code.is_project_code else VOCABULARY_SYSTEMS.get(code.vocabulary)
    if system is None:
        raise ValueError(f"no FHIR code system for vocabulary {code.vocabulary!r}")
    return {"system": system, "code": code.code, "display": display}


def concept(*codings: dict, text: str | None = None) -> dict:
    out: dict = {"coding": list(codings)}
    if text:
        out["text"] = text
    return out


def status_concept(system: str, code: str) -> dict:
    """A CodeableConcept for an HL7 status code (condition-clinical, condition-ver-status)."""
    return concept({"system": system, "code": code, "display": code.capitalize()})
