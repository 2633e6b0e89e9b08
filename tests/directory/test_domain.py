"""Rules of the reference directory: CPAS durations, finality, deliberations, routing."""

from __future__ import annotations

import datetime as dt

import pytest

from carrefour.catalogue.model import default_catalogue
from carrefour.directory.domain import (
    Availability,
    Deliberation,
    Institution,
    Integration,
    Role,
    check_finality,
    find_deliberation,
    integration_period,
)
from carrefour.errors import (
    DeliberationExpired,
    EndDateRequired,
    IntegrationExpired,
    InvalidPeriod,
    NoDeliberation,
    NoSource,
    NotIntegrated,
)
from carrefour.exchange.routing import route
from carrefour.identification.niss import NissKind

D = dt.date
CPAS = 17


@pytest.mark.parametrize(
    ("code", "last_day"),
    [
        (1, D(2026, 3, 14)),  # under investigation: 2 months
        (2, D(2027, 1, 14)),  # RIS: 1 year
        (7, D(2031, 1, 14)),  # debt mediation: 5 years
        (9, D(2028, 1, 14)),  # other guidance: 2 years
        (40, D(2026, 12, 31)),  # heating fund: until 31 December
    ],
)
def test_a_cpas_integration_without_end_date_gets_the_maximum_duration_of_its_code(
    code: int, last_day: dt.date
) -> None:
    period = integration_period(
        sector=CPAS, quality_code=code, starts_on=D(2026, 1, 15), ends_on=None
    )
    assert period.ends_on == last_day
    assert not period.capped


@pytest.mark.parametrize(
    ("starts_on", "last_day"),
    [
        (D(2025, 12, 31), D(2026, 2, 28)),  # no 31 February: the period fills February
        (D(2023, 12, 31), D(2024, 2, 29)),  # leap year
        (D(2025, 12, 30), D(2026, 2, 28)),
        (D(2025, 12, 28), D(2026, 2, 27)),  # 28 February exists: the day before
        (D(2026, 8, 31), D(2026, 10, 30)),  # 31 October exists: the day before
    ],
)
def test_a_code_001_integration_lasts_two_full_months_at_the_end_of_a_month(
    starts_on: dt.date, last_day: dt.date
) -> None:
    period = integration_period(sector=CPAS, quality_code=1, starts_on=starts_on, ends_on=None)
    assert period.ends_on == last_day


def test_a_cpas_end_date_beyond_the_maximum_is_capped() -> None:
    period = integration_period(
        sector=CPAS, quality_code=1, starts_on=D(2026, 1, 31), ends_on=D(2026, 12, 31)
    )
    assert period.ends_on == D(2026, 3, 30)
    assert period.capped


def test_a_cpas_end_date_within_the_maximum_is_kept() -> None:
    period = integration_period(
        sector=CPAS, quality_code=2, starts_on=D(2026, 1, 1), ends_on=D(2026, 6, 30)
    )
    assert period.ends_on == D(2026, 6, 30)
    assert not period.capped


def test_other_sectors_keep_an_open_end() -> None:
    assert (
        integration_period(sector=11, quality_code=1, starts_on=D(2026, 1, 1), ends_on=None).ends_on
        is None
    )


def test_a_cpas_code_without_a_maximum_needs_an_end_date() -> None:
    with pytest.raises(EndDateRequired):
        integration_period(sector=CPAS, quality_code=21, starts_on=D(2026, 1, 1), ends_on=None)
    period = integration_period(
        sector=CPAS, quality_code=21, starts_on=D(2026, 1, 1), ends_on=D(2027, 6, 30)
    )
    assert (period.ends_on, period.capped) == (D(2027, 6, 30), False)


def test_a_period_ending_past_the_last_representable_date_is_refused() -> None:
    with pytest.raises(InvalidPeriod):
        integration_period(sector=CPAS, quality_code=2, starts_on=D(9999, 12, 31), ends_on=None)


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidPeriod):
        integration_period(
            sector=CPAS, quality_code=2, starts_on=D(2026, 5, 1), ends_on=D(2026, 4, 1)
        )


def _integration(**overrides: object) -> Integration:
    values: dict[str, object] = {
        "id": 1,
        "niss": "85073003328",
        "institution_id": 7,
        "quality_code": 2,
        "starts_on": D(2026, 1, 1),
        "ends_on": D(2026, 12, 31),
    }
    values.update(overrides)
    return Integration(**values)  # type: ignore[arg-type]


def test_finality_passes_with_an_active_integration_in_the_claimed_capacity() -> None:
    found = check_finality([_integration()], institution_id=7, capacity=2, today=D(2026, 6, 1))
    assert found.id == 1


def test_finality_refuses_another_capacity_or_another_institution() -> None:
    with pytest.raises(NotIntegrated):
        check_finality([_integration()], institution_id=7, capacity=1, today=D(2026, 6, 1))
    with pytest.raises(NotIntegrated):
        check_finality([_integration()], institution_id=8, capacity=2, today=D(2026, 6, 1))


def test_an_expired_integration_no_longer_counts_and_says_so() -> None:
    with pytest.raises(IntegrationExpired):
        check_finality([_integration()], institution_id=7, capacity=2, today=D(2027, 1, 1))


