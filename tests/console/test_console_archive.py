"""The console's look-ups read the journal's archive with the live table: a ticket, a citizen's
"who consulted my data" and a DPO's exchanges of an archived month show as before; a user
without the role is still refused."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from carrefour.journal.archive import archive_month, month_of
from tests.console.conftest import Console, sign_in
from tests.console.test_console_pages import _citizen_signs_in, _client
from tests.people import ALICE, BOB

pytestmark = pytest.mark.slow  # each test starts a hub and seeds its exchanges (~10 s)


def _archive_this_month(console: Console) -> None:
    month = month_of(dt.datetime.now(dt.UTC))
    assert archive_month(console.net.engine, console.net.archive_dir, month).entries > 0


def _pages(client: httpx.Client, console: Console) -> dict[str, httpx.Response]:
    sign_in(client, console.operator, "operator")
    ticket = client.get("/console/ticket", params={"ticket": console.tickets["legal"]})
    sign_in(client, console.dpo, "dpo", name="dpo-namur")
    exchanges = client.get("/console/exchanges.csv", params={"service": "legal-data"})
    bob = client.get("/console/exchanges", params={"niss": BOB})
    return {"ticket": ticket, "exchanges": exchanges, "bob": bob}


def test_the_console_shows_archived_tickets_and_exchanges_as_before(console: Console) -> None:
    with _client(console) as client:
        before = _pages(client, console)
        _archive_this_month(console)
        after = _pages(client, console)
    assert after["ticket"].status_code == 200 and ALICE in after["ticket"].text
    assert console.tickets["legal"] in after["ticket"].text
    assert after["exchanges"].text == before["exchanges"].text
    assert len(after["exchanges"].text.strip().splitlines()) == 3  # header, Alice, Bob
    assert after["bob"].status_code == 200 and console.tickets["bob"] in after["bob"].text


def test_a_citizen_still_sees_the_consultations_of_an_archived_month(console: Console) -> None:
    with _client(console, "nl") as client:
        _citizen_signs_in(client, console, ALICE)
        before = client.get("/console/mine.csv").text
        _archive_this_month(console)
        after = client.get("/console/mine.csv").text
        page = client.get("/console/mine")
    assert after == before
    assert len(after.strip().splitlines()) == 2  # the confidential one still withheld
    assert "Wettelijke gegevens" in page.text


def test_without_the_role_the_archived_ticket_is_still_refused(console: Console) -> None:
    _archive_this_month(console)
    with _client(console) as client:
        sign_in(client, console.dpo, "social-worker", name="sw-1")
        ticket = client.get("/console/ticket", params={"ticket": console.tickets["legal"]})
        exchanges = client.get("/console/exchanges")
    assert ticket.status_code == 403 and exchanges.status_code == 403
    assert ALICE not in ticket.text
