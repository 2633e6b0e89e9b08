"""Replacing a BIS number, and the history of replacements, queryable from either number."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event

from carrefour.errors import Conflict, InvalidInput, InvalidNiss, UnknownPerson
from carrefour.identification.register import get_bis_person, niss_history, replace_niss
from carrefour.identification.repository import successors

from .conftest import NewBisPerson

REGISTER_NUMBER = "85073003328"
OTHER_REGISTER_NUMBER = "00010100105"


def test_a_replaced_bis_number_is_marked_with_its_successor(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    bis = new_bis_person()
    replacement = replace_niss(engine, bis, REGISTER_NUMBER, reason="now in the National Register")
    person = get_bis_person(engine, bis)
    assert person.replaced_by is not None
    assert person.replaced_by.value == REGISTER_NUMBER
    assert person.replaced_at == replacement.replaced_at


def test_the_history_is_the_same_from_the_old_and_the_new_number(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    bis = new_bis_person()
    replace_niss(engine, bis.formatted, REGISTER_NUMBER, reason="now in the National Register")
    from_old = niss_history(engine, bis)
    from_new = niss_history(engine, REGISTER_NUMBER)
    assert from_old == from_new
    assert [(r.old_niss.value, r.new_niss.value, r.reason) for r in from_old] == [
        (bis.value, REGISTER_NUMBER, "now in the National Register")
    ]


def test_a_chain_of_replacements_is_found_whole_from_any_number(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    first, duplicate, second = new_bis_person(), new_bis_person(), new_bis_person(gender="F")
    replace_niss(engine, first, second, reason="duplicate")
    replace_niss(engine, duplicate, second, reason="duplicate")
    replace_niss(engine, second, REGISTER_NUMBER, reason="now in the National Register")
    replace_niss(engine, REGISTER_NUMBER, OTHER_REGISTER_NUMBER, reason="birth date corrected")
    expected = [
        (first.value, second.value),
        (duplicate.value, second.value),
        (second.value, REGISTER_NUMBER),
        (REGISTER_NUMBER, OTHER_REGISTER_NUMBER),
    ]
    for number in (first, duplicate, second, REGISTER_NUMBER, OTHER_REGISTER_NUMBER):
        history = niss_history(engine, number)
        assert [(r.old_niss.value, r.new_niss.value) for r in history] == expected


def test_a_number_never_replaced_has_an_empty_history(engine: Engine) -> None:
    assert niss_history(engine, REGISTER_NUMBER) == []


def test_a_number_cannot_be_replaced_twice(engine: Engine, new_bis_person: NewBisPerson) -> None:
    bis = new_bis_person()
    replace_niss(engine, bis, REGISTER_NUMBER, reason="now in the National Register")
    with pytest.raises(Conflict, match="already been replaced"):
        replace_niss(engine, bis, OTHER_REGISTER_NUMBER, reason="again")
    replace_niss(engine, REGISTER_NUMBER, OTHER_REGISTER_NUMBER, reason="corrected")
    with pytest.raises(Conflict, match="already been replaced"):
        replace_niss(engine, REGISTER_NUMBER, "85473003317", reason="again")


def test_a_replaced_number_cannot_replace_another(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    old, other = new_bis_person(), new_bis_person()
    replace_niss(engine, old, REGISTER_NUMBER, reason="now in the National Register")
    with pytest.raises(Conflict, match="has itself been replaced"):
        replace_niss(engine, other, old, reason="duplicate")


def test_an_unknown_bis_number_cannot_replace_or_be_replaced(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    with pytest.raises(UnknownPerson):
        replace_niss(engine, "85473003317", REGISTER_NUMBER, reason="now in the National Register")
    with pytest.raises(UnknownPerson):
        replace_niss(engine, new_bis_person(), "85473003317", reason="duplicate")
    assert niss_history(engine, REGISTER_NUMBER) == []


def test_a_replacement_needs_two_different_valid_numbers_and_a_reason(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    bis = new_bis_person()
    with pytest.raises(InvalidInput, match="itself"):
        replace_niss(engine, bis, bis, reason="same")
    with pytest.raises(InvalidNiss):
        replace_niss(engine, bis, "85073003329", reason="bad check digits")
    with pytest.raises(InvalidInput, match="reason"):
        replace_niss(engine, bis, REGISTER_NUMBER, reason=" ")


def test_the_current_number_follows_bis_replacements_to_the_end_of_a_chain(
    engine: Engine, new_bis_person: NewBisPerson
) -> None:
    first, duplicate, second, alone = (new_bis_person() for _ in range(4))
    replace_niss(engine, first, second, reason="duplicate")
    replace_niss(engine, duplicate, second, reason="duplicate")
    replace_niss(engine, second, REGISTER_NUMBER, reason="now in the National Register")
    replace_niss(engine, REGISTER_NUMBER, OTHER_REGISTER_NUMBER, reason="birth date corrected")
    asked = [first.value, duplicate.value, second.value, alone.value, REGISTER_NUMBER]
    with engine.connect() as connection:
        found = successors(connection, asked)
    # the Register's own renumbering is not followed: only the BIS register's replacements
    assert found == {n: REGISTER_NUMBER for n in (first.value, duplicate.value, second.value)}


def test_only_bis_numbers_are_looked_up(engine: Engine) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as connection:
            assert successors(connection, [REGISTER_NUMBER, OTHER_REGISTER_NUMBER]) == {}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not [s for s in statements if "bis_persons" in s]
