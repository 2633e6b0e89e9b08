"""Revoked credentials and disabled institutions are refused at once: bearer tokens already
issued, the token endpoint, SOAP HTTP Basic (remembered credentials too); a disabled source is
no longer routed to."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from typer.testing import CliRunner

from carrefour.cli import app as cli
from carrefour.directory.cache import load_snapshot
from carrefour.errors import InstitutionDisabled, UnknownInstitution
from tests.auth.conftest import Door
from tests.auth.test_throttling import TX25, TX25_REQUEST
from tests.people import ALICE

runner = CliRunner()


def revoke(door: Door, client_id: str) -> httpx.Response:
    with door.client("operator") as operator:
        return operator.post(f"/v1/admin/credentials/{client_id}/revoke")


def set_active(door: Door, who: str, *, active: bool) -> httpx.Response:
    verb = "enable" if active else "disable"
    with door.client("operator") as operator:
        return operator.post(f"/v1/admin/institutions/{door.institutions[who].cbe}/{verb}")


def subscriptions(door: Door, who: str) -> httpx.Response:
    with door.client(who) as client:
        return client.get("/v1/subscriptions")


def tx25(door: Door, who: str) -> httpx.Response:
    made = door.credentials[who]
    pair = base64.b64encode(f"{made.client_id}:{made.client_secret}".encode()).decode()
    return httpx.post(door.url + TX25, content=TX25_REQUEST, timeout=30,
                      headers={"Authorization": f"Basic {pair}", "Content-Type": "text/xml"})


def test_a_revoked_clients_token_is_refused_at_once_and_journaled(door: Door) -> None:
    assert subscriptions(door, "cpas").status_code == 200
    client_id = door.credentials["cpas"].client_id

    revoked = revoke(door, client_id)
    refused = subscriptions(door, "cpas")

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert refused.status_code == 401
    assert refused.json()["code"] == "client-revoked"
    entry = door.entries(ticket=refused.json()["ticket"])[0]
    assert (entry["action"], entry["client"], entry["outcome"]) == (
        "authenticate", client_id, "client-revoked")
    assert subscriptions(door, "other-cpas").status_code == 200


def test_revoked_credentials_get_no_new_token(door: Door) -> None:
    revoke(door, door.credentials["cpas"].client_id)
    answer = door.token("cpas")
    assert answer.status_code == 400
    assert (answer.json()["error"], answer.json()["code"]) == ("invalid_client", "client-revoked")


def test_remembered_soap_basic_credentials_are_refused_once_revoked(door: Door) -> None:
    first = tx25(door, "cpas")  # authenticated (and remembered), then refused for its content
    assert first.status_code == 500 and "MSG00008" in first.text, first.text
    verified = len(door.spy.verified)

    revoke(door, door.credentials["cpas"].client_id)
    refused = tx25(door, "cpas")

    assert refused.status_code == 401
    assert "client-revoked" in refused.text
    assert len(door.spy.verified) == verified  # refused from the remembered credentials
    assert door.entries(action="authenticate", channel="soap", outcome="client-revoked")


def test_a_disabled_institutions_tokens_and_credentials_are_refused_until_enabled(
    door: Door,
) -> None:
    disabled = set_active(door, "cpas", active=False)
    assert disabled.status_code == 200 and disabled.json()["active"] is False

    by_token = subscriptions(door, "cpas")
    by_secret = door.token("cpas")
    by_basic = tx25(door, "cpas")

    assert by_token.status_code == 403
    assert by_token.json()["code"] == "institution-disabled"
    assert by_secret.json()["code"] == "institution-disabled"
    assert by_secret.json()["error"] == "invalid_client"
    assert by_basic.status_code == 403 and "institution-disabled" in by_basic.text
    outcomes = {e["outcome"] for e in door.entries(action="authenticate")}
    assert "institution-disabled" in outcomes

    assert set_active(door, "cpas", active=True).json()["active"] is True
    assert subscriptions(door, "cpas").status_code == 200
    assert door.token("cpas").status_code == 200


def test_a_disabled_source_is_no_longer_routed_to(door: Door) -> None:
    door.sources["national-register"].files["legal-data"] = {ALICE: {"niss": ALICE}}
    assert door.consult("cpas", "legal-data", ALICE).status_code == 200
    calls = len(door.sources["national-register"].calls)

    set_active(door, "national-register", active=False)
    refused = door.consult("cpas", "legal-data", ALICE)

    assert refused.status_code == 404
    assert refused.json()["code"] == "no-source"
    assert len(door.sources["national-register"].calls) == calls
    set_active(door, "national-register", active=True)
    assert door.consult("cpas", "legal-data", ALICE).status_code == 200


def test_a_revocation_by_the_command_line_reaches_the_running_hub_within_seconds(
    door: Door, database_url: str,
) -> None:
    client_id = door.credentials["cpas"].client_id
    assert subscriptions(door, "cpas").status_code == 200

    done = runner.invoke(cli, ["credentials", "revoke", client_id, "--database-url",
                               database_url])

    assert done.exit_code == 0, done.output
    deadline = time.monotonic() + 5
    while subscriptions(door, "cpas").status_code == 200:
        assert time.monotonic() < deadline, "the hub still admits the revoked client"
        time.sleep(0.1)
    assert subscriptions(door, "cpas").json()["code"] == "client-revoked"


def test_the_snapshot_tells_a_disabled_institution_from_an_unknown_one(door: Door) -> None:
    set_active(door, "other-cpas", active=False)
    snapshot = load_snapshot(door.engine)
    with pytest.raises(InstitutionDisabled):
        snapshot.institution(door.institutions["other-cpas"].id)
    with pytest.raises(UnknownInstitution):
        snapshot.institution(999_999)
    assert door.institutions["other-cpas"].kind not in {
        i.kind for sources in snapshot.sources_by_kind.values() for i in sources}


def test_revoking_unknown_credentials_is_a_journaled_not_found(door: Door) -> None:
    answer = revoke(door, "nobody")
    assert answer.status_code == 404
    entry = door.entries(ticket=answer.json()["ticket"])[0]
    assert (entry["action"], entry["outcome"]) == ("admin-revoke-credentials", "not-found")
