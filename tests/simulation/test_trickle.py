"""The demo's trickle of mutations: every mutation it publishes is one the hub accepts from
that source, work incapacity periods from the INAMI among them."""

from __future__ import annotations

import random

from carrefour.directory.domain import Institution, Role
from carrefour.signal.domain import default_mutation_types, validate_mutation
from carrefour.simulation.demo.trickle import DEMO_TYPES, PUBLISHERS, mutation
from carrefour.simulation.network import institution
from tests.people import ALICE


def _source(kind: str) -> Institution:
    member = institution(kind)
    return Institution(id=1, cbe=member.cbe, name_fr=member.name_fr, name_nl=member.name_nl,
                       sector=member.sector, subsector=member.subsector, kind=member.kind,
                       role=Role.SOURCE)


def test_every_trickled_mutation_is_accepted_from_its_source() -> None:
    types = default_mutation_types()
    rng = random.Random(5)
    seen = set()
    for serial in range(200):
        source, body = mutation(rng, ALICE, serial)
        assert source in PUBLISHERS and body["type"] in DEMO_TYPES
        validate_mutation(types.get(body["type"]), source=_source(source), niss=body["niss"],
                          source_ref=body["source_id"], effective_on=body["effective_date"],
                          data=body["data"])
        seen.add((source, body["type"]))
    assert ("inami", "work-incapacity-period") in seen
