"""Fuzzing the REST API from its own OpenAPI document with schemathesis: a real hub over HTTP,
a small seeded network and valid tokens, so that authorised paths are exercised and not only
refusals. Every answer must be no server error, with the status, media type and body that the
document declares. Seeded and derandomised: a run is the same every time (a CI gate).

schemathesis runs as its command line, in its own process: its documented interface, whose
report names each failing case with the curl command that reproduces it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from carrefour.auth.services import Scope, create_credentials
from tests.exchange.conftest import USER, Network
from tests.people import ALICE

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance," \
    "response_schema_conformance"
EXAMPLES = os.environ.get("CARREFOUR_FUZZ_EXAMPLES", "20")  # per operation and phase
# more schemathesis options, e.g. "--report har" to see every request and answer
BUDGET_SECONDS = 240  # the whole run; it takes a fraction of it on 2 cores
ROOT = Path(__file__).resolve().parents[2]


def seed(network: Network) -> dict[str, str]:
    """Something to find (a person integrated at the CPAS, data at the National Register and
    the ONEM, a BIS person, a pull subscription), and the token of each kind of client."""
    network.sources["onem"].files["unemployment"] = {ALICE: {"currently_unemployed": True}}
    network.sources["national-register"].files["legal-data"] = {
        ALICE: {"last_name": "Peeters", "first_names": ["Alice"], "birth_date": "1985-07-30"}
    }
    assert network.integrate(ALICE, code=2).status_code == 201
    with network.client() as client:
        client.post("/v1/bis-persons", json={"last_name": "Nowak", "birth_date": "1990-04-00",
                                             "end_user": USER}).raise_for_status()
        client.post("/v1/subscriptions", json={"mutation_type": "address-change"})
    made = create_credentials(network.engine, scopes=[Scope.PUBLISH],
                              institution_id=network.institutions["national-register"].id)
    issued = httpx.post(f"{network.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": made.client_id,
        "client_secret": made.client_secret})
    return {**network.tokens, "publisher": issued.json()["access_token"]}


def configuration(tokens: dict[str, str]) -> str:
    """Each operation is called with the token of the client it is meant for."""
    return f'''
seed = 2026
hooks = "tests.api.fuzz_hooks"
[cache]
enabled = false
[generation]
mode = "all"
max-examples = {EXAMPLES}
deterministic = true
database = "none"
[phases.stateful]
enabled = false
[headers]
Authorization = "Bearer {tokens['cpas']}"
[[operations]]
include-path-regex = "^/v1/admin/"
headers = {{ Authorization = "Bearer {tokens['operator']}" }}
[[operations]]
include-path = "/v1/mutations"
headers = {{ Authorization = "Bearer {tokens['publisher']}" }}
'''


@pytest.mark.fuzz
def test_every_answer_is_as_the_document_declares(network: Network, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(configuration(seed(network)))
    command = [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file",
               str(config), "run", f"{network.url}/openapi.json", "--checks", CHECKS,
               "--workers", "1", "--request-timeout", "10", "--report-dir", str(tmp_path),
               *os.environ.get("CARREFOUR_FUZZ_ARGS", "").split()]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}  # for the hooks module
    run = subprocess.run(command, capture_output=True, text=True, timeout=BUDGET_SECONDS,
                         cwd=tmp_path, env=environment, check=False)
    assert run.returncode == 0, run.stdout[-25_000:] + run.stderr[-5_000:]
