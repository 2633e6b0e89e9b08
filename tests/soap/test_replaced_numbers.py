"""A replaced BIS number through the CBSS formats: identification follows it to the number that
replaced it, and ManageAccess takes no new file on it (the files were carried over)."""

from __future__ import annotations

import pytest

from carrefour.identification.register import create_bis_person, replace_niss
from tests.soap.conftest import LUC, SoapNetwork
from tests.soap.messages import identify, manage_access, one, person_data, reasons, return_code
from tests.soap.test_identify_person import only_service, send

BASIC = "ipr:IdentifyPersonReply/ipr:SearchResults/ipr:LimitedLegalData/ipr:Basic"


@pytest.fixture(scope="module")
def replaced(soap: SoapNetwork) -> str:
    """A BIS number of Luc Dupont's, replaced by his National Register number."""
    bis = create_bis_person(
        soap.engine,
        data={"last_name": "Dupont", "first_names": ["Luc"], "birth_date": "1990-01-00",
              "gender": "M"},
        created_by=soap.cbe["cpas"],
    ).value
    replace_niss(soap.engine, bis, LUC, reason="registered in the National Register")
    return bis


def test_identifying_a_replaced_number_answers_the_person_under_the_new_one(
    soap: SoapNetwork, replaced: str
) -> None:
    service = only_service(send(soap, identify(f"<ipr:SSIN>{replaced}</ipr:SSIN>")))
    assert return_code(service) == "0", reasons(service)
    assert one(service, f"{BASIC}/ipr:SocialSecurityUser") == LUC
    assert one(service, f"{BASIC}/ipr:LastName") == "Dupont"


def test_a_replaced_number_takes_no_new_file(soap: SoapNetwork, replaced: str) -> None:
    proof = person_data("Dupont", "Luc", "1990-01-15")
    refused = only_service(send(soap, manage_access(replaced, "REGISTER", proof=proof)))
    assert return_code(refused) != "0"
    assert reasons(refused)[0] == "31000030"  # conflict: use the number that replaced it
