"""Bad input gets a 4xx problem with a stable code, never a 500: integers beyond 64 bits, a
flood of digits for a NISS, dates past the calendar, deeply nested JSON, forged tokens, quality
codes that are not the caller's, oversized bodies and fields, and unbounded page sizes."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from carrefour.auth.services import Scope, create_credentials
from carrefour.journal import services as journal
from carrefour.journal.cli import app as journal_cli
from carrefour.limits import INT32_MAX, INT64_MAX, MAX_BODY_BYTES
from tests.exchange.conftest import SECRET, USER, Network
from tests.people import ALICE

HUGE = "9" * 30  # far beyond a signed 64-bit integer
FLOOD = "1" * 5000  # more digits than Python converts to an integer by default
DPO = {"end_user_id": "dpo-1", "end_user_role": "dpo"}
SOCIAL_WORKER = {"end_user_id": "sw-1", "end_user_role": "social-worker"}


def nested_in(body: dict[str, Any], field: str, depth: int) -> str:
    """``body`` as JSON text with ``field`` an object nested ``depth`` levels deep (written by
    hand: the client's encoder would give up)."""
    deep = '{"a":' * depth + "{}" + "}" * depth
    return json.dumps({**body, field: "<deep>"}).replace('"<deep>"', deep)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def publisher(network: Network) -> httpx.Client:
    """A client of the National Register, which publishes mutations."""
    made = create_credentials(
        network.engine,
        institution_id=network.institutions["national-register"].id,
        scopes=[Scope.PUBLISH],
    )
    token = httpx.post(
        f"{network.url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": made.client_id,
              "client_secret": made.client_secret},
    ).json()["access_token"]
    return httpx.Client(base_url=network.url, headers={"Authorization": f"Bearer {token}"})


# --- integers beyond 64 bits -----------------------------------------------------------------
def test_a_feed_cursor_beyond_64_bits_is_refused(network: Network) -> None:
    with network.client() as client:
        assert_problem(client.get("/v1/feed", params={"cursor": HUGE}), 422, "invalid-input")
        assert_problem(client.get("/v1/feed", params={"cursor": "1e30"}), 422, "invalid-input")
        assert client.get("/v1/feed", params={"cursor": INT64_MAX}).status_code == 200


def test_a_subscription_id_beyond_64_bits_is_refused(network: Network) -> None:
    with network.client() as client:
        assert_problem(client.delete(f"/v1/subscriptions/{HUGE}"), 422, "invalid-input")


def test_a_deliberation_id_beyond_64_bits_is_refused(network: Network) -> None:
    with network.client("operator") as client:
        assert_problem(client.delete(f"/v1/admin/deliberations/{HUGE}"), 422, "invalid-input")


@pytest.mark.parametrize(
    ("who", "path"),
    [("cpas", "/v1/subscriptions/{}"), ("operator", "/v1/admin/deliberations/{}")],
)
def test_an_id_beyond_its_32_bit_column_is_refused(network: Network, who: str, path: str) -> None:
    with network.client(who) as client:  # PostgreSQL keys these tables with 32-bit integers
        assert_problem(client.delete(path.format(INT32_MAX + 1)), 422, "invalid-input")
        assert_problem(client.delete(path.format(INT32_MAX)), 404, "not-found")


def test_a_journal_position_beyond_64_bits_is_refused(network: Network) -> None:
    with network.client("operator") as client:
        response = client.get(
            f"/v1/admin/persons/{ALICE}/consultations", params={**DPO, "before_seq": HUGE}
        )
    assert_problem(response, 422, "invalid-input")


def test_an_integer_beyond_64_bits_inside_free_json_is_refused(network: Network) -> None:
    body = {"last_name": "Nowak", "birth_date": "1990-04-00", "end_user": USER,
            "address": {"number": int(HUGE)}}
    with network.client() as client:
        assert_problem(client.post("/v1/bis-persons", json=body), 422, "invalid-input")


# --- the NUL character, which no PostgreSQL text column stores ------------------------------
def test_a_nul_character_in_a_query_is_refused(network: Network) -> None:
    params = {"end_user_id": "sw\x001", "end_user_role": "social-worker"}
    with network.client() as client:
        response = client.get(f"/v1/persons/{ALICE}/integrations", params=params)
    assert_problem(response, 422, "invalid-input")


def test_a_nul_character_anywhere_in_a_body_is_refused(network: Network) -> None:
    changes = {"changes": {"address": {"street": "Rue\x00Haute"}}, "end_user": USER}
    with network.client() as client:
        body = assert_problem(client.patch(f"/v1/bis-persons/{ALICE}", json=changes), 422,
                              "invalid-input")
    assert "NUL" in body["detail"]
    mutation = {"type": "address-change", "niss": ALICE, "source_id": "nr\x00",
                "effective_date": "2026-01-01", "data": {"address": {"street": "Rue Haute"}}}
    with publisher(network) as client:
        assert_problem(client.post("/v1/mutations", json=mutation), 422, "invalid-input")


