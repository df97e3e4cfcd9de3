"""FHIR R4 output: resources per note (builder), Bulk Data NDJSON files, and a REST sender."""

from omop_nlp.sinks.fhir.builder import FhirBuilder, FhirOptions, NoteContext, resource_id
from omop_nlp.sinks.fhir.ndjson import NdjsonWriter, read_ndjson
from omop_nlp.sinks.fhir.rest import FhirConfigError, RestSender, SendStats, resend_dead_letter
from omop_nlp.sinks.fhir.sink import FhirSink, FhirSummary
from omop_nlp.sinks.fhir.validate import FhirValidationError, validate_resource

__all__ = [
    "FhirBuilder",
    "FhirConfigError",
    "FhirOptions",
    "FhirSink",
    "FhirSummary",
    "FhirValidationError",
    "NdjsonWriter",
    "NoteContext",
    "RestSender",
    "SendStats",
    "read_ndjson",
    "resend_dead_letter",
    "resource_id",
    "validate_resource",
]
