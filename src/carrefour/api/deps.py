"""Request-scoped dependencies: the hub and the authenticated caller.

They are ``async`` on purpose: FastAPI runs plain functions in its thread pool, a thread hop
per dependency on every request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuth2 as OAuth2Model
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param

from carrefour.auth.services import Caller, Scope, TokenVerifier
from carrefour.bootstrap import Hub
from carrefour.errors import Unauthenticated

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


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_caller(request: Request, credentials: Credentials) -> Caller:
    if credentials is None:
        raise Unauthenticated(
            "Send an access token: 'Authorization: Bearer <token>' (get one at /oauth/token)."
        )
    verify: TokenVerifier = request.app.state.verify_token
    return verify(credentials.credentials)


# One dependency per scope rather than a chain: each level of dependencies costs FastAPI
# measurable time on every request.
async def consulting_caller(request: Request, credentials: Credentials) -> Caller:
    caller = await get_caller(request, credentials)
    caller.require(Scope.CONSULT)
    return caller


async def admin_caller(request: Request, credentials: Credentials) -> Caller:
    caller = await get_caller(request, credentials)
    caller.require(Scope.ADMIN)
    return caller


HubDep = Annotated[Hub, Depends(get_hub)]
ConsultingCaller = Annotated[Caller, Depends(consulting_caller)]
AdminCaller = Annotated[Caller, Depends(admin_caller)]
AnyCaller = Annotated[Caller, Depends(get_caller)]
"""An authenticated caller whose scopes the use case itself checks (and journals)."""