def test_a_nul_character_in_a_client_id_is_wrong_credentials(network: Network) -> None:
    response = httpx.post(f"{network.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "inst\x00", "client_secret": "x"})
    assert response.status_code == 400, response.text  # RFC 6749 §5.2: form-field credentials
    assert (response.json()["error"], response.json()["code"]) == (
        "invalid_client", "invalid-credentials")


# --- a flood of digits for a NISS ------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "method", "path", "extra"),
    [
        ("cpas", "GET", f"/v1/persons/{FLOOD}/integrations", {"params": SOCIAL_WORKER}),
        ("cpas", "PATCH", f"/v1/bis-persons/{FLOOD}",
         {"json": {"changes": {"last_name": "X"}, "end_user": USER}}),
        ("operator", "GET", f"/v1/admin/persons/{FLOOD}/consultations", {"params": DPO}),
        ("cpas", "DELETE", f"/v1/integrations/{FLOOD}/2", {"params": SOCIAL_WORKER}),
    ],
)
def test_a_niss_of_5000_digits_in_a_path_is_refused(
    network: Network, who: str, method: str, path: str, extra: dict[str, Any]
) -> None:
    with network.client(who) as client:
        assert_problem(client.request(method, path, **extra), 422, "invalid-input")


def test_a_niss_of_5000_digits_in_a_body_is_refused(network: Network) -> None:
    body = assert_problem(network.consult("legal-data", FLOOD), 422, "invalid-input")
    assert "niss" in body["detail"]
    mutation = {"type": "address-change", "niss": FLOOD, "source_id": "nr-3",
                "effective_date": "2026-01-01", "data": {"address": {"street": "Rue Haute"}}}
    with publisher(network) as client:
        refused = assert_problem(client.post("/v1/mutations", json=mutation), 422, "invalid-niss")
    assert "5000 characters" in refused["detail"]


# --- dates past the calendar -----------------------------------------------------------------
def test_an_integration_starting_on_9999_12_31_is_refused_not_overflowed(
    network: Network,
) -> None:
    body = assert_problem(network.integrate(ALICE, code=2, start="9999-12-31"), 422,
                          "invalid-period")
    record = journal.by_ticket(network.engine, body["ticket"])
    assert record is not None and record.entry.outcome == "invalid-period"


# --- JSON nested 1,000 deep ------------------------------------------------------------------
def test_consultation_parameters_nested_1000_deep_are_refused(network: Network) -> None:
    consultation = {"service": "legal-data", "niss": ALICE, "capacity": 2, "end_user": USER}
    text = nested_in(consultation, "parameters", 1000)
    with network.client() as client:
        response = client.post(
            "/v1/consultations", content=text, headers={"content-type": "application/json"}
        )
    assert_problem(response, 422, "invalid-input")


def test_a_bis_address_nested_1000_deep_is_refused(network: Network) -> None:
    person = {"last_name": "Nowak", "birth_date": "1990-04-00", "end_user": USER}
    text = nested_in(person, "address", 1000)
    with network.client() as client:
        response = client.post(
            "/v1/bis-persons", content=text, headers={"content-type": "application/json"}
        )
    assert_problem(response, 422, "invalid-input")


def test_bis_changes_nested_deeper_than_the_limit_are_refused(network: Network) -> None:
    changes = {"address": {"street": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}}
    with network.client() as client:
        response = client.patch(
            f"/v1/bis-persons/{ALICE}", json={"changes": changes, "end_user": USER}
        )
    body = assert_problem(response, 422, "invalid-input")
    assert "nested deeper than 8" in body["detail"]


def test_mutation_data_nested_1000_deep_is_refused_and_journaled(network: Network) -> None:
    mutation = {"type": "address-change", "niss": ALICE, "source_id": "nr-1",
                "effective_date": "2026-01-01"}
    text = nested_in(mutation, "data", 1000)
    with publisher(network) as client:
        response = client.post(
            "/v1/mutations", content=text, headers={"content-type": "application/json"}
        )
    body = assert_problem(response, 422, "invalid-input")
    assert journal.by_ticket(network.engine, body["ticket"]) is not None


def test_mutation_data_nested_past_the_limit_is_refused(network: Network) -> None:
    data = {"address": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}
    body = {"type": "address-change", "niss": ALICE, "source_id": "nr-2",
            "effective_date": "2026-01-01", "data": data}
    with publisher(network) as client:
        response = client.post("/v1/mutations", json=body)
    assert "nested deeper" in assert_problem(response, 422, "invalid-input")["detail"]


