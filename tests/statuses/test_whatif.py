"""What-if: a changed rule evaluated over the whole buffer, by region and province, through
the admin API and the command line, granting nothing; and every new endpoint refuses a caller
without the right."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from carrefour.cli import app
from carrefour.journal.tables import journal_entries
from carrefour.rights.tables import granted
from carrefour.signal.tables import mutations
from carrefour.statuses import repository
from tests.people import ALICE, BOB, CAROL
from tests.statuses.conftest import StatusNet

ROOT = Path(__file__).resolve().parents[2]
BEFORE_2020 = ROOT / "docs" / "examples" / "social-energy-tariff-2019.toml"
IN_FORCE = ROOT / "src" / "carrefour" / "rights" / "rules.toml"
DAY = "2024-06-01"


def _buffer(engine: Engine) -> None:
    since = dt.date(2000, 1, 1)
    places = [(ALICE, "M-1", "1000"), (BOB, "M-1", "1000"), (CAROL, "M-2", "4000")]
    found = [("bim", BOB, "0411702543"), ("ris", CAROL, "0209001247")]
    with engine.begin() as connection:
        repository.load(connection, [
            {"niss": n, "since": since, "household_id": h, "postal_code": p, "source": "nr"}
            for n, h, p in places], "households")
        repository.load(connection, [
            {"source": s, "event_id": f"e-{n}", "niss": n, "status": status,
             "starts_on": since, "ends_on": None, "cancelled": False, "effective_on": since,
             "action_rank": 0, "source_ref": "seed"} for status, n, s in found], "statuses")


def _told(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(mutations)).scalar_one()
                   + connection.execute(select(func.count()).select_from(granted)).scalar_one())


def _check_extension(result: dict[str, Any]) -> None:
    tariff, stib = result["rights"]
    assert tariff["right"] == "social-energy-tariff"
    assert stib["right"] == "stib-preferential-tariff"  # the same in both files
    assert stib["in_force"] == stib["proposed"] == {"households": 2, "persons": 2}
    assert stib["gaining"] == stib["losing"] == {"households": 0, "persons": 0}
    assert tariff["in_force"] == {"households": 1, "persons": 1}  # CAROL's (RIS)
    assert tariff["proposed"] == {"households": 2, "persons": 3}
    assert tariff["gaining"] == {"households": 1, "persons": 2}  # ALICE and BOB's (BIM)
    assert tariff["losing"] == {"households": 0, "persons": 0}
    assert tariff["by_region"] == {"brussels": {"households_gaining": 1, "persons_gaining": 2}}
    assert list(tariff["by_province"]) == ["Bruxelles (19 communes)"]


def test_the_bim_extension_through_the_admin_api_grants_nothing(net: StatusNet) -> None:
    _buffer(net.engine)
    net.subscribe("spf-economy", "right-granted", "a")
    body = {"rules": IN_FORCE.read_text(), "against": BEFORE_2020.read_text(), "date": DAY}
    with net.client("operator") as client:
        response = client.post("/v1/admin/rights/simulate", json=body)
    assert response.status_code == 200, response.text
    _check_extension(response.json())
    assert response.json()["households"] == 2 and response.json()["persons"] == 3
    assert _told(net.engine) == 0 and net.events("a") == []
    _journaled(net, response.json()["ticket"], "ok")


def test_the_bim_extension_on_the_command_line(net: StatusNet) -> None:
    _buffer(net.engine)
    result = CliRunner().invoke(app, [
        "rights", "simulate", str(IN_FORCE), "--against", str(BEFORE_2020), "--date", DAY,
        "--json", "--database-url", str(net.engine.url)])
    assert result.exit_code == 0, result.output
    _check_extension(orjson.loads(result.output))
    assert _told(net.engine) == 0
    assert _cli_outcomes(net) == ["ok"]


def test_the_stib_tariff_without_bim_on_the_command_line(net: StatusNet, tmp_path: Path
                                                        ) -> None:
    _buffer(net.engine)
    proposed = tmp_path / "stib-without-bim.toml"
    proposed.write_text(IN_FORCE.read_text().replace(
        'any_of = ["ris", "eris", "bim"]', 'any_of = ["ris", "eris"]'))
    result = CliRunner().invoke(app, [
        "rights", "simulate", str(proposed), "--date", DAY, "--json", "--database-url",
        str(net.engine.url)])
    assert result.exit_code == 0, result.output
    tariff, stib = orjson.loads(result.output)["rights"]
    assert tariff["gaining"] == tariff["losing"] == {"households": 0, "persons": 0}
    assert stib["in_force"] == {"households": 2, "persons": 2}  # BOB (BIM), CAROL (RIS)
    assert stib["proposed"] == {"households": 1, "persons": 1}
    assert stib["losing"] == {"households": 1, "persons": 1}  # BOB, a person: scope person
    assert stib["by_region"] == {"brussels": {"households_losing": 1, "persons_losing": 1}}
    assert _told(net.engine) == 0


def test_a_bad_rule_file_is_refused_with_its_line(net: StatusNet, tmp_path: Path) -> None:
    bad = IN_FORCE.read_text().replace('"bim"]', '"bim", "lottery"]')
    line = next(i for i, text in enumerate(bad.splitlines(), 1) if "lottery" in text)
    with net.client("operator") as client:
        response = client.post("/v1/admin/rights/simulate", json={"rules": bad})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid-rule-file"
    assert response.json()["detail"].startswith(f"line {line}:")
    _journaled(net, response.json()["ticket"], "invalid-rule-file")
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    result = CliRunner().invoke(app, ["rights", "simulate", str(path), "--database-url",
                                      str(net.engine.url)])
    assert result.exit_code == 2 and f"line {line}:" in result.output
    assert _cli_outcomes(net) == ["invalid-rule-file"]


def test_every_new_endpoint_refuses_a_caller_without_the_right(net: StatusNet) -> None:
    _buffer(net.engine)
    beneficiaries = "/v1/rights/social-energy-tariff/beneficiaries"
    with net.client("cpas") as client:  # consults, but neither operator nor granting kind
        simulated = client.post("/v1/admin/rights/simulate", json={"rules": IN_FORCE.read_text()})
        listed = client.get(beneficiaries)
    assert simulated.status_code == 403 and listed.status_code == 403
    assert listed.json()["code"] == "no-deliberation"
    _journaled(net, listed.json()["ticket"], "no-deliberation")
    with net.client("mutuality") as client:  # publish scope only
        assert client.get(beneficiaries).status_code == 403
    with net.client("spf-economy") as client:
        assert client.get("/v1/rights/water-tariff/beneficiaries").status_code == 404
        assert client.get(beneficiaries, params={"date": "2024-02-30"}).status_code == 422
    with httpx.Client(base_url=net.url, timeout=30) as client:
        assert client.get(beneficiaries).status_code == 401
        assert client.post("/v1/admin/rights/simulate", json={"rules": "x"}).status_code == 401
    response = net.consult("harmonised-statuses", BOB)  # no file on the person
    assert response.status_code == 403
    response = net.consult("derived-rights", BOB)
    assert response.status_code == 403


def _journaled(net: StatusNet, ticket: str, outcome: str) -> None:
    with net.engine.connect() as connection:
        found = connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.ticket == ticket)).scalars().all()
    assert found == [outcome]


def _cli_outcomes(net: StatusNet) -> list[str]:
    with net.engine.connect() as connection:
        return list(connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.channel == "cli",
            journal_entries.c.action == "admin-simulate-rights")).scalars())
