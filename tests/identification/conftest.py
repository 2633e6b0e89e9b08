"""Factories of the identification tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine

from carrefour.identification.niss import Niss
from carrefour.identification.register import create_bis_person

# The exchange tests' network (the real hub over HTTP, source doubles over real HTTP) serves the
# tests of ownership and replacement: importing its fixtures makes them available here.
from tests.exchange.conftest import Network, _doubles, network  # noqa: F401
from tests.identification.desk import Desk

PersonData = Callable[..., dict[str, Any]]
NewBisPerson = Callable[..., Niss]


@pytest.fixture
def cpas() -> str:
    """The enterprise number of the CPAS creating the BIS persons."""
    return "0212344876"


@pytest.fixture
def person_data() -> PersonData:
    """The data of a typical BIS person; keyword arguments replace fields (None drops one)."""

    def build(**overrides: Any) -> dict[str, Any]:
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

    return build


@pytest.fixture
def new_bis_person(engine: Engine, person_data: PersonData, cpas: str) -> NewBisPerson:
    """Creates a BIS person from :func:`person_data` with the overrides given."""

    def create(**overrides: Any) -> Niss:
        return create_bis_person(engine, data=person_data(**overrides), created_by=cpas)

    return create


# --- the BIS register through the hub's API ---------------------------------------------------


@pytest.fixture
def desk(network: Network) -> Desk:  # noqa: F811
    """The BIS register's desk: institutions creating, correcting and replacing records, the
    National Register answering and publishing, subscribers reading their feeds."""
    return Desk.opened(network)
