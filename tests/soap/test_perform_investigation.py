"""OCMWCPASPerformInvestigation: the social inquiry, under the hub's finality rule."""

from __future__ import annotations

from tests.soap.conftest import JEAN, LUC, MARIE, SoapNetwork
from tests.soap.messages import manage_access, person_data, reasons, return_code, texts
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
    assert len(texts(service, "c:ResultSummary/c:Detail/c:Information/c:FieldValue")) == 4


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
