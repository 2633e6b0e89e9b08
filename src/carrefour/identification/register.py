"""Use cases of the hub's BIS register: create, update, find and replace BIS persons.

Every change runs in one transaction: the person, its phonetic keys, the serial counter and the
history row are written together or not at all. A change made for an institution (an
``editor``) is allowed only to the record's creator or an operator (:mod:`.ownership`); what
follows a replacement runs in the replacement's transaction (``then``, see :mod:`.succession`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import IntegrityError

from carrefour.db import reading, transaction
from carrefour.errors import Conflict, InvalidInput, UnknownPerson
from carrefour.identification import repository
from carrefour.identification.bis import bis_number, bis_prefix, serial_series
from carrefour.identification.history import NissReplacement, connected_replacements
from carrefour.identification.niss import Niss, NissKind, parse_niss
from carrefour.identification.ownership import Editor, check_owner
from carrefour.identification.person import (
    BisPerson,
    PersonData,
    check_consistency,
    parse_cbe_number,
    parse_changes,
    parse_person_data,
)
from carrefour.identification.phonetic import phonetic_keys
from carrefour.identification.search import SearchCriteria, birth_date_range, matches
from carrefour.identification.serials import allocate_serial
from carrefour.identification.tables import bis_persons
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry

CANDIDATE_LIMIT = 5_000
"""Most persons read for a search that also filters on the first name (in Python)."""
SEARCH_CHUNK = 250
"""Candidates read at a time, until enough of them answer the first name."""


Journal = Callable[[Niss], JournalEntry]
"""The journal entry of a change to the register, committed in the change's transaction."""


def _journal(connection: Connection, journal: Journal | None, niss: Niss) -> None:
    if journal is not None:
        journal_append(connection, [journal(niss)])


def create_bis_person(
    engine: Engine, *, data: Mapping[str, Any], created_by: str, journal: Journal | None = None
) -> Niss:
    """Register a person unknown to the National Register; return the new BIS number."""
    person = parse_person_data(data)
    institution = parse_cbe_number(created_by)
    check_consistency(person, today=_now().date())
    bis_prefix(person.birth_date, person.gender)  # refuses an impossible year before any I/O
    with transaction(engine) as connection:
        niss = _free_bis_number(connection, person)
        now = _now()
        repository.insert_person(
            connection,
            BisPerson(
                niss=niss, data=person, created_by=institution, created_at=now, updated_at=now
            ),
        )
        _journal(connection, journal, niss)
    return niss


def update_bis_person(
    engine: Engine,
    niss: Niss | str,
    *,
    changes: Mapping[str, Any],
    journal: Journal | None = None,
    editor: Editor | None = None,
) -> BisPerson:
    """Correct or complete the data of a current BIS person (the number does not change);
    with an ``editor``, only when it owns the record or is an operator."""
    number = _as_niss(niss)
    values = parse_changes(changes)
    with transaction(engine) as connection:
        person = _current_person(connection, number, editor)
        data = replace(person.data, **values)
        check_consistency(data, today=_now().date())
        now = _now()
        repository.update_person_data(connection, number, data, now=now)
        repository.delete_keys(connection, number)
        repository.insert_keys(connection, number, data)
        _journal(connection, journal, number)
    return replace(person, data=data, updated_at=now)


def editable_person(engine: Engine, niss: Niss | str, editor: Editor) -> BisPerson:
    """The current person the editor may change, or the refusal that applies (unknown person,
    not the owner, already replaced); read without a lock, for checks before slow work."""
    with reading(engine).connect() as connection:
        return _current_person(connection, _as_niss(niss), editor, lock=False)


def get_bis_person(engine: Engine, niss: Niss | str) -> BisPerson:
    number = _as_niss(niss)
    with engine.connect() as connection:
        person = repository.load_person(connection, number)
    if person is None:
        raise UnknownPerson(f"The BIS register holds no person {number}.", niss=number.value)
    return person


def search_bis_persons(engine: Engine, criteria: SearchCriteria) -> list[BisPerson]:
    """Current BIS persons answering the search (at most ``max_results``), by name and number.

    The phonetic keys, the birth date range and the gender select candidates in one index; the
    first name is checked here, on at most :data:`CANDIDATE_LIMIT` candidates.
    """
    limit = criteria.max_results if criteria.first_name is None else CANDIDATE_LIMIT
    kept: list[Row[Any]] = []
    with engine.connect() as connection:
        numbers = repository.candidate_numbers(
            connection,
            keys=phonetic_keys(criteria.last_name),
            birth_range=birth_date_range(criteria),
            gender=criteria.gender,
            limit=limit,
        )
        for chunk in _chunks(numbers, SEARCH_CHUNK):
            rows = repository.current_person_rows(connection, chunk)
            kept.extend(row for row in rows if _row_matches(criteria, row))
            if len(kept) >= criteria.max_results:
                break
    persons = [repository.person_from_row(row) for row in kept[: criteria.max_results]]
    return sorted(persons, key=lambda person: (person.data.last_name, person.niss.value))


Verify = Callable[[BisPerson], None]
"""A check of the replaced person's record, run on the locked row (e.g. its identity)."""
Then = Callable[[Connection, NissReplacement], None]
"""What follows a replacement, in its transaction (integrations carried over, notices)."""


