"""OCMWCPASPerformInvestigation: the social inquiry, under the hub's finality rule."""

from __future__ import annotations

import pytest
from lxml import etree

from carrefour.soap import investigation
from carrefour.soap.investigation import PI
from tests.soap.conftest import EMMA, JEAN, LUC, MARIE, SOPHIE, TOM, SoapNetwork
from tests.soap.messages import manage_access, person_data, reasons, return_code, texts
from tests.soap.schemas import assert_valid, ssdn_reply_schema
from tests.soap.test_identify_person import only_service, send

GROUPS = "pi:PerformInvestigationReply/pi:DataGroups"


def test_without_a_file_on_the_person_the_household_is_refused(soap: SoapNetwork) -> None:
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation", _request(MARIE))))
    assert return_code(service) == "10000"
    assert reasons(service)[0] == "32000001"


def test_the_whole_inquiry_of_an_integrated_person_covers_the_household(
    soap: SoapNetwork,
) -> None:
    _integrate(soap, JEAN, "Dupont", "Jean", "1961-04-12")
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation", _request(JEAN))))
    assert return_code(service) == "0", reasons(service)
    assert "11007001" in reasons(service)  # no waiting-register data
    members = texts(service, f"{GROUPS}/pi:FamilyCompositionGroup/pi:FamilyComposition"
                             "/pi:FamilyMember/pi:SocialSecurityUser")
    assert members == [JEAN, MARIE, LUC]
    assert texts(service, f"{GROUPS}/pi:FamilyCompositionGroup//pi:RelationShip") == [
        "1", "2", "3"]
    assert texts(service, f"{GROUPS}/pi:CitizenGroup/p:Citizen/p:SocialSecurityUser") == members
    assert len(texts(service, f"{GROUPS}/pi:AddressHistoryGroup/pi:AddressHistory"
                              "/pi:SocialSecurityUser")) == 3
    # one ticket per consultation: the household, then legal data, address history and
    # waiting register of each of the three members
    assert len(texts(service, "c:ResultSummary/c:Detail/c:Information/c:FieldValue")) == 10


def test_only_the_groups_asked_for_are_returned(soap: SoapNetwork) -> None:
    _integrate(soap, LUC, "Dupont", "Luc", "1990-01-15")
    groups = ("<pi:FamilyCompositionGroup>false</pi:FamilyCompositionGroup>"
              "<pi:CitizenGroup>true</pi:CitizenGroup>")
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation", _request(LUC, groups))))
    assert return_code(service) == "0"
    assert [c.tag.split("}")[1] for c in service.iterfind(f"{GROUPS}/*", _ns())] == [
        "CitizenGroup"]


def _request(ssin: str, groups: str | None = None) -> str:
    from tests.soap.messages import investigation

    return investigation(ssin, groups)[1]


def _ns() -> dict[str, str]:
    from tests.soap.messages import NS

    return NS


def _integrate(soap: SoapNetwork, ssin: str, last: str, first: str, born: str) -> None:
    proof = person_data(last, first, born)
    done = only_service(send(soap, manage_access(ssin, "REGISTER", start=_today(),
                                                 proof=proof)))
    assert return_code(done) == "0", reasons(done)


def _today() -> str:
    import datetime as dt

    return dt.date.today().isoformat()


ADDRESSES = f"{GROUPS}/pi:AddressHistoryGroup/pi:AddressHistory"


def test_the_address_history_comes_from_the_register_for_the_person_with_a_file(
    soap: SoapNetwork,
) -> None:
    _integrate(soap, JEAN, "Dupont", "Jean", "1961-04-12")
    groups = ("<pi:FamilyCompositionGroup>true</pi:FamilyCompositionGroup>"
              "<pi:AddressHistoryGroup>true</pi:AddressHistoryGroup>")
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation", _request(JEAN, groups))))
    assert return_code(service) == "0", reasons(service)
    histories = list(service.iterfind(ADDRESSES, _ns()))
    streets = [texts(h, "pi:LegalAddresses/pi:StandardAddress/p:Street/p:Description")
               for h in histories]
    assert streets[0] == ["Rue de Fer", "Rue des Carmes"]  # Jean's, most recent first
    assert streets[1] == ["Rue de Fer"]  # Marie: no file, the current address only
    dates = [a.get("modificationDate") for a in histories[0].iterfind(
        "pi:LegalAddresses/pi:StandardAddress", _ns())]
    assert dates == ["2015-03-01", "1988-06-18"]


