"""Factories of the identification tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from carrefour.identification.niss import Niss
from carrefour.identification.register import create_bis_person

CPAS_NAMUR = "0212344876"

NewBisPerson = Callable[..., Niss]


def person_data(**overrides: Any) -> dict[str, Any]:
    """The data of a typical BIS person; keyword arguments replace fields (None removes one)."""
    data: dict[str, Any] = {
        "last_name": "Dupont",
        "first_names": ["Jean", "Marie"],
        "birth_date": "1970-05-12",
        "gender": "M",
        "birth_place": "Kinshasa",
        "nationality": "COD",
        "address": {"street": "Rue de Fer", "number": "12", "postal_code": "5000"},
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def new_bis_person(engine: Engine) -> NewBisPerson:
    """Creates a BIS person in the register from :func:`person_data` with the overrides given."""

    def create(**overrides: Any) -> Niss:
        return create_bis_person(engine, data=person_data(**overrides), created_by=CPAS_NAMUR)

    return create
