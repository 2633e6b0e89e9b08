"""BIS numbers: the NISS the hub gives to persons the National Register does not know.

Layout ``YY MM DD SSS CC``: the birth date (``00`` for an unknown month or day) with the month
increased by 40 when the gender is known and by 20 when it is not; a serial, odd for men and
even for women (any when the gender is unknown), from 001 to 997; modulo-97 check digits with
the 2000+ rule. The serials of one prefix (``YYMMDD`` with the offset month) are allocated by
the register (see :mod:`carrefour.identification.serials`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from carrefour.errors import InvalidInput
from carrefour.identification.dates import IncompleteDate
from carrefour.identification.niss import Gender, Niss, check_digits, parse_niss

FIRST_YEAR, LAST_YEAR = 1900, 2099
SERIAL_MIN, SERIAL_MAX = 1, 997


class Parity(StrEnum):
    ODD = "odd"
    EVEN = "even"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class SerialSeries:
    """The serials a gender may use under one prefix: ``first``, ``first + step``... ``last``."""

    parity: Parity
    first: int
    step: int
    last: int

    def __contains__(self, serial: object) -> bool:
        return (
            isinstance(serial, int)
            and self.first <= serial <= self.last
            and (serial - self.first) % self.step == 0
        )


_SERIES = {
    Gender.MALE: SerialSeries(Parity.ODD, SERIAL_MIN, 2, SERIAL_MAX),
    Gender.FEMALE: SerialSeries(Parity.EVEN, SERIAL_MIN + 1, 2, SERIAL_MAX - 1),
    Gender.UNKNOWN: SerialSeries(Parity.ANY, SERIAL_MIN, 1, SERIAL_MAX),
}


def serial_series(gender: Gender) -> SerialSeries:
    return _SERIES[gender]


def bis_prefix(birth_date: IncompleteDate, gender: Gender) -> str:
    """The first six digits: ``YY``, the month + 20 (gender unknown) or + 40, ``DD``."""
    _check_year(birth_date.year)
    month = (birth_date.month or 0) + (20 if gender is Gender.UNKNOWN else 40)
    return f"{birth_date.year % 100:02d}{month:02d}{birth_date.day or 0:02d}"


def bis_number(birth_date: IncompleteDate, gender: Gender, serial: int) -> Niss:
    """The BIS number for a birth date, a gender and a serial of that gender's series."""
    if serial not in serial_series(gender):
        raise InvalidInput(f"The serial {serial} is not allowed for gender {gender.value}.")
    first_nine = bis_prefix(birth_date, gender) + f"{serial:03d}"
    digits = check_digits(first_nine, born_after_1999=birth_date.year >= 2000)
    return parse_niss(first_nine + digits)


def _check_year(year: int) -> None:
    last_year = min(LAST_YEAR, dt.date.today().year)  # stdnum refuses births after this year
    if not FIRST_YEAR <= year <= last_year:
        raise InvalidInput(
            f"The birth_date year {year} cannot be encoded in a BIS number "
            f"(years {FIRST_YEAR} to {last_year})."
        )
