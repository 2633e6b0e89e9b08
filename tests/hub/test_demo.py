"""``carrefour demo --check``: the whole network starts as separate processes from an empty
folder, and every example request the demo prints is answered as it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port_block


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("CARREFOUR_TEST_DATABASE_URL")),
    reason="the demo runs on its own embedded SQLite database; once per CI run is enough",
)
def test_the_demo_starts_the_network_and_its_examples_work(tmp_path: Path) -> None:
    base_port = free_port_block(26)  # sources on 1..8, 10..22, 24; the CPAS app 9, eID 25
    hub_port = base_port + 23
    env = {**os.environ, "CARREFOUR_DATA_DIR": str(tmp_path)}
    command = [
        sys.executable,
        "-m",
        "carrefour.cli",
        "demo",
        "--persons",
        "1000",
        "--port",
        str(hub_port),
        "--base-port",
        str(base_port),
        "--check",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Demo checked: 11 example requests answered as expected." in done.stdout
    assert "SOAP checked: 2 SOAP requests answered as expected." in done.stdout
    # the list and its download, the usage statistics, an A036 granting a derived right, the
    # STIB's preferential tariff of its subscriber, and a research project's extracts
    assert "Walk-through checked: 25 requests answered as expected." in done.stdout
    assert (tmp_path / "carrefour.sqlite3").exists()
