"""RetrieveTIGroups v2 (Tx25) with zeep and the original WSDL: HTTP Basic, National Register
groups, status codes and CBSSFaultType faults, all validated against the original schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.plugins import HistoryPlugin

from carrefour.soap.wsdl import TX25_PATH
from tests.soap.conftest import EMMA, JEAN, LUC, MARIE, SOPHIE, TOM, UNKNOWN, SoapNetwork
from tests.soap.messages import manage_access, person_data, reasons, return_code
from tests.soap.schemas import assert_valid, tx25_schema, validated_fault
from tests.soap.test_identify_person import only_service, send

R = {"r": "http://www.ibz.rrn.fgov.be/XSD/xm25/rn25Schema"}


def retrieve(service: Any, soap: SoapNetwork, ssin: str, **search: Any) -> Any:
    return service.retrieveTI(
        informationCustomer={"ticket": "CPAS-1", "timestampSent": dt.datetime.now(dt.UTC),
                             "customerIdentification": {"cbeNumber": soap.cbe["cpas"]}},
        legalContext="PCSA:SOCIAL_INQUIRY",
        searchInformation={"ssin": ssin, **search},
    )


def received(history: HistoryPlugin) -> etree._Element:
    envelope = history.last_received["envelope"]
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert_valid(tx25_schema(), body[0])
    return body[0]


def test_the_record_of_a_person_without_a_file_leaves_out_the_household(
    soap: SoapNetwork,
) -> None:
    service, history = soap.tx25()
    response = retrieve(service, soap, MARIE, language="nl")
    assert (response.status.value, response.status.code) == ("DATA_FOUND", "MSG00000")
    assert response.status.information[0].fieldName == "FamilyMembers"
    body = received(history)
    assert body.findtext("informationCBSS/ticketCBSS") == response.informationCBSS.ticketCBSS
    record = body.find("rrn_it_implicit")
    assert record is not None
    assert record.findtext("r:NationalNumber/r:NationalNumber/r:NationalNumber",
                           namespaces=R) == MARIE
    assert record.findtext("r:Nationalities/r:Nationality/r:Nationality/r:Code",
                           namespaces=R) == "111"
    assert record.find("r:FamilyMembers", R) is None


def test_with_a_file_the_record_holds_the_family_members(soap: SoapNetwork) -> None:
    done = only_service(send(soap, manage_access(
        LUC, "REGISTER", purpose="1", start=dt.date.today().isoformat(),
        proof=person_data("Dupont", "Luc", "1990-01-15"))))
    assert return_code(done) == "0", reasons(done)
    service, history = soap.tx25()
    retrieve(service, soap, LUC, history=True)
    record = received(history).find("rrn_it_implicit")
    assert record is not None
    members = record.findall("r:FamilyMembers/r:FamilyMember/r:NationalNumber/r:NationalNumber",
                             R)
    assert [m.text for m in members] == [JEAN, MARIE, LUC]


def test_an_unknown_person_is_no_data_found(soap: SoapNetwork) -> None:
    service, history = soap.tx25()
    response = retrieve(service, soap, UNKNOWN)
    assert (response.status.value, response.status.code) == ("NO_DATA_FOUND", "MSG00001")
    assert response.rrn_it_implicit is None
    received(history)


def test_an_ssin_with_wrong_check_digits_is_a_validation_error(soap: SoapNetwork) -> None:
    service, history = soap.tx25()
    response = retrieve(service, soap, "85073003300")
    assert (response.status.value, response.status.code) == ("NO_RESULT", "MSG00008")
    received(history)


def test_an_ssin_the_schema_refuses_is_a_client_fault(soap: SoapNetwork) -> None:
    service, _ = soap.tx25()
    with pytest.raises(Fault) as raised:
        retrieve(service, soap, "85073003399")
    assert raised.value.code == "soapenv:Client"
    assert_valid(tx25_schema(), raised.value.detail[0])


def test_without_http_basic_the_client_gets_a_cbss_fault(soap: SoapNetwork) -> None:
    service, _history = soap.tx25(who=None)
    with pytest.raises(Fault) as raised:
        retrieve(service, soap, JEAN)
    detail = raised.value.detail
    assert detail is not None
    assert detail[0].findtext("detail/reasonCode") == "MSG00002"
    assert_valid(tx25_schema(), detail[0])


def test_a_technical_error_is_a_fault_with_http_500(soap: SoapNetwork) -> None:
    envelope = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                "<soapenv:Body><wrong/></soapenv:Body></soapenv:Envelope>")
    made = soap.credentials["cpas"]
    response = httpx.post(soap.url + TX25_PATH, content=envelope,
                          auth=(made.client_id, made.client_secret))
    assert response.status_code == 500
    fault = validated_fault(response.content, tx25=True)
    assert fault.findtext("faultcode") == "soapenv:Client"


def test_the_served_wsdl_works_when_the_operator_configured_the_schemas(
    soap: SoapNetwork,
) -> None:
    made = soap.credentials["cpas"]
    import requests
    from zeep.transports import Transport

    session = requests.Session()
    session.auth = (made.client_id, made.client_secret)
    client = zeep.Client(soap.url + TX25_PATH + "?wsdl", transport=Transport(session=session))
    response = retrieve(client.service, soap, JEAN)
    assert response.status.value == "DATA_FOUND"


def test_naming_another_institutions_org_unit_is_a_client_fault(soap: SoapNetwork) -> None:
    service, _ = soap.tx25()
    with pytest.raises(Fault) as raised:
        service.retrieveTI(
            informationCustomer={"ticket": "CPAS-2",
                                 "customerIdentification": {"cbeNumber": soap.cbe["other-cpas"]}},
            legalContext="PCSA:SOCIAL_INQUIRY", searchInformation={"ssin": JEAN})
    assert raised.value.code == "soapenv:Client"
    assert raised.value.detail[0].findtext("detail/reasonCode") == "MSG00011"
    assert_valid(tx25_schema(), raised.value.detail[0])


def _with_a_file(soap: SoapNetwork, ssin: str = JEAN) -> None:
    born = {JEAN: ("Dupont", "Jean", "1961-04-12"), MARIE: ("Lambert", "Marie", "1963-09-02"),
            SOPHIE: ("Peeters", "Sophie", "1975-06-03")}
    done = only_service(send(soap, manage_access(
        ssin, "REGISTER", purpose="1", start=dt.date.today().isoformat(),
        proof=person_data(*born[ssin]))))
    assert return_code(done) in ("0", "1"), reasons(done)


def _record(soap: SoapNetwork, ssin: str, **search: Any) -> etree._Element:
    service, history = soap.tx25()
    retrieve(service, soap, ssin, **search)
    record = received(history).find("rrn_it_implicit")  # valid against the XSDs
    assert record is not None
    return record


@pytest.mark.parametrize("history", [False, True])
def test_every_date_of_a_reply_is_complete(soap: SoapNetwork, history: bool) -> None:
    _with_a_file(soap)
    record = _record(soap, JEAN, history=history)
    dates = record.findall(".//r:Date", R) + record.findall(".//r:DelDate", R)
    assert len(dates) >= 7
    for element in dates:
        assert [child.tag.split("}")[1] for child in element] == [
            "Century", "Year", "Month", "Day"], etree.tostring(element)


def test_without_history_each_group_holds_the_current_item(soap: SoapNetwork) -> None:
    _with_a_file(soap)
    record = _record(soap, JEAN, history=False)
    addresses = record.findall("r:LegalMainAddresses/r:LegalMainAddress", R)
    assert [a.findtext("r:Address/r:Street/r:Label", namespaces=R) for a in addresses] == [
        "Rue de Fer"]
    assert addresses[0].findtext("r:Date/r:Year", namespaces=R) == "15"
    assert addresses[0].find("r:Address/r:Street/r:Graphic", R) is None
    states = record.findall("r:CivilStates/r:CivilState/r:CivilState/r:Code", R)
    assert [s.text for s in states] == ["20"]


def test_with_history_the_previous_addresses_and_civil_states_come_too(
    soap: SoapNetwork,
) -> None:
    _with_a_file(soap)
    record = _record(soap, JEAN, history=True)
    streets = record.findall("r:LegalMainAddresses/r:LegalMainAddress/r:Address/r:Street/r:Label",
                             R)
    assert [s.text for s in streets] == ["Rue de Fer", "Rue des Carmes"]
    previous = record.findall("r:LegalMainAddresses/r:LegalMainAddress", R)[1]
    assert previous.findtext("r:DelDate/r:Year", namespaces=R) == "15"
    states = record.findall("r:CivilStates/r:CivilState/r:CivilState/r:Code", R)
    assert [s.text for s in states] == ["20", "10"]
    members = record.findall("r:FamilyMembers/r:FamilyMember/r:Date/r:Year", R)
    # moved in together in 2015; before, Jean lived alone at Rue des Carmes (as far as the
    # register can tell: no member of his household lived there)
    assert [m.text for m in members] == ["15", "15", "15", "88"]


@pytest.mark.parametrize(("language", "married", "head"), [
    ("fr", "Marié(e)", "Personne de référence"),
    ("nl", "Gehuwd", "Referentiepersoon"),
    ("de", "Verheiratet", "Referenzperson"),
])
def test_labels_come_in_the_language_asked(
    soap: SoapNetwork, language: str, married: str, head: str,
) -> None:
    _with_a_file(soap)
    record = _record(soap, JEAN, language=language)
    assert record.findtext("r:CivilStates/r:CivilState/r:CivilState/r:Label",
                           namespaces=R) == married
    assert record.findtext("r:FamilyMembers/r:FamilyMember/r:FamilyRole/r:Label",
                           namespaces=R) == head


@pytest.mark.parametrize(("language", "belgium", "france"), [
    ("fr", "Belgique", "France"), ("nl", "België", "Frankrijk"), ("de", "Belgien", "Frankreich"),
])
def test_the_nationality_is_named_in_the_language_asked(
    soap: SoapNetwork, language: str, belgium: str, france: str,
) -> None:
    path = "r:Nationalities/r:Nationality/r:Nationality"
    jean = _record(soap, JEAN, language=language)
    assert (jean.findtext(f"{path}/r:Code", namespaces=R),
            jean.findtext(f"{path}/r:Label", namespaces=R)) == ("150", belgium)
    assert _record(soap, MARIE, language=language).findtext(
        f"{path}/r:Label", namespaces=R) == france


def test_without_a_file_the_dated_groups_are_left_out_with_the_reason(
    soap: SoapNetwork,
) -> None:
    service, history = soap.tx25()
    response = retrieve(service, soap, MARIE)
    notes = {i.fieldName: i.fieldValue for i in response.status.information}
    assert set(notes) == {"FamilyMembers", "LegalMainAddresses", "CivilStates"}
    assert all(n.startswith("not-integrated") for n in notes.values())
    record = received(history).find("rrn_it_implicit")
    assert record is not None and record.find("r:CivilStates", R) is None
    assert not [d for d in record.iter(f"{{{R['r']}}}Date") if len(d) == 0]


def _members(record: etree._Element) -> list[tuple[str, str, str | None]]:
    """Each FamilyMember item as (number, Date, DelDate), dates as YYYY-MM-DD."""
    def day(element: etree._Element | None) -> str | None:
        if element is None:
            return None
        parts = [element.findtext(f"r:{p}", namespaces=R) for p in ("Century", "Year",
                                                                     "Month", "Day")]
        return f"{parts[0]}{parts[1]}-{parts[2]}-{parts[3]}"
    return [(str(item.findtext("r:NationalNumber/r:NationalNumber", namespaces=R)),
             str(day(item.find("r:Date", R))), day(item.find("r:DelDate", R)))
            for item in record.findall("r:FamilyMembers/r:FamilyMember", R)]


def test_with_history_the_former_household_compositions_come_too(soap: SoapNetwork) -> None:
    _with_a_file(soap, SOPHIE)
    record = _record(soap, SOPHIE, history=True)  # valid against the XSDs
    assert _members(record) == [
        (SOPHIE, "2012-05-01", None), (TOM, "2012-05-01", None), (EMMA, "2014-07-20", None),
        # before Emma was born, at the same address
        (SOPHIE, "2012-05-01", "2014-07-19"), (TOM, "2012-05-01", "2014-07-19"),
        # Tom joined Sophie at Veldstraat 8
        (SOPHIE, "2008-03-15", "2012-04-30"), (TOM, "2008-03-15", "2012-04-30"),
        (SOPHIE, "2005-09-01", "2008-03-14"),  # Sophie alone there
    ]
    former = record.findall("r:FamilyMembers/r:FamilyMember", R)[4]
    assert former.findtext("r:FamilyRole/r:Code", namespaces=R) == "02"
    assert former.findtext("r:Name/r:FirstName/r:Label", namespaces=R) == "Tom"


def test_without_history_the_household_is_the_current_one(soap: SoapNetwork) -> None:
    _with_a_file(soap, SOPHIE)
    record = _record(soap, SOPHIE, history=False)
    assert _members(record) == [(SOPHIE, "2012-05-01", None), (TOM, "2012-05-01", None),
                                (EMMA, "2014-07-20", None)]
