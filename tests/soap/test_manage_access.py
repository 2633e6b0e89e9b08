"""OCMWCPASManageAccess: register, list and unregister on the primary and secondary
registers, with a proof of authentication checked against the register."""

from __future__ import annotations

import datetime as dt

from lxml import etree
from sqlalchemy import delete

from carrefour.directory import repository as repo
from carrefour.directory.tables import integrations
from carrefour.journal import services as journal
from carrefour.soap.codes import ERRORS
from tests.soap.conftest import JEAN, LUC, MARIE, SoapNetwork, _institution_ids
from tests.soap.messages import (
    manage_access,
    one,
    person_data,
    reasons,
    return_code,
    texts,
    tickets,
)
from tests.soap.test_identify_person import only_service, send

PROOF_LUC = person_data("Dupont", "Luc", "1990-01-15")


def test_register_list_and_unregister_an_integration(soap: SoapNetwork) -> None:
    today = dt.date.today()
    registered = only_service(send(soap, manage_access(LUC, "REGISTER", start=today.isoformat(),
                                                       proof=PROOF_LUC)))
    assert return_code(registered) == "0", reasons(registered)
    reply = "mar:ManageAccessReply"
    assert one(registered, f"{reply}/mar:Registrations/mar:OrgUnit") == soap.cbe["cpas"]
    assert one(registered, f"{reply}/mar:Registrations/mar:Register") == "SECONDARY"
    end = one(registered, f"{reply}/mar:Registrations/mar:Period/c:EndDate")
    assert dt.date.fromisoformat(end) > today  # capped at the CPAS maximum for code 002

    listed = only_service(send(soap, manage_access(LUC, "LIST", purpose=None, register="ALL",
                                                   start=today.isoformat())))
    assert one(listed, f"{reply}/mar:OriginalRequest/mar:Purpose") == "0"
    assert sorted(texts(listed, f"{reply}/mar:Registrations/mar:Register")) == [
        "PRIMARY", "SECONDARY"]
    primary = only_service(send(soap, manage_access(LUC, "LIST", register="PRIMARY",
                                                    start=today.isoformat())))
    assert texts(primary, f"{reply}/mar:Registrations/mar:Register") == ["PRIMARY"]

    ended = only_service(send(soap, manage_access(LUC, "UNREGISTER", proof=PROOF_LUC)))
    assert return_code(ended) == "0"
    after = only_service(send(soap, manage_access(LUC, "LIST", register="ALL")))
    assert texts(after, f"{reply}/mar:Registrations") == []
    assert reasons(after)[0] == "32000001"  # no file left: listing is refused (finality)
    assert len(texts(after, "c:ResultSummary/c:Detail/c:Information/c:FieldValue")) == 1


def test_no_registration_when_the_proof_does_not_match(soap: SoapNetwork) -> None:
    wrong = person_data("Dupont", "Luc", "1990-01-16")
    refused = only_service(send(soap, manage_access(MARIE, "REGISTER", proof=wrong)))
    assert return_code(refused) == "10000"
    assert reasons(refused)[0] == "32007007"
    listed = only_service(send(soap, manage_access(MARIE, "LIST", register="ALL")))
    assert texts(listed, "mar:ManageAccessReply/mar:Registrations") == []
    assert reasons(listed)[0] == "32000001"  # nothing registered: the CPAS holds no file


def test_card_numbers_alone_cannot_prove_the_identity(soap: SoapNetwork) -> None:
    proof = "<mar:SISCardNumber>1234567890</mar:SISCardNumber>"
    refused = only_service(send(soap, manage_access(MARIE, "REGISTER", proof=proof)))
    assert reasons(refused)[0] == "32007007"


def test_register_without_purpose_is_error_31000007(soap: SoapNetwork) -> None:
    refused = only_service(send(soap, manage_access(JEAN, "REGISTER", purpose="",
                                                    proof=PROOF_LUC)))
    assert reasons(refused)[0] == "31000007"


def test_a_quality_code_outside_the_sector_is_refused(soap: SoapNetwork) -> None:
    proof = person_data("Dupont", "Jean", "1961-04-12")
    refused = only_service(send(soap, manage_access(JEAN, "REGISTER", purpose="555",
                                                    proof=proof)))
    assert reasons(refused)[0] == "31000004"


