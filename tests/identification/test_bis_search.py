"""Phonetic search in the BIS register."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from carrefour.identification.niss import Niss
from carrefour.identification.register import replace_niss, search_bis_persons
from carrefour.identification.search import parse_search_criteria

from .conftest import NewBisPerson


@pytest.fixture
def people(new_bis_person: NewBisPerson) -> dict[str, Niss]:
    return {
        "jean_dupont": new_bis_person(
            last_name="Dupont", first_names=["Jean"], birth_date="1970-05-12"
        ),
        "marie_dupond": new_bis_person(
            last_name="Dupond", first_names=["Marie", "Louise"], birth_date="1970-06-20", gender="F"
        ),
        "unknown_dupont": new_bis_person(
            last_name="Du Pont", first_names=["Pierre"], birth_date="1971-00-00", gender="U"
        ),
        "jan_peeters": new_bis_person(
            last_name="Peeters", first_names=["Jan"], birth_date="1985-07-30"
        ),
        "martin": new_bis_person(last_name="Martin", first_names=["Jean"], birth_date="1970-05-12"),
    }


def _search(engine: Engine, **parameters: Any) -> list[str]:
    persons = search_bis_persons(engine, parse_search_criteria(parameters))
    return [p.niss.value for p in persons]


def _names(people: dict[str, Niss], *names: str) -> list[str]:
    return [people[name].value for name in names]


def test_a_search_finds_the_names_that_sound_alike(engine: Engine, people: dict[str, Niss]) -> None:
    found = _search(engine, last_name="Dupont")
    assert sorted(found) == sorted(_names(people, "jean_dupont", "marie_dupond", "unknown_dupont"))
    assert _search(engine, last_name="Peters") == _names(people, "jan_peeters")
    assert _search(engine, last_name="Janssens") == []


def test_a_full_birth_date_finds_that_day_and_persons_born_that_unknown_year(
    engine: Engine, people: dict[str, Niss]
) -> None:
    assert _search(engine, last_name="Dupont", birth_date="1970-05-12") == _names(
        people, "jean_dupont"
    )
    assert _search(engine, last_name="Dupont", birth_date="1971-03-03") == _names(
        people, "unknown_dupont"
    )


def test_an_incomplete_birth_date_finds_the_whole_month_or_year(
    engine: Engine, people: dict[str, Niss]
) -> None:
    assert _search(engine, last_name="Dupont", birth_date="1970-06-00") == _names(
        people, "marie_dupond"
    )
    assert sorted(_search(engine, last_name="Dupont", birth_date="1970")) == sorted(
        _names(people, "jean_dupont", "marie_dupond")
    )


@pytest.mark.parametrize(
    ("tolerance", "unit", "expected"),
    [
        (0, "days", ["jean_dupont"]),
        (38, "days", ["jean_dupont"]),
        (39, "days", ["jean_dupont", "marie_dupond"]),
        (1, "months", ["jean_dupont"]),
        (2, "months", ["jean_dupont", "marie_dupond"]),
        (1, "years", ["jean_dupont", "marie_dupond", "unknown_dupont"]),
    ],
)
def test_a_tolerance_widens_the_birth_date_in_days_months_or_years(
    engine: Engine, people: dict[str, Niss], tolerance: int, unit: str, expected: list[str]
) -> None:
    found = _search(
        engine,
        last_name="Dupont",
        birth_date="1970-05-12",
        tolerance=tolerance,
        tolerance_unit=unit,
    )
    assert sorted(found) == sorted(_names(people, *expected))


def test_a_gender_filter_keeps_that_gender_and_the_unknown_one(
    engine: Engine, people: dict[str, Niss]
) -> None:
    found = _search(engine, last_name="Dupont", gender="F")
    assert sorted(found) == sorted(_names(people, "marie_dupond", "unknown_dupont"))


def test_a_first_name_filter_matches_any_first_name(
    engine: Engine, people: dict[str, Niss]
) -> None:
    assert _search(engine, last_name="Dupont", first_name="Louise") == _names(
        people, "marie_dupond"
    )
    assert _search(engine, last_name="Dupont", first_name="J") == _names(people, "jean_dupont")


def test_at_most_max_results_persons_are_returned(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    for _ in range(5):
        new_bis_person(last_name="Janssens", first_names=["Els"])
    assert len(_search(engine, last_name="Jansen", max_results=3)) == 3
    assert len(_search(engine, last_name="Jansen", first_name="Els", max_results=4)) == 4
    assert len(_search(engine, last_name="Jansen")) == 5


def test_a_replaced_person_is_no_longer_found(engine: Engine, people: dict[str, Niss]) -> None:
    replace_niss(engine, people["jan_peeters"], "85073003328", reason="now in the Register")
    assert _search(engine, last_name="Peeters") == []
