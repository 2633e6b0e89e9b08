"""The published API: OpenAPI document, interactive docs, catalogue, problem types."""

from __future__ import annotations

import httpx

from tests.exchange.conftest import Network


def test_the_openapi_document_describes_the_consultation_and_its_security(
    network: Network,
) -> None:
    document = httpx.get(f"{network.url}/openapi.json", timeout=60).json()
    consult = document["paths"]["/v1/consultations"]["post"]
    schema = consult["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"service", "capacity", "end_user"}
    assert consult["security"] == [{"HTTPBearer": []}]
    assert "EndUserIn" in document["components"]["schemas"]
    assert "/v1/integrations" in document["paths"]


def test_the_interactive_docs_are_served(network: Network) -> None:
    page = httpx.get(f"{network.url}/docs")
    assert page.status_code == 200
    assert "swagger" in page.text.lower()


def test_the_catalogue_lists_services_with_their_fields(network: Network) -> None:
    services = {s["name"]: s for s in httpx.get(f"{network.url}/v1/services").json()}
    assert services["health-insurance"]["requires_integration"] is True
    assert services["legal-data"]["requires_integration"] is False
    assert "bim" in services["health-insurance"]["fields"]


def test_a_problem_type_is_described_at_its_address(network: Network) -> None:
    response = network.consult("legal-data", "123")
    described = httpx.get(f"{network.url}{response.json()['type']}").json()
    assert described == {"code": "invalid-niss", "title": response.json()["title"], "status": 422}


def test_an_unknown_path_is_a_problem_document_too(network: Network) -> None:
    response = httpx.get(f"{network.url}/v1/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
