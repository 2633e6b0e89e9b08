"""The former household compositions of a person, as the simulated National Register derives
them from the address histories of the persons of the person's current household.

A household composition is who lived at one address over one period. For each address the
person had, the register lays the address periods of every member of the current household
at that same address (street, number, box and postal code) over the person's own period there,
and cuts it at each arrival and departure: each piece is one composition (the person and the
members there all through it). The last piece at the current address is the current
composition; the others, latest first, are the former ones. So a couple that moved together
shares its former addresses, and a member who joined later marks the end of a composition.

The register keeps no index of addresses: persons who left for another household, and the
co-residents of an address no current member shared, are not found (at such an address the
person appears alone). Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

Period = tuple[dt.date, dt.date | None]  # first and last day; None: still running
_PLACE = ("street", "number", "box", "postal_code")
_DAY = dt.timedelta(days=1)


def former_compositions(niss: str, histories: Mapping[str, Sequence[Mapping[str, Any]]]
                        ) -> list[dict[str, Any]]:
    """The former compositions of the person ``niss``, latest first: ``start``, ``end`` (ISO
    days) and the ``members`` (numbers, the person among them), from the address histories of
    the members of the current household (``niss`` included), keyed by number."""
    pieces: list[tuple[Period, list[str]]] = []
    for address in histories.get(niss) or ():
        own = _period(address)
        if own is not None:
            pieces.extend(_pieces(own, _sharing(address, own, histories)))
    former = [(period, members) for period, members in pieces if period[1] is not None]
    former.sort(key=lambda piece: piece[0][0], reverse=True)
    return [{"start": start.isoformat(), "end": end.isoformat() if end else None,
             "members": members} for (start, end), members in former]


def _sharing(address: Mapping[str, Any], own: Period,
             histories: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[Period]]:
    """Each member's periods at the address, cut to the person's own period there."""
    place = tuple(address.get(key) for key in _PLACE)
    found: dict[str, list[Period]] = {}
    for member, addresses in histories.items():
        for other in addresses:
            period = _period(other)
            if period is None or tuple(other.get(key) for key in _PLACE) != place:
                continue
            overlap = _overlap(own, period)
            if overlap is not None:
                found.setdefault(member, []).append(overlap)
    return found


def _pieces(own: Period, sharing: Mapping[str, list[Period]]) -> list[tuple[Period, list[str]]]:
    """The person's period cut at every arrival and departure, with who was there."""
    cuts = {own[0]}
    for periods in sharing.values():
        for start, end in periods:
            cuts.add(start)
            if end is not None and (own[1] is None or end < own[1]):
                cuts.add(end + _DAY)
    starts = sorted(cuts)
    pieces = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - _DAY if index + 1 < len(starts) else own[1]
        there = sorted(m for m, periods in sharing.items() if any(_within(start, p)
                                                                   for p in periods))
        pieces.append(((start, end), there))
    return pieces


def _period(address: Mapping[str, Any]) -> Period | None:
    start = address.get("start")
    if not start:
        return None
    end = address.get("end")
    return dt.date.fromisoformat(start), dt.date.fromisoformat(end) if end else None


def _overlap(one: Period, other: Period) -> Period | None:
    start = max(one[0], other[0])
    ends = [end for end in (one[1], other[1]) if end is not None]
    end = min(ends) if ends else None
    return None if end is not None and end < start else (start, end)


def _within(day: dt.date, period: Period) -> bool:
    return period[0] <= day and (period[1] is None or day <= period[1])
