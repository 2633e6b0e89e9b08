"""Each refusal of a declaration has its own code, is journaled, and leaves nothing at the
source; every endpoint refuses a caller without the right."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from carrefour.auth.services import Scope
from carrefour.journal import services as journal
from tests.declarations.conftest import DeclarationNetwork

TODAY = dt.date.today()


def _day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def _held(network: DeclarationNetwork, reference: str) -> int:
    """How many declarations under ``reference`` the SPP IS keeps."""
    url = next(s.database_url for s in network.report.sources if s.slug == "spp-is")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM declarations WHERE reference = :r"), {"r": reference}
            ).scalar_one())
    finally:
        engine.dispose()


def _refused(network: DeclarationNetwork, answer: httpx.Response, status: int, code: str
             ) -> None:
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert problem["code"] == code
    record = journal.by_ticket(network.engine, problem["ticket"])
    assert record is not None and record.entry.outcome == code
    assert record.entry.sources == ()  # the source was not asked


@pytest.fixture(scope="module")
def person(declaration_network: DeclarationNetwork) -> str:
    """A person the demo CPAS holds a RIS file (code 002) on, and no other."""
    niss = declaration_network.persons[10]
    declaration_network.integrate(niss, 2)
    return niss


def _ris(start: int = -10, end: int = 200) -> dict[str, Any]:
    return {"type": "ris", "start": _day(start), "end": _day(end)}


def test_a_person_without_a_file_is_refused(declaration_network: DeclarationNetwork) -> None:
    network, stranger = declaration_network, declaration_network.persons[11]
    answer = network.declare(stranger, "NOFILE-1", _ris())
    _refused(network, answer, 403, "no-file-on-person")
    assert _held(network, "NOFILE-1") == 0


@pytest.mark.parametrize(("period", "reference"), [
    ((10, -10), "BAD-PERIOD-1"),  # ends before it starts
    ((-10, 400), "BAD-PERIOD-2"),  # longer than a year
    ((200, 300), "BAD-PERIOD-3"),  # starts too far ahead
])
def test_an_impossible_period_is_refused(declaration_network: DeclarationNetwork, person: str,
                                         period: tuple[int, int], reference: str) -> None:
    answer = declaration_network.declare(person, reference, _ris(*period))
    _refused(declaration_network, answer, 422, "impossible-period")
    assert _held(declaration_network, reference) == 0


def test_a_type_the_quality_code_does_not_allow_is_refused(
    declaration_network: DeclarationNetwork, person: str,
) -> None:
    answer = declaration_network.declare(person, "ERIS-FROM-2",
                                         {"type": "eris", "start": _day(-5), "end": _day(90)})
    _refused(declaration_network, answer, 403, "declaration-type-not-allowed")
    assert "003" in answer.json()["detail"]
    assert _held(declaration_network, "ERIS-FROM-2") == 0


@pytest.mark.parametrize(("change", "code"), [
    ({"kind": "A099"}, "unknown-declaration-type"),
    ({"niss": "12345678901"}, "invalid-niss"),
    ({"reference": "has space"}, "invalid-input"),
    ({"data": {"type": "ris", "start": "2026-02-30", "end": _day(9)}}, "invalid-input"),
    ({"data": {"type": "ris", "start": _day(-1)}}, "invalid-input"),
    ({"data": {**_ris(), "amount": 3}}, "invalid-input"),
    ({"data": {**_ris(), "competent_cpas": "0212000031"}}, "invalid-input"),
    ({"capacity": 77}, "invalid-code"),
])
def test_bad_input_is_refused_with_a_clear_code(declaration_network: DeclarationNetwork,
                                                 person: str, change: dict[str, Any],
                                                 code: str) -> None:
    asked: dict[str, Any] = {"niss": person, "reference": "BAD-INPUT", "data": _ris(),
                             "capacity": 2, "kind": "A036", **change}
    answer = declaration_network.declare(asked["niss"], asked["reference"], asked["data"],
                                         capacity=asked["capacity"], kind=asked["kind"])
    _refused(declaration_network, answer, answer.status_code, code)
    assert answer.status_code in (403, 404, 422)
    assert _held(declaration_network, "BAD-INPUT") == 0


def test_correcting_or_cancelling_what_was_never_declared_is_refused(
    declaration_network: DeclarationNetwork, person: str,
) -> None:
    for answer in (declaration_network.correct(person, "NEVER-SENT", _ris()),
                   declaration_network.cancel(person, "NEVER-SENT")):
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "unknown-declaration"
        record = journal.by_ticket(declaration_network.engine, answer.json()["ticket"])
        assert record is not None and record.entry.outcome == "unknown-declaration"


def test_every_endpoint_refuses_a_caller_without_a_token(
    declaration_network: DeclarationNetwork, person: str,
) -> None:
    url = declaration_network.url
    for path in ("/v1/declarations", "/v1/declarations/A036/RIS-1/correction",
                 "/v1/declarations/A036/RIS-1/cancellation"):
        answer = httpx.post(f"{url}{path}", json={}, timeout=10)
        assert answer.status_code == 401, (path, answer.text)


def test_every_endpoint_refuses_a_client_without_a_deliberation(
    declaration_network: DeclarationNetwork,
) -> None:
    """INASTI holds a file of code 002 (self-employed status) on the person, which the A036
    type allows, but no deliberation lets an INASTI declare living wages."""
    network, niss = declaration_network, declaration_network.persons[12]
    network.log_in("inasti", "inasti-contributions", role="case-handler")
    network.integrate(niss, 2, who="inasti")
    for answer in (network.declare(niss, "INASTI-1", _ris(), who="inasti"),
                   network.correct(niss, "INASTI-1", _ris(), who="inasti"),
                   network.cancel(niss, "INASTI-1", who="inasti")):
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "no-deliberation"
    assert _held(network, "INASTI-1") == 0


def test_a_publisher_token_may_not_declare(declaration_network: DeclarationNetwork,
                                           person: str) -> None:
    network = declaration_network
    network.log_in("publisher", "spp-is", role="case-handler", scope=Scope.PUBLISH)
    answer = network.declare(person, "P-1", _ris(), who="publisher")
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "forbidden"
    assert _held(network, "P-1") == 0
