"""OCMWCPASPerformInvestigation (20080604): the social inquiry — household, legal data,
addresses and waiting register of a person (and of each household member when the family
composition is asked), through the hub's ``family-composition`` and ``legal-data``.

The National Register behind the hub gives current data only: the address history holds the
current legal address, and there is no waiting-register data (information 11007001).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from carrefour.errors import MissingValue
from carrefour.soap import persons
from carrefour.soap.call import SoapCall
from carrefour.soap.codes import NO_WAIT_REGISTER, Detail, Severity
from carrefour.soap.envelope import child_named, sub, text

PI = "http://www.ksz-bcss.fgov.be/XSD/SSDN/OCMW_CPAS/PerformInvestigation"
# Position relative to the head of household (National Register family roles).
RELATIONSHIPS = {"head": 1, "partner": 2, "child": 3}
OTHER_RELATIONSHIP = 99


@dataclass(frozen=True, slots=True)
class Groups:
    family: bool = True
    citizen: bool = True
    addresses: bool = True
    wait_register: bool = True


async def handle(call: SoapCall, body: etree._Element, notes: list[Detail]) -> etree._Element:
    ssin = text(body, "SocialSecurityUser")
    if ssin is None:
        raise MissingValue("SocialSecurityUser is mandatory.")
    groups = parse_groups(child_named(body, "DataGroups"))
    capacity = await call.capacity(ssin)
    root = etree.Element(f"{{{PI}}}PerformInvestigationReply",
                         nsmap={"pi": PI, "p": persons.PERSON})
    sub(root, PI, "SocialSecurityUser", ssin)
    data_groups = sub(root, PI, "DataGroups")
    members = [ssin]
    if groups.family:
        family = (await call.consult("family-composition", ssin, capacity=capacity)).data
        members = [m["niss"] for m in family.get("members") or []] or [ssin]
        _family(data_groups, family)
    if groups.citizen or groups.addresses:
        legal = [(await call.consult("legal-data", n, capacity=capacity)).data for n in members]
        if groups.citizen:
            _citizens(data_groups, legal)
        if groups.addresses:
            _addresses(data_groups, legal)
    if groups.wait_register:
        notes.append(Detail(Severity.INFORMATION, NO_WAIT_REGISTER,
                            "The register holds no waiting-register data for these persons."))
    return root


def parse_groups(element: etree._Element | None) -> Groups:
    """Absent DataGroups: every group; otherwise the groups flagged true."""
    if element is None:
        return Groups()

    def flag(name: str) -> bool:
        return (text(element, name) or "").lower() in ("true", "1")

    return Groups(
        family=flag("FamilyCompositionGroup"),
        citizen=flag("CitizenGroup"),
        addresses=flag("AddressHistoryGroup"),
        wait_register=flag("WaitRegisterGroup"),
    )


def _family(parent: etree._Element, family: Mapping[str, Any]) -> None:
    members = family.get("members") or []
    if not members:
        return
    composition = sub(sub(parent, PI, "FamilyCompositionGroup"), PI, "FamilyComposition")
    composition.set("origin", "RN_RR")
    for member in members[:100]:
        element = sub(composition, PI, "FamilyMember")
        sub(element, PI, "SocialSecurityUser", member["niss"])
        code = RELATIONSHIPS.get(member.get("relationship") or "", OTHER_RELATIONSHIP)
        sub(element, PI, "RelationShip", code)


def _citizens(parent: etree._Element, legal: Sequence[Mapping[str, Any]]) -> None:
    group = sub(parent, PI, "CitizenGroup")
    for person in legal[:100]:
        persons.citizen(group, person)


def _addresses(parent: etree._Element, legal: Sequence[Mapping[str, Any]]) -> None:
    group = sub(parent, PI, "AddressHistoryGroup")
    for person in legal[:100]:
        history = sub(group, PI, "AddressHistory")
        sub(history, PI, "SocialSecurityUser", person["niss"])
        if person.get("address"):
            addresses = sub(history, PI, "LegalAddresses")
            persons.standard_address(addresses, PI, person["address"], tag="StandardAddress")