PROOF_JEAN = person_data("Dupont", "Jean", "1961-04-12")
REGISTRATION = "mar:ManageAccessReply/mar:Registrations"


def insurer_file(soap: SoapNetwork, niss: str) -> None:
    """The person insured at the test mutuality (quality code 1 of sector 11)."""
    insurer = _institution_ids(soap.engine)[soap.cbe["insurer"]]
    values = repo.integration_values(niss=niss, institution_id=insurer, quality_code=1,
                                     starts_on=dt.date(2020, 1, 1), ends_on=None,
                                     now=dt.datetime.now(dt.UTC))
    with soap.engine.begin() as connection:
        connection.execute(delete(integrations).where(integrations.c.niss == niss,
                                                      integrations.c.institution_id == insurer))
        connection.execute(integrations.insert().values(**values))


def registrations(service_reply: etree._Element) -> list[tuple[str, str, str]]:
    return sorted(zip(texts(service_reply, f"{REGISTRATION}/mar:Register"),
                      texts(service_reply, f"{REGISTRATION}/mar:OrgUnit"),
                      texts(service_reply, f"{REGISTRATION}/mar:Purpose"), strict=True))


def test_a_list_without_a_file_on_the_person_is_refused_and_journaled(soap: SoapNetwork) -> None:
    insurer_file(soap, JEAN)
    refused = only_service(send(soap, manage_access(JEAN, "LIST", register="ALL"),
                                who="other-cpas"))
    assert return_code(refused) == "10000"
    assert reasons(refused)[0] == "32000001"
    assert texts(refused, REGISTRATION) == []
    [ticket] = tickets(refused)
    entry = journal.by_ticket(soap.engine, ticket).entry
    assert (entry.channel, entry.service, entry.niss, entry.outcome) == (
        "soap", "person-integrations", JEAN, "not-integrated")


def test_a_list_shows_other_sectors_files_without_naming_their_institution(
    soap: SoapNetwork,
) -> None:
    insurer_file(soap, JEAN)
    today = dt.date.today().isoformat()
    registered = only_service(send(soap, manage_access(JEAN, "REGISTER", start=today,
                                                       proof=PROOF_JEAN)))
    assert return_code(registered) == "0", reasons(registered)
    listed = only_service(send(soap, manage_access(JEAN, "LIST", register="ALL", start=today,
                                                   sector=None)))
    assert return_code(listed) == "0", reasons(listed)
    assert registrations(listed) == [
        ("PRIMARY", soap.cbe["cpas"], "2"),
        ("PRIMARY", "11", "1"),  # the insurer's file: its sector, not its enterprise number
        ("SECONDARY", soap.cbe["cpas"], "2"),
    ]
    assert soap.cbe["insurer"] not in etree.tostring(listed).decode()
    in_cpas_sector = only_service(send(soap, manage_access(JEAN, "LIST", register="ALL",
                                                           start=today)))
    assert [r[1] for r in registrations(in_cpas_sector)] == [soap.cbe["cpas"]] * 2
    only_service(send(soap, manage_access(JEAN, "UNREGISTER", proof=PROOF_JEAN)))


def test_a_list_by_a_kind_without_deliberation_is_refused_with_32000003(
    soap: SoapNetwork,
) -> None:
    insurer_file(soap, MARIE)
    refused = only_service(send(soap, manage_access(MARIE, "LIST", purpose="1", register="ALL"),
                                who="insurer"))
    assert reasons(refused)[0] == "32000003"
    [ticket] = tickets(refused)
    assert journal.by_ticket(soap.engine, ticket).entry.outcome == "no-deliberation"


def test_a_purpose_of_5000_digits_is_an_invalid_request_not_a_fault(soap: SoapNetwork) -> None:
    refused = only_service(send(soap, manage_access(LUC, "UNREGISTER", purpose="1" * 5000)))
    assert return_code(refused) == "10000"
    assert reasons(refused) == [ERRORS["invalid-input"].reason]

