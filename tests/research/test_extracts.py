"""A researcher's extracts: pseudonymised rows, tables with small cells suppressed, and the
journal's trace of every person included."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from carrefour.console.services import consulted
from carrefour.directory.cache import load_snapshot
from carrefour.journal.tables import journal_entries
from tests.research.conftest import BEFORE, BRUSSELS, LIEGE, POPULATION, RIS_ONLY, ResearchNet


def _registered(net: ResearchNet, *projects: tuple[str, str]) -> None:
    for project, researcher in projects:
        response = net.register(project, researcher=researcher)
        assert response.status_code == 201, response.text


def test_a_cell_of_four_persons_is_suppressed_and_one_of_five_is_not(net: ResearchNet
                                                                      ) -> None:
    _registered(net, ("P1", "uni-a"))
    response = net.extract(kind="table", variables=["region"])
    assert response.status_code == 201, response.text
    table = response.json()
    assert table["cells"] == [{"region": "brussels", "persons": len(BRUSSELS)}]
    assert (len(BRUSSELS), len(LIEGE)) == (5, 4)  # wallonia's 4 persons are not shown
    assert table["suppressed_cells"] == 1 and table["min_cell"] == 5
    assert net.outcomes(table["ticket"]) == ["ok"]


def test_a_table_whose_cells_would_all_be_suppressed_says_so(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    response = net.extract(kind="table", variables=["region", "sex"])
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "all-cells-suppressed"
    assert "fewer than 5 persons" in problem["detail"]
    assert net.outcomes(problem["ticket"]) == ["all-cells-suppressed"]


def test_the_rows_blank_the_values_fewer_than_five_persons_share(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    response = net.extract(kind="rows", variables=["region", "start_month"])
    assert response.status_code == 201, response.text
    extract = response.json()
    rows = extract["rows"]
    assert len(rows) == extract["persons"] == len(POPULATION)  # each person once
    shown = [r for r in rows if r["region"] is not None]
    assert {(r["region"], r["start_month"]) for r in shown} == {("brussels", "2024-03")}
    assert len(shown) == len(BRUSSELS)
    blank = [r for r in rows if r["region"] is None]
    assert len(blank) == extract["suppressed_rows"] == len(LIEGE)
    assert all(r["start_month"] is None for r in blank)


def test_dates_and_places_are_coarsened(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    table = net.extract(kind="table", variables=["province", "birth_decade",
                                                 "start_month"]).json()
    assert table["cells"] == [{"province": "Bruxelles (19 communes)", "birth_decade": "1980s",
                               "start_month": "2024-03", "persons": 5}]
    assert table["suppressed_cells"] == 1  # Liège's persons, born in the 1990s
    rows = net.extract(kind="rows", variables=["birth_decade", "start_month"]).json()["rows"]
    assert {(r["birth_decade"], r["start_month"]) for r in rows} == {
        ("1980s", "2024-03"), (None, None)}


def test_the_pseudonyms_of_two_projects_cannot_be_linked(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"), ("P2", "uni-a"), ("P3", "uni-b"))
    first = net.extract("P1", kind="rows", variables=["status"]).json()["rows"]
    again = net.extract("P1", kind="rows", variables=["status"]).json()["rows"]
    second = net.extract("P2", kind="rows", variables=["status"]).json()["rows"]
    third = net.extract("P3", who="uni-b", kind="rows", variables=["status"]).json()["rows"]
    pseudonyms = [{r["pseudonym"] for r in rows} for rows in (first, second, third)]
    assert all(len(found) == len(POPULATION) for found in pseudonyms)
    assert not pseudonyms[0] & pseudonyms[1] and not pseudonyms[0] & pseudonyms[2]
    assert not pseudonyms[1] & pseudonyms[2]
    assert {r["pseudonym"] for r in again} == pseudonyms[0]  # stable within a project
    assert not {p[:16] for p in pseudonyms[0]} & {p[:16] for p in pseudonyms[1]}
    assert not set(POPULATION) & pseudonyms[0]
    assert all(len(p) == 64 for p in pseudonyms[0])


def test_every_extract_is_journaled_with_each_person_included(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    ticket = net.extract(kind="table", variables=["region"]).json()["ticket"]
    with net.engine.connect() as connection:
        entry = connection.execute(select(journal_entries).where(
            journal_entries.c.ticket == ticket)).mappings().one()
        included = connection.execute(select(journal_entries.c.niss, journal_entries.c.client,
                                             journal_entries.c.deliberation).where(
            journal_entries.c.action == "research-inclusion",
            journal_entries.c.reference == f"research:P1:{ticket}")).all()
    assert (entry["action"], entry["outcome"], entry["reference"]) == (
        "research-extract", "ok", "research:P1:table")
    assert entry["client"] == net.institutions["uni-a"].cbe
    assert sorted(n for n, _, _ in included) == sorted(POPULATION)
    assert {(c, d) for _, c, d in included} == {(net.institutions["uni-a"].cbe, "CSI/26/042")}
    assert not {RIS_ONLY, BEFORE} & {n for n, _, _ in included}


def test_who_consulted_shows_the_inclusion_in_a_research_extract(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    assert net.extract(kind="rows", variables=["region"]).status_code == 201
    with net.client("operator") as client:
        person = client.get(f"/v1/admin/persons/{BRUSSELS[0]}/consultations").json()
        outsider = client.get(f"/v1/admin/persons/{RIS_ONLY}/consultations").json()
    (included,) = [e for e in person if e["action"] == "research-inclusion"]
    assert included["client"] == net.institutions["uni-a"].cbe
    assert included["reference"].startswith("research:P1:")
    assert not [e for e in outsider if e["action"] == "research-inclusion"]
    snapshot = load_snapshot(net.engine)
    (line,) = consulted(net.hub, snapshot, BRUSSELS[0], language="fr", today=dt.date.today())
    assert line.institution == "uni-a"
    assert line.service == "Inclus dans un extrait de recherche: P1"
    assert line.purpose == "Research on temporary unemployment"  # the deliberation's title


def test_another_institution_is_refused_the_projects_extract(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    for who in ("uni-b", "cpas"):
        response = net.extract(who=who, kind="table", variables=["region"])
        assert response.status_code == 403
        assert response.json()["code"] == "not-project-researcher"
        assert net.outcomes(response.json()["ticket"]) == ["not-project-researcher"]
    with net.engine.connect() as connection:
        assert connection.execute(select(journal_entries.c.seq).where(
            journal_entries.c.action == "research-inclusion")).first() is None


def test_an_extract_needs_authentication(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    response = httpx.post(f"{net.url}/v1/research/projects/P1/extracts",
                          json={"kind": "rows"}, timeout=60)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_bad_extract_requests_are_refused_with_their_code(net: ResearchNet) -> None:
    _registered(net, ("P1", "uni-a"))
    cases = [
        ("P1", {"kind": "rows", "variables": ["end_year"]}, 422, "unknown-research-variable"),
        ("P1", {"kind": "rows", "variables": ["shoe_size"]}, 422, "unknown-research-variable"),
        ("P1", {"kind": "rows", "epsilon": 0.5}, 422, "invalid-epsilon"),
        ("P1", {"kind": "pie-chart"}, 422, "invalid-input"),
        ("P9", {"kind": "rows"}, 404, "unknown-research-project"),
    ]
    for project, body, status, code in cases:
        response = net.extract(project, **body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
