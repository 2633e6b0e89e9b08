"""Every administrative change is journaled in the hash chain with who made it and the states
before and after; the trail is tamper-evident, looked up by API and CLI (journaled too); every
refusal of an operator's call is journaled."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, update
from typer.testing import CliRunner

from carrefour.cli import app as cli
from carrefour.db import build_engine
from carrefour.journal.chain import verify
from carrefour.journal.tables import audit_changes, journal_entries
from tests.auth.conftest import Door, cbe

runner = CliRunner()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()
GRANT = {
    "reference": "CSI/26/007",
    "title": "Unemployment for services files",
    "client_kind": "cpas",
    "quality_codes": [8],
    "service": "unemployment",
    "fields": ["currently_unemployed"],
    "valid_from": YESTERDAY,
}
NEW_INSTITUTION = {"cbe": cbe(77), "name_fr": "CPAS de Dinant", "name_nl": "OCMW Dinant",
                   "sector": 17, "subsector": 1, "kind": "cpas", "role": "client"}


def as_operator(door: Door, method: str, path: str, **kwargs: Any) -> httpx.Response:
    with door.client("operator") as operator:
        return operator.request(method, path, **kwargs)


def change_of(door: Door, answer: httpx.Response) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The journal entry of an operator's call (by its ticket header) and its audit rows."""
    ticket = answer.headers["carrefour-ticket"]
    [entry] = door.entries(ticket=ticket)
    return entry, door.audit_rows(ticket)


def states(row: dict[str, Any]) -> tuple[Any, Any]:
    load = lambda text: None if text is None else json.loads(text)  # noqa: E731
    return load(row["before_state"]), load(row["after_state"])


def test_registering_an_institution_is_journaled_with_its_state(door: Door) -> None:
    answer = as_operator(door, "POST", "/v1/admin/institutions", json=NEW_INSTITUTION,
                         params={"end_user_id": "op-7", "end_user_role": "directory-officer"})
    assert answer.status_code == 201, answer.text

    entry, [row] = change_of(door, answer)

    assert entry["action"] == "admin-register-institution" and entry["outcome"] == "ok"
    assert entry["client"] == door.institutions["operator"].cbe
    assert (entry["end_user_id"], entry["end_user_role"]) == ("op-7", "directory-officer")
    assert entry["reference"] == f"institution:{NEW_INSTITUTION['cbe']}"
    assert (row["kind"], row["key"]) == ("institution", NEW_INSTITUTION["cbe"])
    before, after = states(row)
    assert before is None and after["name_fr"] == "CPAS de Dinant" and after["active"] is True
    assert entry["audit_digest"] and verify(door.engine).ok


def test_the_operator_person_defaults_to_the_client_id(door: Door) -> None:
    answer = as_operator(door, "POST", "/v1/admin/institutions", json=NEW_INSTITUTION)
    entry, _ = change_of(door, answer)
    assert entry["end_user_id"] == door.credentials["operator"].client_id
    assert entry["end_user_role"] == "operator"


def test_credentials_are_journaled_without_their_secret(door: Door) -> None:
    cpas = door.institutions["cpas"].cbe
    made = as_operator(door, "POST", f"/v1/admin/institutions/{cpas}/credentials",
                       json={"scopes": ["consult"]})
    assert made.status_code == 201, made.text
    client_id, secret = made.json()["client_id"], made.json()["client_secret"]
    revoked = as_operator(door, "POST", f"/v1/admin/credentials/{client_id}/revoke")

    created, [first] = change_of(door, made)
    ended, [second] = change_of(door, revoked)

    assert created["action"] == "admin-add-credentials"
    assert ended["action"] == "admin-revoke-credentials"
    assert states(first)[0] is None
    assert states(first)[1] == states(second)[0]
    after = states(second)[1]
    assert after["client_id"] == client_id and after["institution"] == cpas
    assert after["scopes"] == ["consult"] and after["revoked_at"] is not None
    stored = json.dumps([first, second], default=str)
    assert secret not in stored and "argon2" not in stored and "hash" not in after
    assert verify(door.engine).ok


