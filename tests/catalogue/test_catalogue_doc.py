"""docs/catalogue.md maps every technical service of seed 004 to what answers it: each name
the table gives is a service of the catalogue or a mutation type the hub knows."""

from __future__ import annotations

import re
from pathlib import Path

from carrefour.catalogue.model import default_catalogue
from carrefour.signal.domain import default_mutation_types

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalogue.md"
ELSEWHERE = ("declaration — see declarations", "Mediprima", "**not provided**")


def rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8").split("## Seed 004, service by service", 1)[1]
    table = text.split("\n## ", 1)[0]
    lines = [line for line in table.splitlines() if line.startswith("| ")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_every_row_names_what_answers_it() -> None:
    found = rows()
    assert len(found) == 64
    services = set(default_catalogue().services)
    mutations = {t.type for t in default_mutation_types().all()}
    for seed_name, _what, carrefour in found:
        if carrefour.startswith(ELSEWHERE):
            continue
        names = [n for n in re.findall(r"`([^`]+)`", carrefour)
                 if not n.startswith(("/", "POST", "GET", "PATCH", "DELETE", "OCMWCPAS"))]
        assert names or "/v1/" in carrefour, seed_name  # a service, or an endpoint
        known = mutations if "mutation" in carrefour else services
        assert set(names) <= known, (seed_name, set(names) - known)


def test_the_declarations_and_mediprima_are_marked_as_built_elsewhere() -> None:
    marks = [carrefour for _, _, carrefour in rows()]
    assert marks.count("declaration — see declarations") == 14
    assert marks.count("Mediprima") == 8
