"""The simulated network as data: valid enterprise numbers, known sectors, distinct ports."""

from __future__ import annotations

from stdnum.be import vat

from carrefour import reference
from carrefour.directory.domain import Role
from carrefour.simulation.network import (
    DEMO_CPAS_SLUG,
    HUB,
    NETWORK,
    OPERATOR_SLUG,
    SOURCES,
    institution,
    mutualities,
)


def test_every_enterprise_number_is_valid_and_unique() -> None:
    assert all(vat.is_valid(member.cbe) for member in NETWORK)
    assert len({member.cbe for member in NETWORK}) == len(NETWORK)


def test_onem_has_its_real_enterprise_number() -> None:
    assert institution("onem").cbe == "0206737484"


def test_every_institution_is_in_a_known_sector() -> None:
    for member in NETWORK:
        assert reference.sector(member.sector, member.subsector) is not None, member.slug


def test_sources_listen_on_distinct_ports_and_are_sources() -> None:
    offsets = [s.port_offset for s in SOURCES]
    assert None not in offsets and len(set(offsets)) == len(offsets)
    assert all(s.role is Role.SOURCE for s in SOURCES)


def test_there_are_at_least_two_mutualities_of_sector_11_with_their_numbers() -> None:
    found = mutualities()
    assert len(found) >= 2
    assert all(m.sector == 11 and m.number is not None for m in found)


def test_the_hub_is_the_bis_register_of_sector_25() -> None:
    assert (HUB.kind, HUB.sector, HUB.role) == ("bis-register", 25, Role.SOURCE)


def test_the_demo_cpas_and_the_operator_are_clients() -> None:
    demo, operator = institution(DEMO_CPAS_SLUG), institution(OPERATOR_SLUG)
    assert (demo.kind, demo.sector, demo.role) == ("cpas", 17, Role.CLIENT)
    assert demo.postal_codes
    assert operator.role is Role.CLIENT
