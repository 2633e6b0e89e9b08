"""The OpenAPI document declares every error response as a problem document, and the OAuth2
client-credentials flow as the security scheme of every protected operation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Body, Depends, FastAPI

from carrefour.api import openapi
from carrefour.api.deps import consulting_caller
from carrefour.limits import INT64_MAX
from tests.exchange.conftest import Network

PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(network: Network) -> dict[str, Any]:
    response = httpx.get(f"{network.url}/openapi.json", timeout=60)
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = dict(response["content"])
            own = content.pop("application/json", None) if path == "/oauth/token" else None
            assert content == PROBLEM_CONTENT, (method, path, status)
            assert response["description"], (method, path, status)
            if path == "/oauth/token" and status in ("400", "401", "429", "503"):
                assert own == {"schema": {"$ref": "#/components/schemas/OAuthErrorOut"}}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_problem_schema_names_every_member_of_a_problem(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {
        "type", "title", "status", "detail", "code", "ticket", "errors"
    }
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}


def test_protected_operations_declare_the_refusals_of_authentication(
    document: dict[str, Any],
) -> None:
    for path, method, operation in operations(document):
        if operation.get("security"):
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
            assert {"401", "403", "422", "429", "503"} <= set(operation["responses"]), path
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)


def test_the_consultation_declares_the_sources_failures(document: dict[str, Any]) -> None:
    responses = document["paths"]["/v1/consultations"]["post"]["responses"]
    assert {"403", "404", "502", "504"} <= set(responses)


def test_the_security_scheme_is_the_oauth2_client_credentials_flow(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert list(schemes) == ["HTTPBearer"]
    flow = schemes["HTTPBearer"]["flows"]["clientCredentials"]
    assert schemes["HTTPBearer"]["type"] == "oauth2"
    assert flow["tokenUrl"] == "/oauth/token"
    assert set(flow["scopes"]) == {"consult", "publish", "admin"}


def test_every_operation_that_refuses_an_anonymous_caller_names_the_scheme(
    network: Network, document: dict[str, Any]
) -> None:
    for path, method, operation in operations(document):
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        answer = httpx.request(method.upper(), f"{network.url}{concrete}", json={})
        if answer.status_code == 401 and path != "/oauth/token":
            assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
        if operation.get("security"):
            assert answer.status_code == 401, (method, path, answer.text)


def test_every_integer_parameter_is_bounded_within_64_bits(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
            if "integer" in types:
                bounded = schema if "maximum" in schema else schema["anyOf"][0]
                assert bounded["minimum"] >= 0 and bounded["maximum"] <= INT64_MAX, (
                    method, path, parameter["name"]
                )


def test_a_route_added_anywhere_is_documented_the_same_way() -> None:
    router = APIRouter()

    @router.post("/v1/things/{thing_id}", dependencies=[Depends(consulting_caller)])
    async def change(thing_id: int, body: dict[str, int] = Body()) -> None:
        """A route of a feature yet to come."""

    app = FastAPI()
    app.include_router(router)
    openapi.install(app)
    operation = app.openapi()["paths"]["/v1/things/{thing_id}"]["post"]
    assert operation["security"] == [{"HTTPBearer": []}]
    errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
    assert set(errors) == {"400", "401", "403", "404", "409", "413", "422", "429", "503"}
    assert all(r["content"] == PROBLEM_CONTENT for r in errors.values())
