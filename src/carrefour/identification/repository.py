"""Reading and writing the BIS register's rows (SQLAlchemy Core, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, exists, or_, select

from carrefour.identification.dates import IncompleteDate, parse_incomplete_date
from carrefour.identification.history import NissReplacement
from carrefour.identification.niss import Gender, Niss, NissKind
from carrefour.identification.person import BisPerson, PersonData
from carrefour.identification.phonetic import phonetic_keys
from carrefour.identification.tables import bis_persons, bis_phonetic_keys, niss_history

# --- persons ---------------------------------------------------------------------------------


def person_exists(connection: Connection, niss: Niss) -> bool:
    query = select(exists().where(bis_persons.c.niss == niss.value))
    return bool(connection.execute(query).scalar())


def load_person(
    connection: Connection, niss: Niss, *, for_update: bool = False
) -> BisPerson | None:
    query = select(bis_persons).where(bis_persons.c.niss == niss.value)
    row = connection.execute(query.with_for_update() if for_update else query).one_or_none()
    return None if row is None else person_from_row(row)


def insert_person(connection: Connection, person: BisPerson) -> None:
    values = {
        "niss": person.niss.value,
        "created_by": person.created_by,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        **_data_values(person.data),
    }
    connection.execute(bis_persons.insert().values(values))
    insert_keys(connection, person.niss, person.data)


def update_person_data(
    connection: Connection, niss: Niss, data: PersonData, *, now: dt.datetime
) -> None:
    values = {"updated_at": now, **_data_values(data)}
    connection.execute(bis_persons.update().where(bis_persons.c.niss == niss.value).values(values))


def mark_replaced(connection: Connection, old: Niss, new: Niss, *, now: dt.datetime) -> bool:
    """Mark a person replaced, unless it already was; tell whether it was marked."""
    result = connection.execute(
        bis_persons.update()
        .where(bis_persons.c.niss == old.value, bis_persons.c.replaced_by.is_(None))
        .values(replaced_by=new.value, replaced_at=now, updated_at=now)
    )
    return result.rowcount == 1


def replaced_by(connection: Connection, niss: Niss, *, lock: bool = False) -> Niss | None:
    """The number that replaced a BIS number, or None; ``lock`` holds the person's row (FOR
    SHARE) until the transaction ends, so that no replacement commits in between."""
    query = select(bis_persons.c.replaced_by).where(bis_persons.c.niss == niss.value)
    found = connection.execute(query.with_for_update(read=True) if lock else query).scalar()
    return None if found is None else Niss(found)


MAX_HOPS = 16
"""Longest chain of BIS replacements followed (duplicates merged into duplicates)."""


def successors(connection: Connection, numbers: Collection[str]) -> dict[str, str]:
    """The current number of each replaced BIS number among ``numbers``, following chains
    (A → B → C gives A: C); numbers not replaced, and Register numbers, are left out.

    One indexed read per link of the longest chain; none when no number is a BIS number."""
    current = {n: n for n in numbers if _is_bis(n)}
    frontier = set(current)
    for _ in range(MAX_HOPS):
        if not frontier:
            break
        person = bis_persons.c
        query = select(person.niss, person.replaced_by).where(
            person.niss.in_(sorted(frontier)), person.replaced_by.is_not(None)
        )
        step = {row.niss: row.replaced_by for row in connection.execute(query)}
        for origin, now in current.items():
            current[origin] = step.get(now, now)
        frontier = {n for n in step.values() if _is_bis(n)}
    return {origin: now for origin, now in current.items() if origin != now}


def _is_bis(number: str) -> bool:
    return len(number) == 11 and number.isdigit() and Niss(number).kind is NissKind.BIS


# --- phonetic keys and search ----------------------------------------------------------------


def insert_keys(connection: Connection, niss: Niss, data: PersonData) -> None:
    copies = {
        "niss": niss.value,
        "gender": data.gender.value,
        "birth_date_earliest": data.birth_date.first_day,
        "birth_date_latest": data.birth_date.last_day,
    }
    rows = [{**copies, "key": key} for key in sorted(phonetic_keys(data.last_name))]
    if rows:
        connection.execute(bis_phonetic_keys.insert(), rows)


def delete_keys(connection: Connection, niss: Niss) -> None:
    connection.execute(bis_phonetic_keys.delete().where(bis_phonetic_keys.c.niss == niss.value))


def candidate_numbers(
    connection: Connection,
    *,
    keys: Collection[str],
    birth_range: tuple[dt.date, dt.date] | None,
    gender: Gender | None,
    limit: int,
) -> list[str]:
    """Numbers of searchable persons sharing a key, in the birth range, of the gender."""
    if not keys:
        return []
    key = bis_phonetic_keys.c
    conditions: list[ColumnElement[bool]] = [key.key.in_(keys)]
    if birth_range is not None:
        conditions.append(key.birth_date_earliest <= birth_range[1])
        conditions.append(key.birth_date_latest >= birth_range[0])
    if gender is not None:
        conditions.append(key.gender.in_([gender.value, Gender.UNKNOWN.value]))
    query = select(key.niss).where(and_(*conditions)).distinct().limit(limit)
    return list(connection.execute(query).scalars())


def current_person_rows(connection: Connection, numbers: Collection[str]) -> list[Row[Any]]:
    """Rows of the persons (not replaced) with these numbers; see :func:`person_from_row`."""
    person = bis_persons.c
    query = select(bis_persons).where(person.niss.in_(numbers), person.replaced_by.is_(None))
    return list(connection.execute(query))


# --- history ---------------------------------------------------------------------------------


def insert_replacement(connection: Connection, replacement: NissReplacement) -> None:
    connection.execute(
        niss_history.insert().values(
            old_niss=replacement.old_niss.value,
            new_niss=replacement.new_niss.value,
            replaced_at=replacement.replaced_at,
            reason=replacement.reason,
        )
    )


def replacements_touching(
    connection: Connection, numbers: Collection[str]
) -> Iterable[NissReplacement]:
    history = niss_history.c
    query = select(niss_history).where(
        or_(history.old_niss.in_(numbers), history.new_niss.in_(numbers))
    )
    return [
        NissReplacement(
            old_niss=Niss(row.old_niss),
            new_niss=Niss(row.new_niss),
            replaced_at=_utc(row.replaced_at),
            reason=row.reason,
        )
        for row in connection.execute(query)
    ]


def was_replaced(connection: Connection, niss: Niss) -> bool:
    return replacement_of(connection, niss) is not None


def replacement_of(connection: Connection, niss: Niss) -> Niss | None:
    """The number that replaced ``niss`` (from the history: BIS and Register numbers)."""
    query = select(niss_history.c.new_niss).where(niss_history.c.old_niss == niss.value)
    found = connection.execute(query).scalar()
    return None if found is None else Niss(found)


# --- rows ------------------------------------------------------------------------------------


def _data_values(data: PersonData) -> dict[str, Any]:
    return {
        "last_name": data.last_name,
        "first_names": list(data.first_names),
        "birth_date": data.birth_date.complete,
        "birth_date_text": str(data.birth_date),
        "birth_date_earliest": data.birth_date.first_day,
        "birth_date_latest": data.birth_date.last_day,
        "gender": data.gender.value,
        "birth_place": data.birth_place,
        "nationality": data.nationality,
        "civil_state": data.civil_state,
        "address": data.address,
        "death_date_text": None if data.death_date is None else str(data.death_date),
    }


def person_from_row(row: Row[Any]) -> BisPerson:
    return BisPerson(
        niss=Niss(row.niss),
        data=_data_from_row(row),
        created_by=row.created_by,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        replaced_by=None if row.replaced_by is None else Niss(row.replaced_by),
        replaced_at=None if row.replaced_at is None else _utc(row.replaced_at),
    )


def _data_from_row(row: Row[Any]) -> PersonData:
    return PersonData(
        last_name=row.last_name,
        first_names=tuple(row.first_names),
        birth_date=parse_incomplete_date(row.birth_date_text),
        gender=Gender(row.gender),
        birth_place=row.birth_place,
        nationality=row.nationality,
        civil_state=row.civil_state,
        address=row.address,
        death_date=_optional_date(row.death_date_text),
    )


def _optional_date(text: str | None) -> IncompleteDate | None:
    return None if text is None else parse_incomplete_date(text)


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; every moment the register writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
