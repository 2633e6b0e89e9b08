"""Consultations through the hub, over real HTTP: checks, routing, filtering, failures."""

from __future__ import annotations

import datetime as dt

from tests.exchange.conftest import Network
from tests.people import ALICE, BOB, CAROL

LEGAL = {
    "niss": ALICE,
    "last_name": "Dupont",
    "first_names": ["Alice"],
    "birth_date": "1985-07-30",
    "birth_place": "Namur",
    "gender": "F",
    "nationality": "BE",
    "civil_state": "single",
    "address": {"postal_code": "5000"},
    "death_date": None,
}
UNEMPLOYMENT = {
    "periods": [{"kind": "temporary", "start": "2020-03-16", "end": "2020-06-30"}],
    "temporary_unemployment_days": 77,
    "currently_unemployed": False,
    "daily_allowance": 61.2,
}


def test_legal_data_needs_no_integration_and_comes_with_a_ticket(network: Network) -> None:
    network.sources["national-register"].files["legal-data"] = {ALICE: LEGAL}
    response = network.consult("legal-data", ALICE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"]["last_name"] == "Dupont"
    assert body["status"] == "ok"
    assert body["deliberation"] == "CSI/12/001"
    assert len(body["ticket"]) == 36
    assert [s["kind"] for s in body["sources"]] == ["national-register"]


def test_the_source_receives_the_ticket_and_only_checked_parameters(network: Network) -> None:
    assert network.integrate(ALICE, code=2).status_code == 201
    network.sources["onem"].files["unemployment"] = {ALICE: UNEMPLOYMENT}
    response = network.consult("unemployment", ALICE, **{"from": "2020-01-01"})
    assert response.status_code == 200, response.text
    call = network.sources["onem"].calls[-1]
    assert call["ticket"] == response.json()["ticket"]
    assert call["parameters"] == {"from": "2020-01-01"}
    assert call["niss"] == ALICE


def test_an_invalid_niss_is_refused_with_its_code(network: Network) -> None:
    response = network.consult("legal-data", "85073003329")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid-niss"
    assert "check digits" in response.json()["detail"]


def test_an_unknown_service_is_refused(network: Network) -> None:
    response = network.consult("horoscope", ALICE)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown-service"


def test_a_person_not_integrated_cannot_be_consulted(network: Network) -> None:
    network.sources["onem"].files["unemployment"] = {CAROL: UNEMPLOYMENT}
    response = network.consult("unemployment", CAROL)
    assert response.status_code == 403
    assert response.json()["code"] == "not-integrated"
    assert network.sources["onem"].calls == []  # nothing moved


def test_an_expired_integration_no_longer_counts(network: Network) -> None:
    past = dt.date.today() - dt.timedelta(days=400)
    assert network.integrate(ALICE, code=2, start=past.isoformat()).status_code == 201
    response = network.consult("unemployment", ALICE)
    assert response.status_code == 403
    assert response.json()["code"] == "integration-expired"


def test_another_cpas_integration_does_not_open_the_file_to_this_one(network: Network) -> None:
    network.integrate(ALICE, code=2, who="other-cpas")
    response = network.consult("unemployment", ALICE)
    assert response.json()["code"] == "not-integrated"


def test_no_deliberation_for_the_capacity_is_refused(network: Network) -> None:
    network.integrate(ALICE, code=8)  # services file: no deliberation for unemployment
    response = network.consult("unemployment", ALICE, capacity=8)
    assert response.status_code == 403
    assert response.json()["code"] == "no-deliberation"


def test_a_lapsed_deliberation_is_refused_as_expired(network: Network) -> None:
    network.integrate(ALICE, code=7)  # debt mediation: its deliberation ended in 2020
    response = network.consult("unemployment", ALICE, capacity=7)
    assert response.json()["code"] == "deliberation-expired"


def test_only_the_fields_granted_for_the_capacity_leave_the_hub(network: Network) -> None:
    network.sources["onem"].files["unemployment"] = {ALICE: UNEMPLOYMENT}
    network.integrate(ALICE, code=1)  # under investigation: only 'currently_unemployed'
    network.integrate(ALICE, code=2)  # RIS: everything
    investigating = network.consult("unemployment", ALICE, capacity=1).json()
    granting = network.consult("unemployment", ALICE, capacity=2).json()
    assert investigating["data"] == {"currently_unemployed": False}
    assert set(granting["data"]) == set(UNEMPLOYMENT)


def test_health_insurance_is_asked_of_the_persons_mutuality_only(network: Network) -> None:
    mutuality_b = network.institutions["mutuality-b"]
    _file_at(network, ALICE, mutuality_b.id)
    network.sources["mutuality-b"].files["health-insurance"] = {
        ALICE: {"mutuality": "B", "bim": True}
    }
    network.integrate(ALICE, code=2)
    body = network.consult("health-insurance", ALICE).json()
    assert body["data"] == {"mutuality": "B", "bim": True}
    assert network.sources["mutuality-a"].calls == []
    assert [s["institution"] for s in body["sources"]] == [mutuality_b.cbe]


def test_one_source_down_during_a_multi_source_request_flags_it_and_returns_the_rest(
    network: Network,
) -> None:
    _file_at(network, ALICE, network.institutions["mutuality-a"].id)
    network.sources["mutuality-a"].files["social-statuses"] = {
        ALICE: {"bim": True, "mutuality": "A"}
    }
    network.sources["onem"].broken = True
    network.integrate(ALICE, code=2)
    response = network.consult("social-statuses", ALICE)
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "partial"
    assert body["data"] == {"bim": True, "mutuality": "A"}
    statuses = {s["kind"]: s["status"] for s in body["sources"]}
    assert statuses == {"onem": "source-unavailable", "mutuality": "ok"}


def test_a_late_source_is_reported_as_timed_out(network: Network) -> None:
    network.sources["onem"].delay = 2.0  # the hub waits 1 s in these tests
    network.sources["onem"].files["unemployment"] = {ALICE: UNEMPLOYMENT}
    network.integrate(ALICE, code=2)
    response = network.consult("unemployment", ALICE)
    assert response.status_code == 504
    assert response.json()["code"] == "source-timeout"


def test_an_unavailable_single_source_is_refused_with_its_code(network: Network) -> None:
    network.sources["onem"].broken = True
    network.integrate(ALICE, code=2)
    response = network.consult("unemployment", ALICE)
    assert response.status_code == 502
    assert response.json()["code"] == "source-unavailable"


def test_a_person_no_source_knows_is_reported(network: Network) -> None:
    response = network.consult("legal-data", BOB)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown-person"


def test_anonymous_and_forged_calls_are_refused(network: Network) -> None:
    import httpx

    anonymous = httpx.post(f"{network.url}/v1/consultations", json={})
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthenticated"
    forged = httpx.post(
        f"{network.url}/v1/consultations", json={}, headers={"Authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401


def test_a_malformed_body_gets_a_readable_problem_not_a_trace(network: Network) -> None:
    with network.client() as client:
        response = client.post("/v1/consultations", json={"service": "legal-data", "capacity": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid-input"
    assert "capacity" in body["detail"] and "end_user" in body["detail"]
    assert "Traceback" not in response.text


def _file_at(network: Network, niss: str, institution_id: int) -> None:
    from carrefour.directory.tables import integrations

    with network.engine.begin() as connection:
        connection.execute(
            integrations.insert().values(
                niss=niss,
                institution_id=institution_id,
                quality_code=1,
                starts_on=dt.date(2000, 1, 1),
                ends_on=None,
                created_at=dt.datetime.now(dt.UTC),
            )
        )


def test_no_data_leaves_when_the_journal_cannot_be_written(network: Network) -> None:
    from sqlalchemy import text

    network.sources["national-register"].files["legal-data"] = {ALICE: LEGAL}
    with network.engine.begin() as connection:
        connection.execute(text("ALTER TABLE journal_entries RENAME TO journal_entries_away"))
    try:
        response = network.consult("legal-data", ALICE)
    finally:
        with network.engine.begin() as connection:
            connection.execute(text("ALTER TABLE journal_entries_away RENAME TO journal_entries"))
    assert response.status_code == 503
    assert response.json()["code"] == "journal-unavailable"
    assert "Dupont" not in response.text
    assert network.sources[
        "national-register"
    ].calls  # the source was asked: only the reply is held back


def test_a_source_answering_outside_the_protocol_is_reported_unavailable_and_journaled(
    network: Network,
) -> None:
    from carrefour.journal import services as journal

    network.sources["national-register"].files["legal-data"] = {ALICE: "not an object"}
    response = network.consult("legal-data", ALICE)
    assert response.status_code == 502
    assert response.json()["code"] == "source-unavailable"
    assert "'data' is not an object" in response.json()["detail"]
    record = journal.by_ticket(network.engine, response.json()["ticket"])
    assert record is not None and record.entry.outcome == "source-unavailable"
