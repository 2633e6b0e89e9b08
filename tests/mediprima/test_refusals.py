"""Every Mediprima endpoint under the hub's preventive control: no token, no file on the
person, no deliberation for the caller's kind or quality code are refused (and journaled with
a ticket); bad input is refused at the edge with a stable code; the consultation path does not
reach Mediprima's registrations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from carrefour.journal.tables import journal_entries
from tests.mediprima.conftest import MediprimaNet, day, patient

OPERATIONS = ["open", "modify", "stop", "consult", "history", "evaluate", "evaluate-modified",
              "coverage"]


def call(net: MediprimaNet, operation: str, niss: str, *, who: str, capacity: int,
         token: bool = True) -> httpx.Response:
    """One call of the operation on the decision ``REF-1`` of the person."""
    base = f"/mediprima/persons/{niss}"
    body = net.body(who, capacity=capacity, **net.decision("REF-1"))
    change = {k: v for k, v in body.items() if k != "reference"}
    query = net.query(who, capacity)
    requests: dict[str, tuple[str, str, dict[str, Any]]] = {
        "open": ("POST", f"{base}/decisions", {"json": body}),
        "modify": ("PUT", f"{base}/decisions/REF-1", {"json": change}),
        "stop": ("POST", f"{base}/decisions/REF-1/stop",
                 {"json": net.body(who, capacity=capacity, end=day(3))}),
        "consult": ("GET", f"{base}/decisions/REF-1", {"params": query}),
        "history": ("GET", f"{base}/decisions", {"params": query}),
        "evaluate": ("POST", f"{base}/evaluations", {"json": body}),
        "evaluate-modified": ("POST", f"{base}/decisions/REF-1/evaluations", {"json": change}),
        "coverage": ("GET", f"{base}/coverage", {"params": {**query, "date": day(1)}}),
    }
    method, path, options = requests[operation]
    if not token:
        return httpx.request(method, f"{net.url}/v1{path}", timeout=30, **options)
    with net.client(who) as client:
        return client.request(method, path, **options)


def journaled(net: MediprimaNet, ticket: str) -> tuple[str, str]:
    with net.engine.connect() as connection:
        row = connection.execute(select(journal_entries.c.action, journal_entries.c.outcome)
                                 .where(journal_entries.c.ticket == ticket)).one()
    return row.action, row.outcome


@pytest.fixture(scope="module")
def person(net: MediprimaNet) -> str:
    """A person every kind of caller holds a file on, with an open decision of the CPAS."""
    niss = patient()
    net.integrate(niss, 4, who="cpas")
    net.integrate(niss, 1, who="cpas")
    net.integrate(niss, 1, who="hospital")
    net.integrate(niss, 1, who="vdab")
    assert net.open(niss, "REF-1").status_code == 200
    return niss


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_caller_without_a_deliberation_is_refused_and_journaled(
    net: MediprimaNet, person: str, operation: str
) -> None:
    response = call(net, operation, person, who="vdab", capacity=1)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "no-deliberation"
    assert journaled(net, response.json()["ticket"]) == (f"mediprima-{operation}",
                                                         "no-deliberation")


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_caller_without_a_token_is_refused(
    net: MediprimaNet, person: str, operation: str
) -> None:
    response = call(net, operation, person, who="cpas", capacity=4, token=False)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("operation", [o for o in OPERATIONS if o != "coverage"])
def test_a_care_provider_may_not_touch_a_cpas_decision(
    net: MediprimaNet, person: str, operation: str
) -> None:
    response = call(net, operation, person, who="hospital", capacity=1)
    assert (response.status_code, response.json()["code"]) == (403, "no-deliberation")


def test_a_cpas_may_not_ask_the_care_providers_question(net: MediprimaNet, person: str) -> None:
    response = call(net, "coverage", person, who="cpas", capacity=4)
    assert (response.status_code, response.json()["code"]) == (403, "no-deliberation")


def test_a_file_under_investigation_may_simulate_but_not_decide(
    net: MediprimaNet, person: str
) -> None:
    assert call(net, "evaluate", person, who="cpas", capacity=1).status_code == 200
    refused = call(net, "open", person, who="cpas", capacity=1)
    assert (refused.status_code, refused.json()["code"]) == (403, "no-deliberation")


@pytest.mark.parametrize("operation", ["open", "history", "coverage"])
def test_a_caller_without_a_file_on_the_person_is_refused(
    net: MediprimaNet, operation: str
) -> None:
    stranger = patient()
    who = "hospital" if operation == "coverage" else "cpas"
    response = call(net, operation, stranger, who=who, capacity=1 if who == "hospital" else 4)
    assert (response.status_code, response.json()["code"]) == (403, "not-integrated")
    assert journaled(net, response.json()["ticket"])[1] == "not-integrated"


def test_the_consultation_path_does_not_reach_mediprima(net: MediprimaNet, person: str) -> None:
    body = {"service": "mediprima-open", "niss": person, "capacity": 4,
            "end_user": net.user("cpas"),
            "parameters": {"reference": "SIDE-1", "start": day(200), "end": day(220),
                           "coverage": "full"}}
    with net.client("cpas") as client:
        response = client.post("/consultations", json=body)
        history = client.get(f"/mediprima/persons/{person}/decisions",
                             params=net.query("cpas", 4)).json()["data"]["decisions"]
    assert (response.status_code, response.json()["code"]) == (404, "unknown-service")
    assert journaled(net, response.json()["ticket"]) == ("consult", "unknown-service")
    assert [d["reference"] for d in history] == ["REF-1"]


@pytest.mark.parametrize(("change", "code"), [
    ({"end": day(400)}, "invalid-period"),  # more than a year
    ({"start": day(10), "end": day(9)}, "invalid-period"),
    ({"start": "1999-12-31", "end": "2000-01-31"}, "invalid-period"),
    ({"coverage": "dental"}, "invalid-input"),
    ({"ceiling": 0}, "invalid-input"),
    ({"reference": "../etc"}, "invalid-input"),
    ({"reference": "R" * 37}, "invalid-input"),
    ({"start": "2026-02-30"}, "invalid-input"),
])
def test_a_bad_decision_is_refused_at_the_edge(
    net: MediprimaNet, person: str, change: dict[str, Any], code: str
) -> None:
    body = {**net.body("cpas", capacity=4, **net.decision("EDGE-1")), **change}
    with net.client("cpas") as client:
        response = client.post(f"/mediprima/persons/{person}/decisions", json=body)
    assert (response.status_code, response.json()["code"]) == (422, code), response.text


def test_a_bad_number_or_reference_in_the_path_is_refused(net: MediprimaNet) -> None:
    with net.client("cpas") as client:
        niss = client.get("/mediprima/persons/85073003329/decisions",
                          params=net.query("cpas", 4))
        reference = client.get("/mediprima/persons/85073003328/decisions/-bad",
                               params=net.query("cpas", 4))
    assert (niss.status_code, niss.json()["code"]) == (422, "invalid-niss")
    assert "ticket" in niss.json()  # the exchange was journaled
    assert (reference.status_code, reference.json()["code"]) == (422, "invalid-input")
