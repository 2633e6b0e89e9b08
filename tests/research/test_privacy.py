"""Differentially private tables: the noise comes from OpenDP, every release spends epsilon
from the project's budget, and the release that would exceed it is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from carrefour.research import repository
from carrefour.research.privacy import laplace_counts, privacy_loss
from tests.research.conftest import BRUSSELS, LIEGE, ResearchNet


def test_the_budget_spent_is_the_sum_of_the_releases_and_never_more(net: ResearchNet
                                                                     ) -> None:
    assert net.register("P1", epsilon=1.0).status_code == 201
    first = net.extract(kind="dp-table", variables=["region"], epsilon=0.4)
    second = net.extract(kind="dp-table", variables=["sex"], epsilon=0.4)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert second.json()["budget"] == {"total": 1.0, "spent": 0.8, "left": pytest.approx(0.2)}
    refused = net.extract(kind="dp-table", variables=["region"], epsilon=0.4)
    assert refused.status_code == 409
    assert refused.json()["code"] == "privacy-budget-exceeded"
    assert net.outcomes(refused.json()["ticket"]) == ["privacy-budget-exceeded"]
    assert net.spent("P1") == 800_000  # millionths of epsilon: 0.4 + 0.4, the refusal none
    with net.client("operator") as client:
        shown = client.get("/v1/admin/research/projects/P1").json()
    assert [r["epsilon"] for r in shown["releases"]] == [0.4, 0.4]
    assert shown["budget"]["spent"] == 0.8
    assert net.extract(kind="dp-table", variables=["region"], epsilon=0.2).status_code == 201
    assert net.spent("P1") == 1_000_000  # the exact rest is still allowed


def test_budgets_add_up_exactly(net: ResearchNet) -> None:
    assert net.register("P1", epsilon=0.3).status_code == 201  # 0.1 + 0.2 > 0.3 in floats
    for epsilon in (0.1, 0.2):
        response = net.extract(kind="dp-table", variables=["region"], epsilon=epsilon)
        assert response.status_code == 201, response.text
    assert net.spent("P1") == 300_000


def test_a_project_without_budget_gets_no_private_table(net: ResearchNet) -> None:
    assert net.register("P1").status_code == 201
    response = net.extract(kind="dp-table", variables=["region"], epsilon=0.1)
    assert (response.status_code, response.json()["code"]) == (409, "privacy-budget-exceeded")
    assert "no privacy budget" in response.json()["detail"]


def test_a_private_table_has_every_cell_of_the_public_domain(net: ResearchNet) -> None:
    assert net.register("P1", epsilon=20.0).status_code == 201
    table = net.extract(kind="dp-table", variables=["region"], epsilon=10.0).json()
    cells = {c["region"]: c["persons"] for c in table["cells"]}
    assert set(cells) == {"brussels", "flanders", "wallonia", "unknown"}  # none held back
    assert all(isinstance(n, int) and n >= 0 for n in cells.values())
    # at epsilon 10 the discrete Laplace noise is 0 but for one chance in 10^4 or so
    assert abs(cells["brussels"] - len(BRUSSELS)) <= 3
    assert abs(cells["wallonia"] - len(LIEGE)) <= 3  # small cells are released, noisy


def test_bad_privacy_parameters_are_refused(net: ResearchNet) -> None:
    assert net.register("P1", epsilon=1.0).status_code == 201
    for epsilon in (0, -1, 0.0000001, 11, 1e300):
        response = net.extract(kind="dp-table", variables=["region"], epsilon=epsilon)
        assert (response.status_code, response.json()["code"]) == (422, "invalid-epsilon")
    missing = net.extract(kind="dp-table", variables=["region"])
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid-epsilon")
    huge = net.extract(kind="dp-table", variables=["province", "start_month", "sex",
                                                   "birth_decade", "region"], epsilon=0.5)
    assert (huge.status_code, huge.json()["code"]) == (422, "unknown-research-variable")
    assert "at most 10000 cells" in huge.json()["detail"]
    assert net.spent("P1") == 0
    for budget in (0, -2, 1000):
        response = net.register(f"B{budget}", epsilon=budget)
        assert (response.status_code, response.json()["code"]) == (422, "invalid-epsilon")


def test_opendp_says_a_release_costs_at_most_its_epsilon() -> None:
    for epsilon in (0.1, 0.3, 0.7, 1.0, 2.5):
        assert privacy_loss(epsilon) <= epsilon
    assert all(n >= 0 for n in laplace_counts([0] * 50, 0.01))


def test_releases_at_once_never_spend_more_than_the_budget(net: ResearchNet) -> None:
    assert net.register("P1", epsilon=1.0).status_code == 201

    def spend() -> bool:
        with net.engine.begin() as connection:
            return repository.spend(connection, "P1", 300_000) is not None

    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda _: spend(), range(8)))
    assert done.count(True) == 3  # 3 x 0.3 fit in 1.0, a fourth does not
    assert net.spent("P1") == 900_000
