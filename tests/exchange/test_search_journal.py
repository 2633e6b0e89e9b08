"""A search finds persons the client did not name: each person returned is journaled under
their own NISS, with the search's ticket as reference, so "who consulted me" shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from typer.testing import CliRunner

from carrefour.journal import services as journal
from carrefour.journal.cli import app
from tests.exchange.conftest import Network
from tests.people import ALICE, BOB, CAROL


def person(number: str, last_name: str) -> dict[str, Any]:
    return {"niss": number, "last_name": last_name, "first_names": ["A"],
            "birth_date": "1985-07-30", "gender": "F", "address": {"postal_code": "5000"}}


def search_answers(network: Network, service: str, *persons: dict[str, Any]) -> None:
    """The National Register's answer to any search (a search carries no NISS)."""
    files: dict[Any, Any] = {None: {"persons": list(persons)}}
    network.sources["national-register"].files[service] = files


def found_entries(network: Network, niss: str, ticket: str) -> list[Any]:
    return [r.entry for r in journal.by_niss(network.engine, niss) if r.entry.reference == ticket]


def test_each_person_found_by_a_phonetic_search_is_journaled_under_their_niss(
    network: Network,
) -> None:
    search_answers(network, "search-person", person(ALICE, "Dupont"), person(BOB, "Dupond"))
    response = network.consult("search-person", None, last_name="Dupont")
    assert response.status_code == 200, response.text
    search = response.json()["ticket"]
    for niss in (ALICE, BOB):
        [entry] = found_entries(network, niss, search)
        assert (entry.action, entry.service, entry.outcome) == ("search-result", "search-person",
                                                                "ok")
        assert entry.client == network.institutions["cpas"].cbe
        assert entry.ticket != search
        assert entry.end_user_id == "sw-042" and entry.quality_code == 2
        assert entry.deliberation == response.json()["deliberation"]
    assert found_entries(network, CAROL, search) == []
    assert journal.by_ticket(network.engine, search).entry.niss is None


def test_each_person_found_at_an_address_is_journaled_under_their_niss(network: Network) -> None:
    search_answers(network, "search-by-address", person(ALICE, "Dupont"),
                   person(CAROL, "Lambert"))
    response = network.consult("search-by-address", None, postal_code="5000", street="Rue de Fer")
    assert response.status_code == 200, response.text
    search = response.json()["ticket"]
    assert [len(found_entries(network, n, search)) for n in (ALICE, CAROL)] == [1, 1]


def test_only_the_persons_returned_by_a_search_that_answered_are_journaled(
    network: Network,
) -> None:
    search_answers(network, "search-person", person(ALICE, "Dupont"), person(BOB, "Dupond"),
                   person(CAROL, "Dupon"))
    response = network.consult("search-person", None, last_name="Dupont", max_results=2)
    search = response.json()["ticket"]
    assert len(response.json()["data"]["persons"]) == 2
    assert [len(found_entries(network, n, search)) for n in (ALICE, BOB, CAROL)] == [1, 1, 0]
    refused = network.consult("search-person", None, capacity=11, last_name="Dupont")
    assert refused.json()["code"] == "no-deliberation"
    assert journal.by_ticket(network.engine, refused.json()["ticket"]).entry.niss is None
    assert found_entries(network, ALICE, refused.json()["ticket"]) == []


def test_the_dpo_sees_the_search_that_found_the_person(network: Network) -> None:
    search_answers(network, "search-person", person(ALICE, "Dupont"))
    search = network.consult("search-person", None, last_name="Dupont").json()["ticket"]
    with network.client("operator") as client:
        params = {"end_user_id": "dpo-1", "end_user_role": "dpo"}
        rows = client.get(f"/v1/admin/persons/{ALICE}/consultations", params=params).json()
    [row] = [r for r in rows if r["reference"] == search]
    assert (row["service"], row["action"], row["client"]) == (
        "search-person", "search-result", network.institutions["cpas"].cbe)
    occurred = dt.datetime.fromisoformat(row["occurred_at"])
    assert occurred.tzinfo is not None



def test_who_consulted_on_the_command_line_shows_the_search(
    network: Network, database_url: str,
) -> None:
    search_answers(network, "search-person", person(ALICE, "Dupont"))
    search = network.consult("search-person", None, last_name="Dupont").json()["ticket"]
    result = CliRunner().invoke(app, ["who-consulted", ALICE, "--database-url", database_url],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "search-result" in line]
    assert search in line and "search-person" in line
