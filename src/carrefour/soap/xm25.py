"""National Register information groups (``xm25.xsd``, the ``rrn_it_implicit`` of Tx25) from
the hub's legal data, family composition, address history and civil-state history.

The groups written are NationalNumber (IT000), Names (IT010), LegalMainAddresses (IT020),
Nationalities (IT031), CivilStates (IT120) and FamilyMembers (IT140). Every date is complete
(century, year, month and day), as the CBSS sends it: an item whose date the hub does not know
is left out, never written with an empty ``Date``. Without ``history`` each group holds the
current item only; with it, the previous addresses and civil states too (``DelDate``: the
day the item ended), and the person's former household compositions: the members of each,
dated from the composition's start to its end (``DelDate``; a reader groups the items by
those two dates). Streets are written as ``Code`` and ``Label`` (clients read the label);
labels (family roles, civil states, nationalities) come in the language asked (fr, nl, de).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from carrefour.soap import persons
from carrefour.soap.envelope import sub
from carrefour.soap.persons import complete

R = "http://www.ibz.rrn.fgov.be/XSD/xm25/rn25Schema"

_LABELS: dict[str, dict[str, str]] = {
    "fr": {"head": "Personne de référence", "partner": "Conjoint ou partenaire",
           "child": "Enfant", "other": "Autre membre du ménage", "single": "Célibataire",
           "legally-cohabiting": "Célibataire", "married": "Marié(e)",
           "widowed": "Veuf ou veuve", "divorced": "Divorcé(e)"},
    "nl": {"head": "Referentiepersoon", "partner": "Echtgeno(o)t(e) of partner",
           "child": "Kind", "other": "Ander gezinslid", "single": "Ongehuwd",
           "legally-cohabiting": "Ongehuwd", "married": "Gehuwd", "widowed": "Weduwe of weduwnaar",
           "divorced": "Uit de echt gescheiden"},
    "de": {"head": "Referenzperson", "partner": "Ehepartner oder Partner",
           "child": "Kind", "other": "Anderes Haushaltsmitglied", "single": "Ledig",
           "legally-cohabiting": "Ledig", "married": "Verheiratet",
           "widowed": "Verwitwet", "divorced": "Geschieden"},
}
LANGUAGES = tuple(_LABELS)
# The countries of the nationalities the register behind the hub holds (ISO code: name); any
# other is labelled by its ISO code.
_COUNTRIES: dict[str, dict[str, str]] = {
    "fr": {"BE": "Belgique", "CD": "Congo (Rép. dém.)", "DE": "Allemagne", "ES": "Espagne",
           "FR": "France", "IT": "Italie", "MA": "Maroc", "NL": "Pays-Bas", "PL": "Pologne",
           "PT": "Portugal", "RO": "Roumanie", "TR": "Turquie"},
    "nl": {"BE": "België", "CD": "Congo (Dem. Rep.)", "DE": "Duitsland", "ES": "Spanje",
           "FR": "Frankrijk", "IT": "Italië", "MA": "Marokko", "NL": "Nederland", "PL": "Polen",
           "PT": "Portugal", "RO": "Roemenië", "TR": "Turkije"},
    "de": {"BE": "Belgien", "CD": "Kongo (Dem. Rep.)", "DE": "Deutschland", "ES": "Spanien",
           "FR": "Frankreich", "IT": "Italien", "MA": "Marokko", "NL": "Niederlande",
           "PL": "Polen", "PT": "Portugal", "RO": "Rumänien", "TR": "Türkei"},
}
_ROLE_CODES = {"head": "01", "partner": "02", "child": "03", "other": "99"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Register:
    """What the hub knows of the person for the groups: the legal data, and what the client's
    file allows of the household, the address history (current first) and the civil states
    (oldest first); None when not known or not allowed."""

    person: Mapping[str, Any]
    family: Mapping[str, Any] | None = None  # members and former_compositions
    addresses: Sequence[Mapping[str, Any]] | None = None
    civil_states: Sequence[Mapping[str, Any]] | None = None


def file_info(parent: etree._Element, register: Register, *, language: str,
              history: bool) -> etree._Element:
    labels = _LABELS.get(language, _LABELS["fr"])
    person = register.person
    info = sub(parent, "", "rrn_it_implicit")
    _national_number(info, person)
    _names(info, person)
    _addresses(info, register, history)
    if person.get("nationality") and complete(person.get("birth_date")):
        country = _COUNTRIES.get(language, _COUNTRIES["fr"]).get(person["nationality"])
        _nationality(info, person["nationality"], person["birth_date"], country)
    _civil_states(info, register, labels, history)
    if register.family:
        _family(info, register.family, labels, history)
    return info


def _item(parent: etree._Element, tag: str, number: str) -> etree._Element:
    item = sub(parent, R, tag)
    item.set("Type", number)
    return item


def date(parent: etree._Element, value: str, tag: str = "Date") -> None:
    """A Century/Year/Month/Day date; the caller checks it is :func:`complete`."""
    year, month, day = str(persons.incomplete_date(value)).split("-")
    element = sub(parent, R, tag)
    sub(element, R, "Century", year[:2])
    sub(element, R, "Year", year[2:])
    sub(element, R, "Month", month)
    sub(element, R, "Day", day)


def _national_number(info: etree._Element, person: Mapping[str, Any]) -> None:
    sex = {"M": "1", "F": "2"}.get(person.get("gender") or "")
    if sex is None or not complete(person.get("birth_date")):
        return
    number = sub(sub(info, R, "NationalNumber"), R, "NationalNumber")
    sub(number, R, "NationalNumber", person["niss"])
    date(number, person["birth_date"])
    sub(number, R, "Sex", sex)


def _name(parent: etree._Element, person: Mapping[str, Any], tag: str = "Name") -> None:
    name = sub(parent, R, tag)
    last = sub(name, R, "LastName")
    sub(last, R, "Code", "")
    sub(last, R, "Label", person.get("last_name") or "")
    for first_name in (person.get("first_names") or [])[:14]:
        sub(sub(name, R, "FirstName"), R, "Label", first_name)


def _names(info: etree._Element, person: Mapping[str, Any]) -> None:
    if not complete(person.get("birth_date")):
        return
    item = _item(sub(info, R, "Names"), "Name", "010")
    date(item, person["birth_date"])
    _name(item, person)


def _addresses(info: etree._Element, register: Register, history: bool) -> None:
    known = [a for a in register.addresses or () if complete(a.get("start"))]
    if not history:
        known = [a for a in known if not a.get("end")][:1]
    if not known:
        return
    group = sub(info, R, "LegalMainAddresses")
    for address in known:
        item = _item(group, "LegalMainAddress", "020")
        date(item, address["start"])
        if complete(address.get("end")):
            date(item, address["end"], "DelDate")
        _address(item, address)


def _address(item: etree._Element, address: Mapping[str, Any]) -> None:
    element = sub(item, R, "Address")
    sub(element, R, "ZipCode", address.get("postal_code") or "")
    street = sub(element, R, "Street")
    sub(street, R, "Code", street_code(address))
    sub(street, R, "Label", address.get("street") or "")
    sub(element, R, "HouseNumber", address.get("number") or "")
    if address.get("box"):
        sub(element, R, "Box", address["box"])


def street_code(address: Mapping[str, Any]) -> str:
    """The street's code within its postal code (the register behind the hub keeps none: a
    stable four-digit code drawn from the postal code and the street name)."""
    key = f"{address.get('postal_code')}|{(address.get('street') or '').lower()}"
    return f"{zlib.crc32(key.encode()) % 10_000:04d}"


def _nationality(info: etree._Element, nationality: str, since: str, label: str | None) -> None:
    item = _item(sub(info, R, "Nationalities"), "Nationality", "031")
    date(item, since)  # the register behind the hub gives nationalities from birth
    element = sub(item, R, "Nationality")
    sub(element, R, "Code", str(persons.NIS_COUNTRIES.get(nationality, "")))
    sub(element, R, "Label", label or nationality)


def _civil_states(info: etree._Element, register: Register, labels: Mapping[str, str],
                  history: bool) -> None:
    states = [s for s in register.civil_states or ()
              if s.get("state") in persons.CIVIL_STATES and complete(s.get("start"))]
    if not history:
        states = [s for s in states if not s.get("end")][-1:]
    if not states:
        return
    group = sub(info, R, "CivilStates")
    for state in reversed(states):  # the current one first, as for the addresses
        item = _item(group, "CivilState", "120")
        date(item, state["start"])
        if complete(state.get("end")):
            date(item, state["end"], "DelDate")
        element = sub(item, R, "CivilState")
        sub(element, R, "Code", str(persons.CIVIL_STATES[state["state"]]))
        sub(element, R, "Label", labels[state["state"]])


def _family(info: etree._Element, family: Mapping[str, Any], labels: Mapping[str, str],
            history: bool) -> None:
    """The current members, each from the moving in; with ``history`` then each former
    composition's members, from its start to its end (``DelDate``), latest first."""
    items: list[tuple[Mapping[str, Any], str | None, str | None]] = [
        (m, m.get("since"), None) for m in family.get("members") or ()]
    if history:
        items += [(m, composition.get("start"), composition.get("end"))
                  for composition in family.get("former_compositions") or ()
                  for m in composition.get("members") or ()]
    dated = [(m, since, end) for m, since, end in items if complete(since)]
    if not dated:
        return
    group = sub(info, R, "FamilyMembers")
    for member, since, end in dated:
        role = member.get("relationship") if member.get("relationship") in _ROLE_CODES else "other"
        item = _item(group, "FamilyMember", "140")
        date(item, str(since))
        if end is not None and complete(end):
            date(item, end, "DelDate")
        family_role = sub(item, R, "FamilyRole")
        sub(family_role, R, "Code", _ROLE_CODES[str(role)])
        sub(family_role, R, "Label", labels[str(role)])
        number = sub(item, R, "NationalNumber")
        sub(number, R, "NationalNumber", member["niss"])
        _name(item, member)
