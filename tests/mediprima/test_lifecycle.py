"""A CPAS's medical aid decision through the hub, end to end: open, modify, simulate, stop,
history, and Mediprima's calculation delivered to the CPAS through the signal function."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from carrefour.journal.tables import journal_entries
from tests.mediprima.conftest import MediprimaNet, day, patient


def _journal(net: MediprimaNet, ticket: str) -> dict[str, Any]:
    with net.engine.connect() as connection:
        row = connection.execute(select(journal_entries).where(
            journal_entries.c.ticket == ticket)).mappings().one()
    return dict(row)


@pytest.mark.slow  # waits for the three calculations Mediprima publishes
def test_a_decision_is_opened_modified_simulated_stopped_and_its_history_kept(
    net: MediprimaNet,
) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")

    opened = net.open(person, "MED-1", end=89, ceiling=5000)
    assert opened.status_code == 200, opened.text
    decision = opened.json()["data"]["decision"]
    assert decision["reference"] == "MED-1" and decision["version"] == 1
    assert decision["status"] == "open" and opened.json()["data"]["replayed"] is False
    assert opened.json()["data"]["calculation"]["covered_days"] == 90
    entry = _journal(net, opened.json()["ticket"])
    assert (entry["action"], entry["service"], entry["outcome"]) == (
        "mediprima-open", "mediprima-open", "ok")
    assert entry["niss"] == person and entry["quality_code"] == 4

    path = f"/mediprima/persons/{person}/decisions/MED-1"
    change = net.body(start=day(0), end=day(119), coverage="ambulatory")
    with net.client("cpas") as client:
        simulated = client.post(f"{path}/evaluations", json=change)
        assert simulated.status_code == 200, simulated.text
        assert simulated.json()["data"]["outcome"] == "accepted"
        assert simulated.json()["data"]["calculation"]["state_share_percent"] == 90
        still = client.get(path, params=net.query("cpas", 4)).json()["data"]
        assert still["decision"]["version"] == 1  # a simulation registers nothing

        modified = client.put(path, json=change)
        assert modified.status_code == 200, modified.text
        assert modified.json()["data"]["decision"]["version"] == 2
        assert modified.json()["data"]["decision"]["end"] == day(119)

        stopped = client.post(f"{path}/stop", json=net.body(end=day(30)))
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["data"]["decision"]["status"] == "stopped"

        consulted = client.get(path, params=net.query("cpas", 4))
        assert consulted.status_code == 200, consulted.text
        assert consulted.json()["data"]["decision"]["end"] == day(30)
        assert consulted.json()["data"]["calculation"]["covered_days"] == 31

        history = client.get(f"/mediprima/persons/{person}/decisions",
                             params=net.query("cpas", 4))
    assert history.status_code == 200, history.text
    versions = history.json()["data"]["decisions"]
    assert [(v["version"], v["action"], v["end"]) for v in versions] == [
        (1, "open", day(89)), (2, "modify", day(119)), (3, "stop", day(30))]

    events = net.feed("cpas", person, 3)
    calculations = [e["data"]["changes"]["calculation"] for e in events]
    assert [(c["version"], c["covered_days"]) for c in calculations] == [
        (1, 90), (2, 120), (3, 31)]
    assert all(e["data"]["changes"]["cpas"] == net.members["cpas"].cbe for e in events)
    assert {e["type"] for e in events} == {"be.carrefour.mutation.mediprima-calculation"}


def test_a_care_provider_sees_the_coverage_until_the_decision_stops(net: MediprimaNet) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    net.integrate(person, 1, who="hospital")
    net.integrate(person, 1, who="doctor")
    assert net.coverage(person, 10).json()["data"] == {"covered": False}

    assert net.open(person, "MED-CARE", end=60, coverage="hospital").status_code == 200
    covered = net.coverage(person, 10)
    assert covered.status_code == 200, covered.text
    data = covered.json()["data"]
    assert data["covered"] is True and data["coverage"] == "hospital"
    assert data["cpas"] == net.members["cpas"].cbe
    assert data["period"] == {"start": day(0), "end": day(60)}
    assert net.coverage(person, 61).json()["data"] == {"covered": False}  # after its end
    seen_by_doctor = net.coverage(person, 10, who="doctor").json()["data"]
    assert seen_by_doctor["covered"] is True and "decision" not in seen_by_doctor  # not granted

    with net.client("cpas") as client:
        stopped = client.post(f"/mediprima/persons/{person}/decisions/MED-CARE/stop",
                              json=net.body(end=day(5)))
    assert stopped.status_code == 200, stopped.text
    assert net.coverage(person, 5).json()["data"]["covered"] is True
    assert net.coverage(person, 6).json()["data"] == {"covered": False}


def test_a_care_provider_without_a_file_on_the_patient_is_refused(net: MediprimaNet) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    assert net.open(person, "MED-NOFILE").status_code == 200
    refused = net.coverage(person, 1)
    assert refused.status_code == 403
    assert refused.json()["code"] == "not-integrated"
    entry = _journal(net, refused.json()["ticket"])
    assert (entry["action"], entry["outcome"]) == ("mediprima-coverage", "not-integrated")


def test_overlapping_decisions_of_two_cpas_are_refused(net: MediprimaNet) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    net.integrate(person, 2, who="other-cpas")
    assert net.open(person, "MED-A", start=0, end=90).status_code == 200

    refused = net.open(person, "GENT-7", who="other-cpas", capacity=2, start=60, end=150)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "mediprima-overlap"
    assert net.members["cpas"].cbe in problem["detail"] and "SPP IS" in problem["detail"]
    entry = _journal(net, problem["ticket"])
    assert (entry["action"], entry["outcome"]) == ("mediprima-open", "mediprima-overlap")

    with net.client("other-cpas") as client:
        simulated = client.post(f"/mediprima/persons/{person}/evaluations", json=net.body(
            "other-cpas", capacity=2, **net.decision("GENT-7", 60, 150)))
        assert simulated.status_code == 200, simulated.text
        assert simulated.json()["data"]["outcome"] == "refused"
        assert simulated.json()["data"]["refusal"]["code"] == "overlap"
        history = client.get(f"/mediprima/persons/{person}/decisions",
                             params=net.query("other-cpas", 2))
    assert history.json()["data"]["decisions"] == []  # nothing was registered
    after = net.open(person, "GENT-8", who="other-cpas", capacity=2, start=91, end=150)
    assert after.status_code == 200, after.text  # the day after the first one ends


def test_a_decision_sent_again_is_answered_as_registered_the_first_time(
    net: MediprimaNet,
) -> None:
    person = patient()
    net.integrate(person, 3, who="cpas")
    first = net.open(person, "MED-IDEM", capacity=3, ceiling=800)
    again = net.open(person, "MED-IDEM", capacity=3, ceiling=800)
    assert first.status_code == again.status_code == 200
    assert again.json()["data"]["replayed"] is True
    assert again.json()["data"]["decision"] == first.json()["data"]["decision"]
    assert again.json()["ticket"] != first.json()["ticket"]  # each exchange journaled
    with net.client("cpas") as client:
        history = client.get(f"/mediprima/persons/{person}/decisions",
                             params=net.query("cpas", 3)).json()["data"]["decisions"]
    assert len(history) == 1

    reused = net.open(person, "MED-IDEM", capacity=3, ceiling=900)
    assert reused.status_code == 409
    assert reused.json()["code"] == "mediprima-reference-reused"


def test_a_stopped_decision_no_longer_changes(net: MediprimaNet) -> None:
    person = patient()
    net.integrate(person, 4, who="cpas")
    assert net.open(person, "MED-STOP").status_code == 200
    path = f"/mediprima/persons/{person}/decisions/MED-STOP"
    with net.client("cpas") as client:
        first = client.post(f"{path}/stop", json=net.body(end=day(9)))
        again = client.post(f"{path}/stop", json=net.body(end=day(9)))
        assert again.json()["data"]["replayed"] is True
        assert again.json()["data"]["decision"] == first.json()["data"]["decision"]
        changed = client.put(path, json=net.body(start=day(0), end=day(20), coverage="full"))
        late = client.post(f"{path}/stop", json=net.body(end=day(12)))
        unknown = client.get(f"/mediprima/persons/{person}/decisions/NOPE",
                             params=net.query("cpas", 4))
    assert (changed.status_code, changed.json()["code"]) == (409, "mediprima-decision-stopped")
    assert (late.status_code, late.json()["code"]) == (409, "mediprima-decision-stopped")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "mediprima-unknown-decision")
