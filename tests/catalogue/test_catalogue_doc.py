"""docs/catalogue.md maps every technical service of seed 004 to what answers it: each name
the table gives is a service of the catalogue or a mutation type the hub knows."""

from __future__ import annotations

import re
from pathlib import Path

from carrefour.catalogue.model import default_catalogue
from carrefour.declarations.domain import default_types
from carrefour.signal.domain import default_mutation_types

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalogue.md"
ELSEWHERE = ("**not provided**",)


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
    types = default_types()
    for seed_name, _what, carrefour in found:
        if carrefour.startswith(ELSEWHERE):
            continue
        names = [n for n in re.findall(r"`([^`]+)`", carrefour)
                 if not n.startswith(("/", "POST", "GET", "PATCH", "DELETE", "OCMWCPAS"))]
        assert names or "/v1/" in carrefour, seed_name  # a service, or an endpoint
        for part in carrefour.split(";"):
            named = [n for n in re.findall(r"`([^`]+)`", part) if n in names]
            if part.strip().startswith("declaration"):  # a declaration type, then services
                kind = types.get(named[0])
                assert kind.service in named[1:], (seed_name, kind.service)
                named = named[1:]
            known = mutations if "mutation" in part else services
            assert set(named) <= known, (seed_name, set(named) - known)


def test_the_declarations_and_mediprima_are_marked_as_built_elsewhere() -> None:
    marks = [carrefour for _, _, carrefour in rows()]
    declared = [re.findall(r"declaration `([^`]+)`", m) for m in marks]
    named = [codes[0] for codes in declared if codes]
    assert len(named) == len(set(named)) == 13  # with the decisions: the 14 SPP IS exchanges
    assert set(named) <= {t.code for t in default_types().all()}
    assert any("`spp-decisions`" in m for m in marks)
    carmed = [m for seed_name, _, m in rows() if seed_name.startswith("ManageCarmed/")]
    assert len(carmed) == 7 and all("`mediprima-" in m and "SOAP ManageCarmed" in m
                                    for m in carmed)
    assert "Mediprima" not in marks  # each Mediprima row names what answers it
