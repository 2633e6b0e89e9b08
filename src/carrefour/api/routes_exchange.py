"""Consultations and the person directory (integrations)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from carrefour.api.deps import ConsultingCaller, HubDep, bearer, consulting_caller
from carrefour.api.params import EndUserId, EndUserRole, NissPath, QualityCodePath
from carrefour.api.schemas import (
    ConsultationIn,
    ConsultationOut,
    EndUserIn,
    IntegrationIn,
    IntegrationListOut,
    IntegrationOut,
    ListedIntegrationOut,
    TicketOut,
)
from carrefour.auth.services import Actor
from carrefour.bootstrap import Hub
from carrefour.directory.source import PERSON_INTEGRATIONS
from carrefour.exchange.services import Consultation, EndUser

router = APIRouter(prefix="/v1", tags=["exchange"])


_consultation = TypeAdapter(ConsultationIn)


def _request_body_schema() -> dict[str, Any]:
    schema = ConsultationIn.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # EndUserIn is in the components already (integrations use it)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


@router.post(
    "/consultations",
    response_model=ConsultationOut,
    openapi_extra={"requestBody": _request_body_schema(), "security": [{"HTTPBearer": []}]},
    responses={502: {"description": "An authentic source is unavailable"},
               504: {"description": "The authentic source did not answer in time"}},
)
async def consult(request: Request) -> Response:
    """Consult an authentic source through the hub, with every check applied.

    The hot path of the hub, called by :mod:`carrefour.api.fastpath` before the framework's
    routing: the body is validated by a pydantic adapter and the answer serialised straight
    from the pipeline's result (orjson handles dataclasses), sparing the framework's
    per-request dependency solving and the re-validation of what the hub built."""
    caller = await consulting_caller(request, await bearer(request))
    hub: Hub = request.app.state.hub
    try:
        body = _consultation.validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None
    result = await hub.exchange.consult(
        caller,
        Consultation(
            service=body.service,
            version=body.version,
            niss=body.niss,
            capacity=body.capacity,
            end_user=EndUser(body.end_user.id, body.end_user.role),
            parameters=body.parameters,
        ),
    )
    return Response(orjson.dumps(result), media_type="application/json")


def _actor(caller: ConsultingCaller, end_user: EndUserIn) -> Actor:
    return Actor(caller, end_user.id, end_user.role)


@router.post("/integrations", response_model=IntegrationOut, status_code=201)
async def integrate(body: IntegrationIn, caller: ConsultingCaller, hub: HubDep) -> IntegrationOut:
    """Integrate a person in the institution's file (register in the person directory)."""
    done = await hub.access.register(
        _actor(caller, body.end_user),
        niss=body.niss,
        quality_code=body.quality_code,
        starts_on=body.start,
        ends_on=body.end,
    )
    integration, period = done.value.integration, done.value.period
    return IntegrationOut(
        ticket=done.ticket,
        id=integration.id,
        niss=integration.niss,
        quality_code=integration.quality_code,
        start=integration.starts_on,
        end=integration.ends_on,
        capped=period.capped,
    )


@router.delete("/integrations/{niss}/{quality_code}", response_model=TicketOut)
async def unregister(
    niss: NissPath,
    quality_code: QualityCodePath,
    end_user_id: EndUserId,
    end_user_role: EndUserRole,
    caller: ConsultingCaller,
    hub: HubDep,
) -> TicketOut:
    """End the institution's integration of the person with that quality code."""
    done = await hub.access.unregister(
        Actor(caller, end_user_id, end_user_role), niss=niss, quality_code=quality_code
    )
    return TicketOut(ticket=done.ticket)


@router.get(
    "/persons/{niss}/integrations",
    response_model=IntegrationListOut,
    response_model_exclude_unset=True,
)
async def list_integrations(
    niss: NissPath,
    capacity: Annotated[int, Query(ge=0, le=999, description="Quality code of the caller's "
                                   "own active file on the person")],
    end_user_id: EndUserId,
    end_user_role: EndUserRole,
    caller: ConsultingCaller,
    hub: HubDep,
) -> IntegrationListOut:
    """The person's active files ("known elsewhere?"): the consultation `person-integrations`,
    checked like any other — the caller's own active file in the capacity it claims, a
    deliberation granting which sectors' files and which of their fields — and journaled."""
    result = await hub.exchange.consult(
        caller,
        Consultation(
            service=PERSON_INTEGRATIONS,
            niss=niss,
            capacity=capacity,
            end_user=EndUser(end_user_id, end_user_role),
        ),
    )
    rows = [ListedIntegrationOut(**item) for item in result.data.get("integrations", [])]
    return IntegrationListOut(
        ticket=result.ticket,
        niss=result.niss or niss,
        deliberation=result.deliberation,
        integrations=rows,
    )
