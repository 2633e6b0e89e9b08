"""The usage statistics of real exchanges over HTTP: a declaration the source accepts is a
message, never a refusal; a refused declaration counts under its problem code."""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx

from carrefour.auth.services import Scope
from tests.declarations.conftest import DeclarationNetwork

TODAY = dt.date.today()


def _usage(network: DeclarationNetwork, table: str) -> list[dict[str, str]]:
    answer = httpx.get(f"{network.url}/v1/statistics/usage.csv", params={"table": table},
                       headers={"Authorization": f"Bearer {network.tokens['operator']}"},
                       timeout=30)
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_an_accepted_a036_is_a_message_and_not_a_refusal(
    declaration_network: DeclarationNetwork,
) -> None:
    network, niss = declaration_network, declaration_network.persons[7]
    network.log_in("operator", "operator", role="operator", scope=Scope.ADMIN)
    network.integrate(niss, 2)
    period = {"start": (TODAY - dt.timedelta(days=10)).isoformat(),
              "end": (TODAY + dt.timedelta(days=200)).isoformat()}
    sent = network.declare(niss, "RIS-USAGE-1", {"type": "ris", **period})
    assert sent.status_code == 201 and sent.json()["state"] == "accepted", sent.text
    refused = network.declare(declaration_network.persons[8], "RIS-USAGE-2",
                              {"type": "ris", **period})  # no file on that person
    assert refused.status_code == 403 and refused.json()["code"] == "no-file-on-person"

    refusals = {row["code"]: int(row["refusals"]) for row in _usage(network, "refusals")}
    messages = _usage(network, "messages")
    assert "accepted" not in refusals
    assert refusals.get("no-file-on-person", 0) >= 1
    assert not set(refusals) & {"ok", "partial", "accepted", "corrected", "cancelled"}
    declared = [row for row in messages if row["service"] == "declare-living-wage"]
    assert [(r["client_kind"], int(r["messages"])) for r in declared] == [("cpas", 2)]
