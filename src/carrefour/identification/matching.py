"""Does a National Register record describe the person of a BIS record? Pure rules.

Before a BIS number is replaced by a Register number on an institution's word, the hub asks
the National Register for that number's legal data and compares it with the BIS record:

- **last name**: equal once accents, case, spaces, hyphens and apostrophes are ignored
  (``Van den Broucke`` = ``Vandenbroucke``, ``Müller`` = ``MULLER``); no phonetic tolerance;
- **birth date**: the same year, and the same month and day wherever both records know them
  (a BIS date is often incomplete: ``1970-00-00`` matches any day of 1970, ``1970-05-00`` any
  day of May 1970);
- **gender**: the same, when both records know it (``U`` matches either);
- **first name**: when both records name first names, every word of the BIS record's first
  first name is one of the Register's first names (``Jean`` matches ``Jean Marie``).

A record that does not match is refused naming the fields that differ, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from carrefour.errors import IdentityMismatch, InvalidInput
from carrefour.identification.dates import IncompleteDate, parse_incomplete_date
from carrefour.identification.niss import Gender, Niss
from carrefour.identification.person import PersonData
from carrefour.identification.phonetic import normalise


def check_identity(bis: PersonData, register: Mapping[str, Any], *, niss: Niss) -> None:
    """Refuse with :class:`IdentityMismatch` unless the Register's record is the BIS person."""
    differing = differences(bis, register)
    if differing:
        raise IdentityMismatch(
            f"The National Register's record of {niss} does not match the BIS record "
            f"({', '.join(differing)}); the number was not replaced.",
            niss=niss.value,
        )


def differences(bis: PersonData, register: Mapping[str, Any]) -> list[str]:
    """The fields on which the two records disagree (empty: they describe one person)."""
    found = []
    if not _same_name(bis.last_name, register.get("last_name")):
        found.append("last name")
    if not _compatible_dates(bis.birth_date, register.get("birth_date")):
        found.append("birth date")
    if not _compatible_genders(bis.gender, register.get("gender")):
        found.append("gender")
    if not _first_name_found(bis.first_names, register.get("first_names")):
        found.append("first name")
    return found


def _same_name(bis: str, register: Any) -> bool:
    return isinstance(register, str) and _letters(bis) != "" and _letters(bis) == _letters(register)


def _letters(name: str) -> str:
    return "".join(normalise(name))


def _compatible_dates(bis: IncompleteDate, register: Any) -> bool:
    try:
        other = parse_incomplete_date(register) if isinstance(register, str) else None
    except InvalidInput:
        other = None
    if other is None:
        return False
    return (
        bis.year == other.year
        and _same_if_known(bis.month, other.month)
        and _same_if_known(bis.day, other.day)
    )


def _same_if_known(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def _compatible_genders(bis: Gender, register: Any) -> bool:
    known = {Gender.MALE.value, Gender.FEMALE.value}
    return bis.value not in known or register not in known or bis.value == register


def _first_name_found(bis: Sequence[str], register: Any) -> bool:
    names = register if isinstance(register, list) else []
    given = {word for name in names if isinstance(name, str) for word in normalise(name)}
    wanted = normalise(bis[0]) if bis else ()
    return not wanted or not given or set(wanted) <= given
