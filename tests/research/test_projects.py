"""Registering research projects: by the hub's operators only, on a deliberation granting
the research use of every variable, journaled with its audit row; the command line too."""

from __future__ import annotations

import hashlib

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from carrefour.cli import app
from carrefour.journal.tables import audit_changes, journal_entries
from carrefour.research import domain
from carrefour.research.tables import research_projects
from tests.research.conftest import NARROW, ResearchNet


def test_an_operator_registers_a_project_journaled_with_its_audit_row(net: ResearchNet
                                                                      ) -> None:
    response = net.register("P1", epsilon=2.0)
    assert response.status_code == 201, response.text
    done = response.json()
    assert done["researcher"] == net.institutions["uni-a"].cbe
    assert done["budget"] == {"total": 2.0, "spent": 0.0, "left": 2.0}
    assert "key_salt" not in done
    with net.engine.connect() as connection:
        entry = connection.execute(select(journal_entries).where(
            journal_entries.c.ticket == done["ticket"])).mappings().one()
        audited = connection.execute(select(audit_changes.c.kind, audit_changes.c.key).where(
            audit_changes.c.ticket == done["ticket"])).all()
    assert (entry["action"], entry["outcome"]) == ("admin-register-research-project", "ok")
    assert entry["reference"] == "research-project:P1"
    assert audited == [("research-project", "P1")]
    with net.client("operator") as client:
        shown = client.get("/v1/admin/research/projects/P1")
    assert shown.status_code == 200
    assert shown.json()["variables"] == net.project()["variables"]
    assert shown.json()["releases"] == []


def test_only_the_hubs_operators_register_or_show_projects(net: ResearchNet) -> None:
    assert net.register("P1").status_code == 201
    with net.client("uni-a") as client:
        registered = client.post("/v1/admin/research/projects", json=net.project("P2"))
        shown = client.get("/v1/admin/research/projects/P1")
    for refused in (registered, shown):
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        assert net.outcomes(refused.json()["ticket"]) == ["forbidden"]
    with net.engine.connect() as connection:
        ids = connection.execute(select(research_projects.c.id)).scalars().all()
    assert ids == ["P1"]


def test_a_project_needs_a_deliberation_granting_its_research_use(net: ResearchNet) -> None:
    cases = [({"deliberation": "CSI/99/999"}, "research-not-granted"),
             ({"researcher": "cpas"}, "research-not-granted"),  # granted to universities
             ({"deliberation": NARROW}, "research-not-granted")]  # places not granted
    for change, code in cases:
        researcher = str(change.pop("researcher", "uni-a"))
        response = net.register("P1", researcher=researcher, **change)
        assert (response.status_code, response.json()["code"]) == (403, code), change
        assert net.outcomes(response.json()["ticket"]) == [code]
    narrow = net.register("P1", deliberation=NARROW, variables=["sex", "status"])
    assert narrow.status_code == 201, narrow.text  # no place asked: the grant suffices


def test_bad_projects_are_refused_with_their_code(net: ResearchNet) -> None:
    assert net.register("P1").status_code == 201
    cases = [({"variables": ["shoe_size"]}, 422, "unknown-research-variable"),
             ({"statuses": ["lottery-winner"]}, 422, "invalid-research-project"),
             ({"start": "2024-06-01", "end": "2024-05-01"}, 422, "invalid-research-project"),
             ({"start": "1990-01-01"}, 422, "invalid-research-project"),
             ({"start": "2024-02-30"}, 422, "invalid-input"),
             ({"id": "../etc"}, 422, "invalid-research-project"),
             ({"researcher": "0212345679"}, 422, "invalid-cbe-number"),
             ({"researcher": "0419052272"}, 404, "unknown-institution"),
             ({"epsilon": -1}, 422, "invalid-epsilon")]
    for change, status, code in cases:
        body = {**net.project("P2"), **change}
        with net.client("operator") as client:
            response = client.post("/v1/admin/research/projects", json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), change
    again = net.register("P1")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")
    with net.client("operator") as client:
        unknown = client.get("/v1/admin/research/projects/P9")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown-research-project")


def test_each_project_has_a_key_of_its_own() -> None:
    secret = b"s" * 32
    keys = {domain.project_key(secret, "P1", "a"), domain.project_key(secret, "P1", "b"),
            domain.project_key(secret, "P2", "a"), domain.project_key(b"t" * 32, "P1", "a")}
    assert len(keys) == 4
    key = domain.project_key(secret, "P1", "a")
    niss = "85073003328"
    assert domain.pseudonym(key, niss) == domain.pseudonym(key, niss)
    assert domain.pseudonym(key, niss) != hashlib.sha256(niss.encode()).hexdigest()


def test_a_project_is_registered_and_shown_on_the_command_line(net: ResearchNet) -> None:
    url = str(net.engine.url)
    result = CliRunner().invoke(app, [
        "research", "register", "CLI-1", "--title", "Bridging rights",
        "--researcher", net.institutions["uni-b"].cbe, "--deliberation", "CSI/26/042",
        "--variable", "region", "--variable", "start_year", "--status", "bridging-right",
        "--start", "2024-01-01", "--end", "2024-12-31", "--epsilon", "1.5",
        "--database-url", url, "--json"],
        env={"CARREFOUR_DATA_DIR": str(net.hub.settings.data_dir)})
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["variables"] == ["region", "start_year"]
    shown = CliRunner().invoke(app, ["research", "show", "CLI-1", "--database-url", url])
    assert shown.exit_code == 0, shown.output
    assert "privacy budget 1.5, spent 0.0" in shown.output
    refused = CliRunner().invoke(app, [
        "research", "register", "CLI-2", "--title", "x", "--researcher",
        net.institutions["uni-b"].cbe, "--deliberation", "CSI/26/042", "--variable", "age",
        "--status", "ris", "--start", "2024-01-01", "--end", "2024-12-31",
        "--database-url", url])
    assert refused.exit_code == 1 and "unknown-research-variable" in refused.output
    with net.engine.connect() as connection:
        outcomes = connection.execute(select(journal_entries.c.outcome).where(
            journal_entries.c.action == "admin-register-research-project",
            journal_entries.c.channel == "cli").order_by(journal_entries.c.seq)).scalars()
        assert list(outcomes) == ["ok", "unknown-research-variable"]
    missing = CliRunner().invoke(app, ["research", "show", "CLI-9", "--database-url", url])
    assert missing.exit_code == 1 and "unknown-research-project" in missing.output
