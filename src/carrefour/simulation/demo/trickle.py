"""The signal function in the simulated network: the National Register, the ONEM and the INAMI
(work incapacity periods, HdiIndemnityPeriodNotification) publish a
steady trickle of realistic mutations about persons the demo CPAS holds files on, and the demo
CPAS subscribes with an endpoint (its application: :mod:`carrefour.simulation.demo.cpas_app`).
The SPP IS and Mediprima publish too, in answer to what the CPAS sends them (the social status
of an A036; the calculation of a medical aid decision, eCarmedCalculationNotification).

Credentials and the subscription's secret are derived from the seed, like the other demo
secrets (for a simulation only).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine, insert, select

from carrefour.auth.services import Scope, create_credentials
from carrefour.directory.tables import institutions, integrations
from carrefour.signal.tables import subscriptions
from carrefour.simulation.network import (
    DEMO_CPAS_SLUG,
    MEDIPRIMA,
    NATIONAL_REGISTER,
    ONEM,
    institution,
)
from carrefour.simulation.seeding.directory_seed import derive
from carrefour.simulation.sources.kinds import INAMI

CPAS_APP_OFFSET = 9  # the demo CPAS application listens on base port + 9
PUBLISHERS = (NATIONAL_REGISTER, ONEM, INAMI)
DECLARATION_PUBLISHER = "spp-is"  # publishes the social statuses of the A036 it receives
# publishes the calculation of each medical aid decision to the CPAS that took it
CALCULATION_PUBLISHER = MEDIPRIMA
DEMO_TYPES = ("address-change", "civil-state-change", "family-composition-change", "death",
              "unemployment-end", "work-incapacity-period", "mediprima-calculation")
SOURCE_OF = {"unemployment-end": ONEM, "work-incapacity-period": INAMI}
STREETS = ("Rue Haute", "Rue Blaes", "Chaussée de Gand", "Avenue Louise", "Rue Neuve")
CIVIL_STATES = ("married", "divorced", "legally-cohabiting", "widowed")


@dataclass(frozen=True, slots=True)
class Publisher:
    kind: str
    client_id: str
    client_secret: str


def publisher(seed: int, kind: str) -> Publisher:
    return Publisher(kind, f"{kind}-{derive(seed, 'publisher-id:' + kind, length=8)}",
                     derive(seed, "publisher-secret:" + kind))


def webhook_secret(seed: int) -> str:
    import base64

    return "whsec_" + base64.b64encode(bytes.fromhex(derive(seed, "webhook", length=48))).decode()


def cpas_app_address(base_port: int) -> str:
    """host:port of the demo CPAS application (the hub must allow-list it: plain http on
    loopback)."""
    return f"127.0.0.1:{base_port + CPAS_APP_OFFSET}"


def cpas_app_url(base_port: int) -> str:
    return f"http://{cpas_app_address(base_port)}/events"


def prepare_signal(engine: Engine, *, seed: int, base_port: int) -> list[Publisher]:
    """Publishing credentials for the sources, and the demo CPAS's subscriptions."""
    ids = _ids(engine)
    made = []
    for kind in (*PUBLISHERS, DECLARATION_PUBLISHER, CALCULATION_PUBLISHER):
        found = publisher(seed, kind)
        create_credentials(engine, institution_id=ids[institution(kind).cbe],
                           scopes=[Scope.PUBLISH], client_id=found.client_id,
                           client_secret=found.client_secret)
        made.append(found)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(insert(subscriptions), [
            {"institution_id": ids[institution(DEMO_CPAS_SLUG).cbe], "mutation_type": t,
             "endpoint": cpas_app_url(base_port), "secret": webhook_secret(seed),
             "batch_max": 1, "active": True, "created_at": now}
            for t in DEMO_TYPES
        ])
    return made


def _ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {r.cbe: r.id for r in connection.execute(select(institutions.c.cbe,
                                                                  institutions.c.id))}


def demo_cpas_persons(engine: Engine) -> list[str]:
    cpas = institution(DEMO_CPAS_SLUG).cbe
    query = (select(integrations.c.niss).join(institutions,
                                              institutions.c.id == integrations.c.institution_id)
             .where(institutions.c.cbe == cpas).distinct())
    with engine.connect() as connection:
        return sorted(connection.execute(query).scalars())


def mutation(rng: random.Random, niss: str, serial: int) -> tuple[str, dict[str, Any]]:
    """A realistic mutation about ``niss``: its kind of source and the request body."""
    kind = rng.choice(("address-change", "address-change", "civil-state-change",
                       "family-composition-change", "unemployment-end",
                       "work-incapacity-period"))
    data: dict[str, Any]
    if kind == "address-change":
        data = {"address": {"street": f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                            "postal_code": "1000", "municipality": "Bruxelles"}}
    elif kind == "civil-state-change":
        data = {"civil_state": rng.choice(CIVIL_STATES)}
    elif kind == "family-composition-change":
        data = {"household_id": f"HH-{rng.randint(1, 99999):05d}", "members": [niss]}
    elif kind == "work-incapacity-period":
        start = dt.date.today() - dt.timedelta(days=rng.randint(0, 30))
        data = {"currently_incapacitated": True,
                "periods": [{"kind": "primary-incapacity", "start": start.isoformat(),
                             "end": None}]}
    else:
        data = {"currently_unemployed": False}
    source = SOURCE_OF.get(kind, NATIONAL_REGISTER)
    body = {"type": kind, "niss": niss, "source_id": f"{source}-{serial}",
            "effective_date": dt.date.today().isoformat(), "data": data}
    return source, body


async def trickle(hub: str, publishers: list[Publisher], persons: list[str], *,
                  per_second: float, seed: int, count: int | None = None) -> int:
    """Publish mutations at about ``per_second`` until cancelled (or ``count`` are sent)."""
    rng = random.Random(f"trickle:{seed}:{dt.datetime.now(dt.UTC).isoformat()}")
    serial = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    sent = 0
    async with httpx.AsyncClient(base_url=hub, timeout=10) as client:
        tokens = {p.kind: await _token(client, p) for p in publishers}
        while count is None or sent < count:
            serial += 1
            source, body = mutation(rng, rng.choice(persons), serial)
            await client.post("/v1/mutations", json=body,
                              headers={"Authorization": f"Bearer {tokens[source]}"})
            sent += 1
            await asyncio.sleep(rng.expovariate(per_second))
    return sent


async def _token(client: httpx.AsyncClient, found: Publisher, *, tries: int = 120) -> str:
    """A token for the publisher, waiting for the hub to come up (the demo starts us first)."""
    for _ in range(tries - 1):
        try:
            return await _ask_token(client, found)
        except httpx.HTTPError:
            await asyncio.sleep(0.5)
    return await _ask_token(client, found)


async def _ask_token(client: httpx.AsyncClient, found: Publisher) -> str:
    response = await client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": found.client_id,
        "client_secret": found.client_secret})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token
