"""The token endpoint answers as RFC 6749 §5.1/5.2 says, with the API's problem members too."""

from __future__ import annotations

import base64

import httpx

from tests.auth.conftest import Door


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def post(door: Door, data: dict[str, str], headers: dict[str, str] | None = None
         ) -> httpx.Response:
    return httpx.post(f"{door.url}/oauth/token", data=data, headers=headers, timeout=30)


def assert_oauth_error(answer: httpx.Response, status: int, error: str, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error
    assert body["error_description"] == body["detail"]
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"/problems/{code}" and body["title"]
    assert body["ticket"]
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"


def test_a_token_answer_is_not_to_be_stored(door: Door) -> None:
    answer = door.token("cpas")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["token_type"] == "Bearer"


def test_a_missing_grant_type_is_an_invalid_request(door: Door) -> None:
    made = door.credentials["cpas"]
    answer = post(door, {"client_id": made.client_id, "client_secret": made.client_secret})
    assert_oauth_error(answer, 400, "invalid_request", "invalid-input")


def test_another_grant_type_is_unsupported(door: Door) -> None:
    answer = door.token("cpas", grant_type="password")
    assert_oauth_error(answer, 400, "unsupported_grant_type", "unsupported-grant-type")


def test_a_wrong_secret_in_the_form_is_an_invalid_client_with_400(door: Door) -> None:
    answer = door.token("cpas", client_secret="wrong")
    assert_oauth_error(answer, 400, "invalid_client", "invalid-credentials")
    assert "www-authenticate" not in answer.headers


def test_a_wrong_secret_with_http_basic_is_an_invalid_client_with_401(door: Door) -> None:
    made = door.credentials["cpas"]
    answer = post(door, {"grant_type": "client_credentials"}, basic(made.client_id, "wrong"))
    assert_oauth_error(answer, 401, "invalid_client", "invalid-credentials")
    assert answer.headers["www-authenticate"].startswith("Basic")


def test_http_basic_credentials_are_accepted(door: Door) -> None:
    made = door.credentials["cpas"]
    answer = post(door, {"grant_type": "client_credentials"},
                  basic(made.client_id, made.client_secret))
    assert answer.status_code == 200, answer.text


def test_no_client_authentication_at_all_is_an_invalid_client(door: Door) -> None:
    answer = post(door, {"grant_type": "client_credentials"})
    assert_oauth_error(answer, 400, "invalid_client", "invalid-credentials")


def test_two_ways_of_authenticating_at_once_are_an_invalid_request(door: Door) -> None:
    made = door.credentials["cpas"]
    answer = post(door, {"grant_type": "client_credentials", "client_secret": "x"},
                  basic(made.client_id, made.client_secret))
    assert_oauth_error(answer, 400, "invalid_request", "invalid-input")


def test_a_malformed_basic_header_is_an_invalid_request(door: Door) -> None:
    answer = post(door, {"grant_type": "client_credentials"}, {"Authorization": "Basic ***"})
    assert_oauth_error(answer, 400, "invalid_request", "invalid-input")


def test_a_scope_beyond_the_clients_is_an_invalid_scope(door: Door) -> None:
    answer = door.token("cpas", scope="consult admin")
    assert_oauth_error(answer, 400, "invalid_scope", "invalid-scope")


def test_a_token_may_carry_fewer_scopes_than_the_client_holds(door: Door) -> None:
    answer = door.token("operator", scope="consult")
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == "consult"


def test_an_overlong_parameter_is_an_invalid_request(door: Door) -> None:
    answer = door.token("cpas", client_id="x" * 5000)
    assert_oauth_error(answer, 400, "invalid_request", "invalid-input")


def test_the_openapi_document_declares_the_token_errors(door: Door) -> None:
    document = httpx.get(f"{door.url}/openapi.json", timeout=60).json()
    responses = document["paths"]["/oauth/token"]["post"]["responses"]
    assert {"200", "400", "401", "429", "503"} <= set(responses)
