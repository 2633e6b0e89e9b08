"""Deliberations restricted to some sectors: for a service whose items each carry a sector,
an item gets the fields of every valid grant covering its sector, and is left out when no
grant covers it. Pure rules, and the reference file that declares them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from carrefour.catalogue.model import default_catalogue
from carrefour.directory.domain import Deliberation, find_deliberation
from carrefour.directory.files import parse_reference
from carrefour.errors import InvalidInput
from carrefour.exchange.merge import covered, keep_granted, persons_found

D = dt.date
SERVICE = default_catalogue().get("person-integrations")
CPAS, MUTUALITY, ONEM = 17, 11, 18
PERIOD = ["sector", "quality_code", "start", "end"]


def grant(reference: str, fields: list[str], sectors: set[int] | None = None,
          service: str = "person-integrations") -> Deliberation:
    return Deliberation(
        id=0, reference=reference, title="t", client_kind="cpas", quality_codes=frozenset({2}),
        service=service, fields=frozenset(fields), valid_from=D(2020, 1, 1), valid_until=None,
        sectors=None if sectors is None else frozenset(sectors))


def found(*grants: Deliberation) -> Deliberation:
    return find_deliberation(list(grants), client_kind="cpas", capacity=2,
                             service=grants[0].service, today=D(2026, 1, 1))


def item(sector: int, **extra: Any) -> dict[str, Any]:
    return {"sector": sector, "quality_code": 1, "start": "2020-01-01", "end": None,
            "institution": f"02000000{sector:02d}", "institution_name": f"holder {sector}",
            "own": False, **extra}


ANSWER = {"integrations": [item(CPAS), item(MUTUALITY), item(ONEM)]}


def test_an_item_gets_the_union_of_the_fields_of_the_grants_covering_its_sector() -> None:
    every = grant("CSI/12/002", PERIOD)
    holder = grant("CSI/12/003", [*PERIOD, "institution"], {CPAS})
    name = grant("CSI/26/001", ["institution_name"], {CPAS, MUTUALITY})
    kept = keep_granted(SERVICE, ANSWER, found(every, holder, name))["integrations"]
    assert [set(i) for i in kept] == [
        {*PERIOD, "institution", "institution_name"},
        {*PERIOD, "institution_name"},
        set(PERIOD),
    ]


def test_an_item_no_grant_covers_is_not_shown_at_all() -> None:
    only_cpas = found(grant("CSI/12/003", PERIOD, {CPAS}))
    assert [i["sector"] for i in keep_granted(SERVICE, ANSWER, only_cpas)["integrations"]] == [
        CPAS]
    assert [i["sector"] for i in covered(SERVICE, ANSWER, only_cpas)["integrations"]] == [CPAS]


def test_a_merged_grant_keeps_each_grants_sectors_and_names_every_reference() -> None:
    merged = found(grant("CSI/12/002", PERIOD), grant("CSI/12/003", ["institution"], {CPAS}))
    assert merged.reference == "CSI/12/002+CSI/12/003"
    assert merged.fields_for_sector(ONEM) == set(PERIOD)
    assert merged.fields_for_sector(CPAS) == {*PERIOD, "institution"}


def test_grants_without_sectors_behave_as_before() -> None:
    merged = found(grant("A", ["sector"], service="unemployment"),
                   grant("B", ["quality_code"], service="unemployment"))
    assert merged.scopes == () and merged.sectors is None
    assert merged.fields == {"sector", "quality_code"}
    every = found(grant("CSI/12/002", PERIOD))
    assert covered(SERVICE, ANSWER, every) is ANSWER
    assert [set(i) for i in keep_granted(SERVICE, ANSWER, every)["integrations"]] == [
        set(PERIOD)] * 3


def test_the_persons_a_search_returns_are_named_in_order() -> None:
    search = default_catalogue().get("search-person")
    answer = {"persons": [{"niss": "85073003328"}, {"last_name": "x"}, {"niss": "70010104466"}]}
    assert persons_found(search, answer) == ("85073003328", "70010104466")
    assert persons_found(default_catalogue().get("legal-data"), {"niss": "85073003328"}) == ()


REFERENCE = """
[[deliberation]]
reference = "CSI/12/003"
title = "t"
client_kind = "cpas"
quality_codes = [2]
service = "{service}"
sectors = {sectors}
fields = ["{field}"]
valid_from = 2012-01-01
"""


def test_a_reference_file_restricts_a_grant_to_sectors() -> None:
    [loaded], _ = parse_reference(REFERENCE.format(
        service="person-integrations", sectors="[17, 11]", field="institution"))
    assert loaded.sectors == {CPAS, MUTUALITY}
    assert loaded.fields_for_sector(ONEM) is None


@pytest.mark.parametrize(("service", "sectors", "field", "message"), [
    ("unemployment", "[17]", "periods", "carry no sector"),
    ("person-integrations", "[4242]", "sector", "not in the sector list"),
    ("person-integrations", "[]", "sector", "none given"),
    ("person-integrations", "17", "sector", "a list of sector numbers"),
])
def test_a_sector_restriction_that_cannot_apply_is_refused(
    service: str, sectors: str, field: str, message: str,
) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_reference(REFERENCE.format(service=service, sectors=sectors, field=field))
