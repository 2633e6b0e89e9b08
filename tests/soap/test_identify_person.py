"""OCMWCPASIdentifyPerson through the SSDN connector, with zeep and the original WSDL; every
reply is validated against the original schemas."""

from __future__ import annotations

from lxml import etree
from sqlalchemy import select

from carrefour.journal.services import by_niss
from carrefour.journal.tables import journal_entries as journal
from tests.soap.conftest import JEAN, LUC, UNKNOWN, SoapNetwork
from tests.soap.messages import (
    EMAIL,
    NS,
    USER_ID,
    context_code,
    identify,
    one,
    phonetic,
    reasons,
    return_code,
    service_replies,
    ssdn_request,
    texts,
    tickets,
)
from tests.soap.schemas import validated_ssdn_reply


def send(soap: SoapNetwork, *services: tuple[str, str], who: str | None = "cpas",
         **options: str) -> etree._Element:
    answer = soap.ssdn(who).sendXML(ssdn_request(*services, **options))
    return validated_ssdn_reply(answer)


def only_service(reply: etree._Element) -> etree._Element:
    (service,) = service_replies(reply)
    return service


VERIFY_JEAN = ("<ipr:VerificationData><ipr:PersonData><ipr:LastName>DUPONT</ipr:LastName>"
               "<ipr:FirstName>Jean</ipr:FirstName><ipr:BirthDate>1961-04-12</ipr:BirthDate>"
               "</ipr:PersonData></ipr:VerificationData>")


def test_a_verified_ssin_gets_basic_and_extended_legal_data(soap: SoapNetwork) -> None:
    reply = send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>", VERIFY_JEAN))
    service = only_service(reply)
    assert (context_code(reply), return_code(service)) == ("0", "0")
    assert reasons(service)[0] == "12007001"
    data = "ipr:IdentifyPersonReply/ipr:SearchResults/ipr:LimitedLegalData"
    assert one(service, f"{data}/ipr:Basic/ipr:LastName") == "Dupont"
    assert one(service, f"{data}/ipr:Basic/ipr:MiddleName") == "Marie"
    assert one(service, f"{data}/ipr:Basic/ipr:Address/ipr:PostalCode") == "5000"
    assert one(service, f"{data}/ipr:Extended/ipr:CivilState") == "20"
    assert one(reply, "ssdn:ReplyContext/ssdn:Message/ssdn:Reference") == "REF-42"


def test_the_reply_ticket_is_the_journaled_exchange_with_the_authorized_user(
    soap: SoapNetwork,
) -> None:
    reply = send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>"))
    ticket = one(reply, "ssdn:ReplyContext/ssdn:Message/ssdn:Ticket")
    assert tickets(only_service(reply)) == [ticket]
    with soap.engine.connect() as connection:
        row = connection.execute(select(journal).where(journal.c.ticket == ticket)).one()
    assert (row.channel, row.service, row.client, row.outcome) == (
        "soap", "legal-data", soap.cbe["cpas"], "ok")
    assert (row.end_user_id, row.end_user_role) == (USER_ID, EMAIL)


def test_phonetic_criteria_sent_with_an_ssin_are_ignored_with_a_warning(
    soap: SoapNetwork,
) -> None:
    reply = send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>" + phonetic("Other", "1900-01-01")))
    service = only_service(reply)
    assert (context_code(reply), return_code(service)) == ("1", "1")
    assert reasons(reply.find("ssdn:ReplyContext", NS)) == ["20000001"]
    assert "21007001" in reasons(service)
    assert texts(service, ".//ipr:SocialSecurityUser") == [JEAN]


def test_person_data_that_do_not_match_give_a_warning_and_no_extended_data(
    soap: SoapNetwork,
) -> None:
    wrong = VERIFY_JEAN.replace("1961-04-12", "1961-04-13")
    service = only_service(send(soap, identify(f"<ipr:SSIN>{JEAN}</ipr:SSIN>", wrong)))
    assert return_code(service) == "1" and "22007007" in reasons(service)
    assert service.find(".//ipr:Extended", NS) is None


def test_a_phonetic_search_finds_dupont_when_asked_for_dupond(soap: SoapNetwork) -> None:
    search = phonetic("Dupond", "1961-04-12", "<ipr:FirstName>Jean</ipr:FirstName>",
                      "<ipr:Gender>1</ipr:Gender>")
    service = only_service(send(soap, identify(search)))
    assert return_code(service) == "0"
    assert texts(service, ".//ipr:SocialSecurityUser") == [JEAN]


def test_empty_elements_are_treated_as_absent(soap: SoapNetwork) -> None:
    search = "<ipr:SSIN></ipr:SSIN>" + phonetic(
        "Dupont", "1961-04-12", "<ipr:FirstName/>", "<ipr:Gender></ipr:Gender>",
        "<ipr:Maximum/>")
    service = only_service(send(soap, identify(search)))
    assert return_code(service) == "0"
    assert JEAN in texts(service, ".//ipr:SocialSecurityUser")


def test_an_empty_mandatory_value_is_error_31000007(soap: SoapNetwork) -> None:
    reply = send(soap, identify("<ipr:SSIN/>" + phonetic("", "1961-04-12")))
    service = only_service(reply)
    assert (context_code(reply), return_code(service)) == ("10000", "10000")
    assert reasons(service)[0] == "31000007"
    assert service.find("ipr:IdentifyPersonReply", NS) is None


def test_an_incomplete_birth_date_without_tolerance_is_error_31009001(soap: SoapNetwork) -> None:
    service = only_service(send(soap, identify(phonetic("Dupont", "1961-00-00"))))
    assert reasons(service)[0] == "31009001"


def test_an_incomplete_birth_date_with_a_tolerance_in_years_finds_the_person(
    soap: SoapNetwork,
) -> None:
    search = phonetic("Dupont", "1960-00-00", "<ipr:Tolerance>1</ipr:Tolerance>")
    service = only_service(send(soap, identify(search)))
    assert JEAN in texts(service, ".//ipr:SocialSecurityUser")


def test_nobody_found_is_an_error_never_an_empty_success(soap: SoapNetwork) -> None:
    service = only_service(send(soap, identify(f"<ipr:SSIN>{UNKNOWN}</ipr:SSIN>")))
    assert return_code(service) == "10000"
    assert reasons(service)[0] == "31007002"
    assert len(tickets(service)) == 1  # the refusal is journaled


def test_an_invalid_ssin_is_refused_with_its_code(soap: SoapNetwork) -> None:
    service = only_service(send(soap, identify("<ipr:SSIN>12345678901</ipr:SSIN>")))
    assert reasons(service)[0] == "31000003"


def test_each_person_a_phonetic_search_finds_is_journaled_under_their_ssin(
    soap: SoapNetwork,
) -> None:
    search = phonetic("Dupont", "1975-00-00", "<ipr:Tolerance>16</ipr:Tolerance>")
    service = only_service(send(soap, identify(search)))
    found = texts(service, ".//ipr:SocialSecurityUser")
    assert sorted(found) == sorted([JEAN, LUC])
    [ticket] = tickets(service)
    for ssin in found:
        [entry] = [r.entry for r in by_niss(soap.engine, ssin) if r.entry.reference == ticket]
        assert (entry.channel, entry.action, entry.service, entry.client) == (
            "soap", "search-result", "search-person", soap.cbe["cpas"])
