"""``GET /metrics``: the Prometheus text format, for a scraper holding the scrape token.

The scraper authenticates with ``Authorization: Bearer <CARREFOUR_METRICS_TOKEN>`` (compared in
constant time); without a configured token nobody may read the metrics. Every scrape and every
refusal is journaled (channel ``admin``, action ``metrics-scrape``, the scraper's address as
end user), like any call of the hub. The figures name no person: services, outcomes, client
kinds, sources' enterprise numbers and counts."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from carrefour.api.deps import HubDep, client_address
from carrefour.errors import Unauthenticated
from carrefour.journal.recorded import Act, journaled

router = APIRouter(tags=["observability"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CHANNEL = "admin"  # an operator's tool reading the hub
ACTION = "metrics-scrape"
SCRAPER = "scraper"


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, hub: HubDep) -> Response:
    address = client_address(request)
    act = Act(channel=CHANNEL, action=ACTION, client=SCRAPER, end_user_id=address,
              end_user_role="client-address" if address else None, service=None, niss=None)

    async def scrape(_stamp: object) -> bytes:
        _check_token(hub.settings.observability.metrics_token, request)
        return await asyncio.to_thread(hub.metrics.render)

    body = (await journaled(hub.journal, act, scrape)).value
    return Response(content=body, media_type=CONTENT_TYPE)


def _check_token(expected: str | None, request: Request) -> None:
    if expected is None:
        raise Unauthenticated(
            "The metrics are not open: the hub has no scrape token (CARREFOUR_METRICS_TOKEN)."
        )
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthenticated("Send the scrape token: 'Authorization: Bearer <token>'.")
