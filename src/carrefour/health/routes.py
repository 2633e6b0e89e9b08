"""``/health/live`` and ``/health/ready``: probes for a supervisor or a load balancer.

They carry no personal data and ask for no token, and they are not journaled: a probe must
answer while the journal cannot be written (that is what readiness reports), and a probe every
few seconds would flood the journal with entries that say nothing about persons."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from carrefour.api.deps import HubDep
from carrefour.api.problems import problem
from carrefour.errors import NotReady
from carrefour.health.services import readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, Any]:
    """The worker process answers (its event loop runs); ``pid`` names the process."""
    return {"status": "alive", "pid": os.getpid()}


@router.get("/ready", responses={503: {"description": "not-ready: the reason in `detail`, "
                                       "each check in `checks`"}})
async def ready(hub: HubDep) -> Any:
    """Whether the hub can serve: database reachable and writable, journal writer running,
    source gateway started (sources whose last call failed are named, not counted)."""
    state = await readiness(hub)
    if state.ready:
        return {"status": "ready", "checks": state.report()}
    refusal = NotReady(state.reasons)
    response: Response = problem(code=refusal.code, title=refusal.title, status=refusal.status,
                                 detail=refusal.detail, extra={"checks": state.report()})
    return response
