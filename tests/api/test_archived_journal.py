"""The admin API's journal look-ups read the archive too: a ticket and a person's consultations
of an archived month are found as before; a caller without the right is still refused."""

from __future__ import annotations

import datetime as dt

from carrefour.journal.archive import archive_month, month_of, part_path
from tests.console.conftest import seed
from tests.exchange.conftest import Network
from tests.people import ALICE

OPERATOR = {"end_user_id": "op-1", "end_user_role": "operator"}


def test_a_ticket_and_a_persons_consultations_are_found_once_their_month_is_archived(
    network: Network,
) -> None:
    tickets = seed(network)
    path = f"/v1/admin/persons/{ALICE}/consultations"
    with network.client("operator") as client:
        ticket_before = client.get(f"/v1/admin/journal/{tickets['legal']}", params=OPERATOR)
        consulted_before = client.get(path, params=OPERATOR)
        month = month_of(dt.datetime.now(dt.UTC))
        assert archive_month(network.engine, network.archive_dir, month).entries > 0
        ticket_after = client.get(f"/v1/admin/journal/{tickets['legal']}", params=OPERATOR)
        consulted_after = client.get(path, params=OPERATOR)
    assert ticket_after.status_code == 200, ticket_after.text
    assert ticket_after.json() == ticket_before.json()
    assert consulted_after.status_code == 200, consulted_after.text
    newest, *rest = consulted_after.json()
    assert rest == consulted_before.json()  # and the first look-up, journaled under Alice
    assert newest["action"] == "who-consulted"
    assert {e["ticket"] for e in rest} >= {tickets["legal"], tickets["confidential"]}


def test_a_caller_without_the_right_is_still_refused_once_the_month_is_archived(
    network: Network,
) -> None:
    tickets = seed(network)
    archive_month(network.engine, network.archive_dir, month_of(dt.datetime.now(dt.UTC)))
    with network.client("cpas") as client:
        ticket = client.get(f"/v1/admin/journal/{tickets['legal']}", params=OPERATOR)
        consulted = client.get(f"/v1/admin/persons/{ALICE}/consultations", params=OPERATOR)
    assert ticket.status_code == 403 and consulted.status_code == 403
    assert tickets["legal"] not in ticket.text + consulted.text


def test_an_unreadable_archive_answers_503_with_its_code_not_an_empty_answer(
    network: Network,
) -> None:
    tickets = seed(network)
    month = month_of(dt.datetime.now(dt.UTC))
    archive_month(network.engine, network.archive_dir, month)
    (network.archive_dir / part_path(month, 0)).write_bytes(b"lost")
    with network.client("operator") as client:
        answer = client.get(f"/v1/admin/journal/{tickets['legal']}", params=OPERATOR,
                            headers={"Accept-Language": "nl"})
    assert answer.status_code == 503
    assert answer.json()["code"] == "journal-archive-unavailable"
    assert "archief van het logboek" in answer.json()["detail"]
