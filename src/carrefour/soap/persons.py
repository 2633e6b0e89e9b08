"""Persons in the SSDN formats: the hub's legal data written as CBSS elements, and the code
lists they use (gender, civil state, NIS country codes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from carrefour.soap.envelope import sub

COMMON = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Common"
PERSON = "http://www.ksz-bcss.fgov.be/XSD/SSDN/Person"

BELGIUM = 150
GENDERS = {"M": 1, "F": 2, "U": 0}
# NIS civil-state codes; a legal cohabitation is not a civil state in the National Register.
CIVIL_STATES = {"single": 10, "legally-cohabiting": 10, "married": 20, "widowed": 30,
                "divorced": 40}
# NIS country codes of the nationalities the hub knows the code of (others are written as
# text only).
NIS_COUNTRIES = {"BE": 150, "DE": 103, "ES": 109, "FR": 111, "IT": 128, "NL": 129, "PT": 139}


def origin(niss: str) -> str:
    """Register numbers come from the National Register, BIS numbers from the hub."""
    month = int(niss[2:4])
    return "BCSS_KSZ" if month >= 20 else "RN_RR"


def incomplete_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from the hub's (possibly incomplete) dates; unknown parts as ``00``."""
    if not value:
        return None
    parts = ([*value.split("-"), "00", "00"])[:3]
    return "-".join((parts[0].zfill(4), parts[1].zfill(2), parts[2].zfill(2)))


def complete(value: str | None) -> bool:
    """Whether a date is known to the day (an incomplete date has 00 for a part)."""
    full = incomplete_date(value)
    return full is not None and "-00" not in full


def split_first_names(names: list[str] | None) -> tuple[str | None, str | None]:
    """The first first name, and the others as the middle name."""
    names = [n for n in names or [] if n]
    return (names[0] if names else None), (" ".join(names[1:]) or None)


def name(parent: etree._Element, person: Mapping[str, Any]) -> None:
    """A ``person:NameType``: LastName, MiddleName, FirstName."""
    first, middle = split_first_names(person.get("first_names"))
    element = sub(parent, PERSON, "Name")
    sub(element, PERSON, "LastName", person["last_name"])
    if middle:
        sub(element, PERSON, "MiddleName", middle)
    if first:
        sub(element, PERSON, "FirstName", first)


def standard_address(
    parent: etree._Element, namespace: str, address: Mapping[str, Any], *, tag: str
) -> etree._Element:
    """A ``person:StandardAddressType`` (Belgian address) under an element of ``namespace``."""
    element = sub(parent, namespace, tag)
    element.set("origin", "RN_RR")
    sub(sub(element, PERSON, "Country"), PERSON, "Code", BELGIUM)
    municipality = sub(element, PERSON, "Municipality")
    if address.get("municipality"):
        sub(municipality, PERSON, "Description", address["municipality"])
    if address.get("postal_code"):
        sub(municipality, PERSON, "PostalCode", address["postal_code"])
    if address.get("street"):
        sub(sub(element, PERSON, "Street"), PERSON, "Description", address["street"])
    if address.get("number"):
        sub(element, PERSON, "HouseNumber", address["number"])
    if address.get("box"):
        sub(element, PERSON, "Box", address["box"])
    return element


def citizen(parent: etree._Element, person: Mapping[str, Any]) -> etree._Element:
    """A ``person:Citizen`` from legal data."""
    element = sub(parent, PERSON, "Citizen")
    element.set("origin", origin(person["niss"]))
    sub(element, PERSON, "SocialSecurityUser", person["niss"])
    legal = sub(element, PERSON, "LegalData")
    name(legal, person)
    if person.get("gender") in GENDERS:
        sub(legal, PERSON, "Gender", GENDERS[person["gender"]])
    birth = sub(legal, PERSON, "Birth")
    sub(birth, PERSON, "Date", incomplete_date(person.get("birth_date")) or "0000-00-00")
    if person.get("birth_place"):
        sub(sub(birth, PERSON, "Location"), PERSON, "Description", person["birth_place"])
    if person.get("civil_state") in CIVIL_STATES:
        sub(sub(legal, PERSON, "CivilState"), PERSON, "Code", CIVIL_STATES[person["civil_state"]])
    if person.get("death_date"):
        sub(sub(legal, PERSON, "Decease"), PERSON, "Date", incomplete_date(person["death_date"]))
    if person.get("address"):
        information = sub(legal, PERSON, "AddressInformation")
        legal_address = sub(information, PERSON, "LegalAddress")
        standard_address(legal_address, PERSON, person["address"], tag="StandardAddress")
    if person.get("nationality"):
        nationality = sub(legal, PERSON, "Nationality")
        if person["nationality"] in NIS_COUNTRIES:
            sub(nationality, PERSON, "Code", NIS_COUNTRIES[person["nationality"]])
        sub(nationality, PERSON, "Description", person["nationality"])
    return element
