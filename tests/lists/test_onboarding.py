"""Quick onboarding: a new commune joins under the existing general deliberation in one
act (admin API or command line), gets its credentials, its mailbox and its first list at
once, and fetches it; every change is journaled like every administrative change."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from carrefour.cli import app
from carrefour.journal.tables import audit_changes, journal_entries
from carrefour.lists.tables import list_choices
from tests.exchange.conftest import cbe
from tests.lists.conftest import LIST, ListNet, token
from tests.people import ALICE

COMMUNE = {"cbe": cbe(70), "name_fr": "Commune d'Ixelles", "name_nl": "Gemeente Elsene",
           "kind": "commune", "sector": 29, "postal_code": "1000",
           "deliberation": "CSI/20/118", "format": "jsonl",
           "start": "2024-03-01", "end": "2024-03-31"}


def _fetch_first_list(net: ListNet, done: dict[str, Any]) -> list[dict[str, Any]]:
    (file,) = done["files"]
    assert file["list"] == LIST and file["format"] == "jsonl" and file["rows"] == 1
    own = token(net.url, done["client_id"], done["client_secret"])
    with net.client("cpas-brussels") as client:
        client.headers["Authorization"] = f"Bearer {own}"
        mailbox = client.get("/v1/lists/files").json()["files"]
        body = client.get(file["download"]).content
        feed = client.get("/v1/feed").json()["events"]
    assert [f["id"] for f in mailbox] == [file["id"]]
    assert [e["data"]["changes"]["id"] for e in feed] == [file["id"]]
    return [orjson.loads(line) for line in body.splitlines()]


def test_a_new_commune_is_onboarded_to_its_first_list(net: ListNet) -> None:
    with net.client("operator") as client:
        response = client.post("/v1/admin/onboarding", json=COMMUNE)
    assert response.status_code == 201, response.text
    done = response.json()
    assert done["services"] == ["harmonised-statuses"] and done["lists"] == [LIST]
    assert done["scopes"] == ["consult"] and done["client_secret"]
    assert [r["niss"] for r in _fetch_first_list(net, done)] == [ALICE]
    with net.engine.connect() as connection:
        actions = connection.execute(select(journal_entries.c.action).where(
            journal_entries.c.client == net.institutions["operator"].cbe,
            journal_entries.c.channel == "admin")).scalars().all()
        audited = connection.execute(select(audit_changes.c.kind)).scalars().all()
        chosen = connection.execute(select(list_choices.c.format)).scalars().all()
    for action in ("admin-register-institution", "admin-add-credentials", "subscribe",
                   "admin-generate-list", "admin-onboard-recipient"):
        assert action in actions
    assert {"institution", "credentials", "subscription"} <= set(audited)
    assert chosen == ["jsonl"]
    assert net.outcomes(done["ticket"]) == ["ok"]


def test_onboarding_on_the_command_line(net: ListNet) -> None:
    result = CliRunner().invoke(app, [
        "onboard", COMMUNE["cbe"], "--name-fr", "Commune d'Ixelles", "--name-nl", "Elsene",
        "--kind", "commune", "--sector", "29", "--postal-code", "1000",
        "--deliberation", "CSI/20/118", "--format", "jsonl", "--start", "2024-03-01",
        "--end", "2024-03-31", "--data-dir", str(net.folder.parent),
        "--database-url", str(net.engine.url), "--json"])
    assert result.exit_code == 0, result.output
    done = orjson.loads(result.output)
    net.hub.reference.invalidate()
    assert [r["niss"] for r in _fetch_first_list(net, done)] == [ALICE]
    with net.engine.connect() as connection:
        whole = connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.action == "admin-onboard",
            journal_entries.c.channel == "cli")).scalars().all()
    assert whole == ["ok"]


def test_what_cannot_be_onboarded_is_refused_before_anything_is_written(net: ListNet) -> None:
    cases = [({"cbe": "0212345679"}, 422, "invalid-cbe-number"),
             ({"cbe": net.institutions["cpas-liege"].cbe}, 409, "conflict"),
             ({"deliberation": "CSI/09/074"}, 403, "no-deliberation"),
             ({"kind": "bakery"}, 403, "no-deliberation"),
             ({"format": "xml", "postal_code": "0001"}, 422, "invalid-input"),
             ({"sector": 998}, 422, "invalid-input"),
             ({"start": "2024-03-05", "end": None}, 422, "invalid-period")]
    with net.client("operator") as client:
        for change, status, code in cases:
            response = client.post("/v1/admin/onboarding", json={**COMMUNE, **change})
            assert (response.status_code, response.json()["code"]) == (status, code), change
            assert net.outcomes(response.json()["ticket"]) == [code]
    with net.engine.connect() as connection:
        assert connection.execute(select(audit_changes.c.key).where(
            audit_changes.c.key == COMMUNE["cbe"])).first() is None
    result = CliRunner().invoke(app, [
        "onboard", "0212345679", "--name-fr", "x", "--name-nl", "x", "--kind", "commune",
        "--sector", "29", "--postal-code", "1000", "--deliberation", "CSI/20/118",
        "--database-url", str(net.engine.url)])
    assert result.exit_code == 1 and "invalid-cbe-number" in result.output
