"""The BIS register answering the hub as a local authentic source."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine

from carrefour.errors import InvalidInput, InvalidNiss, UnknownService
from carrefour.exchange.ports import LocalSource, SourceAnswer, SourceRequest
from carrefour.identification.register import replace_niss
from carrefour.identification.source import BisRegisterSource

from .conftest import NewBisPerson

LEGAL_DATA_KEYS = {
    "niss",
    "last_name",
    "first_names",
    "birth_date",
    "birth_place",
    "gender",
    "nationality",
    "civil_state",
    "address",
    "death_date",
}


def _ask(engine: Engine, service: str, niss: str | None, **parameters: Any) -> SourceAnswer:
    source: LocalSource = BisRegisterSource(engine)
    request = SourceRequest(
        ticket="T-1", service=service, version=1, niss=niss, parameters=parameters
    )
    return asyncio.run(source.answer(request))


def test_identify_person_answers_the_legal_data_of_a_bis_person(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    niss = new_bis_person(birth_date="1970-05-00")
    answer = _ask(engine, "identify-person", niss.formatted)
    assert answer.found
    assert set(answer.data) == LEGAL_DATA_KEYS
    assert answer.data["niss"] == niss.value
    assert answer.data["first_names"] == ["Jean", "Marie"]
    assert answer.data["birth_date"] == "1970-05-00"
    assert answer.data["gender"] == "M"
    assert answer.data["address"]["postal_code"] == "5000"
    assert answer.data["civil_state"] is None
    assert answer.data["death_date"] is None


def test_legal_data_is_an_alias_of_identify_person(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    niss = new_bis_person(birth_date="1970-05-12")
    answer = _ask(engine, "legal-data", niss.value)
    assert answer.data["birth_date"] == "1970-05-12"


def test_an_unknown_number_is_not_found(engine: Engine) -> None:
    assert _ask(engine, "identify-person", "85473003317") == SourceAnswer(found=False)


def test_a_search_answers_the_legal_data_of_each_person_found(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    for _ in range(3):
        new_bis_person(last_name="Peeters")
    answer = _ask(engine, "search-person", None, last_name="Peters", max_results="2")
    assert answer.found
    assert len(answer.data["persons"]) == 2
    assert all(set(person) == LEGAL_DATA_KEYS for person in answer.data["persons"])


def test_a_search_finding_nobody_is_not_found(engine: Engine) -> None:
    answer = _ask(engine, "search-person", None, last_name="Peeters")
    assert answer == SourceAnswer(found=False, data={"persons": []})


def test_the_history_of_a_number_is_answered(engine: Engine, new_bis_person: NewBisPerson) -> None:
    niss = new_bis_person()
    replace_niss(engine, niss, "85073003328", reason="now in the National Register")
    answer = _ask(engine, "niss-history", "85073003328")
    assert answer.found
    [entry] = answer.data["history"]
    assert entry["old_niss"] == niss.value
    assert entry["new_niss"] == "85073003328"
    assert entry["reason"] == "now in the National Register"
    assert entry["replaced_at"].startswith(str(entry["replaced_at"])[:4])
    assert "T" in entry["replaced_at"]


def test_bad_requests_raise_the_hub_errors(engine: Engine) -> None:
    with pytest.raises(UnknownService):
        _ask(engine, "unemployment", "85073003328")
    with pytest.raises(InvalidNiss):
        _ask(engine, "identify-person", "85073003329")
    with pytest.raises(InvalidInput, match="needs a NISS"):
        _ask(engine, "niss-history", None)
    with pytest.raises(InvalidInput, match="parameter max_results"):
        _ask(engine, "search-person", None, last_name="Peeters", max_results=1000)
