"""The walk-through ``carrefour demo`` prints after its examples (and runs with ``--check``):
the seed's list for the demo CPAS, produced at start-up, and how the CPAS downloads it; the
usage statistics (the API's CSV and the console's page); a CPAS declaring the attestation A036
of a person whose household held no right, the buffer of harmonised social statuses recording
it and the social energy tariff granted to the household; the STIB integrating the person of
the examples' A036 as its subscriber and finding its preferential tariff, a derived right told
only to the STIB that integrated the person; a research project of the seeded university, its
extracts and its privacy budget.

Each step is one request, rendered as the curl line the guide prints and sent as it is by
``--check``: what the guide shows is what is checked.
"""

from __future__ import annotations

import datetime as dt
import shlex
import string
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from carrefour.catalogue.model import default_catalogue
from carrefour.config import Settings
from carrefour.journal.audit import local_stamp
from carrefour.lists.domain import Period
from carrefour.lists.services import generate, list_policy, shipped_definitions
from carrefour.signal.domain import default_mutation_types
from carrefour.simulation.demo.guide import END_USER, STIB_USER, WIDTH, folded_json, shell_lines
from carrefour.simulation.network import RESEARCHER_SLUG, institution
from carrefour.simulation.seeding.seed import SeedReport

LIST = "temporary-unemployment-bridging"  # the seed's list (definitions.toml)
LIST_PERIOD = (dt.date(2020, 3, 1), dt.date(2021, 2, 28))  # the first year of Covid
RIGHT = "social-energy-tariff"
STIB_RIGHT = "stib-preferential-tariff"  # scope person, told only to the STIB of the subscriber
CPAS_TOKEN, OPERATOR_TOKEN, RESEARCH_TOKEN = "TOKEN", "OPERATOR_TOKEN", "RESEARCH_TOKEN"
STIB_TOKEN = "STIB_TOKEN"
RESEARCH_GRANT = "CSI/21/052"  # the seeded research deliberation (authorizations.toml)
PROJECT = "KUL-COVID-1"
CONSOLE = "console"  # a step of the console: its session cookie instead of a token
SETTLE = 15.0  # seconds a status published by a source after it answered may take


@dataclass(frozen=True, kw_only=True)
class Step:
    """One request of the walk-through and what its answer shows."""

    title: str
    path: str
    expect: int
    method: str = "GET"
    auth: str = CPAS_TOKEN  # the shell variable of the bearer token, or CONSOLE
    body: dict[str, Any] | None = None
    form: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    shows: str = ""  # text the answer holds
    lacks: str = ""  # text the answer does not hold
    settle: float = 0.0  # seconds the answer may take to show it

    def curl(self, hub: str) -> str:
        """The curl line; ``$NAME`` in the path is a shell variable the guide set."""
        words = [f"curl -s{'i' if self.headers else ''}"
                 + (f" -X {self.method}" if self.method != "GET" else ""), _url(hub, self.path)]
        if self.auth == CONSOLE:
            words.append(f"{'-c' if self.form else '-b'} \"$JAR\"")
        else:
            words.append(f'-H "Authorization: Bearer ${self.auth}"')
        words += [f"-H {shlex.quote(f'{k}: {v}')}" for k, v in self.headers.items()]
        words += [f"-d {shlex.quote(f'{k}={v}')}" for k, v in self.form.items()]
        if self.body is not None:
            words += ["-H 'Content-Type: application/json'",
                      f"-d {shlex.quote(folded_json(self.body))}"]
        return shell_lines(words, width=WIDTH)

    def send(self, client: httpx.Client, variables: Mapping[str, str]) -> httpx.Response:
        """The request, once its answer shows what it should (or ``settle`` has passed)."""
        headers = dict(self.headers)
        if self.auth != CONSOLE:
            headers["Authorization"] = f"Bearer {variables[self.auth]}"
        path = string.Template(self.path).substitute(variables)
        deadline = time.monotonic() + self.settle
        while True:
            response = client.request(self.method, path, headers=headers,
                                      json=self.body, data=dict(self.form) or None)
            if self.answered(response) or time.monotonic() >= deadline:
                return response
            time.sleep(0.5)

    def answered(self, response: httpx.Response) -> bool:
        return (response.status_code == self.expect and self.shows in response.text
                and not (self.lacks and self.lacks in response.text))


