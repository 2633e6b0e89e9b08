"""The BIS register: creating, reading and correcting BIS persons."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine

from carrefour.errors import (
    BisSerialsExhausted,
    Conflict,
    InvalidCbeNumber,
    InvalidInput,
    UnknownPerson,
)
from carrefour.identification.dates import IncompleteDate
from carrefour.identification.niss import Gender, NissKind, parse_niss
from carrefour.identification.register import (
    create_bis_person,
    get_bis_person,
    replace_niss,
    search_bis_persons,
    update_bis_person,
)
from carrefour.identification.search import parse_search_criteria
from carrefour.identification.tables import bis_serials

from .conftest import NewBisPerson, PersonData


def test_a_new_bis_person_gets_a_valid_bis_number_encoding_birth_date_and_gender(
    new_bis_person: NewBisPerson,
) -> None:
    niss = new_bis_person(birth_date="1970-05-12", gender="F")
    assert parse_niss(niss.value) == niss
    assert niss.kind is NissKind.BIS
    assert niss.value.startswith("704512")
    assert niss.gender is Gender.FEMALE
    assert niss.birth_date == dt.date(1970, 5, 12)


def test_a_person_of_unknown_gender_and_birth_date_gets_month_plus_20(
    new_bis_person: NewBisPerson,
) -> None:
    niss = new_bis_person(birth_date="1970-00-00", gender=None)
    assert niss.value.startswith("702000")
    assert niss.gender is Gender.UNKNOWN
    assert niss.birth_year == 1970


def test_a_person_born_from_2000_gets_a_valid_number(new_bis_person: NewBisPerson) -> None:
    niss = new_bis_person(birth_date="2005-03-00", gender="M")
    assert niss.value.startswith("054300")
    assert parse_niss(niss.value).birth_year == 2005


def test_the_data_given_at_creation_is_read_back(
    engine: Engine, new_bis_person: NewBisPerson, person_data: PersonData, cpas: str
) -> None:
    niss = new_bis_person(birth_date="1970-05-00", first_names="Jean  Marie")
    person = get_bis_person(engine, niss.formatted)
    expected = person_data()
    assert person.niss == niss
    assert person.data.last_name == expected["last_name"]
    assert person.data.first_names == ("Jean", "Marie")
    assert person.data.birth_date == IncompleteDate(year=1970, month=5)
    assert person.data.gender is Gender.MALE
    assert person.data.address == expected["address"]
    assert person.data.birth_place == "Kinshasa"
    assert person.created_by == cpas
    assert person.created_at.tzinfo is not None
    assert person.replaced_by is None


def test_serials_follow_each_other_within_a_birth_date_and_gender(
    new_bis_person: NewBisPerson,
) -> None:
    men = [new_bis_person(gender="M") for _ in range(3)]
    women = [new_bis_person(gender="F") for _ in range(2)]
    unknown = [new_bis_person(gender="U") for _ in range(2)]
    assert [n.value[6:9] for n in men] == ["001", "003", "005"]
    assert [n.value[6:9] for n in women] == ["002", "004"]
    assert [n.value[6:9] for n in unknown] == ["001", "002"]


def test_a_serial_whose_number_is_already_in_the_register_is_skipped(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    first = new_bis_person(gender="M")
    with engine.begin() as connection:  # as if the counter had been lost
        connection.execute(bis_serials.delete())
    second = new_bis_person(gender="M")
    assert (first.value[6:9], second.value[6:9]) == ("001", "003")


def test_when_every_serial_is_taken_the_creation_is_refused_clearly(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    with engine.begin() as connection:
        connection.execute(
            bis_serials.insert().values(prefix="704512", parity="odd", last_serial=995)
        )
    assert new_bis_person(gender="M").value[6:9] == "997"
    with pytest.raises(BisSerialsExhausted, match="704512"):
        new_bis_person(gender="M")
    assert new_bis_person(gender="F").value[6:9] == "002"


def test_concurrent_creations_with_the_same_birth_date_and_gender_never_collide(
    engine: Engine, person_data: PersonData, cpas: str
) -> None:
    def create_25(worker: int) -> list[str]:
        data = person_data(last_name=f"Worker{worker}", gender="M", birth_date="1980-01-01")
        return [create_bis_person(engine, data=data, created_by=cpas).value for _ in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = [n for batch in pool.map(create_25, range(8)) for n in batch]
    assert len(numbers) == 200
    assert len(set(numbers)) == 200
    assert all(parse_niss(n).gender is Gender.MALE for n in numbers)
    assert sorted(int(n[6:9]) for n in numbers) == list(range(1, 400, 2))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"last_name": None}, "last_name"),
        ({"last_name": "  "}, "last_name"),
        ({"birth_date": None}, "birth_date"),
        ({"birth_date": "12/05/1970"}, "birth_date"),
        ({"birth_date": "1970-02-30"}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
        ({"birth_date": f"{dt.date.today().year + 1}-01-01"}, "birth_date"),
        ({"gender": "X"}, "gender"),
        ({"first_names": [1, 2]}, "first_names"),
        ({"address": "Rue de Fer 12"}, "address"),
        ({"death_date": "1960-01-01"}, "death_date"),
        ({"nickname": "Jeannot"}, "nickname"),
    ],
)
def test_invalid_data_is_refused_naming_the_field(
    new_bis_person: NewBisPerson, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput, match=field):
        new_bis_person(**overrides)


def test_an_invalid_enterprise_number_of_the_creator_is_refused(
    engine: Engine, person_data: PersonData
) -> None:
    with pytest.raises(InvalidCbeNumber):
        create_bis_person(engine, data=person_data(), created_by="12345")


def test_an_unknown_number_is_reported_as_an_unknown_person(engine: Engine) -> None:
    with pytest.raises(UnknownPerson):
        get_bis_person(engine, "85473003317")


def test_an_update_changes_the_data_but_not_the_number(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    niss = new_bis_person()
    updated = update_bis_person(
        engine, niss, changes={"birth_place": "Namur", "death_date": "2020-01-00", "address": None}
    )
    assert updated.niss == niss
    person = get_bis_person(engine, niss)
    assert person == updated
    assert person.data.birth_place == "Namur"
    assert person.data.death_date == IncompleteDate(year=2020, month=1)
    assert person.data.address is None
    assert person.updated_at >= person.created_at


def test_an_update_is_seen_by_the_search(engine: Engine, new_bis_person: NewBisPerson) -> None:
    niss = new_bis_person(last_name="Dupont", birth_date="1970-05-12", gender="M")
    changes = {"last_name": "Peeters", "birth_date": "1971-00-00", "gender": "F"}
    update_bis_person(engine, niss, changes=changes)

    def found(**parameters: Any) -> bool:
        criteria = parse_search_criteria(parameters)
        return [p.niss for p in search_bis_persons(engine, criteria)] == [niss]

    assert found(last_name="Peters", birth_date="1971-06-01", gender="F")
    assert not found(last_name="Dupont")
    assert not found(last_name="Peeters", birth_date="1970-05-12")
    assert not found(last_name="Peeters", gender="M")


def test_an_invalid_update_is_refused_and_changes_nothing(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    niss = new_bis_person()
    with pytest.raises(InvalidInput, match="last_name"):
        update_bis_person(engine, niss, changes={"birth_place": "Namur", "last_name": None})
    with pytest.raises(InvalidInput, match="future"):
        update_bis_person(engine, niss, changes={"birth_date": "2150-01-01"})
    assert get_bis_person(engine, niss).data.birth_place == "Kinshasa"


def test_an_update_of_an_unknown_or_replaced_person_is_refused(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    with pytest.raises(UnknownPerson):
        update_bis_person(engine, "85473003317", changes={"birth_place": "Namur"})
    niss = new_bis_person()
    replace_niss(engine, niss, "85073003328", reason="registered by the National Register")
    with pytest.raises(Conflict, match="85073003328"):
        update_bis_person(engine, niss, changes={"birth_place": "Namur"})
