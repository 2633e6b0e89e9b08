"""The OpenAPI document describes each service's data and parameters, and its examples are
valid against the schemas they illustrate."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs

from carrefour.catalogue.model import default_catalogue
from tests.exchange.conftest import Network


def resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the document's components beside it, for its ``$ref``s."""
    return {**schema, "components": document["components"]}


def test_every_service_has_a_data_and_a_parameters_schema_and_a_valid_example(
    network: Network,
) -> None:
    document = httpx.get(f"{network.url}/openapi.json", timeout=30).json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/v1/consultations"]["post"]["requestBody"]
    content = body["content"]["application/json"]
    request_schema = resolved(document, content["schema"])
    names = [service.name for service in default_catalogue()]
    assert set(content["examples"]) == set(names)
    for service in default_catalogue():
        assert f"ServiceData.{service.name}" in schemas
        parameters = schemas[f"ServiceParameters.{service.name}"]
        example = content["examples"][service.name]["value"]
        jsonschema_rs.validate(request_schema, example)
        jsonschema_rs.validate(parameters, example.get("parameters", {}))


def test_the_documented_example_is_a_consultation_the_hub_accepts(network: Network) -> None:
    document = httpx.get(f"{network.url}/openapi.json", timeout=30).json()
    example = document["paths"]["/v1/consultations"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]["legal-data"]["value"]
    network.sources["national-register"].files["legal-data"] = {
        example["niss"]: {"niss": example["niss"], "last_name": "Dupont"}}
    with network.client() as client:
        response = client.post("/v1/consultations", json=example)
    assert response.status_code == 200, response.text
    data_schema = resolved(document, document["components"]["schemas"]["ServiceData.legal-data"])
    jsonschema_rs.validate(data_schema, response.json()["data"])


def test_the_token_flow_is_the_oauth2_client_credentials_flow(network: Network) -> None:
    document = httpx.get(f"{network.url}/openapi.json", timeout=30).json()
    flows = document["components"]["securitySchemes"]["HTTPBearer"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert set(flows["clientCredentials"]["scopes"]) == {"consult", "publish", "admin"}
