"""OCMWCPASPerformInvestigation (20080604): the social inquiry — household, legal data,
addresses and waiting register of a person (and of each household member when the family
composition is asked), through the hub's ``family-composition``, ``legal-data``,
``address-history`` and ``waiting-register``.

The family composition is the current household, each member with the day of moving in
(``EntryDate``, left out when the register knows no complete date). The CBSS reply has room
for one composition and no end date: the former compositions the register derives are given
by RetrieveTIGroups with ``history``, not here; the request carries no period or history
parameter (only the four group flags).

The address history and the waiting register need the client's file on the person: a member
of the household on whom it has none gets the current legal address only, and no waiting-
register data. When no person asked about has waiting-register data, information 11007001
says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from carrefour.errors import MissingValue, NoDeliberation, NotIntegrated, UnknownPerson
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
            histories = [await _history(call, p, capacity) for p in legal]
            _addresses(data_groups, histories)
    if groups.wait_register and not await _wait_register(call, data_groups, members, capacity):
        notes.append(Detail(Severity.INFORMATION, NO_WAIT_REGISTER,
                            "The register holds no waiting-register data for these persons."))
    return root


async def _optional(call: SoapCall, service: str, niss: str, capacity: int
                    ) -> dict[str, Any] | None:
    """The service's answer, or None when the client's file does not allow it or the register
    holds nothing for the person."""
    try:
        return (await call.consult(service, niss, capacity=capacity)).data
    except (NotIntegrated, NoDeliberation, UnknownPerson):
        return None


async def _history(call: SoapCall, person: Mapping[str, Any], capacity: int
                   ) -> tuple[str, list[Mapping[str, Any]]]:
    """A person's legal addresses, the most recent first: the address history when the file
    allows it, else the current address of the legal data."""
    found = await _optional(call, "address-history", person["niss"], capacity)
    if found and found.get("addresses"):
        return person["niss"], list(found["addresses"])
    return person["niss"], [person["address"]] if person.get("address") else []


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
        if persons.complete(member.get("since")):  # xs:date: the day, or left out
            sub(element, PI, "EntryDate", persons.incomplete_date(member["since"]))


def _citizens(parent: etree._Element, legal: Sequence[Mapping[str, Any]]) -> None:
    group = sub(parent, PI, "CitizenGroup")
    for person in legal[:100]:
        persons.citizen(group, person)


def _addresses(parent: etree._Element,
               histories: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> None:
    group = sub(parent, PI, "AddressHistoryGroup")
    for niss, addresses in histories[:100]:
        history = sub(group, PI, "AddressHistory")
        sub(history, PI, "SocialSecurityUser", niss)
        if addresses:
            legal = sub(history, PI, "LegalAddresses")
            for address in addresses[:100]:
                element = persons.standard_address(legal, PI, address, tag="StandardAddress")
                if address.get("start"):
                    element.set("modificationDate", str(persons.incomplete_date(
                        address["start"])))


async def _wait_register(call: SoapCall, parent: etree._Element, members: Sequence[str],
                         capacity: int) -> bool:
    """The waiting-register data of each person the register holds some for; whether any."""
    found = [(n, data) for n in members
             if (data := await _optional(call, "waiting-register", n, capacity))
             and data.get("registered_on")]
    if not found:
        return False
    group = sub(parent, PI, "WaitRegisterGroup")
    for niss, data in found[:100]:
        register = sub(group, PI, "WaitRegister")
        sub(register, PI, "SocialSecurityUser", niss)
        situation = sub(sub(register, PI, "RefugeeSituationH205"), PI, "RefugeeSituation")
        sub(situation, PI, "demandDate", persons.incomplete_date(data["registered_on"]))
        decisions = [d for d in data.get("decisions") or [] if d.get("start")]
        if decisions:
            files = sub(register, PI, "RefugeeAdministriveFileH206")
            for decision in decisions:
                item = sub(files, PI, "RefugeeAdministrativeFile")
                sub(item, PI, "administrativeSituationDate",
                    persons.incomplete_date(decision["start"]))
                sub(item, PI, "comment", f"{decision.get('authority')}: {decision['decision']}")
    return True