def test_disabling_and_enabling_record_both_states(door: Door) -> None:
    onem = door.institutions["onem"].cbe
    disabled = as_operator(door, "POST", f"/v1/admin/institutions/{onem}/disable")
    enabled = as_operator(door, "POST", f"/v1/admin/institutions/{onem}/enable")

    (off, [down]), (on, [up]) = change_of(door, disabled), change_of(door, enabled)

    assert (off["action"], on["action"]) == ("admin-disable-institution",
                                             "admin-enable-institution")
    assert [s["active"] for s in states(down)] == [True, False]
    assert [s["active"] for s in states(up)] == [False, True]
    assert states(down)[0]["has_source_token"] is True
    assert "token-onem" not in json.dumps([down, up])


def test_saving_and_deleting_a_deliberation_records_before_and_after(door: Door) -> None:
    created = as_operator(door, "PUT", "/v1/admin/deliberations", json=GRANT)
    replaced = as_operator(door, "PUT", "/v1/admin/deliberations",
                           json={**GRANT, "quality_codes": [7, 8]})
    grant_id = next(g["id"] for g in as_operator(door, "GET", "/v1/admin/deliberations").json()
                    if g["reference"] == GRANT["reference"])
    deleted = as_operator(door, "DELETE", f"/v1/admin/deliberations/{grant_id}")
    assert {a.status_code for a in (created, replaced, deleted)} == {204}

    (_, [first]), (_, [second]), (gone, [third]) = (
        change_of(door, a) for a in (created, replaced, deleted))

    key = "CSI/26/007|cpas|unemployment"
    assert {r["key"] for r in (first, second, third)} == {key}
    assert states(first)[0] is None and states(first)[1]["quality_codes"] == [8]
    assert states(second)[0]["quality_codes"] == [8]
    assert states(second)[1]["quality_codes"] == [7, 8]
    assert states(third) == (states(second)[1], None)
    assert gone["action"] == "admin-delete-deliberation"


def test_saving_availability_is_journaled(door: Door) -> None:
    answer = as_operator(door, "PUT", "/v1/admin/availability",
                         json={"service": "unemployment", "source_kind": "onem",
                               "quality_codes": [2]})
    assert answer.status_code == 204, answer.text
    entry, [row] = change_of(door, answer)
    assert entry["action"] == "admin-save-availability"
    assert row["key"] == "unemployment|onem"
    assert states(row)[1]["quality_codes"] == [2]


def test_a_reference_file_load_records_only_what_changed(door: Door) -> None:
    document = (
        '[[deliberation]]\nreference = "CSI/26/007"\ntitle = "Unemployment"\n'
        'client_kind = "cpas"\nquality_codes = [8]\nservice = "unemployment"\n'
        'fields = ["currently_unemployed"]\nvalid_from = 2026-01-01\n'
    )
    headers = {"Content-Type": "application/toml"}
    first = as_operator(door, "POST", "/v1/admin/reference", content=document, headers=headers)
    again = as_operator(door, "POST", "/v1/admin/reference", content=document, headers=headers)
    assert first.status_code == again.status_code == 200, first.text

    (entry, rows), (repeated, none) = change_of(door, first), change_of(door, again)

    assert entry["action"] == repeated["action"] == "admin-load-reference"
    assert [r["key"] for r in rows] == ["CSI/26/007|cpas|unemployment"]
    assert none == [] and repeated["audit_digest"] is None  # journaled, nothing changed


def test_subscribing_and_unsubscribing_record_the_subscription_without_its_secret(
    door: Door,
) -> None:
    with door.client("cpas") as client:
        made = client.post("/v1/subscriptions", json={"mutation_type": "address-change"})
        assert made.status_code == 201, made.text
        ended = client.delete(f"/v1/subscriptions/{made.json()['id']}")
    assert ended.status_code == 204

    [subscribed] = door.entries(ticket=made.json()["ticket"])
    [unsubscribed] = door.entries(action="unsubscribe")
    [first] = door.audit_rows(subscribed["ticket"])
    [second] = door.audit_rows(unsubscribed["ticket"])

    assert (first["kind"], first["key"]) == ("subscription", str(made.json()["id"]))
    assert states(first)[1]["mutation_type"] == "address-change"
    assert states(first)[1]["institution"] == door.institutions["cpas"].cbe
    assert [s["active"] for s in states(second)] == [True, False]
    assert made.json()["secret"] not in json.dumps([first, second])
    assert verify(door.engine).ok


# --- tamper evidence ---------------------------------------------------------------------------
def _one_change(door: Door) -> str:
    answer = as_operator(door, "PUT", "/v1/admin/deliberations", json=GRANT)
    assert answer.status_code == 204
    return answer.headers["carrefour-ticket"]