def _url(hub: str, path: str) -> str:
    """Quoted for the shell: in double quotes when it names a shell variable."""
    return f'"{hub}{path}"' if "$" in path else shlex.quote(hub + path)


@dataclass(frozen=True, kw_only=True)
class Section:
    title: str
    steps: tuple[Step, ...]
    note: str = ""  # printed under the title
    sets: Mapping[str, str] = field(default_factory=dict)  # shell variables its steps use

    def assignments(self) -> list[str]:
        return [f"{name}={shlex.quote(value)}" for name, value in self.sets.items()]


# --- the list, produced at start-up ------------------------------------------------------------
def produce_demo_list(engine: Engine, data_dir: Path, cbe: str) -> dict[str, Any]:
    """The seed's list for the first year of Covid for the CPAS ``cbe`` in the demo's
    mailboxes (the hub's data folder), journaled as an operator's act on this machine; its
    manifest."""
    policy = list_policy(replace(Settings.from_env(), data_dir=data_dir))
    (manifest,) = generate(engine, shipped_definitions(default_catalogue()), LIST,
                           Period.of(*LIST_PERIOD), policy=policy,
                           types=default_mutation_types(), stamp=local_stamp("admin-generate-list"),
                           cbes=[cbe])
    return manifest


def list_section(manifest: Mapping[str, Any], cpas_cbe: str) -> Section:
    period = manifest["period"]
    again = {"start": period["start"], "end": period["end"], "recipients": [cpas_cbe],
             "format": "jsonl"}
    return Section(
        title=f"Lists: the seed's list {LIST} ({manifest['deliberation']}) of "
              f"{period['start']}/{period['end']}, produced at start-up for the demo CPAS "
              f"(rows: {manifest['rows']}), in its mailbox",
        sets={"FILE": manifest["id"], "LIST": LIST},
        steps=(
            Step(title="The CPAS's mailbox (its own token)", path="/v1/lists/files",
                 expect=200, shows=manifest["id"]),
            Step(title="The file's manifest: rows, SHA-256, deliberation, period, expiry",
                 path="/v1/lists/files/$FILE/manifest", expect=200, shows=manifest["sha256"]),
            Step(title=f"Download it ({manifest['format']})", path="/v1/lists/files/$FILE",
                 expect=200, shows=",".join(manifest["fields"])),
            Step(title="Resume a download: a range of bytes (206, Content-Range)",
                 path="/v1/lists/files/$FILE", headers={"Range": "bytes=0-63"}, expect=206),
            Step(title="The operator produces it again on demand, as JSON Lines",
                 path="/v1/admin/lists/$LIST/generate", method="POST", body=again,
                 auth=OPERATOR_TOKEN, expect=201, shows='"format":"jsonl"'),
        ),
    )


# --- the usage statistics ----------------------------------------------------------------------
def statistics_section(hub: str, client_id: str, client_secret: str, jar: Path) -> Section:
    login = {"client_id": client_id, "client_secret": client_secret,
             "end_user_id": "demo-operator", "role": "operator"}
    return Section(
        title="Usage statistics (the data warehouse, from the journal): CSV with the "
              "operator's token, and the console's page",
        note=f"In a browser: {hub}/console/login with the operator's client_id and "
             "client_secret, role operator, then Statistics",
        sets={"JAR": str(jar)},
        steps=(
            Step(title="Messages per service, month and client kind",
                 path="/v1/statistics/usage.csv?table=messages", auth=OPERATOR_TOKEN,
                 expect=200, shows="legal-data"),
            Step(title="Refusals per code and month",
                 path="/v1/statistics/usage.csv?table=refusals", auth=OPERATOR_TOKEN,
                 expect=200, shows="not-integrated"),
            Step(title="Distinct persons per datum and kind of recipient",
                 path="/v1/statistics/persons.csv?by=kind", auth=OPERATOR_TOKEN, expect=200,
                 shows="cpas"),
            Step(title="The console: sign in as the operator (its session in a cookie file)",
                 path="/console/login", method="POST", form=login, auth=CONSOLE, expect=303),
            Step(title="The console's statistics page (HTML; the same in a browser)",
                 path="/console/statistics", auth=CONSOLE, expect=200,
                 shows="statistics/tables"),
            Step(title="And its latency table as CSV",
                 path="/console/statistics.csv?table=latency", auth=CONSOLE, expect=200,
                 shows="legal-data"),
        ),
    )


