"""The declaration types as data and their rules (no network)."""

from __future__ import annotations

import datetime as dt

import pytest

from carrefour import reference
from carrefour.catalogue.model import default_catalogue
from carrefour.declarations.domain import (
    check_allowed,
    check_period,
    default_types,
    parse_types,
    validate_data,
)
from carrefour.directory.files import default_reference_text, parse_reference
from carrefour.errors import DeclarationTypeNotAllowed, ImpossiblePeriod, InvalidInput
from carrefour.simulation.network import CLIENTS, CPAS_DATA_CLIENTS
from carrefour.simulation.sources.kinds import DECLARED_SERVICES

TODAY = dt.date(2026, 6, 1)
A036 = """
[[declaration]]
code = "A036"
title = "t"
service = "declare-living-wage"
consultation = "living-wages"
fields = [{ name = "type", type = "choice", choices = ["ris"] }, { name = "start", type = "date" },
          { name = "end", type = "date" }, { name = "competent_cpas", type = "cbe" }]
allowed = { codes = [2] }
"""


def test_the_shipped_types_match_the_catalogue_and_the_simulated_sources() -> None:
    types = default_types()
    assert [t.code for t in types.all()] == [
        "A036", "heating-allowance", "water-allowance", "family-allowance-advance",
        "federal-intervention", "federal-intervention-wet65", "installation-premium",
        "recovered-amount", "recovered-amount-wet65", "grant-end", "grant-end-wet65",
        "household-income", "social-report", "alert-reaction", "social-inquiry-help"]
    decided = [t.code for t in types.all() if t.decision is not None]
    # the SPP IS decides on these later (the heating allowance among them)
    assert decided == ["heating-allowance", *[t.code for t in types.all()][4:]]
    served = {(t.source_kind, t.consultation) for t in types.all()}
    assert served == {(kind, name) for kind, names in DECLARED_SERVICES.items()
                      for name in names}


@pytest.mark.parametrize(("text", "message"), [
    (A036.replace('type = "date" }, {', 'type = "when" }, {', 1), "unknown type"),
    (A036.replace('{ name = "competent_cpas", type = "cbe" }', ""), "not those of the service"),
    (A036.replace('service = "declare-living-wage"', 'service = "living-wages"'),
     "must be a declaration service"),
    (A036 + A036, "more than once"),
    (A036.replace("[[declaration]]", "[[declaration"), "not valid TOML"),
])
def test_a_wrong_file_of_types_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_types(text)


def test_an_unknown_service_in_the_file_of_types_is_refused() -> None:
    with pytest.raises(Exception, match="no service named"):
        parse_types(A036.replace('"living-wages"', '"living-wage"'))


def test_data_are_checked_field_by_field() -> None:
    kind = default_types().get("A036")
    data = validate_data(kind, {"type": "eris", "start": "2026-01-01", "end": "2026-06-30",
                                "competent_cpas": "BE 0212.000.032"})
    assert data["competent_cpas"] == "0212000032"
    for wrong in ({"type": "minimex"}, {"start": "01/01/2026"}, {"unknown": 1}):
        with pytest.raises(InvalidInput):
            validate_data(kind, {"type": "ris", "start": "2026-01-01", "end": "2026-02-01",
                                 **wrong})
    heating = default_types().get("heating-allowance")
    for amount in (-1, True, float("inf"), 2_000_000, "12"):
        with pytest.raises(InvalidInput, match="amount"):
            validate_data(heating, {"category": "bim", "invoice_date": "2026-01-01",
                                    "amount": amount, "fuel": "paraffin"})


def test_the_quality_code_decides_the_type() -> None:
    kind = default_types().get("A036")
    check_allowed(kind, {"type": "ris"}, 2)
    check_allowed(kind, {"type": "eris"}, 3)
    check_allowed(kind, None, 3)  # a cancellation: any code the type allows
    for data, code in (({"type": "eris"}, 2), ({"type": "ris"}, 3), (None, 4)):
        with pytest.raises(DeclarationTypeNotAllowed):
            check_allowed(kind, data, code)


@pytest.mark.parametrize(("start", "end"), [
    ("2026-05-01", "2026-04-30"), ("2026-01-01", "2027-01-02"), ("1970-01-01", "1970-06-01"),
    ("2026-09-02", "2026-12-31"),
])
def test_an_impossible_period_is_refused(start: str, end: str) -> None:
    with pytest.raises(ImpossiblePeriod):
        check_period(default_types().get("A036"), {"start": start, "end": end}, TODAY)


def test_a_possible_period_passes() -> None:
    check_period(default_types().get("A036"), {"start": "2026-01-01", "end": "2026-12-31"}, TODAY)


def test_at_least_fifteen_kinds_of_client_consult_living_wages_each_with_its_fields() -> None:
    grants, _ = parse_reference(default_reference_text())
    living = [g for g in grants if g.service == "living-wages"]
    kinds = {g.client_kind for g in living}
    assert len(kinds) >= 15, sorted(kinds)
    assert len({g.fields for g in living}) >= 6  # proportionality: not the same for everyone
    fields = set(default_catalogue().get("living-wages").fields)
    assert all(g.fields <= fields for g in living)


def test_every_client_of_cpas_data_has_a_deliberation_with_codes_of_its_sector() -> None:
    grants, _ = parse_reference(default_reference_text())
    for member in CPAS_DATA_CLIENTS:
        own = [g for g in grants if g.client_kind == member.kind]
        assert own, member.slug
        codes = set().union(*(g.quality_codes for g in own))
        assert any(reference.quality_code(member.sector, c, own_sector_only=True)
                   for c in codes), member.slug
        assert member in CLIENTS
