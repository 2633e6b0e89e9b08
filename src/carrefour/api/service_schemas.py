"""The OpenAPI document's description of each service of the catalogue: the schema of the
``data`` a consultation of it answers (``ServiceData.<name>``), of its ``parameters``
(``ServiceParameters.<name>``), and a valid example request, one per service, on
``POST /v1/consultations``. The data holds at most these fields: a deliberation grants a
subset of them."""

from __future__ import annotations

from typing import Any

from carrefour.catalogue.model import Catalogue, Parameter, Service

CONSULTATIONS = "/v1/consultations"
EXAMPLE_NISS = "85073003328"  # a valid number of the synthetic population's format
EXAMPLE_USER = {"id": "sw-042", "role": "social-worker"}
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string", "maxLength": 200},
    "date": {"type": "string", "format": "date", "examples": ["2020-01-01"]},
    "incomplete-date": {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
    "integer": {"type": "integer", "minimum": 0},
    "gender": {"type": "string", "enum": ["M", "F"]},
}
_EXAMPLE_VALUES = {"string": "Dupont", "date": "2020-01-01", "incomplete-date": "1985-07",
                   "integer": 5, "gender": "F"}


def with_services(document: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    examples = {}
    for service in catalogue:
        schemas[f"ServiceData.{service.name}"] = data_schema(service)
        schemas[f"ServiceParameters.{service.name}"] = parameters_schema(service)
        examples[service.name] = {"summary": service.title, "value": example_request(service)}
    operation = document.get("paths", {}).get(CONSULTATIONS, {}).get("post")
    if operation is not None:
        operation["requestBody"]["content"]["application/json"]["examples"] = examples
    return document


def data_schema(service: Service) -> dict[str, Any]:
    if service.composite:
        return {
            "title": f"Data of {service.name}", "type": "object",
            "description": f"{service.title}: one member per part, each with its status, "
            "deliberation, sources and (when answered) data.",
            "properties": {part: _part_schema(part) for part in service.parts},
        }
    item = {"type": "object", "properties": {name: {} for name in service.fields}}
    described = {"title": f"Data of {service.name}", "description": service.title}
    if service.collection:
        return {**described, "type": "object", "properties": {
            service.collection: {"type": "array", "items": item}}}
    return {**described, **item}


def _part_schema(part: str) -> dict[str, Any]:
    return {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string"}, "deliberation": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "object"}},
        "data": {"$ref": f"#/components/schemas/ServiceData.{part}"},
    }}


def parameters_schema(service: Service) -> dict[str, Any]:
    return {
        "title": f"Parameters of {service.name}", "type": "object",
        "properties": {p.name: _parameter_schema(p) for p in service.parameters},
        "required": [p.name for p in service.parameters if p.required],
        "additionalProperties": False,
    }


def _parameter_schema(parameter: Parameter) -> dict[str, Any]:
    if parameter.type == "choice":
        return {"type": "string", "enum": list(parameter.choices)}
    return dict(_TYPES.get(parameter.type, {}))


def example_request(service: Service) -> dict[str, Any]:
    request: dict[str, Any] = {"service": service.name, "capacity": 2, "end_user": EXAMPLE_USER}
    if service.needs_niss:
        request["niss"] = EXAMPLE_NISS
    parameters = {p.name: _example_value(p) for p in service.parameters if p.required}
    if parameters:
        request["parameters"] = parameters
    return request


def _example_value(parameter: Parameter) -> Any:
    if parameter.type == "choice":
        return parameter.choices[0]
    return _EXAMPLE_VALUES.get(parameter.type, "x")