# --- signed tokens missing a claim -----------------------------------------------------------
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "inst-10-x"},  # no institution
        {"inst": 1},  # no subject
        {"sub": "inst-10-x", "inst": "abc"},  # an institution that is not a number
        {"sub": "inst-10-x", "inst": 1, "scope": ["consult"]},  # scopes not as text
    ],
)
def test_a_signed_token_missing_or_mistyping_a_claim_is_unauthenticated(
    network: Network, claims: dict[str, Any]
) -> None:
    token = jwt.encode({**claims, "exp": int(time.time()) + 300}, SECRET, algorithm="HS256")
    response = httpx.get(
        f"{network.url}/v1/subscriptions", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 401, "unauthenticated")


# --- quality codes ---------------------------------------------------------------------------
@pytest.mark.parametrize("code", [0, 999, 902])
def test_a_quality_code_valid_in_every_sector_is_no_file_of_the_cpas(
    network: Network, code: int
) -> None:
    body = assert_problem(network.integrate(ALICE, code=code), 422, "invalid-code")
    assert journal.by_ticket(network.engine, body["ticket"]) is not None


def test_a_quality_code_of_another_sector_is_refused(network: Network) -> None:
    assert_problem(network.integrate(ALICE, code=10), 422, "invalid-code")  # sector 1's


def test_a_cpas_code_without_maximum_duration_needs_an_end_date(network: Network) -> None:
    body = assert_problem(network.integrate(ALICE, code=21), 422, "end-date-required")
    assert journal.by_ticket(network.engine, body["ticket"]) is not None
    bounded = network.integrate(ALICE, code=21, end="2027-06-30")
    assert bounded.status_code == 201, bounded.text
    assert bounded.json()["end"] == "2027-06-30"


# --- sizes -----------------------------------------------------------------------------------
def test_a_body_beyond_the_global_limit_is_refused_before_it_is_read(network: Network) -> None:
    body = {"last_name": "Nowak", "birth_date": "1990-04-00", "end_user": USER,
            "address": {"street": "x" * (MAX_BODY_BYTES + 1)}}
    with network.client() as client:
        response = client.post("/v1/bis-persons", json=body)
    assert_problem(response, 413, "payload-too-large")


def test_a_chunked_body_beyond_the_global_limit_is_refused(network: Network) -> None:
    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536

    with network.client() as client:
        response = client.post(
            "/v1/consultations", content=chunks(), headers={"content-type": "application/json"}
        )
    assert_problem(response, 413, "payload-too-large")


def test_a_chunked_body_within_the_limit_is_read_as_usual(network: Network) -> None:
    def chunks() -> Any:
        yield b'{"service": "legal-data", "niss": "123", "capacity": 2, '
        yield b'"end_user": {"id": "sw-1", "role": "social-worker"}}'

    with network.client() as client:
        response = client.post(
            "/v1/consultations", content=chunks(), headers={"content-type": "application/json"}
        )
    assert_problem(response, 422, "invalid-niss")


def test_a_bis_address_beyond_the_field_limit_is_refused(network: Network) -> None:
    body = {"last_name": "Nowak", "birth_date": "1990-04-00", "end_user": USER,
            "address": {"street": "x" * 20_000}}
    with network.client() as client:
        response = client.post("/v1/bis-persons", json=body)
    assert "more than 16384" in assert_problem(response, 422, "invalid-input")["detail"]


def test_bis_changes_beyond_the_field_limit_are_refused(network: Network) -> None:
    body = {"changes": {"birth_place": "x" * 20_000}, "end_user": USER}
    with network.client() as client:
        assert_problem(client.patch(f"/v1/bis-persons/{ALICE}", json=body), 422, "invalid-input")


def test_consultation_parameters_beyond_the_field_limit_are_refused(network: Network) -> None:
    response = network.consult("search-person", None, last_name="x" * 20_000)
    assert_problem(response, 422, "invalid-input")


# --- page sizes ------------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [-1, 0, 1001])
def test_who_consulted_takes_no_unbounded_limit(network: Network, limit: int) -> None:
    with network.client("operator") as client:
        response = client.get(
            f"/v1/admin/persons/{ALICE}/consultations", params={**DPO, "limit": limit}
        )
    assert_problem(response, 422, "invalid-input")


@pytest.mark.parametrize(
    ("who", "path"), [("cpas", "/v1/feed"), ("operator", "/v1/admin/signal/dead-letters")]
)
def test_the_signal_listings_take_no_unbounded_limit(network: Network, who: str, path: str) -> None:
    with network.client(who) as client:
        assert_problem(client.get(path, params={"limit": -1}), 422, "invalid-input")


@pytest.mark.parametrize("option", [["--limit", "-1"], ["--limit", "1001"],
                                    ["--before-seq", HUGE]])
def test_the_who_consulted_command_takes_no_unbounded_number(
    database_url: str, option: list[str]
) -> None:
    result = CliRunner().invoke(
        journal_cli, ["who-consulted", ALICE, "--database-url", database_url, *option]
    )
    assert result.exit_code == 2, result.output
