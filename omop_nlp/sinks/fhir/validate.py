"""Validation of built resources: the fhir.resources R4B models, plus the reference checks they skip.

fhir.resources knows each Reference element's allowed target types (``enum_reference_types`` in the
field metadata) but does not enforce them; this module does, so that e.g. an Observation.derivedFrom
pointing at a DiagnosticReport (not allowed in R4) fails here rather than at the FHIR server.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from functools import cache

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.types import FhirBase
from pydantic import BaseModel, ValidationError

from omop_nlp.errors import FhirValidationError

ANY_TARGET = "Resource"
# Resource types whose literal references must resolve inside the note's own resources.
LOCAL_TYPES = frozenset({"Observation", "Condition", "DocumentReference", "Provenance", "Device"})


def validate_resource(resource: dict) -> None:
    """Validate one resource with its R4B model and check the target type of every Reference."""
    resource_type = resource.get("resourceType", "")
    try:
        model = get_fhir_model_class(resource_type)
    except ValueError:
        raise FhirValidationError(f"unknown resource type {resource_type!r}") from None
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        raise FhirValidationError(f"{resource_type}/{resource.get('id')}: {_first_error(exc)}") from None
    _check_references(model, resource, resource_type)


def check_local_references(resources: Iterable[dict], known: Iterable[str] = ()) -> None:
    """Every literal reference to a resource type this sink emits must point at one it emitted."""
    resources = list(resources)
    ids = {f"{r['resourceType']}/{r['id']}" for r in resources} | set(known)
    for resource in resources:
        for path, ref in _references(resource, resource["resourceType"]):
            literal = ref.get("reference")
            if literal and literal.split("/", 1)[0] in LOCAL_TYPES and literal not in ids:
                raise FhirValidationError(f"{path}: dangling reference {literal}")


def reference_type(ref: dict) -> str | None:
    """The target type of a Reference: its ``type``, else the type part of a literal reference."""
    if ref.get("type"):
        return ref["type"]
    literal = ref.get("reference", "")
    parts = literal.split("?", 1)[0].rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else None


def _check_references(model: type[BaseModel], value: dict, path: str) -> None:
    for name, item in value.items():
        spec = _fields(model).get(name)
        if spec is None:
            continue
        targets, child = spec
        for index, element in enumerate(item if isinstance(item, list) else [item]):
            if not isinstance(element, dict):
                continue
            here = f"{path}.{name}[{index}]" if isinstance(item, list) else f"{path}.{name}"
            if targets is not None:
                _check_target(element, targets, here)
            elif child is not None:
                _check_references(child, element, here)


def _check_target(ref: dict, targets: tuple[str, ...], path: str) -> None:
    target = reference_type(ref)
    if target is None:
        raise FhirValidationError(f"{path}: reference has neither a type nor a literal Type/id")
    if ANY_TARGET not in targets and target not in targets:
        raise FhirValidationError(f"{path}: a reference to {target} is not allowed; expected {'|'.join(targets)}")


def _references(value: dict, path: str) -> typing.Iterator[tuple[str, dict]]:
    """All Reference-shaped dicts (they carry ``reference``) anywhere in a resource."""
    for name, item in value.items():
        for element in item if isinstance(item, list) else [item]:
            if isinstance(element, dict):
                if isinstance(element.get("reference"), str):
                    yield f"{path}.{name}", element
                yield from _references(element, f"{path}.{name}")


@cache
def _fields(model: type[BaseModel]) -> dict[str, tuple[tuple[str, ...] | None, type[BaseModel] | None]]:
    """JSON name -> (allowed reference targets or None, model of a complex child or None)."""
    out = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        targets = extra.get("enum_reference_types")
        out[field.alias or name] = (tuple(targets) if targets else None, _child_model(field.annotation))
    return out


def _child_model(annotation: object) -> type[BaseModel] | None:
    """The R4B model behind an annotation such as ``Optional[List[abc.ProvenanceAgentType]]``."""
    if isinstance(annotation, type) and issubclass(annotation, FhirBase):
        model = annotation.get_model_klass()
        return model if issubclass(model, BaseModel) else None
    for arg in typing.get_args(annotation):
        child = _child_model(arg)
        if child is not None:
            return child
    return None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error.get("loc", ()))
    return f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg", "invalid"))
