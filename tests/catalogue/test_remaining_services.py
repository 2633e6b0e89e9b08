"""The rest of the CPAS catalogue (seed 004) through the real hub and the real simulated
sources: Limosa, annual holidays, LED, VESTA, the medical house of health insurance; child
benefits without amounts; composite services passing their parts' parameters and asking a
part only when the person's key data call for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from carrefour.simulation.population.dossiers_regional import medical_house
from tests.catalogue.conftest import CatalogueNetwork

NEW = ["posted-workers", "posted-worker", "posting-document", "holiday-periods",
       "qualification-certificates", "care-insurance", "home-services"]


def files(network: CatalogueNetwork, slug: str, table: str = "files") -> list[tuple[str, Any]]:
    key = "niss" if table == "files" else "key"
    rows = network.source_rows(slug, f"SELECT {key}, data FROM {table} ORDER BY {key}")
    return [(str(k), orjson.loads(d)) for k, d in rows]


def integrated(network: CatalogueNetwork, niss: str, code: int = 2) -> str:
    network.integrate(niss, code)
    return niss


def test_a_posted_worker_is_found_by_name_then_in_detail_then_by_posting(
    network: CatalogueNetwork,
) -> None:
    name, entry = files(network, "limosa", "names")[0]
    worker = entry["workers"][0]
    found = network.consult("posted-workers", None, capacity=1, last_name=name.lower(),
                            first_name=worker["first_names"][0])
    assert found.status_code == 200, found.text
    assert worker["niss"] in [w["niss"] for w in found.json()["data"]["workers"]]
    detail = network.consult("posted-worker", integrated(network, worker["niss"]), capacity=2)
    postings = detail.json()["data"]["postings"]
    assert [p["posting_id"] for p in postings] == worker["posting_ids"]
    document = network.consult("posting-document", None, capacity=1,
                               posting_id=postings[0]["posting_id"]).json()["data"]
    assert document["worker"]["niss"] == worker["niss"]
    assert (document["start"], document["end"]) == (postings[0]["start"], postings[0]["end"])


def test_an_unknown_name_finds_no_posted_worker(network: CatalogueNetwork) -> None:
    response = network.consult("posted-workers", None, capacity=1, last_name="Zzyzxwv")
    assert response.status_code == 404, response.text


def test_holiday_periods_are_cut_to_the_window(network: CatalogueNetwork) -> None:
    niss, record = files(network, "onva")[0]
    last = record["periods"][-1]
    response = network.consult("holiday-periods", integrated(network, niss), capacity=2,
                               **{"from": last["start"], "to": last["end"]})
    assert response.json()["data"]["periods"] == [last]


def test_flemish_certificates_and_care_come_from_led_and_vesta(network: CatalogueNetwork) -> None:
    niss, record = files(network, "led")[0]
    answer = network.consult("qualification-certificates", integrated(network, niss), capacity=2)
    assert answer.json()["data"]["certificates"] == record["certificates"]
    helped = next((n, r) for n, r in files(network, "vesta") if "services" in r)
    integrated(network, helped[0])
    integrated(network, helped[0], code=1)
    care = network.consult("care-insurance", helped[0], capacity=1).json()["data"]
    assert set(care) == {"affiliated", "care_fund"}  # a file under investigation
    home = network.consult("home-services", helped[0], capacity=2).json()["data"]
    assert home["services"] == helped[1]["services"]


@pytest.mark.parametrize("name", NEW)
def test_a_regional_employment_service_has_no_right_on_the_new_services(
    network: CatalogueNetwork, name: str,
) -> None:
    response = network.consult(name, None, capacity=1, who="vdab", **_parameters(name))
    if name in ("posted-workers", "posting-document"):
        assert (response.status_code, response.json()["code"]) == (403, "no-deliberation")
    else:  # a service needing the person: no file of the VDAB on this number
        assert response.status_code in (403, 422), response.text


def _parameters(name: str) -> dict[str, str]:
    return {"posted-workers": {"last_name": "Nowak"},
            "posting-document": {"posting_id": "L1234567890"}}.get(name, {})


def test_the_medical_house_is_a_field_of_health_insurance(network: CatalogueNetwork) -> None:
    members = [str(r[0]) for r in network.source_rows("mc-cm", "SELECT niss FROM members")]
    enrolled = next(n for n in members if medical_house(n))
    response = network.consult("health-insurance", integrated(network, enrolled), capacity=2)
    assert response.json()["data"]["medical_house"] == medical_house(enrolled)


def test_child_benefits_give_the_cpas_no_amounts(network: CatalogueNetwork) -> None:
    niss, _record = files(network, "famiwal")[0]
    data = network.consult("child-benefits", integrated(network, niss), capacity=2).json()["data"]
    assert data["children"] and data["file_number"]
    assert "amount" not in orjson.dumps(data).decode()


def test_a_composite_passes_each_part_its_window(network: CatalogueNetwork) -> None:
    niss, record = next((n, r) for n, r in files(network, "inami") if len(r["periods"]) > 1)
    integrated(network, niss)
    last = record["periods"][-1]
    window = {"from": last["start"], "to": last["end"] or last["start"]}
    alone = network.consult("work-incapacity", niss, capacity=2, **window).json()["data"]
    body = network.consult("full-picture", niss, capacity=2, **window).json()
    assert body["data"]["work-incapacity"]["data"] == alone
    assert len(alone["periods"]) < len(record["periods"])


def test_the_pension_register_is_asked_only_for_persons_aged_60_or_more(
    network: CatalogueNetwork,
) -> None:
    pensioned = files(network, "pension-register")
    old = integrated(network, pensioned[0][0])
    young = integrated(network, next(n for n, _ in files(network, "spf-finances")
                                     if _age(n) < 60))
    old_parts = network.consult("full-picture", old, capacity=2).json()["data"]
    assert old_parts["pensions"]["status"] == "ok"
    young_parts = network.consult("full-picture", young, capacity=2).json()["data"]
    assert young_parts["pensions"]["status"] == "not-applicable"
    assert "sources" not in young_parts["pensions"]  # the pension register was not asked


def _age(niss: str) -> int:
    from carrefour.identification.niss import parse_niss

    born = parse_niss(niss).birth_date
    assert born is not None
    today = dt.date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