def test_an_altered_audit_row_is_detected(door: Door) -> None:
    ticket = _one_change(door)
    forged = states(door.audit_rows(ticket)[0])[1] | {"quality_codes": [1, 2, 3, 8]}
    with door.engine.begin() as connection:
        connection.execute(update(audit_changes).where(audit_changes.c.ticket == ticket)
                           .values(after_state=json.dumps(forged)))
    report = verify(door.engine)
    assert not report.ok
    assert [p.kind for p in report.problems] == ["audit-altered"]


def test_a_deleted_audit_row_is_detected(door: Door) -> None:
    ticket = _one_change(door)
    with door.engine.begin() as connection:
        connection.execute(delete(audit_changes).where(audit_changes.c.ticket == ticket))
    assert [p.kind for p in verify(door.engine).problems] == ["audit-missing"]


def test_an_added_audit_row_is_detected(door: Door) -> None:
    ticket = door.entries(action="authenticate")[0]["ticket"]  # an entry with no changes
    with door.engine.begin() as connection:
        connection.execute(insert(audit_changes).values(
            ticket=ticket, position=0, kind="credentials", key="x", before_state=None,
            after_state='{"scopes":["admin"]}'))
    assert [p.kind for p in verify(door.engine).problems] == ["audit-unvouched"]


def test_an_entry_whose_digest_was_dropped_is_detected(door: Door) -> None:
    ticket = _one_change(door)
    with door.engine.begin() as connection:
        connection.execute(update(journal_entries).where(journal_entries.c.ticket == ticket)
                           .values(audit_digest=None))
    kinds = {p.kind for p in verify(door.engine).problems}
    assert {"altered", "audit-unvouched"} <= kinds


# --- the trail ---------------------------------------------------------------------------------
def test_the_trail_of_an_object_is_looked_up_and_the_look_up_is_journaled(door: Door) -> None:
    onem = door.institutions["onem"].cbe
    as_operator(door, "POST", f"/v1/admin/institutions/{onem}/disable")
    as_operator(door, "POST", f"/v1/admin/institutions/{onem}/enable")

    answer = as_operator(door, "GET", "/v1/admin/audit",
                         params={"kind": "institution", "key": onem, "end_user_id": "dpo-1"})

    assert answer.status_code == 200, answer.text
    trail = answer.json()
    assert [t["action"] for t in trail] == ["admin-enable-institution",
                                            "admin-disable-institution",
                                            "admin-register-institution"]
    assert trail[0]["before"]["active"] is False and trail[0]["after"]["active"] is True
    [looked] = door.entries(ticket=answer.headers["carrefour-ticket"])
    assert (looked["action"], looked["end_user_id"], looked["reference"]) == (
        "admin-audit", "dpo-1", f"institution:{onem}")


def test_an_operators_look_up_is_journaled_under_the_ticket_it_answers(door: Door) -> None:
    answer = as_operator(door, "GET", "/v1/admin/institutions", params={"end_user_id": "op-2"})
    assert answer.status_code == 200
    [entry] = door.entries(ticket=answer.headers["carrefour-ticket"])
    assert (entry["action"], entry["outcome"], entry["end_user_id"]) == (
        "admin-list-institutions", "ok", "op-2")


def test_a_key_without_a_kind_is_refused(door: Door) -> None:
    answer = as_operator(door, "GET", "/v1/admin/audit", params={"key": "x"})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid-input"


# --- refusals ----------------------------------------------------------------------------------
@pytest.fixture
def admin_routes(door: Door) -> list[tuple[str, str, str]]:
    """Every operator endpoint the OpenAPI document lists: method, path, route name."""
    document = httpx.get(f"{door.url}/openapi.json", timeout=60).json()
    found = []
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/admin"):
            continue
        for method, operation in operations.items():
            suffix = re.sub(r"\W", "_", path) + "_" + method
            name = operation["operationId"].removesuffix(suffix)
            found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path), name))
    return found


