"""The person directory and the BIS register through the API, journaled with tickets."""

from __future__ import annotations

import datetime as dt

from carrefour.identification.niss import NissKind, parse_niss
from carrefour.journal import services as journal
from carrefour.journal.chain import verify
from tests.exchange.conftest import USER, Network
from tests.people import ALICE, CAROL, niss


def test_integrating_a_person_defaults_the_cpas_end_date(network: Network) -> None:
    response = network.integrate(ALICE, code=1, start="2026-01-31")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["end"] == "2026-03-30"
    assert body["capped"] is False
    assert journal.by_ticket(network.engine, body["ticket"]).entry.action == "integrate"


def test_an_end_date_beyond_the_maximum_is_capped_and_said_so(network: Network) -> None:
    body = network.integrate(ALICE, code=2, start="2026-01-01", end="2030-01-01").json()
    assert body["end"] == "2026-12-31"
    assert body["capped"] is True


def test_an_unknown_quality_code_is_refused_and_journaled(network: Network) -> None:
    response = network.integrate(ALICE, code=77)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-code"
    record = journal.by_ticket(network.engine, response.json()["ticket"])
    assert record is not None and record.entry.outcome == "invalid-code"


def test_listing_shows_own_and_other_institutions_integrations(network: Network) -> None:
    network.integrate(ALICE, code=2)
    network.integrate(ALICE, code=8, who="other-cpas")
    with network.client() as client:
        response = client.get(
            f"/v1/persons/{ALICE}/integrations",
            params={"capacity": 2, "end_user_id": "sw-1", "end_user_role": "social-worker"},
        )
    rows = response.json()["integrations"]
    assert sorted((r["own"], r["quality_code"]) for r in rows) == [(False, 8), (True, 2)]


def test_unregistering_ends_the_file_and_consultation_stops(network: Network) -> None:
    network.sources["onem"].files["unemployment"] = {ALICE: {"currently_unemployed": True}}
    network.integrate(ALICE, code=2)
    assert network.consult("unemployment", ALICE).status_code == 200
    with network.client() as client:
        gone = client.delete(
            f"/v1/integrations/{ALICE}/2",
            params={"end_user_id": "sw-1", "end_user_role": "social-worker"},
        )
    assert gone.status_code == 200
    assert network.consult("unemployment", ALICE).json()["code"] == "not-integrated"


def test_unregistering_what_was_never_integrated_is_a_clear_404(network: Network) -> None:
    with network.client() as client:
        response = client.delete(
            f"/v1/integrations/{CAROL}/2",
            params={"end_user_id": "sw-1", "end_user_role": "social-worker"},
        )
    assert response.status_code == 404


def test_a_bis_number_is_created_replaced_and_its_history_consulted(network: Network) -> None:
    with network.client() as client:
        created = client.post(
            "/v1/bis-persons",
            json={
                "last_name": "Nowak",
                "first_names": ["Jan"],
                "birth_date": "1990-04-00",
                "gender": "M",
                "end_user": USER,
            },
        )
        assert created.status_code == 201, created.text
        bis = created.json()["niss"]
        assert parse_niss(bis).kind is NissKind.BIS
        assert network.consult("legal-data", bis).json()["data"]["last_name"] == "Nowak"
        registered = niss(dt.date(1990, 4, 17), 35)
        network.sources["national-register"].files["legal-data"] = {registered: {
            "niss": registered, "last_name": "NOWAK", "first_names": ["Jan", "Piotr"],
            "birth_date": "1990-04-17", "gender": "M"}}
        replaced = client.post(
            f"/v1/bis-persons/{bis}/replacement", json={"new_niss": registered, "end_user": USER}
        )
        assert replaced.status_code == 201, replaced.text
    history = network.consult("niss-history", registered).json()["data"]["history"]
    assert [(h["old_niss"], h["new_niss"]) for h in history] == [(bis, registered)]


