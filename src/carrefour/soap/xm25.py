"""National Register information groups (``xm25.xsd``, the ``rrn_it_implicit`` of Tx25) from
the hub's legal data and family composition.

The groups written are those the register behind the hub holds: NationalNumber (IT000),
Names (IT010), LegalMainAddresses (IT020), Nationalities (IT031), CivilStates (IT120) and
FamilyMembers (IT140). It keeps current data only, so a request with history gets the current
item of each group; dates it does not know are written empty (every part is optional).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from carrefour.soap import persons
from carrefour.soap.envelope import sub

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
}
_ROLE_CODES = {"head": "01", "partner": "02", "child": "03", "other": "99"}


def file_info(
    parent: etree._Element,
    person: Mapping[str, Any],
    family: Mapping[str, Any] | None,
    *,
    language: str,
) -> etree._Element:
    labels = _LABELS.get(language, _LABELS["fr"])
    info = sub(parent, "", "rrn_it_implicit")
    _national_number(info, person)
    _names(info, person)
    if person.get("address"):
        _address(info, person["address"])
    if person.get("nationality"):
        _nationality(info, person["nationality"])
    if person.get("civil_state") in persons.CIVIL_STATES:
        _civil_state(info, person["civil_state"], labels)
    if family and family.get("members"):
        _family(info, family["members"], labels)
    return info


def _item(parent: etree._Element, tag: str, number: str) -> etree._Element:
    item = sub(parent, R, tag)
    item.set("Type", number)
    return item


def date(parent: etree._Element, value: str | None, tag: str = "Date") -> None:
    """A Century/Year/Month/Day date; unknown parts are left out."""
    element = sub(parent, R, tag)
    full = persons.incomplete_date(value)
    if full is None:
        return
    year, month, day = full.split("-")
    sub(element, R, "Century", year[:2])
    sub(element, R, "Year", year[2:])
    if month != "00":
        sub(element, R, "Month", month)
    if day != "00":
        sub(element, R, "Day", day)


def _national_number(info: etree._Element, person: Mapping[str, Any]) -> None:
    sex = {"M": "1", "F": "2"}.get(person.get("gender") or "")
    if sex is None:
        return
    number = sub(sub(info, R, "NationalNumber"), R, "NationalNumber")
    sub(number, R, "NationalNumber", person["niss"])
    date(number, person.get("birth_date"))
    sub(number, R, "Sex", sex)


def _name(parent: etree._Element, person: Mapping[str, Any], tag: str = "Name") -> None:
    name = sub(parent, R, tag)
    last = sub(name, R, "LastName")
    sub(last, R, "Code", "")
    sub(last, R, "Label", person.get("last_name") or "")
    for first_name in (person.get("first_names") or [])[:14]:
        sub(sub(name, R, "FirstName"), R, "Label", first_name)


def _names(info: etree._Element, person: Mapping[str, Any]) -> None:
    item = _item(sub(info, R, "Names"), "Name", "010")
    date(item, person.get("birth_date"))
    _name(item, person)


def _address(info: etree._Element, address: Mapping[str, Any]) -> None:
    item = _item(sub(info, R, "LegalMainAddresses"), "LegalMainAddress", "020")
    date(item, None)
    element = sub(item, R, "Address")
    sub(element, R, "ZipCode", address.get("postal_code") or "")
    sub(sub(element, R, "Street"), R, "Graphic", address.get("street") or "")
    sub(element, R, "HouseNumber", address.get("number") or "")
    if address.get("box"):
        sub(element, R, "Box", address["box"])


def _nationality(info: etree._Element, nationality: str) -> None:
    item = _item(sub(info, R, "Nationalities"), "Nationality", "031")
    date(item, None)
    element = sub(item, R, "Nationality")
    sub(element, R, "Code", persons.NIS_COUNTRIES.get(nationality, ""))
    sub(element, R, "Label", nationality)


def _civil_state(info: etree._Element, state: str, labels: Mapping[str, str]) -> None:
    item = _item(sub(info, R, "CivilStates"), "CivilState", "120")
    date(item, None)
    element = sub(item, R, "CivilState")
    sub(element, R, "Code", persons.CIVIL_STATES[state])
    sub(element, R, "Label", labels[state])


def _family(info: etree._Element, members: list[Mapping[str, Any]], labels: Mapping[str, str]
            ) -> None:
    group = sub(info, R, "FamilyMembers")
    for member in members:
        role = member.get("relationship") if member.get("relationship") in _ROLE_CODES else "other"
        item = _item(group, "FamilyMember", "140")
        date(item, None)
        family_role = sub(item, R, "FamilyRole")
        sub(family_role, R, "Code", _ROLE_CODES[str(role)])
        sub(family_role, R, "Label", labels[str(role)])
        number = sub(item, R, "NationalNumber")
        sub(number, R, "NationalNumber", member["niss"])
        _name(item, member)
