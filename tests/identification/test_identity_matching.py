"""The rule by which a National Register record is recognised as the person of a BIS record."""

from __future__ import annotations

from typing import Any

import pytest

from carrefour.errors import IdentityMismatch
from carrefour.identification.matching import check_identity, differences
from carrefour.identification.niss import Niss
from carrefour.identification.person import parse_person_data

REGISTER = {"last_name": "Van den Broucke", "first_names": ["Marie-Claire", "Anne"],
            "birth_date": "1975-05-12", "gender": "F"}


def _bis(**overrides: Any) -> Any:
    data = {"last_name": "Vandenbroucke", "first_names": ["Marie"], "birth_date": "1975-05-12",
            "gender": "F", **overrides}
    return parse_person_data({k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("bis", [
    {},
    {"last_name": "VANDENBROUCKE"},
    {"last_name": "van den Broucké"},
    {"birth_date": "1975-05-00"},
    {"birth_date": "1975-00-00"},
    {"gender": "U"},
    {"first_names": None},
    {"first_names": ["marie claire"]},
    {"first_names": ["Anne", "Zoé"]},  # the first first name decides
])
def test_records_of_one_person_match(bis: dict[str, Any]) -> None:
    assert differences(_bis(**bis), REGISTER) == []


@pytest.mark.parametrize(("bis", "register", "field"), [
    ({"last_name": "Vandenbrouck"}, {}, "last name"),
    ({"last_name": "Vandenbroecke"}, {}, "last name"),  # sounds alike, is not the same name
    ({"birth_date": "1974-00-00"}, {}, "birth date"),
    ({"birth_date": "1975-06-00"}, {}, "birth date"),
    ({"birth_date": "1975-05-13"}, {}, "birth date"),
    ({}, {"birth_date": "1975-05-00"}, None),  # the Register's date may be incomplete too
    ({}, {"birth_date": "12/05/1975"}, "birth date"),
    ({}, {"birth_date": None}, "birth date"),
    ({"gender": "M"}, {}, "gender"),
    ({}, {"gender": "U"}, None),
    ({"first_names": ["Zoé"]}, {}, "first name"),
    ({}, {"first_names": []}, None),
    ({}, {"last_name": None}, "last name"),
])
def test_records_that_differ_are_told_apart(
    bis: dict[str, Any], register: dict[str, Any], field: str | None
) -> None:
    found = differences(_bis(**bis), {**REGISTER, **register})
    assert found == ([] if field is None else [field])


def test_a_mismatch_names_the_fields_and_never_the_register_s_values() -> None:
    with pytest.raises(IdentityMismatch) as refused:
        check_identity(_bis(last_name="Dupont", gender="M"), REGISTER, niss=Niss("75051200253"))
    assert "last name, gender" in refused.value.detail
    assert "Broucke" not in refused.value.detail
    assert refused.value.code == "identity-mismatch"
