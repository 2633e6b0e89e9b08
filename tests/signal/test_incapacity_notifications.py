"""Work incapacity periods as notifications (HdiIndemnityPeriodNotification): the INAMI
publishes them, a CPAS with a file receives what the deliberations of ``work-incapacity``
grant for its quality code, and no one else may publish them."""

from __future__ import annotations

from tests.people import ALICE, BOB, CAROL
from tests.signal.conftest import SignalNet

TYPE = "work-incapacity-period"
PERIOD = {"kind": "primary-incapacity", "start": "2026-01-05", "end": None}


def _publish(net: SignalNet, niss: str, who: str = "inami") -> dict[str, object]:
    data = {"currently_incapacitated": True, "periods": [PERIOD]}
    response = net.publish(niss, TYPE, who=who, data=data)
    body: dict[str, object] = response.json()
    body["status"] = response.status_code
    return body


def test_a_cpas_gets_the_periods_for_a_living_wage_file_and_the_status_only_otherwise(
    net: SignalNet,
) -> None:
    net.subscribe(type=TYPE, receiver=None)
    net.integrate(ALICE, code=2)  # RIS: CSI/14/112 grants the periods
    net.integrate(BOB, code=1)  # under investigation: CSI/14/113, the status only
    assert _publish(net, ALICE)["deliveries"] == 1
    assert _publish(net, BOB)["deliveries"] == 1
    with net.client("cpas") as client:
        events = client.get("/v1/feed").json()["events"]
    changes = {e["subject"]: e["data"]["changes"] for e in events}
    assert changes[ALICE] == {"currently_incapacitated": True, "periods": [PERIOD]}
    assert changes[BOB] == {"currently_incapacitated": True}


def test_without_a_file_or_a_deliberation_nothing_is_delivered(net: SignalNet) -> None:
    net.subscribe(type=TYPE, receiver=None)
    net.subscribe("other-cpas", type=TYPE, receiver=None)
    net.integrate(CAROL, code=8)  # debt mediation: no deliberation for work incapacity
    assert _publish(net, ALICE)["deliveries"] == 0  # no file at all
    assert _publish(net, CAROL)["deliveries"] == 0
    with net.client("other-cpas") as client:
        assert client.get("/v1/feed").json()["events"] == []


def test_only_the_inami_may_publish_work_incapacity_periods(net: SignalNet) -> None:
    refused = _publish(net, ALICE, who="onss")
    assert (refused["status"], refused["code"]) == (403, "not-authentic-source")
