"""The seeded network ships what research needs: a university with its demo credentials and
the research deliberation CSI/21/052, on which an operator registers a project that the
university then sees and gets extracts of — no deliberation or institution made by a test."""

from __future__ import annotations

from typing import Any

import httpx

from carrefour.simulation.network import OPERATOR_SLUG, RESEARCHER_SLUG, institution
from tests.declarations.conftest import DeclarationNetwork

GRANT = "CSI/21/052"
COVID = {"start": "2020-03-01", "end": "2021-02-28"}


def _token(network: DeclarationNetwork, slug: str) -> str:
    issued = next(c for c in network.report.credentials if c.institution == slug)
    answer = httpx.post(f"{network.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": issued.client_id,
        "client_secret": issued.client_secret})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _call(network: DeclarationNetwork, token: str, method: str, path: str,
          body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.request(method, f"{network.url}{path}", json=body, timeout=60,
                         headers={"Authorization": f"Bearer {token}"})


def test_a_project_is_registered_on_the_seeded_research_deliberation(
    declaration_network: DeclarationNetwork,
) -> None:
    network = declaration_network
    operator, researcher = _token(network, OPERATOR_SLUG), _token(network, RESEARCHER_SLUG)
    project = {"id": "KUL-COVID-1", "title": "Temporary unemployment in the Covid year",
               "researcher": institution(RESEARCHER_SLUG).cbe, "deliberation": GRANT,
               "variables": ["region", "status", "start_month"],
               "statuses": ["temporary-unemployment", "bridging-right"], **COVID,
               "epsilon": 1.0}
    registered = _call(network, operator, "POST", "/v1/admin/research/projects", project)
    assert registered.status_code == 201, registered.text
    released = _call(network, researcher, "POST", "/v1/research/projects/KUL-COVID-1/extracts",
                     {"kind": "dp-table", "variables": ["region"], "epsilon": 0.4})
    assert released.status_code == 201, released.text
    seen = _call(network, researcher, "GET", "/v1/research/projects/KUL-COVID-1")
    assert seen.status_code == 200, seen.text
    assert seen.json()["budget"] == {"total": 1.0, "spent": 0.4, "left": 0.6}
    assert seen.json()["granted"] is True
    persons = seen.json()["population"]["persons"]
    assert persons is None or persons >= 5
    assert [c["region"] for c in released.json()["cells"]] == [
        "brussels", "flanders", "wallonia", "unknown"]
