"""The requests ``carrefour demo`` prints (and runs with ``--check``): a refused consultation,
an integration, the same consultation allowed, the multifunctional attestation A036 the CPAS
sends, the person's files known elsewhere, the composite social inquiry and full picture, a
phonetic search, the journal. (The STIB, a client of CPAS data, comes in the walk-through:
its subscriber's preferential tariff is a derived right.)"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from carrefour.simulation.seeding.seed import SeedReport

END_USER = {"id": "sw-042", "role": "social-worker"}
WIDTH = 80  # every line of the guide fits a terminal of 80 columns, to paste as it is


def shell_lines(words: Sequence[str], *, width: int = WIDTH) -> str:
    """A command of ``words`` (already quoted), broken with `` \\`` into lines of at most
    ``width`` columns where the words allow it (a word longer than a line stays whole)."""
    lines, line = [], ""
    for word in words:
        last = word.splitlines()[0] if word else word
        if line and len(line) + 1 + len(last) + 2 > width:
            lines.append(line + " \\")
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
        if "\n" in word:
            line = word.splitlines()[-1] if not line.startswith("  ") else line
    lines.append(line)
    return "\n".join(lines)


def comment(text: str, *, width: int = WIDTH) -> str:
    """A ``# `` comment wrapped at ``width`` columns."""
    return "\n".join(textwrap.wrap(text, width=width, initial_indent="# ",
                                    subsequent_indent="#   ", break_long_words=False,
                                    break_on_hyphens=False))  # a path stays whole

STIB_USER = {"id": "stib-desk-7", "role": "customer-adviser"}
STIB_SLUG = "stib"


@dataclass(frozen=True)
class Example:
    title: str
    path: str
    body: dict[str, Any]
    expect: int

    def curl(self, hub: str) -> str:
        body = shlex.quote(folded_json(self.body))
        return shell_lines([f"curl -s -X POST {hub}{self.path}",
                            '-H "Authorization: Bearer $TOKEN"',
                            "-H 'Content-Type: application/json'", f"-d {body}"])


def folded_json(body: dict[str, Any], *, width: int = WIDTH - 10) -> str:
    """The body on one line when it is short, else indented over several."""
    flat = json.dumps(body)
    return flat if len(flat) <= width else json.dumps(body, indent=2)


def examples(report: SeedReport) -> list[Example]:
    newcomer = report.examples["not_integrated"]
    known = report.examples["integrated_unemployed"]
    return [
        Example(
            "Legal data by NISS (no integration needed)",
            "/v1/consultations",
            _consult("legal-data", newcomer),
            200,
        ),
        Example(
            "Refused: health insurance of a person the CPAS holds no file on",
            "/v1/consultations",
            _consult("health-insurance", newcomer),
            403,
        ),
        Example(
            "Integrate that person (RIS, quality code 2; end date defaulted to 1 year)",
            "/v1/integrations",
            {"niss": newcomer, "quality_code": 2, "end_user": END_USER},
            201,
        ),
        Example(
            "Declare the multifunctional attestation A036 (RIS, one year) of that person to the "
            "SPP IS; sending it again changes nothing (idempotent on the CPAS's reference)",
            "/v1/declarations",
            _a036(newcomer),
            201,
        ),
        Example(
            "Allowed now: health insurance, asked of the person's own mutuality only",
            "/v1/consultations",
            _consult("health-insurance", newcomer),
            200,
        ),
        Example(
            "Known elsewhere: the person's files in every sector (the holder named for CPAS "
            "files only); also GET /v1/persons/{niss}/integrations?capacity=2&end_user_id=..."
            "&end_user_role=...",
            "/v1/consultations",
            _consult("person-integrations", newcomer),
            200,
        ),
        Example(
            "Unemployment periods of a person the CPAS helps",
            "/v1/consultations",
            _consult("unemployment", known),
            200,
        ),
        Example(
            "Social inquiry (composite): legal data, household, address history, waiting "
            "register, each part checked against its own deliberation",
            "/v1/consultations",
            _consult("social-inquiry", known),
            200,
        ),
        Example(
            "Full picture (composite): every source holding a file on the person, asked at "
            "once; one answer with the status of every part (GET /v1/services: the catalogue)",
            "/v1/consultations",
            _consult("full-picture", known),
            200,
        ),
        Example(
            "Phonetic search (Dupond finds Dupont)",
            "/v1/consultations",
            {
                "service": "search-person",
                "capacity": 2,
                "end_user": END_USER,
                "parameters": {"last_name": "Dupond", "max_results": 5},
            },
            200,
        ),
        Example(
            "Refused: an invalid NISS",
            "/v1/consultations",
            _consult("legal-data", "85073003329"),
            422,
        ),
    ]


def _a036(niss: str) -> dict[str, Any]:
    today = dt.date.today()
    return {"type": "A036", "niss": niss, "capacity": 2, "reference": f"RIS-{today.year}-0001",
            "end_user": END_USER,
            "data": {"type": "ris", "start": today.isoformat(),
                     "end": (today + dt.timedelta(days=364)).isoformat()}}


def _consult(service: str, niss: str) -> dict[str, Any]:
    return {"service": service, "niss": niss, "capacity": 2, "end_user": END_USER}


def token_command(hub: str, client_id: str, client_secret: str, *,
                  variable: str = "TOKEN") -> str:
    return shell_lines([
        f"{variable}=$(curl -s -X POST {hub}/oauth/token", "-d grant_type=client_credentials",
        f"-d client_id={client_id}", f"-d client_secret={client_secret}", "|",
        "python3 -c 'import sys, json; print(json.load(sys.stdin)[\"access_token\"])')",
    ])


def run_examples(hub: str, client_id: str, client_secret: str, report: SeedReport) -> list[str]:
    """Send every example; the tickets, or an error naming the example that misbehaved."""
    return _run(hub, client_id, client_secret, examples(report))


def _run(hub: str, client_id: str, client_secret: str, chosen: list[Example]) -> list[str]:
    token = httpx.post(
        f"{hub}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    ).json()["access_token"]
    tickets = []
    with httpx.Client(base_url=hub, headers={"Authorization": f"Bearer {token}"}) as client:
        for example in chosen:
            response = client.post(example.path, json=example.body)
            if response.status_code != example.expect:
                raise RuntimeError(
                    f"{example.title}: expected HTTP {example.expect}, got "
                    f"{response.status_code}: {response.text}"
                )
            tickets.append(str(response.json().get("ticket", "")))
    return tickets