def replace_niss(
    engine: Engine,
    old: Niss | str,
    new: Niss | str,
    *,
    reason: str,
    journal: Journal | None = None,
    editor: Editor | None = None,
    verify: Verify | None = None,
    then: Then | None = None,
) -> NissReplacement:
    """Record that ``new`` replaces ``old`` (typically a BIS number by a Register number).

    With an ``editor``, ``old`` must be a BIS person the editor may change; ``verify`` checks
    the locked record first and ``then`` runs the consequences, all in one transaction."""
    old_number, new_number = _as_niss(old), _as_niss(new)
    replacement = new_replacement(old_number, new_number, reason=reason)
    try:
        with transaction(engine) as connection:
            record_replacement(connection, replacement, editor=editor, verify=verify)
            _journal(connection, journal, old_number)
            if then is not None:
                then(connection, replacement)
    except IntegrityError:
        raise Conflict(f"The NISS {old_number} has already been replaced.") from None
    return replacement


def record_replacement(
    connection: Connection,
    replacement: NissReplacement,
    *,
    editor: Editor | None = None,
    verify: Verify | None = None,
) -> None:
    """Mark the old number replaced and add the history row, in the caller's transaction."""
    old, new = replacement.old_niss, replacement.new_niss
    _lock_persons(connection, old, new)
    if editor is not None or verify is not None:
        person = _current_person(connection, old, editor, lock=False)  # locked just above
        if verify is not None:
            verify(person)
    _check_replacement(connection, old, new)
    _mark_replaced(connection, replacement)
    repository.insert_replacement(connection, replacement)


def apply_replacement(connection: Connection, replacement: NissReplacement) -> bool:
    """Record a replacement the National Register announces, unless the register already holds
    that very replacement (then nothing changes); tell whether it was recorded."""
    _lock_persons(connection, replacement.old_niss, replacement.new_niss)
    if repository.replacement_of(connection, replacement.old_niss) == replacement.new_niss:
        return False
    record_replacement(connection, replacement)
    return True


def new_replacement(old: Niss, new: Niss, *, reason: str) -> NissReplacement:
    """A replacement made now, its reason checked."""
    if old == new:
        raise InvalidInput(f"The NISS {old} cannot replace itself.")
    return NissReplacement(old_niss=old, new_niss=new, replaced_at=_now(), reason=_reason(reason))


def niss_history(engine: Engine, niss: Niss | str) -> list[NissReplacement]:
    """Every replacement linked to the number, before and after it, oldest first."""
    number = _as_niss(niss)
    with engine.connect() as connection:
        return connected_replacements(
            number, lambda numbers: repository.replacements_touching(connection, numbers)
        )


# --- steps -----------------------------------------------------------------------------------


def _free_bis_number(connection: Connection, person: PersonData) -> Niss:
    """Allocate serials until one gives a number not yet in the register."""
    prefix, series = bis_prefix(person.birth_date, person.gender), serial_series(person.gender)
    while True:
        serial = allocate_serial(connection, prefix, series)
        niss = bis_number(person.birth_date, person.gender, serial)
        if not repository.person_exists(connection, niss):
            return niss


def _current_person(
    connection: Connection, niss: Niss, editor: Editor | None = None, *, lock: bool = True
) -> BisPerson:
    person = repository.load_person(connection, niss, for_update=lock)
    if person is None:
        raise UnknownPerson(f"The BIS register holds no person {niss}.", niss=niss.value)
    if editor is not None:
        check_owner(person, editor)
    if person.replaced_by is not None:
        raise Conflict(
            f"The BIS number {niss} was replaced by {person.replaced_by}; use that number.",
            replaced_by=person.replaced_by.value,
        )
    return person


def _lock_persons(connection: Connection, *numbers: Niss) -> None:
    """Lock the register rows of both numbers, in one order, so crossed replacements queue."""
    values = sorted(n.value for n in numbers)
    query = select(bis_persons.c.niss).where(bis_persons.c.niss.in_(values))
    connection.execute(query.order_by(bis_persons.c.niss).with_for_update()).all()


def _check_replacement(connection: Connection, old: Niss, new: Niss) -> None:
    successor = repository.replacement_of(connection, old)
    if successor is not None:
        raise Conflict(
            f"The NISS {old} has already been replaced (by {successor}).",
            replaced_by=successor.value,
        )
    if repository.was_replaced(connection, new):
        raise Conflict(f"The NISS {new} has itself been replaced; it cannot replace {old}.")
    if new.kind is NissKind.BIS and not repository.person_exists(connection, new):
        raise UnknownPerson(f"The BIS register holds no person {new}.", niss=new.value)


def _mark_replaced(connection: Connection, replacement: NissReplacement) -> None:
    """A BIS number must be in the register, and gets marked; a Register number has no row."""
    old = replacement.old_niss
    if old.kind is not NissKind.BIS:
        return
    if not repository.person_exists(connection, old):
        raise UnknownPerson(f"The BIS register holds no person {old}.", niss=old.value)
    if not repository.mark_replaced(
        connection, old, replacement.new_niss, now=replacement.replaced_at
    ):
        raise Conflict(f"The NISS {old} has already been replaced.")
    repository.delete_keys(connection, old)  # a replaced number is no longer searchable


def _row_matches(criteria: SearchCriteria, row: Row[Any]) -> bool:
    """The names of a candidate; its birth date and gender were filtered by the database."""
    return matches(
        criteria,
        last_name=row.last_name,
        first_names=row.first_names,
        birth_date=None,
        gender=row.gender,
    )


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_niss(niss: Niss | str) -> Niss:
    return niss if isinstance(niss, Niss) else parse_niss(niss)


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > 500:
        raise InvalidInput("The reason of a replacement must be a text of 1 to 500 characters.")
    return reason.strip()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
