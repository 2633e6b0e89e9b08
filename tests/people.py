"""Valid NISS numbers for tests, built from a birth date and a serial."""

from __future__ import annotations

import datetime as dt

from carrefour.identification.niss import check_digits


def niss(birth: dt.date, serial: int = 1) -> str:
    first_nine = f"{birth:%y%m%d}{serial:03d}"
    return first_nine + check_digits(first_nine, born_after_1999=birth.year >= 2000)


ALICE = niss(dt.date(1985, 7, 30), 33)  # integrated at the CPAS in most tests
BOB = niss(dt.date(2001, 2, 3), 12)  # born after 1999
CAROL = niss(dt.date(1970, 1, 1), 44)  # never integrated
