"""REST entry points of derived rights: a granting institution's beneficiaries on a date, and
the operators' what-if of a changed rule file (no right is granted)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from carrefour.api.deps import AdminCaller, ConsultingCaller, HubDep
from carrefour.api.params import NO_NUL, Limit
from carrefour.api.schemas import Strict
from carrefour.rights.domain import MAX_BYTES

router = APIRouter(prefix="/v1", tags=["rights"])

RightPath = Annotated[str, Path(min_length=1, max_length=80, pattern="^[a-z][a-z0-9-]*$",
                                description="The right's name", examples=["social-energy-tariff"])]


@router.get("/rights/{right}/beneficiaries")
async def beneficiaries(
    right: RightPath,
    caller: ConsultingCaller,
    hub: HubDep,
    date: Annotated[dt.date | None, Query(description="The day (default: today)")] = None,
    after: Annotated[str | None, Query(min_length=1, max_length=60, pattern=NO_NUL,
                                       description="The last household of the previous page")
                     ] = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    """Every household (or person) holding the right on the day, for an institution of the
    kind that grants it, with the fields its deliberation gives. Journaled, refusals too."""
    done = await hub.rights.beneficiaries(caller, right, day=date, after=after, limit=limit)
    return {"ticket": done.ticket, **done.value}


class SimulationIn(Strict):
    rules: str = Field(min_length=1, max_length=MAX_BYTES, description="The proposed rule file")
    against: str | None = Field(None, min_length=1, max_length=MAX_BYTES,
                                description="The rule file to compare with (default: in force)")
    date: dt.date | None = Field(None, description="The day (default: today)")


@router.post("/admin/rights/simulate", tags=["admin"])
async def simulate_rights(body: SimulationIn, call: AdminCaller, hub: HubDep) -> dict[str, Any]:
    """What-if: households and persons gaining or losing each right, by region and province,
    under the proposed rule file against the rules in force. Grants nothing. A rule file with
    a syntax error, an unknown status or a cycle is refused whole (`invalid-rule-file`, with
    the line). Scope `admin`; journaled."""
    result = await hub.rights.simulate(body.rules, body.against, body.date)
    return {"ticket": call.stamp.ticket, **result}