# --- an A036 granting a derived right ---------------------------------------------------------
def right_section(report: SeedReport, today: dt.date) -> Section | None:
    niss = report.examples.get("without_right")
    if niss is None:
        return None
    a036 = {"type": "A036", "niss": niss, "capacity": 2,
            "reference": f"RIS-{today.year}-0002", "end_user": END_USER,
            "data": {"type": "ris", "start": today.isoformat(),
                     "end": (today + dt.timedelta(days=364)).isoformat()}}
    return Section(
        title="A derived right: the CPAS declares an A036 for a person whose household held "
              "no right; the SPP IS publishes the living wage to the buffer of harmonised "
              "social statuses, and the hub grants the household the social energy tariff",
        steps=(
            Step(title="Integrate the person (RIS, quality code 2)", path="/v1/integrations",
                 method="POST", body={"niss": niss, "quality_code": 2, "end_user": END_USER},
                 expect=201),
            Step(title="Derived rights of the household: none yet", path="/v1/consultations",
                 method="POST", body=_consult("derived-rights", niss), expect=200,
                 shows='"rights":[]'),
            Step(title="Declare the A036 (RIS, one year) to the SPP IS",
                 path="/v1/declarations", method="POST", body=a036, expect=201),
            Step(title="A moment later, the buffer holds the living wage (ris, from the SPP IS)",
                 path="/v1/consultations", method="POST",
                 body=_consult("harmonised-statuses", niss), expect=200, shows='"ris"',
                 settle=SETTLE),
            Step(title="And the household holds the social energy tariff (told to the SPF "
                       "Economy by a right-granted mutation)",
                 path="/v1/consultations", method="POST",
                 body=_consult("derived-rights", niss), expect=200, shows=RIGHT,
                 settle=SETTLE),
        ),
    )


# --- the STIB's preferential tariff, a derived right of its own subscribers -----------------
def stib_section(report: SeedReport) -> Section:
    """The STIB integrates the person whose A036 the examples declared: the hub tells it the
    preferential tariff (right-granted to a subscribed STIB, at the integration or when the
    status arrives), and its beneficiaries on a date hold only its own subscribers."""
    niss = report.examples["not_integrated"]
    listed = f"/v1/rights/{STIB_RIGHT}/beneficiaries"
    consult = {"service": "derived-rights", "niss": niss, "capacity": 1, "end_user": STIB_USER}
    l036 = {"service": "living-wages", "niss": niss, "capacity": 1, "end_user": STIB_USER}
    return Section(
        title="The STIB, a client of CPAS data: it integrates the subscriber asking the "
              "preferential tariff, whose A036 the CPAS declared above; the tariff is a "
              "derived right (RIS, ERIS or BIM) told only to the STIB that integrated the "
              "person",
        steps=(
            Step(title="STIB: integrate the subscriber (sector 94, quality code 1)",
                 path="/v1/integrations", method="POST", auth=STIB_TOKEN,
                 body={"niss": niss, "quality_code": 1, "end_user": STIB_USER}, expect=201),
            Step(title="STIB: its beneficiaries of the preferential tariff today: its own "
                       "subscribers only, with only their NISS",
                 path=listed, auth=STIB_TOKEN, expect=200, shows=niss, settle=SETTLE),
            Step(title="STIB: the rights of its subscriber (derived-rights): its own only, "
                       "not the household's energy tariff",
                 path="/v1/consultations", method="POST", body=consult, auth=STIB_TOKEN,
                 expect=200, shows=STIB_RIGHT, lacks=RIGHT, settle=SETTLE),
            Step(title="STIB: the attestation itself (L036), with only its deliberation's "
                       "fields (entitled, end)",
                 path="/v1/consultations", method="POST", body=l036, auth=STIB_TOKEN,
                 expect=200, shows='"entitled":true'),
        ),
    )


