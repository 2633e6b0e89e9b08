"""Every error of the hub has a CBSS mapping, and the documented table is the code's."""

from __future__ import annotations

from pathlib import Path

from carrefour.errors import ALL_ERRORS, CarrefourError
from carrefour.soap.codes import ERRORS, Severity, code_of, error_detail

DOC = Path(__file__).resolve().parents[2] / "docs" / "cbss-compatibility.md"


def test_every_error_maps_to_an_error_reason_code() -> None:
    for kind in ALL_ERRORS:
        detail = error_detail(kind("x"))
        assert detail.severity is Severity.ERROR
        assert len(detail.reason) == 8 and detail.reason.startswith("3"), kind


def test_an_error_without_its_own_row_takes_its_parents() -> None:
    class Newer(CarrefourError):
        code = "something-new"

    assert code_of(Newer("x")) == ERRORS["internal-error"]


def test_the_documented_table_is_the_mapping() -> None:
    text = DOC.read_text()
    for code, mapping in ERRORS.items():
        tx25 = mapping.tx25_value or "fault"
        row = f"| `{code}` | {mapping.reason} | {tx25} | {mapping.tx25_code} |"
        assert row in text, row
