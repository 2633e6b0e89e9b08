"""The SOAP requests ``carrefour demo`` prints work as printed: Tx25 with HTTP Basic, the
SSDN connector admitted by the CPAS's address and OrgUnit."""

from __future__ import annotations

from carrefour.simulation.demo.soap_guide import run_soap_examples, soap_examples
from carrefour.simulation.seeding.directory_seed import DemoCredentials
from tests.soap.conftest import JEAN, SoapNetwork


def test_the_printed_soap_requests_are_answered(soap: SoapNetwork) -> None:
    made = soap.credentials["cpas"]
    examples = soap_examples(soap.cbe["cpas"], JEAN)
    assert run_soap_examples(soap.url, (made.client_id, made.client_secret), examples) == 2


def test_the_printed_curl_commands_carry_the_credentials_only_for_tx25(
    soap: SoapNetwork,
) -> None:
    tx25, ssdn = soap_examples(soap.cbe["cpas"], JEAN)
    made = soap.credentials["cpas"]
    cpas = DemoCredentials(institution="cpas", name="CPAS de Namur", client_id=made.client_id,
                           client_secret=made.client_secret, scopes=("consult",))
    assert f"-u {made.client_id}:{made.client_secret} " in tx25.curl(soap.url, cpas)
    assert "-u " not in ssdn.curl(soap.url, cpas)
    assert soap.cbe["cpas"] in ssdn.envelope and "&lt;SSDNRequest" in ssdn.envelope
