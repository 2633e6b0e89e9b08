"""Several hub processes (``serve --workers N``) share their figures: prometheus-client's
multiprocess mode, where a scrape of any process answers the sum of all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from carrefour.server import share_metrics

RECORD = """
from carrefour.observability.metrics import HubMetrics
metrics = HubMetrics()
metrics.exchange(service="legal-data", outcome="ok", client_kind="cpas", channel="rest",
                 seconds=0.01)
metrics.source(source="0200000101", kind="national-register", status="ok", seconds=0.01)
"""
RENDER = """
import sys
from carrefour.observability.metrics import HubMetrics
sys.stdout.write(HubMetrics().render().decode())
"""


def run(code: str, folder: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout


def test_a_scrape_of_one_process_sums_every_process(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "stale.db").write_bytes(b"from a previous run")
    saved = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        share_metrics(folder)  # empties the folder before the workers start
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(folder)
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if saved is not None:
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = saved
    assert list(folder.iterdir()) == []
    for _ in range(2):
        run(RECORD, folder)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(run(RENDER, folder))
        for s in family.samples
    }
    exchanges = ("carrefour_exchanges_total", (("channel", "rest"), ("client_kind", "cpas"),
                                               ("outcome", "ok"), ("service", "legal-data")))
    assert samples[exchanges] == 2
    up = ("carrefour_source_up", (("kind", "national-register"), ("source", "0200000101")))
    assert samples[up] == 1
