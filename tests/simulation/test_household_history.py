"""The former household compositions the simulated National Register derives from the address
histories of the members of the current household."""

from __future__ import annotations

from typing import Any

from carrefour.simulation.sources.household_history import former_compositions


def lived(street: str, start: str, end: str | None = None) -> dict[str, Any]:
    return {"street": street, "number": "1", "box": None, "postal_code": "1000",
            "start": start, "end": end}


def test_a_household_that_moved_in_together_has_no_former_composition_there() -> None:
    histories = {"a": [lived("Here", "2020-01-01")], "b": [lived("Here", "2020-01-01")]}
    assert former_compositions("a", histories) == []


def test_each_arrival_ends_a_composition() -> None:
    histories = {"head": [lived("Here", "2010-01-01")],
                 "partner": [lived("Here", "2015-06-01")],
                 "child": [lived("Here", "2018-03-04")]}
    assert former_compositions("head", histories) == [
        {"start": "2015-06-01", "end": "2018-03-03", "members": ["head", "partner"]},
        {"start": "2010-01-01", "end": "2015-05-31", "members": ["head"]},
    ]
    # the partner's own compositions start with the partner's arrival
    assert former_compositions("partner", histories) == [
        {"start": "2015-06-01", "end": "2018-03-03", "members": ["head", "partner"]}]
    assert former_compositions("child", histories) == []


def test_a_former_address_shared_with_a_member_is_a_former_composition() -> None:
    histories = {"a": [lived("Now", "2020-01-01"), lived("Before", "2012-01-01", "2019-12-31")],
                 "b": [lived("Now", "2020-01-01"), lived("Before", "2016-05-01", "2018-12-31")]}
    assert former_compositions("a", histories) == [
        {"start": "2019-01-01", "end": "2019-12-31", "members": ["a"]},  # b left before a
        {"start": "2016-05-01", "end": "2018-12-31", "members": ["a", "b"]},
        {"start": "2012-01-01", "end": "2016-04-30", "members": ["a"]},
    ]


def test_another_house_number_is_another_address() -> None:
    histories = {"a": [lived("Now", "2020-01-01"), lived("Before", "2012-01-01", "2019-12-31")],
                 "b": [lived("Now", "2020-01-01"),
                       {**lived("Before", "2012-01-01", "2019-12-31"), "number": "2"}]}
    assert former_compositions("a", histories) == [
        {"start": "2012-01-01", "end": "2019-12-31", "members": ["a"]}]


def test_an_address_without_a_start_is_no_composition() -> None:
    histories = {"a": [lived("Now", "2020-01-01"), {**lived("Before", ""), "start": None}]}
    assert former_compositions("a", histories) == []
    assert former_compositions("unknown", histories) == []
