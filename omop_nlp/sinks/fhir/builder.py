"""One ``Result`` -> FHIR R4 resources (plain dicts, each validated with its fhir.resources R4B model).

Mapping (docs/fhir.md): chest CT lesions -> Observation with one member Observation per location
(hasMember; R4 bodySite is 0..1); brain MRI diagnoses -> Condition, plus an mCODE
CancerDiseaseStatus Observation per episode of a malignant diagnosis; one Provenance per note.
Ids are UUIDv5 of the document identifier system, note id and key (+ location/episode), so a
re-run produces the same ids and PUT updates instead of duplicating.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from omop_nlp import NAME, __version__
from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Certainty, EntityType, Finding, Report, Result
from omop_nlp.rules import KeyDef, ModalityRules, load_rules
from omop_nlp.sinks.fhir import codes
from omop_nlp.sinks.fhir.validate import check_local_references, validate_resource

# Fixed namespace of every id this sink mints; changing it would duplicate resources on servers.
NAMESPACE = uuid.UUID("e07f42cc-bdd7-4bb8-b7df-cb4ef59df00d")
DEFAULT_PATIENT_SYSTEM = "urn:omop-nlp:person_id"
DEFAULT_DOCUMENT_SYSTEM = "urn:omop-nlp:note_id"
DEFAULT_CODE_SYSTEM = "urn:omop-nlp:finding"


@dataclass(frozen=True)
class FhirOptions:
    """Per-run settings. Sites set their own identifier systems so ids never collide across sites."""

    patient_system: str = DEFAULT_PATIENT_SYSTEM
    document_system: str = DEFAULT_DOCUMENT_SYSTEM
    code_system: str = DEFAULT_CODE_SYSTEM
    # e.g. "Patient/{person_id}" where the server's Patient ids are OMOP person_ids; None gives a
    # logical reference (Reference.identifier), which never fails referential-integrity checks.
    patient_reference: str | None = None
    nlp_system: str = f"{NAME} {__version__}"
    nlp_version: str = __version__
    create_documents: bool = False
    absent: bool = False


@dataclass(frozen=True)
class NoteContext:
    """What the resources of one note are about; from the OMOP NOTE row or the input file."""

    note_id: str
    person_id: int | str | None
    note_date: date | None = None

    @classmethod
    def from_report(cls, report: Report) -> NoteContext:
        return cls(str(report.id), report.person_id, report.note_date)


def resource_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(str(p) for p in parts)))


def fhir_date(value: date | None) -> str | None:
    """A FHIR date for a note date; a datetime without a zone keeps only its date (FHIR needs a zone)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo else value.date().isoformat()
    return value.isoformat()