def test_an_unregistered_integration_no_longer_counts() -> None:
    ended = _integration(unregistered_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with pytest.raises(NotIntegrated):
        check_finality([ended], institution_id=7, capacity=2, today=D(2026, 6, 1))


def _grant(**overrides: object) -> Deliberation:
    values: dict[str, object] = {
        "id": 1,
        "reference": "CSI/22/123",
        "title": "t",
        "client_kind": "cpas",
        "quality_codes": frozenset({2}),
        "service": "unemployment",
        "fields": frozenset({"periods"}),
        "valid_from": D(2022, 1, 1),
        "valid_until": None,
    }
    values.update(overrides)
    return Deliberation(**values)  # type: ignore[arg-type]


def test_a_valid_deliberation_authorises_the_exchange() -> None:
    grant = find_deliberation(
        [_grant()], client_kind="cpas", capacity=2, service="unemployment", today=D(2026, 1, 1)
    )
    assert grant.reference == "CSI/22/123"


def test_no_deliberation_for_the_capacity_or_kind_is_refused() -> None:
    with pytest.raises(NoDeliberation) as refused:
        find_deliberation(
            [_grant()], client_kind="cpas", capacity=1, service="unemployment", today=D(2026, 1, 1)
        )
    assert refused.value.code == "no-deliberation"
    with pytest.raises(NoDeliberation):
        find_deliberation(
            [_grant()],
            client_kind="mutuality",
            capacity=2,
            service="unemployment",
            today=D(2026, 1, 1),
        )


def test_a_lapsed_deliberation_is_refused_as_expired() -> None:
    lapsed = _grant(valid_until=D(2025, 12, 31))
    with pytest.raises(DeliberationExpired) as refused:
        find_deliberation(
            [lapsed], client_kind="cpas", capacity=2, service="unemployment", today=D(2026, 1, 1)
        )
    assert refused.value.code == "deliberation-expired"


def test_two_valid_deliberations_add_up_their_fields() -> None:
    grants = [_grant(), _grant(id=2, reference="CSI/23/001", fields=frozenset({"daily_allowance"}))]
    merged = find_deliberation(
        grants, client_kind="cpas", capacity=2, service="unemployment", today=D(2026, 1, 1)
    )
    assert merged.fields == {"periods", "daily_allowance"}


def _source(id_: int, kind: str) -> Institution:
    return Institution(
        id=id_,
        cbe=f"02000000{id_:02d}",
        name_fr=kind,
        name_nl=kind,
        sector=11,
        subsector=0,
        kind=kind,
        role=Role.SOURCE,
        endpoint=f"http://127.0.0.1:9/{id_}",
    )


def test_health_insurance_is_routed_to_the_persons_own_mutuality_only() -> None:
    service = default_catalogue().get("health-insurance")
    mutualities = [_source(1, "mutuality"), _source(2, "mutuality")]
    file_at_second = _integration(institution_id=2, quality_code=1, ends_on=None)
    chosen = route(
        service,
        niss_kind=NissKind.REGISTER,
        availability={
            ("health-insurance", "mutuality"): Availability(
                service="health-insurance", source_kind="mutuality", quality_codes=frozenset({1})
            )
        },
        sources_by_kind={"mutuality": mutualities},
        integrations=[file_at_second],
        today=D(2026, 1, 1),
    )
    assert [c.id for c in chosen] == [2]


def test_a_person_without_a_file_at_any_source_has_no_route() -> None:
    service = default_catalogue().get("health-insurance")
    with pytest.raises(NoSource):
        route(
            service,
            niss_kind=NissKind.REGISTER,
            availability={
                ("health-insurance", "mutuality"): Availability(
                    service="health-insurance",
                    source_kind="mutuality",
                    quality_codes=frozenset({1}),
                )
            },
            sources_by_kind={"mutuality": [_source(1, "mutuality")]},
            integrations=[],
            today=D(2026, 1, 1),
        )


def test_legal_data_of_a_bis_number_goes_to_the_bis_register_not_the_national_register() -> None:
    service = default_catalogue().get("legal-data")
    availability = {
        ("legal-data", kind): Availability(
            service="legal-data", source_kind=kind, quality_codes=None
        )
        for kind in ("national-register", "bis-register")
    }
    sources = {
        "national-register": [_source(1, "national-register")],
        "bis-register": [_source(2, "bis-register")],
    }
    for kind, expected in ((NissKind.BIS, 2), (NissKind.REGISTER, 1)):
        chosen = route(
            service,
            niss_kind=kind,
            availability=availability,
            sources_by_kind=sources,
            integrations=[],
            today=D(2026, 1, 1),
        )
        assert [c.id for c in chosen] == [expected]


def test_a_reference_file_with_the_same_grant_twice_is_refused() -> None:
    from carrefour.directory.files import parse_reference
    from carrefour.errors import InvalidInput

    grant = """
[[deliberation]]
reference = "CSI/22/123"
title = "t"
client_kind = "cpas"
quality_codes = [2]
service = "unemployment"
fields = ["periods"]
valid_from = 2022-01-01
"""
    with pytest.raises(InvalidInput, match="twice"):
        parse_reference(grant + grant)
