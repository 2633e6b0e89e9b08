"""Telling institutions that their integrations have expired: a mutation of the hub's own
type ``integration-expired``, sent to the institution whose file it is (when it subscribed),
once per integration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, RowMapping, and_, exists, insert, select

from carrefour.directory.cache import ReferenceSnapshot
from carrefour.directory.tables import integrations
from carrefour.journal.recorded import Act, Stamp
from carrefour.signal.domain import INTEGRATION_EXPIRED, Mutation, MutationTypes, Recipient
from carrefour.signal.repository import Intake, store_intakes, to_subscription
from carrefour.signal.tables import expiry_notices, subscriptions

HUB = "hub"


def notice_expiries(
    engine: Engine, *, types: MutationTypes, snapshot: ReferenceSnapshot, today: dt.date,
    limit: int = 500,
) -> int:
    """Publish one ``integration-expired`` mutation per newly expired integration whose
    institution subscribed to them; how many."""
    kind = types.get(INTEGRATION_EXPIRED)
    i, s = integrations, subscriptions
    noticed = exists().where(expiry_notices.c.integration_id == i.c.id)
    query = (
        select(i.c.id.label("integration_id"), i.c.niss, i.c.quality_code, i.c.ends_on, s)
        .join(s, and_(s.c.institution_id == i.c.institution_id,
                      s.c.mutation_type == kind.type, s.c.active.is_(True)))
        .where(i.c.ends_on < today, i.c.unregistered_at.is_(None), ~noticed)
        .order_by(i.c.id)
        .limit(limit)
    )
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        rows = connection.execute(query).mappings().all()
        if not rows:
            return 0
        intakes = [_intake(kind.type, row, types) for row in rows]
        store_intakes(connection, intakes, snapshot=snapshot, today=today, now=now)
        connection.execute(insert(expiry_notices), [
            {"integration_id": key, "noticed_at": now}
            for key in sorted({r["integration_id"] for r in rows})
        ])
    return len(rows)


def _intake(name: str, values: RowMapping, types: MutationTypes) -> Intake:
    subscription = to_subscription(values)
    data = {"quality_code": values["quality_code"], "ends_on": values["ends_on"].isoformat()}
    act = Act(channel="signal", action="publish-mutation", client=HUB, end_user_id=None,
              end_user_role=None, service=name, niss=values["niss"])
    mutation = Mutation(type=name, niss=values["niss"],
                        source_ref=f"integration-{values['integration_id']}-{subscription.id}",
                        effective_on=values["ends_on"] + dt.timedelta(days=1), data=data)
    recipient = Recipient(subscription=subscription, data=data,
                          quality_code=values["quality_code"], deliberation=None)
    return Intake(kind=types.get(name), mutation=mutation, source=None, stamp=Stamp(act),
                  recipients=(recipient,))