def test_the_waiting_register_answers_for_a_person_with_a_file(soap: SoapNetwork) -> None:
    _integrate(soap, MARIE, "Lambert", "Marie", "1963-09-02")
    groups = "<pi:WaitRegisterGroup>true</pi:WaitRegisterGroup>"
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation", _request(MARIE, groups))))
    assert return_code(service) == "0", reasons(service)
    assert "11007001" not in reasons(service)
    register = f"{GROUPS}/pi:WaitRegisterGroup/pi:WaitRegister"
    assert texts(service, f"{register}/pi:SocialSecurityUser") == [MARIE]
    assert texts(service, f"{register}/pi:RefugeeSituationH205/pi:RefugeeSituation"
                          "/pi:demandDate") == ["2014-05-02"]
    assert texts(service, f"{register}/pi:RefugeeAdministriveFileH206"
                          "/pi:RefugeeAdministrativeFile/pi:comment") == ["CGRA: refugee"]


def test_a_person_without_waiting_register_data_gets_the_information(
    soap: SoapNetwork,
) -> None:
    _integrate(soap, JEAN, "Dupont", "Jean", "1961-04-12")
    groups = "<pi:WaitRegisterGroup>true</pi:WaitRegisterGroup>"
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation", _request(JEAN, groups))))
    assert "11007001" in reasons(service)
    assert not texts(service, f"{GROUPS}/pi:WaitRegisterGroup/pi:WaitRegister")


FAMILY = f"{GROUPS}/pi:FamilyCompositionGroup/pi:FamilyComposition"
ONLY_FAMILY = "<pi:FamilyCompositionGroup>true</pi:FamilyCompositionGroup>"


def test_each_member_of_the_household_is_dated_by_the_moving_in(soap: SoapNetwork) -> None:
    _integrate(soap, SOPHIE, "Peeters", "Sophie", "1975-06-03")
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation",
                                       _request(SOPHIE, ONLY_FAMILY))))  # schema-valid
    assert return_code(service) == "0", reasons(service)
    assert [(texts(m, "pi:SocialSecurityUser"), texts(m, "pi:EntryDate"))
            for m in service.iterfind(f"{FAMILY}/pi:FamilyMember", _ns())] == [
        ([SOPHIE], ["2012-05-01"]), ([TOM], ["2012-05-01"]), ([EMMA], ["2014-07-20"])]


def test_the_family_composition_is_the_current_one_only(soap: SoapNetwork) -> None:
    # The register knows three former compositions of Sophie (Tx25 with history gives them);
    # the CBSS reply holds one composition, without end dates: the current household.
    _integrate(soap, SOPHIE, "Peeters", "Sophie", "1975-06-03")
    service = only_service(send(soap, ("OCMWCPASPerformInvestigation",
                                       _request(SOPHIE, ONLY_FAMILY))))
    assert len(list(service.iterfind(FAMILY, _ns()))) == 1
    assert texts(service, f"{FAMILY}/pi:FamilyMember/pi:SocialSecurityUser") == [
        SOPHIE, TOM, EMMA]


@pytest.mark.parametrize("since", [None, "", "1990-00-00", "1990-04-00"])
def test_a_member_without_a_complete_moving_in_day_has_no_entry_date(since: str | None) -> None:
    reply = etree.Element(f"{{{PI}}}DataGroups")
    investigation._family(reply, {"members": [
        {"niss": JEAN, "relationship": "head", "since": "2015-03-01"},
        {"niss": MARIE, "relationship": "partner", "since": since}]})
    composition = reply.find("pi:FamilyCompositionGroup/pi:FamilyComposition", _ns())
    assert composition is not None
    assert_valid(ssdn_reply_schema(), composition)
    assert [texts(m, "pi:EntryDate") for m in composition] == [["2015-03-01"], []]
