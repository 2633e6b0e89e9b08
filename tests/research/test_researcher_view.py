"""A researcher sees their own project — its variables, its population, the privacy budget
spent and left — and nobody else's; journaled, refusals too."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from carrefour.auth.services import Scope, create_credentials
from carrefour.journal.tables import journal_entries
from tests.lists.conftest import token
from tests.research.conftest import POPULATION, ResearchNet


def _registered(net: ResearchNet, project: str = "P1", **changes: object) -> None:
    response = net.register(project, **changes)
    assert response.status_code == 201, response.text


def test_the_researcher_sees_the_budget_spent_and_left_and_the_population(net: ResearchNet
                                                                         ) -> None:
    _registered(net, epsilon=1.0)
    released = net.extract(kind="dp-table", variables=["region"], epsilon=0.25)
    assert released.status_code == 201, released.text
    answer = net.view()
    assert answer.status_code == 200, answer.text
    project = answer.json()
    assert project["variables"] == net.project()["variables"]
    assert project["statuses"] == ["temporary-unemployment"]
    assert project["budget"] == {"total": 1.0, "spent": 0.25, "left": 0.75}
    assert project["population"] == {"persons": len(POPULATION), "min_cell": 5}
    assert project["granted"] is True and "key_salt" not in project
    assert [(r["kind"], r["epsilon"]) for r in project["releases"]] == [("dp-table", 0.25)]
    with net.engine.connect() as connection:
        entry = connection.execute(select(journal_entries).where(
            journal_entries.c.ticket == project["ticket"])).mappings().one()
    assert (entry["action"], entry["outcome"], entry["client"]) == (
        "research-project", "ok", net.institutions["uni-a"].cbe)


def test_a_population_under_the_small_cell_threshold_is_not_counted(net: ResearchNet
                                                                    ) -> None:
    _registered(net, statuses=["ris"], variables=["sex"])  # one person only
    project = net.view().json()
    assert project["population"] == {"persons": None, "min_cell": 5}
    assert project["budget"] == {"total": None, "spent": 0.0, "left": None}


@pytest.mark.parametrize("who", ["uni-b", "cpas", "operator"])
def test_another_institution_is_refused_the_project(net: ResearchNet, who: str) -> None:
    _registered(net)
    refused = net.view(who=who)
    assert (refused.status_code, refused.json()["code"]) == (403, "not-project-researcher")
    assert net.outcomes(refused.json()["ticket"]) == ["not-project-researcher"]


def test_a_token_without_the_consult_scope_or_no_token_is_refused(net: ResearchNet) -> None:
    _registered(net)
    made = create_credentials(net.engine, institution_id=net.institutions["uni-a"].id,
                              scopes=[Scope.PUBLISH])
    publisher = token(net.url, made.client_id, made.client_secret)
    scoped = httpx.get(f"{net.url}/v1/research/projects/P1", timeout=30,
                       headers={"Authorization": f"Bearer {publisher}"})
    anonymous = httpx.get(f"{net.url}/v1/research/projects/P1", timeout=30)
    assert (scoped.status_code, scoped.json()["code"]) == (403, "forbidden")
    assert net.outcomes(scoped.json()["ticket"]) == ["forbidden"]
    assert anonymous.status_code == 401


def test_an_unknown_project_is_not_found(net: ResearchNet) -> None:
    refused = net.view("P404")
    assert (refused.status_code, refused.json()["code"]) == (404, "unknown-research-project")