def test_every_admin_endpoint_refuses_and_journals_a_caller_without_the_admin_scope(
    door: Door, admin_routes: list[tuple[str, str, str]],
) -> None:
    assert len(admin_routes) >= 19
    for method, path, name in admin_routes:
        with door.client("cpas") as client:
            answer = client.request(method, path, json={})
        assert answer.status_code == 403, (method, path, answer.text)
        body = answer.json()
        assert body["code"] == "forbidden"
        [entry] = door.entries(ticket=body["ticket"])
        expected = "who-consulted" if name == "who_consulted" else "admin-" + name.replace(
            "_", "-")
        assert (entry["action"], entry["outcome"], entry["client"]) == (
            expected, "forbidden", door.institutions["cpas"].cbe), (method, path)


def test_an_operators_bad_input_is_refused_and_journaled(door: Door) -> None:
    unknown_field = as_operator(door, "PUT", "/v1/admin/deliberations",
                                json={**GRANT, "fields": ["salary"]})
    malformed = as_operator(door, "PUT", "/v1/admin/deliberations", json={"title": "x"})
    conflict = as_operator(door, "POST", "/v1/admin/institutions",
                           json={**NEW_INSTITUTION, "cbe": door.institutions["cpas"].cbe})

    for answer, outcome in ((unknown_field, "invalid-input"), (malformed, "invalid-input"),
                            (conflict, "conflict")):
        assert 400 <= answer.status_code < 500
        [entry] = door.entries(ticket=answer.json()["ticket"])
        assert entry["outcome"] == outcome and entry["action"].startswith("admin-")
        assert door.audit_rows(entry["ticket"]) == []


# --- the command line --------------------------------------------------------------------------
def test_the_command_line_changes_are_journaled_as_the_local_operator(
    door: Door, database_url: str, tmp_path: Path,
) -> None:
    url = ["--database-url", database_url]
    after_setup = door.entries()[-1]["seq"]
    created = runner.invoke(cli, ["credentials", "create", door.institutions["cpas"].cbe, *url])
    assert created.exit_code == 0, created.output
    client_id = re.search(r"client_id\s+(\S+)", created.output).group(1)  # type: ignore[union-attr]
    reference = tmp_path / "grant.toml"
    reference.write_text(
        '[[availability]]\nservice = "unemployment"\nsource_kind = "onem"\nquality_codes = [9]\n')
    for command in (["credentials", "revoke", client_id],
                    ["institution", "disable", door.institutions["onem"].cbe],
                    ["institution", "enable", door.institutions["onem"].cbe],
                    ["reference", "load", str(reference)]):
        done = runner.invoke(cli, [*command, *url])
        assert done.exit_code == 0, (command, done.output)

    entries = [e for e in door.entries(channel="cli") if e["seq"] > after_setup]
    assert [e["action"] for e in entries] == [
        "admin-add-credentials", "admin-revoke-credentials", "admin-disable-institution",
        "admin-enable-institution", "admin-load-reference"]
    assert all(e["client"] == "cli" and e["end_user_role"] == "operator" for e in entries)
    assert all(e["end_user_id"] and e["audit_digest"] for e in entries)
    assert verify(door.engine).ok


def test_a_refused_command_is_journaled(door: Door, database_url: str) -> None:
    done = runner.invoke(cli, ["credentials", "revoke", "nobody", "--database-url", database_url])
    assert done.exit_code == 1
    assert "not-found" in done.output
    [entry] = door.entries(channel="cli", action="admin-revoke-credentials")
    assert entry["outcome"] == "not-found"


def test_the_audit_command_lists_a_trail_and_is_journaled(door: Door, database_url: str) -> None:
    onem = door.institutions["onem"].cbe
    as_operator(door, "POST", f"/v1/admin/institutions/{onem}/disable")

    done = runner.invoke(cli, ["journal", "audit", "--kind", "institution", "--key", onem,
                               "--database-url", database_url], env={"COLUMNS": "200"})

    assert done.exit_code == 0, done.output
    assert "admin-disable-institution" in done.output and "active: True → False" in done.output
    [entry] = door.entries(channel="cli", action="admin-audit")
    assert entry["reference"] == f"institution:{onem}"


def test_init_journals_the_load_of_the_shipped_reference_files(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    done = runner.invoke(cli, ["init", "--database-url", url])
    assert done.exit_code == 0, done.output
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(journal_entries.select()).mappings().all()
            changes = connection.execute(audit_changes.select()).mappings().all()
        assert [(r["channel"], r["action"]) for r in rows] == [("cli", "admin-load-reference")]
        assert len(changes) > 10 and all(c["before_state"] is None for c in changes)
        assert verify(engine).ok
    finally:
        engine.dispose()
