"""OCMWCPASManageAccess: register, list and unregister on the primary and secondary
registers, with a proof of authentication checked against the register."""

from __future__ import annotations

import datetime as dt

from carrefour.soap.codes import ERRORS
from tests.soap.conftest import JEAN, LUC, MARIE, SoapNetwork
from tests.soap.messages import (
    manage_access,
    one,
    person_data,
    reasons,
    return_code,
    texts,
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
    assert len(texts(after, "c:ResultSummary/c:Detail/c:Information/c:FieldValue")) == 1


def test_no_registration_when_the_proof_does_not_match(soap: SoapNetwork) -> None:
    wrong = person_data("Dupont", "Luc", "1990-01-16")
    refused = only_service(send(soap, manage_access(MARIE, "REGISTER", proof=wrong)))
    assert return_code(refused) == "10000"
    assert reasons(refused)[0] == "32007007"
    listed = only_service(send(soap, manage_access(MARIE, "LIST", register="ALL")))
    assert texts(listed, "mar:ManageAccessReply/mar:Registrations") == []


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


def test_a_purpose_of_5000_digits_is_an_invalid_request_not_a_fault(soap: SoapNetwork) -> None:
    refused = only_service(send(soap, manage_access(LUC, "UNREGISTER", purpose="1" * 5000)))
    assert return_code(refused) == "10000"
    assert reasons(refused) == [ERRORS["invalid-input"].reason]

