"""NISS (INSZ / SSIN): the social-security identification number of a person.

A NISS is either a National Register number or a BIS number (birth month + 20 when the gender
was unknown at creation, + 40 when known). Both share the layout ``YYMMDD SSS CC``: birth date
(day or month may be 00 when unknown), a serial that is odd for men and even for women, and a
modulo-97 check computed over the first nine digits, prefixed with ``2`` for births from 2000.
Validation is delegated to ``python-stdnum``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from stdnum.be import bis, nn
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from carrefour.errors import InvalidNiss

MAX_TEXT = 20
"""The longest text that may be a NISS (``85.07.30-033.28``, with room for spaces)."""


class NissKind(StrEnum):
    REGISTER = "register"
    BIS = "bis"


class Gender(StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


_REASONS: dict[type[ValidationError], str] = {
    InvalidLength: "must have exactly 11 digits",
    InvalidFormat: "must contain only digits (separators . - and spaces are allowed)",
    InvalidChecksum: "has wrong check digits",
    InvalidComponent: "does not encode a possible birth date",
}


@dataclass(frozen=True, slots=True)
class Niss:
    """A validated NISS, kept in its compact 11-digit form."""

    value: str

    def __str__(self) -> str:
        return self.value

    @property
    def kind(self) -> NissKind:
        return NissKind.BIS if int(self.value[2:4]) >= 20 else NissKind.REGISTER

    @property
    def formatted(self) -> str:
        return str(nn.format(self.value))

    @property
    def birth_date(self) -> dt.date | None:
        """The full birth date, or None when the day or month is unknown (00)."""
        module = bis if self.kind is NissKind.BIS else nn
        date: dt.date | None = module.get_birth_date(self.value)
        return date

    @property
    def birth_year(self) -> int | None:
        module = bis if self.kind is NissKind.BIS else nn
        year: int | None = module.get_birth_year(self.value)
        return year

    @property
    def gender(self) -> Gender:
        """Gender encoded in the serial; a BIS number with month + 20 does not encode it."""
        if self.kind is NissKind.BIS and int(self.value[2:4]) < 40:
            return Gender.UNKNOWN
        return Gender.MALE if int(self.value[6:9]) % 2 else Gender.FEMALE


def parse_niss(raw: str) -> Niss:
    """Validate a National Register or BIS number; raise :class:`InvalidNiss` with the reason."""
    if not isinstance(raw, str):
        raise InvalidNiss("The NISS must be given as a string of 11 digits.")
    if len(raw) > MAX_TEXT:  # 11 digits and their separators; never echo or parse a flood
        raise InvalidNiss(f"The NISS must have 11 digits; {len(raw)} characters were given.")
    compact = nn.compact(raw)
    try:
        validated = bis.validate(compact) if _looks_like_bis(compact) else nn.validate(compact)
    except ValidationError as error:
        reason = _REASONS.get(type(error), "is not valid")
        raise InvalidNiss(f"The NISS {raw!r} {reason}.", niss=raw) from None
    return Niss(str(validated))


def _looks_like_bis(compact: str) -> bool:
    return len(compact) == 11 and compact.isdigit() and int(compact[2:4]) >= 20


def check_digits(first_nine: str, *, born_after_1999: bool) -> str:
    """The two modulo-97 check digits of a NISS whose first nine digits are given."""
    base = int(("2" if born_after_1999 else "") + first_nine)
    return f"{97 - base % 97:02d}"
