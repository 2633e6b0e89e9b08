"""In the demo network, a medical aid decision the demo CPAS registers with Mediprima comes
back to it as Mediprima's calculation (eCarmedCalculationNotification): Mediprima holds
publishing credentials, and the demo CPAS's application receives the mutation."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from carrefour.simulation.demo.guide import END_USER
from carrefour.simulation.demo.run import (
    DemoOptions,
    access_token,
    health_urls,
    prepare,
    running_network,
    wait_until_up,
)
from carrefour.simulation.demo.trickle import cpas_app_url
from carrefour.simulation.network import DEMO_CPAS_SLUG, institution
from tests.servers import free_port_block


def _received(base_port: int, niss: str, *, within: float = 30) -> list[dict[str, Any]]:
    """The calculations about ``niss`` the demo CPAS's application received."""
    index = cpas_app_url(base_port).removesuffix("/events") + "/"
    deadline = time.monotonic() + within
    while True:
        events = [e for e in httpx.get(index, timeout=5).json()
                  if e["subject"] == niss and e["type"].endswith("mediprima-calculation")]
        if events or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("CARREFOUR_TEST_DATABASE_URL")),
    reason="the demo runs on its own embedded SQLite database; once per CI run is enough",
)
def test_a_mediprima_decision_of_the_demo_cpas_comes_back_as_its_calculation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARREFOUR_DATA_DIR", str(tmp_path))
    base_port = free_port_block(26)
    options = DemoOptions(data_dir=tmp_path, persons=300, seed=3, port=base_port + 23,
                          base_port=base_port)
    hub = f"http://127.0.0.1:{options.port}"
    prepared = prepare(options, Console(file=io.StringIO()))
    report = prepared.report
    person = report.examples["integrated"]  # a living wage (code 2) file of the demo CPAS
    with running_network(options) as children:
        wait_until_up(health_urls(report, hub), children, timeout=150)
        token = access_token(hub, report.credentials[0])
        today = dt.date.today()
        body = {"reference": "DEMO-MED-1", "start": today.isoformat(),
                "end": (today + dt.timedelta(days=60)).isoformat(), "coverage": "full",
                "capacity": 2, "end_user": END_USER}
        opened = httpx.post(f"{hub}/v1/mediprima/persons/{person}/decisions", json=body,
                            headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert opened.status_code == 200, opened.text
        events = _received(base_port, person)
    assert len(events) == 1, "no calculation reached the demo CPAS"
    changes = events[0]["data"]["changes"]
    assert changes["decision"]["reference"] == "DEMO-MED-1"
    assert changes["calculation"]["covered_days"] == 61
    assert changes["cpas"] == institution(DEMO_CPAS_SLUG).cbe  # the CPAS that decided
