"""OCMWCPASIdentifyPerson (20050930): legal data by SSIN (with optional verification of the
identity) or a phonetic search, through the hub's ``legal-data`` and ``search-person``.

The real clients' quirks: PhoneticCriteria sent even with an SSIN (ignored, warning
21007001); empty elements (absent, or error 31000007 when mandatory); no Tolerance with an
incomplete birth date (error 31009001).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from carrefour.errors import InvalidInput, MissingValue, ToleranceRequired
from carrefour.identification.phonetic import strip_accents
from carrefour.soap import persons
from carrefour.soap.call import SoapCall
from carrefour.soap.codes import (
    CARD_NOT_CHECKED,
    IDENTITY_VERIFIED,
    PERSON_DATA_MISMATCH,
    PHONETIC_IGNORED,
    Detail,
    Severity,
)
from carrefour.soap.envelope import child_named, sub, text

IPR = "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/IdentifyPerson"

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_GENDERS = {"1": "M", "2": "F"}
DEFAULT_MAXIMUM = 20


async def handle(call: SoapCall, body: etree._Element, notes: list[Detail]) -> etree._Element:
    criteria = child_named(body, "SearchCriteria")
    ssin = text(criteria, "SSIN")
    phonetic = child_named(criteria, "PhoneticCriteria")
    if ssin:
        if has_content(phonetic):
            notes.append(Detail(Severity.WARNING, PHONETIC_IGNORED,
                                "SSIN and phonetic criteria given: the phonetic criteria are "
                                "ignored."))
        return await _by_ssin(call, ssin, child_named(body, "VerificationData"), notes)
    if phonetic is None or not has_content(phonetic):
        raise MissingValue("SearchCriteria needs an SSIN or PhoneticCriteria.")
    return await _by_phonetic(call, phonetic)


def has_content(element: etree._Element | None) -> bool:
    return element is not None and any(
        (node.text or "").strip() for node in element.iter() if isinstance(node.tag, str)
    )


async def _by_ssin(
    call: SoapCall, ssin: str, verification: etree._Element | None, notes: list[Detail]
) -> etree._Element:
    person = (await call.consult("legal-data", ssin)).data
    verified = verify(verification, person, notes)
    return reply([person], extended=verified)


async def _by_phonetic(call: SoapCall, phonetic: etree._Element) -> etree._Element:
    result = await call.consult("search-person", None, **search_parameters(phonetic))
    return reply(result.data.get("persons") or [], extended=False)


def search_parameters(phonetic: etree._Element) -> dict[str, Any]:
    last_name = text(phonetic, "LastName")
    birth_date = text(phonetic, "BirthDate")
    if last_name is None or birth_date is None:
        raise MissingValue("PhoneticCriteria/LastName and BirthDate are mandatory.")
    unit = _precision(birth_date)
    tolerance = _integer(phonetic, "Tolerance")
    if tolerance is None and unit != "days":
        raise ToleranceRequired(f"The birth date {birth_date} is incomplete: give a Tolerance.")
    parameters: dict[str, Any] = {"last_name": last_name, "birth_date": birth_date}
    parameters |= {"tolerance": tolerance or 0, "tolerance_unit": unit}
    parameters["max_results"] = _integer(phonetic, "Maximum") or DEFAULT_MAXIMUM
    if text(phonetic, "FirstName"):
        parameters["first_name"] = text(phonetic, "FirstName")
    if text(phonetic, "Gender") in _GENDERS:
        parameters["gender"] = _GENDERS[text(phonetic, "Gender") or ""]
    return parameters


def _precision(birth_date: str) -> str:
    match = _DATE.fullmatch(birth_date)
    if match is None:
        raise InvalidInput(f"The birth date {birth_date!r} is not written YYYY-MM-DD.")
    if match[2] == "00":
        return "years"
    return "months" if match[3] == "00" else "days"


def _integer(parent: etree._Element, name: str) -> int | None:
    value = text(parent, name)
    if value is None:
        return None
    if not value.isdecimal():
        raise InvalidInput(f"{name} must be a whole number, not {value!r}.")
    return int(value)


# --- verification ----------------------------------------------------------------------------
def verify(
    verification: etree._Element | None, person: Mapping[str, Any], notes: list[Detail]
) -> bool:
    """Whether the verification data prove the identity; one successful check suffices."""
    if verification is None:
        return False
    person_data = child_named(verification, "PersonData")
    if has_content(person_data):
        if person_data_matches(person_data, person):
            notes.append(Detail(Severity.INFORMATION, IDENTITY_VERIFIED, "Identity verified."))
            return True
        notes.append(Detail(Severity.WARNING, PERSON_DATA_MISMATCH,
                            "The PersonData do not match the person."))
    for card in ("SISCardNumber", "IdentityCardNumber"):
        if text(verification, card):
            notes.append(Detail(Severity.WARNING, CARD_NOT_CHECKED,
                                f"The {card} cannot be checked: the register holds no card "
                                "numbers."))
    return False


def person_data_matches(person_data: etree._Element | None, person: Mapping[str, Any]) -> bool:
    """Exact match (case, accents and spacing aside) of the names and the birth date."""
    last_name, birth_date = text(person_data, "LastName"), text(person_data, "BirthDate")
    if last_name is None or birth_date is None:
        raise MissingValue("PersonData/LastName and BirthDate are mandatory.")
    first, middle = persons.split_first_names(person.get("first_names"))
    wanted_first, wanted_middle = text(person_data, "FirstName"), text(person_data, "MiddleName")
    return (
        _same(last_name, person.get("last_name"))
        and birth_date == persons.incomplete_date(person.get("birth_date"))
        and (wanted_first is None or _same(wanted_first, first))
        and (wanted_middle is None or _same(wanted_middle, middle))
    )


def _same(given: str, known: str | None) -> bool:
    def folded(value: str) -> str:
        return " ".join(strip_accents(value).casefold().split())

    return known is not None and folded(given) == folded(known)


# --- the reply -------------------------------------------------------------------------------
def reply(found: list[Mapping[str, Any]], *, extended: bool) -> etree._Element:
    root = etree.Element(f"{{{IPR}}}IdentifyPersonReply", nsmap={"ipr": IPR})
    results = sub(root, IPR, "SearchResults")
    for person in found[:100]:
        data = sub(results, IPR, "LimitedLegalData")
        data.set("origin", persons.origin(person["niss"]))
        _basic(data, person)
        if extended:
            _extended(data, person)
    return root


def _basic(parent: etree._Element, person: Mapping[str, Any]) -> None:
    basic = sub(parent, IPR, "Basic")
    first, middle = persons.split_first_names(person.get("first_names"))
    sub(basic, IPR, "SocialSecurityUser", person["niss"])
    sub(basic, IPR, "LastName", person["last_name"])
    if first:
        sub(basic, IPR, "FirstName", first)
    if middle:
        sub(basic, IPR, "MiddleName", middle)
    sub(basic, IPR, "BirthDate", persons.incomplete_date(person.get("birth_date")))
    if person.get("gender") in persons.GENDERS:
        sub(basic, IPR, "Gender", persons.GENDERS[person["gender"]])
    if person.get("address"):
        _address(basic, person["address"])


def _address(parent: etree._Element, address: Mapping[str, Any]) -> None:
    element = sub(parent, IPR, "Address")
    sub(element, IPR, "CountryCode", persons.BELGIUM)
    for tag, key in (("Municipality", "municipality"), ("PostalCode", "postal_code"),
                     ("Street", "street"), ("HouseNumber", "number"), ("Box", "box")):
        if address.get(key):
            sub(element, IPR, tag, address[key])


def _extended(parent: etree._Element, person: Mapping[str, Any]) -> None:
    extended = sub(parent, IPR, "Extended")
    if person.get("civil_state") in persons.CIVIL_STATES:
        sub(extended, IPR, "CivilState", persons.CIVIL_STATES[person["civil_state"]])
    if person.get("birth_place"):
        sub(extended, IPR, "BirthLocation", person["birth_place"])
    if person.get("death_date"):
        sub(extended, IPR, "DeceaseDate", persons.incomplete_date(person["death_date"]))
    if person.get("nationality") in persons.NIS_COUNTRIES:
        sub(extended, IPR, "NationalityCode", persons.NIS_COUNTRIES[person["nationality"]])
