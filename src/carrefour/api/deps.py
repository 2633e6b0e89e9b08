"""Request-scoped dependencies: the hub, the authenticated caller, and an operator's call.

They are ``async`` on purpose: FastAPI runs plain functions in its thread pool, a thread hop
per dependency on every request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.models import OAuth2 as OAuth2Model
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param

from carrefour.api.params import NO_NUL
from carrefour.auth.roles import check_role
from carrefour.auth.services import Caller, Scope, TokenVerifier
from carrefour.bootstrap import Hub
from carrefour.errors import CarrefourError, Unauthenticated
from carrefour.journal.audit import OPERATOR_ROLE, operator_stamp
from carrefour.journal.recorded import Stamp, refusal

TOKEN_URL = "/oauth/token"
SCOPES = {
    Scope.CONSULT: "Consultations, integrations, the BIS register, subscriptions",
    Scope.PUBLISH: "An authentic source publishing mutations",
    Scope.ADMIN: "The hub's operators: directory, deliberations, journal",
}


class ClientCredentialsBearer(SecurityBase):
    """The OAuth2 client-credentials flow (RFC 6749 §4.4): ``POST /oauth/token`` gives a
    short-lived token, sent as ``Authorization: Bearer <token>``. The OpenAPI document names
    the scheme ``HTTPBearer``, as it always has, so that generated clients keep working."""

    def __init__(self) -> None:
        scopes = {str(scope): text for scope, text in SCOPES.items()}
        flow = OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=scopes)
        self.model = OAuth2Model(
            flows=OAuthFlows(clientCredentials=flow),
            description="Client credentials (form fields or HTTP Basic) at /oauth/token; "
            "the token is sent as 'Authorization: Bearer <token>'",
        )
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> HTTPAuthorizationCredentials | None:
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "bearer" or not token:
            return None
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=token)


bearer = ClientCredentialsBearer()
TICKET_HEADER = "Carrefour-Ticket"


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def client_address(request: Request) -> str | None:
    """The peer's address as the server sees it (the hub trusts no forwarding header)."""
    return request.client.host if request.client else None


async def get_caller(request: Request, credentials: Credentials) -> Caller:
    if credentials is None:
        raise Unauthenticated(
            "Send an access token: 'Authorization: Bearer <token>' (get one at /oauth/token)."
        )
    verify: TokenVerifier = request.app.state.verify_token
    hub: Hub = request.app.state.hub
    try:
        caller = verify(credentials.credentials)
    except CarrefourError as error:
        hub.auth.refused("rest", error)
        raise
    await hub.auth.admit(caller, channel="rest", address=client_address(request))
    return caller


# One dependency per scope rather than a chain: each level of dependencies costs FastAPI
# measurable time on every request.
async def consulting_caller(request: Request, credentials: Credentials) -> Caller:
    caller = await get_caller(request, credentials)
    caller.require(Scope.CONSULT)
    return caller


@dataclass(frozen=True, slots=True)
class AdminCall:
    """An operator's call: the caller, and the stamp (ticket, who, action) of its entry."""

    caller: Caller
    stamp: Stamp

    async def journal_read(self, hub: Hub, *, reference: str | None = None) -> None:
        """Journal a look-up that succeeded (changes journal themselves with the change)."""
        await hub.journal.record(self.stamp.entry("ok", reference=reference))
        self.stamp.sealed = True


async def admin_call(
    request: Request,
    response: Response,
    credentials: Credentials,
    end_user_id: Annotated[
        str | None,
        Query(min_length=1, max_length=100, pattern=NO_NUL, description="The operator person "
              "acting (journaled; default: the client id)"),
    ] = None,
    end_user_role: Annotated[
        str | None,
        Query(min_length=1, max_length=60, pattern=NO_NUL,
              description="Their role, one of the sector's (default: operator)"),
    ] = None,
) -> AsyncIterator[AdminCall]:
    """An administrative call, journaled whatever happens: a change commits its entry with
    the change (``stamp``); a look-up that journaled nothing itself, and a refusal (no admin
    scope, bad input, a failed change), are journaled here, before the answer leaves (the
    dependency's scope is the function's). The ticket is in the ``Carrefour-Ticket`` header
    and in a refusal's problem document."""
    caller = await get_caller(request, credentials)
    hub: Hub = request.app.state.hub
    snapshot = await hub.reference.current()
    institution = snapshot.institution(caller.institution_id)
    stamp = operator_stamp(
        channel="admin",
        action=_action(request),
        client=institution.cbe,
        end_user_id=end_user_id or caller.client_id,
        end_user_role=end_user_role or OPERATOR_ROLE,
    )
    response.headers[TICKET_HEADER] = request.state.ticket = stamp.ticket
    try:
        caller.require(Scope.ADMIN)
        check_role(stamp.act.end_user_role or OPERATOR_ROLE, sector=institution.sector)
        yield AdminCall(caller, stamp)
        await _journal_outcome(hub, stamp, "ok")  # a look-up that journaled nothing itself
    except RequestValidationError:
        await _journal_outcome(hub, stamp, "invalid-input")
        raise
    except Exception as error:  # a refusal, an outage, a fault of the hub: journaled alike
        answer = await _journal_refusal(hub, stamp, error)
        if answer is error:
            raise
        raise answer from error


async def _journal_refusal(hub: Hub, stamp: Stamp, error: Exception) -> Exception:
    if stamp.sealed:  # the change committed its entry; the failure came after it
        if isinstance(error, CarrefourError):
            error.extra["ticket"] = stamp.ticket
        return error
    stamp.sealed = True
    return await refusal(hub.journal, error, stamp.entry, ticket=stamp.ticket)


_PUBLISHED_ACTIONS = {"who_consulted": "who-consulted"}  # named before the admin- prefix


def _action(request: Request) -> str:
    """``admin-`` and the route's name: ``save_deliberation`` -> ``admin-save-deliberation``."""
    route = request.scope.get("route")
    name = str(getattr(route, "name", None) or "call")
    return _PUBLISHED_ACTIONS.get(name) or "admin-" + name.replace("_", "-")


async def _journal_outcome(hub: Hub, stamp: Stamp, outcome: str) -> None:
    if not stamp.sealed:
        await hub.journal.record(stamp.entry(outcome))
        stamp.sealed = True


HubDep = Annotated[Hub, Depends(get_hub)]
ConsultingCaller = Annotated[Caller, Depends(consulting_caller)]
AdminCaller = Annotated[AdminCall, Depends(admin_call, scope="function")]
AnyCaller = Annotated[Caller, Depends(get_caller)]
"""An authenticated caller whose scopes the use case itself checks (and journals)."""