# --- a research project --------------------------------------------------------------------------
def research_section() -> Section:
    project = {"id": PROJECT, "title": "Temporary unemployment in the first Covid year",
               "researcher": institution(RESEARCHER_SLUG).cbe, "deliberation": RESEARCH_GRANT,
               "variables": ["region", "status", "start_month"],
               "statuses": ["temporary-unemployment", "bridging-right"],
               "start": LIST_PERIOD[0].isoformat(), "end": LIST_PERIOD[1].isoformat(),
               "epsilon": 1.0}
    extracts = "/v1/research/projects/$PROJECT/extracts"
    private = {"kind": "dp-table", "variables": ["region"], "epsilon": 0.5}
    return Section(
        title=f"Research: the operator registers a project of the university "
              f"({RESEARCHER_SLUG}) on the research deliberation {RESEARCH_GRANT}; its "
              "researcher gets a table with small cells suppressed and a differentially "
              "private one, and sees the privacy budget left",
        sets={"PROJECT": PROJECT},
        steps=(
            Step(title="The operator registers the project (privacy budget: epsilon 1.0)",
                 path="/v1/admin/research/projects", method="POST", body=project,
                 auth=OPERATOR_TOKEN, expect=201, shows='"left":1.0'),
            Step(title="Persons per status (cells under 5 persons suppressed)", path=extracts,
                 method="POST", body={"kind": "table", "variables": ["status"]},
                 auth=RESEARCH_TOKEN, expect=201, shows='"suppressed_cells"'),
            Step(title="A differentially private table per region, spending epsilon 0.5",
                 path=extracts, method="POST", body=private, auth=RESEARCH_TOKEN,
                 expect=201, shows='"left":0.5'),
            Step(title="The researcher's view: population, budget spent and left",
                 path="/v1/research/projects/$PROJECT", auth=RESEARCH_TOKEN, expect=200,
                 shows='"spent":0.5'),
            Step(title="The CPAS is refused the university's project",
                 path="/v1/research/projects/$PROJECT", expect=403,
                 shows="not-project-researcher"),
        ),
    )


def _consult(service: str, niss: str) -> dict[str, Any]:
    return {"service": service, "niss": niss, "capacity": 2, "end_user": END_USER}


def sections(report: SeedReport, manifest: Mapping[str, Any], *, hub: str, cpas_cbe: str,
             operator: tuple[str, str], jar: Path, today: dt.date) -> list[Section]:
    found = [list_section(manifest, cpas_cbe), statistics_section(hub, *operator, jar)]
    right = right_section(report, today)
    return [*found, *([right] if right is not None else []), stib_section(report),
            research_section()]


def run_sections(hub: str, chosen: Sequence[Section], tokens: Mapping[str, str]) -> int:
    """Send every step in order; how many, or an error naming the step that misbehaved."""
    sent = 0
    with httpx.Client(base_url=hub, timeout=60) as client:
        for section in chosen:
            for step in section.steps:
                response = step.send(client, {**tokens, **section.sets})
                if not step.answered(response):
                    raise RuntimeError(
                        f"{step.title}: expected HTTP {step.expect}"
                        f"{f' showing {step.shows!r}' if step.shows else ''}, got "
                        f"{response.status_code}: {response.text[:500]}")
                sent += 1
    return sent