def test_the_bis_register_finds_a_person_phonetically(network: Network) -> None:
    with network.client() as client:
        client.post(
            "/v1/bis-persons",
            json={
                "last_name": "Vandenbroucke",
                "first_names": ["Marie"],
                "birth_date": "1975-05-12",
                "gender": "F",
                "end_user": USER,
            },
        )
    response = network.consult(
        "search-person", None, last_name="Van den Broucke", birth_date="1975", gender="F"
    )
    persons = response.json()["data"]["persons"]
    assert [p["last_name"] for p in persons] == ["Vandenbroucke"]
    assert "civil_state" not in persons[0]  # not granted for a search


def test_every_exchange_is_journaled_and_the_chain_verifies(network: Network) -> None:
    tickets = [
        network.consult("legal-data", "123").json()["ticket"],
        network.integrate(ALICE, code=2).json()["ticket"],
        network.consult("unemployment", CAROL).json()["ticket"],
    ]
    outcomes = [journal.by_ticket(network.engine, t).entry.outcome for t in tickets]
    assert outcomes == ["invalid-niss", "ok", "not-integrated"]
    assert verify(network.engine).ok


def test_the_dpo_sees_who_consulted_a_person(network: Network) -> None:
    network.consult("legal-data", ALICE)
    network.consult("legal-data", ALICE, who="other-cpas")
    with network.client("operator") as client:
        params = {"end_user_id": "dpo-1", "end_user_role": "dpo"}
        rows = client.get(f"/v1/admin/persons/{ALICE}/consultations", params=params).json()
        assert {r["client"] for r in rows} == {
            network.institutions["cpas"].cbe,
            network.institutions["other-cpas"].cbe,
        }
        assert all(r["end_user_id"] == USER["id"] for r in rows)
        again = client.get(f"/v1/admin/persons/{ALICE}/consultations", params=params).json()
        assert again[0]["action"] == "who-consulted"  # the DPO's look-up is journaled too
        assert again[0]["end_user_id"] == "dpo-1"
    with network.client() as client:
        forbidden = client.get(
            f"/v1/admin/persons/{ALICE}/consultations",
            params={"end_user_id": "sw-1", "end_user_role": "social-worker"},
        )
    assert forbidden.status_code == 403


def test_an_operator_manages_deliberations_and_the_change_applies_at_once(network: Network) -> None:
    network.sources["onem"].files["unemployment"] = {ALICE: {"currently_unemployed": True}}
    network.integrate(ALICE, code=8)
    assert network.consult("unemployment", ALICE, capacity=8).json()["code"] == "no-deliberation"
    with network.client("operator") as client:
        saved = client.put(
            "/v1/admin/deliberations",
            json={
                "reference": "CSI/26/001",
                "title": "Services files",
                "client_kind": "cpas",
                "quality_codes": [8],
                "service": "unemployment",
                "fields": ["currently_unemployed"],
                "valid_from": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
            },
        )
        assert saved.status_code == 204, saved.text
    assert network.consult("unemployment", ALICE, capacity=8).json()["data"] == {
        "currently_unemployed": True
    }


def test_a_register_change_and_its_journal_entry_commit_together_or_not_at_all(
    network: Network,
) -> None:
    from sqlalchemy import func, select, text

    from carrefour.identification.tables import bis_persons

    with network.engine.begin() as connection:
        connection.execute(text("ALTER TABLE journal_entries RENAME TO journal_entries_away"))
    try:
        with network.client() as client:
            response = client.post(
                "/v1/bis-persons",
                json={
                    "last_name": "Nowak",
                    "birth_date": "1990-04-00",
                    "gender": "M",
                    "end_user": USER,
                },
            )
    finally:
        with network.engine.begin() as connection:
            connection.execute(text("ALTER TABLE journal_entries_away RENAME TO journal_entries"))
    assert response.status_code == 503
    assert response.json()["code"] == "journal-unavailable"
    with network.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(bis_persons)).scalar() == 0


def test_a_created_bis_number_is_journaled_under_that_number(network: Network) -> None:
    with network.client() as client:
        created = client.post(
            "/v1/bis-persons",
            json={
                "last_name": "Nowak",
                "birth_date": "1990-04-00",
                "gender": "M",
                "end_user": USER,
            },
        ).json()
    record = journal.by_ticket(network.engine, created["ticket"])
    assert record is not None
    assert (record.entry.action, record.entry.niss) == ("create-bis", created["niss"])
