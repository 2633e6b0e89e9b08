"""REST entry points of the signal function: sources publish mutations, institutions manage
their subscriptions and read their pull feed, operators watch the backlog and replay."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from carrefour.api.deps import AdminCaller, ConsultingCaller, HubDep, bearer, get_caller
from carrefour.api.params import Cursor, Limit, RowId
from carrefour.api.schemas import FreeObject, Strict
from carrefour.bootstrap import Hub
from carrefour.limits import INT32_MAX, INT64_MAX, MAX_PAGE
from carrefour.signal import admin
from carrefour.signal.domain import MAX_SOURCE_REF, Subscription
from carrefour.signal.services import MAX_BATCH

router = APIRouter(prefix="/v1", tags=["signal"])


class MutationIn(Strict):
    """A change reported by an authentic source."""
    type: str = Field(min_length=1, max_length=80, examples=["address-change"])
    niss: str = Field(min_length=1, max_length=20, examples=["85073003328"])
    source_id: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_REF,
        description="The source's own id: a duplicate is accepted once",
    )
    effective_date: dt.date
    data: FreeObject = Field(examples=[{"address": {"street": "Rue Haute 1"}}])


class PublishedOut(BaseModel):
    ticket: str
    event_id: str
    deliveries: int
    duplicate: bool


class SubscriptionIn(Strict):
    mutation_type: str = Field(max_length=80, examples=["address-change"])
    endpoint: str | None = Field(
        None, max_length=500, description="Where to push; absent: pull GET /v1/feed"
    )
    batch_max: int = Field(
        1, ge=1, le=MAX_BATCH, description="Events per request (>1: CloudEvents batch mode)"
    )


class SubscriptionOut(BaseModel):
    id: int
    mutation_type: str
    endpoint: str | None
    batch_max: int
    mode: str
    secret: str | None = Field(None, description="whsec_... signing secret (on creation only)")
    ticket: str | None = None


class FeedOut(BaseModel):
    ticket: str
    events: list[dict[str, Any]]
    next_cursor: int


class ReplayIn(Strict):
    ids: list[Annotated[int, Field(ge=1, le=INT64_MAX)]] | None = Field(None, max_length=MAX_PAGE)
    subscription_id: int | None = Field(None, ge=1, le=INT32_MAX)


def _out(
    subscription: Subscription, *, secret: bool = False, ticket: str | None = None
) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        mutation_type=subscription.mutation_type,
        endpoint=subscription.endpoint,
        batch_max=subscription.batch_max,
        mode=subscription.mode,
        secret=subscription.secret if secret else None,
        ticket=ticket,
    )


@router.post(
    "/mutations",
    response_model=PublishedOut,
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": MutationIn.model_json_schema()}},
        },
        "security": [{"HTTPBearer": []}],
    },
)
async def publish(request: Request) -> Response:
    """Publish a mutation (scope `publish`). Stored with its outbox rows in one transaction;
    every subscriber entitled to it gets it afterwards. Refusals are journaled too.

    Every mutation of the network crosses it: :mod:`carrefour.api.fastpath` calls it before
    the framework's routing, as it does the consultations, sparing the dependency solving and
    the re-validation of the answer the hub built."""
    caller = await get_caller(request, await bearer(request))
    hub: Hub = request.app.state.hub
    done = await hub.signal.publish(caller, await request.body())  # PublishedOut's fields
    return Response(orjson.dumps(done), status_code=202, media_type="application/json")


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
async def subscribe(body: SubscriptionIn, caller: ConsultingCaller, hub: HubDep) -> SubscriptionOut:
    """Subscribe to a mutation type; keep the returned secret to verify signatures."""
    done = await hub.signal.subscribe(
        caller, mutation_type=body.mutation_type, endpoint=body.endpoint, batch_max=body.batch_max
    )
    return _out(done.value, secret=True, ticket=done.ticket)


@router.get("/subscriptions", response_model=list[SubscriptionOut])
async def list_subscriptions(caller: ConsultingCaller, hub: HubDep) -> list[SubscriptionOut]:
    return [_out(s) for s in await hub.signal.subscriptions(caller)]


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def unsubscribe(subscription_id: RowId, caller: ConsultingCaller, hub: HubDep) -> Response:
    """End a subscription; its undelivered events are cancelled."""
    await hub.signal.unsubscribe(caller, subscription_id)
    return Response(status_code=204)


@router.get("/feed", response_model=FeedOut)
async def feed(
    caller: ConsultingCaller,
    hub: HubDep,
    cursor: Cursor = 0,
    limit: Limit = 100,
) -> FeedOut:
    """The pull feed: events after `cursor`; asking with a cursor acknowledges what precedes."""
    page = await hub.signal.feed(caller, cursor=cursor, limit=limit)
    return FeedOut(ticket=page.ticket, events=page.events, next_cursor=page.next_cursor)


@router.get("/admin/signal/backlog", tags=["admin"])
async def backlog(_caller: AdminCaller, hub: HubDep) -> list[dict[str, Any]]:
    """Deliveries per subscription and state (pending, feed, delivered, dead, cancelled)."""
    rows = await asyncio.to_thread(admin.backlog, hub.engine)
    return [asdict(row) for row in rows]


@router.get("/admin/signal/dead-letters", tags=["admin"])
async def dead_letters(
    _caller: AdminCaller, hub: HubDep, limit: Limit = 100
) -> list[dict[str, Any]]:
    rows = await asyncio.to_thread(admin.dead_letters, hub.engine, limit=limit)
    return [asdict(row) for row in rows]


@router.post("/admin/signal/replay", tags=["admin"])
async def replay(body: ReplayIn, call: AdminCaller, hub: HubDep) -> dict[str, Any]:
    """Queue dead letters again (all, the given ids, or one subscription's). A dead letter
    whose payload was purged cannot be replayed (`dead-letter-purged`, 409)."""
    snapshot = await hub.reference.current()
    ticket, count = await asyncio.to_thread(
        admin.replay,
        hub.engine,
        client=snapshot.institution(call.caller.institution_id).cbe,
        channel="admin",
        ids=body.ids,
        subscription_id=body.subscription_id,
    )
    call.stamp.sealed = True  # the replay journaled itself, under the ticket it answers
    hub.delivery.wake()
    return {"ticket": ticket, "queued": count}


class RetriedOut(BaseModel):
    ticket: str
    released: int = Field(description="Pending deliveries made due now")


@router.post(
    "/admin/signal/subscriptions/{subscription_id}/retry",
    response_model=RetriedOut,
    tags=["admin"],
)
async def retry_now(subscription_id: RowId, call: AdminCaller, hub: HubDep) -> RetriedOut:
    """Send a subscription's pending deliveries now, without waiting for their back-off (its
    subscriber is back). Scope `admin`; journaled, refusals included."""
    released = await asyncio.to_thread(
        admin.retry_now, hub.engine, stamp=call.stamp, subscription_id=subscription_id
    )
    hub.delivery.wake()
    return RetriedOut(ticket=call.stamp.ticket, released=released)


class PurgedOut(BaseModel):
    ticket: str
    purged: int = Field(description="Mutations whose payloads were emptied")


@router.post("/admin/signal/purge", response_model=PurgedOut, tags=["admin"])
async def purge(call: AdminCaller, hub: HubDep) -> PurgedOut:
    """Purge now the payloads of every settled mutation (delivered, acknowledged, cancelled,
    or dead past `CARREFOUR_SIGNAL_RETENTION`); the worker also does it periodically. Scope
    `admin`; journaled, refusals included."""
    done = await hub.signal.purge(call.caller)
    return PurgedOut(ticket=done.ticket, purged=done.value)