class FhirBuilder:
    """Builds the resources of one note at a time; holds only per-run state (options, Device)."""

    def __init__(self, options: FhirOptions | None = None, recorded: datetime | None = None) -> None:
        self.options = options or FhirOptions()
        self.recorded = (recorded or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.device = self._device()
        validate_resource(self.device)

    @property
    def device_reference(self) -> dict:
        return {"reference": f"Device/{self.device['id']}", "display": self.options.nlp_system}

    def build(self, result: Result, context: NoteContext | None = None) -> list[dict]:
        """All resources of one note (not the shared Device), validated, referenced things first."""
        context = context or NoteContext.from_report(result.report)
        if context.person_id is None:
            raise NoteSkipped("fhir_no_person", "FHIR resources need the note's person_id")
        resources = list(_NoteBuilder(self, result, context).resources())
        for resource in resources:
            validate_resource(resource)
        check_local_references(resources, known=[f"Device/{self.device['id']}"])
        return resources

    def _device(self) -> dict:
        opts = self.options
        return _resource(
            "Device",
            resource_id("device", opts.nlp_system),
            deviceName=[
                {"name": opts.nlp_system, "type": "user-friendly-name"},
                {"name": NAME, "type": "model-name"},
            ],
            version=[{"value": opts.nlp_version}],
        )


def _resource(resource_type: str, rid: str, *, profile: str | None = None, **fields: object) -> dict:
    """A resource with the AIAST security label; fields that are None are left out."""
    meta: dict = {"security": [codes.AIAST]}
    if profile:
        meta["profile"] = [profile]
    body = {key: value for key, value in fields.items() if value is not None}
    return {"resourceType": resource_type, "id": rid, "meta": meta, **body}


class _NoteBuilder:
    """The resources of one note; the references every resource shares are computed once."""

    def __init__(self, builder: FhirBuilder, result: Result, context: NoteContext) -> None:
        self.builder = builder
        self.opts = builder.options
        self.result = result
        self.context = context
        self.rules: ModalityRules = load_rules(result.modality)
        self.date = fhir_date(context.note_date)
        self.subject = self._subject()
        self.document = self._document_reference()

    def resources(self) -> Iterator[dict]:
        if self.opts.create_documents:
            yield self._document()
        findings: list[dict] = []
        for key, finding in sorted(self.result.findings.items()):
            findings.extend(self._present(finding, self._definition(key)))
        if self.opts.absent:
            findings.extend(self._absent(key) for key in self._negated_keys())
        yield from findings
        if findings:
            yield self._provenance(findings)

    # -- ids and shared references -------------------------------------------------------------

    def id(self, *parts: str) -> str:
        return resource_id(self.opts.document_system, self.context.note_id, *parts)

    def _subject(self) -> dict:
        identifier = {"system": self.opts.patient_system, "value": str(self.context.person_id)}
        if self.opts.patient_reference:
            return {"reference": self.opts.patient_reference.format(person_id=self.context.person_id),
                    "identifier": identifier}
        return {"type": "Patient", "identifier": identifier}

    def _document_reference(self) -> dict:
        identifier = {"system": self.opts.document_system, "value": self.context.note_id}
        if self.opts.create_documents:
            return {"reference": f"DocumentReference/{self.id('document')}", "identifier": identifier}
        return {"type": "DocumentReference", "identifier": identifier}

    def _definition(self, key: str) -> KeyDef:
        definition = self.rules.entities.get(key) or self.rules.related.get(key)
        if definition is None:
            raise NoteSkipped("fhir_unknown_key", f"{key!r} is not a {self.rules.modality} key")
        return definition

    def _code(self, definition: KeyDef) -> dict:
        """The standard code where there is one, and always the project's own code for the key."""
        project = {"system": self.opts.code_system, "code": definition.key, "display": definition.display}
        primary = codes.coding(definition.code, definition.display, self.opts.code_system)
        codings = [project] if primary["system"] == project["system"] else [primary, project]
        return codes.concept(*codings, text=definition.display)

    # -- present findings ----------------------------------------------------------------------

    def _present(self, finding: Finding, definition: KeyDef) -> list[dict]:
        if finding.type == EntityType.LESION:
            return self._lesion(finding, definition)
        if finding.type == EntityType.DIAGNOSIS:
            return self._diagnosis(finding, definition)
        return []

    def _lesion(self, finding: Finding, definition: KeyDef) -> list[dict]:
        status = "preliminary" if finding.certainty == Certainty.HEDGED else "final"
        members = [self._location(finding.key, definition, loc, status) for loc in sorted(set(finding.related))]
        parent = self._observation(
            self.id("lesion", finding.key), status, self._code(definition), codes.PRESENT,
            hasMember=[{"reference": f"Observation/{m['id']}"} for m in members] or None,
        )
        return [*members, parent]

    def _location(self, key: str, definition: KeyDef, location: str, status: str) -> dict:
        site = self._definition(location)
        body_site = codes.concept(codes.coding(site.code, site.display, self.opts.code_system), text=site.display)
        laterality = codes.LATERALITY.get(site.side or "")
        if laterality:
            body_site = {"extension": [{"url": codes.LATERALITY_EXTENSION,
                                        "valueCodeableConcept": codes.concept(laterality)}], **body_site}
        return self._observation(
            self.id("location", key, location), status, self._code(definition), codes.PRESENT, bodySite=body_site
        )

    def _observation(self, rid: str, status: str, code: dict, value: dict, **fields: object) -> dict:
        return _resource(
            "Observation", rid,
            profile=fields.pop("profile", None),
            extension=fields.pop("extension", None),
            status=status,
            category=[codes.CATEGORY_IMAGING],
            code=code,
            subject=self.subject,
            focus=fields.pop("focus", None),
            effectiveDateTime=self.date,
            valueCodeableConcept=codes.concept(value),
            **fields,
            derivedFrom=[self.document],
        )

    def _diagnosis(self, finding: Finding, definition: KeyDef) -> list[dict]:
        condition = self._condition(finding.key, definition, self._verification(finding), self._clinical(finding))
        if not self.rules.is_malignant(finding.key):
            return [condition]
        status = "preliminary" if finding.certainty == Certainty.HEDGED else "final"
        episodes = sorted(set(finding.related))
        return [condition, *(self._disease_status(finding.key, condition["id"], ep, status) for ep in episodes)]

    def _condition(self, key: str, definition: KeyDef, verification: str, clinical: str | None) -> dict:
        return _resource(
            "Condition", self.id("diagnosis", key),
            clinicalStatus=codes.status_concept(codes.CONDITION_CLINICAL, clinical) if clinical else None,
            verificationStatus=codes.status_concept(codes.CONDITION_VERIFICATION, verification),
            code=self._code(definition),
            subject=self.subject,
            recordedDate=self.date,
            evidence=[{"detail": [self.document]}],
        )

    def _verification(self, finding: Finding) -> str:
        """Hedged -> provisional, or differential where another diagnosis is hedged in the same sentence."""
        if finding.certainty != Certainty.HEDGED:
            return "confirmed"
        sentences = {m.sentence for m in finding.mentions if m.certainty == Certainty.HEDGED}
        rivals = {
            m.key for m in self.result.mentions
            if m.type == EntityType.DIAGNOSIS and m.key != finding.key
            and m.certainty == Certainty.HEDGED and m.sentence in sentences
        }
        return "differential" if rivals else "provisional"

    @staticmethod
    def _clinical(finding: Finding) -> str:
        return "remission" if finding.certainty == Certainty.RESOLVED else "active"

    def _disease_status(self, key: str, condition_id: str, episode: str, status: str) -> dict:
        definition = self._definition(episode)
        value = codes.coding(definition.code, definition.display, self.opts.code_system)
        return self._observation(
            self.id("episode", key, episode), status, codes.concept(codes.CANCER_DISEASE_STATUS), value,
            # mCODE requires effective[x]; claim the profile only where the note has a date.
            profile=codes.CANCER_DISEASE_STATUS_PROFILE if self.date else None,
            extension=[{"url": codes.EVIDENCE_TYPE_EXTENSION,
                        "valueCodeableConcept": codes.concept(codes.EVIDENCE_IMAGING)}],
            focus=[{"reference": f"Condition/{condition_id}"}],
        )

    # -- negated findings (--fhir-absent) ------------------------------------------------------

    def _negated_keys(self) -> list[str]:
        """Entity keys stated only as negated in this note (never one that is also present)."""
        keys = {
            m.key for m in self.result.mentions
            if m.certainty == Certainty.NEGATED and m.key in self.rules.entities
        }
        return sorted(keys - set(self.result.findings))

    def _absent(self, key: str) -> dict:
        definition = self._definition(key)
        if self.rules.entity_type == EntityType.DIAGNOSIS.value:
            return self._condition(key, definition, "refuted", None)
        return self._observation(self.id("lesion", key), "final", self._code(definition), codes.ABSENT)

    # -- the note itself ------------------------------------------------------------------------

    def _document(self) -> dict:
        loinc = self.rules.document_loinc
        return _resource(
            "DocumentReference", self.id("document"),
            identifier=[self.document["identifier"]],
            status=codes.DOCUMENT_STATUS,
            type=codes.concept({"system": codes.LOINC, "code": loinc.code}, text=f"{self.rules.display} report"),
            subject=self.subject,
            content=[{"attachment": {"contentType": "text/plain", "title": f"{self.rules.display} report"}}],
            context={"period": {"start": self.date}} if self.date else None,
        )

    def _provenance(self, targets: list[dict]) -> dict:
        return _resource(
            "Provenance", self.id("provenance"),
            target=[{"reference": f"{r['resourceType']}/{r['id']}"} for r in targets],
            recorded=self.builder.recorded,
            agent=[{"type": codes.concept(codes.PROVENANCE_AUTHOR), "who": self.builder.device_reference}],
            entity=[{"role": "derivation", "what": self.document}],
        )
