"""Request-scoped dependencies: the hub and the authenticated caller.

They are ``async`` on purpose: FastAPI runs plain functions in its thread pool, a thread hop
per dependency on every request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from carrefour.auth.services import Caller, Scope, TokenVerifier
from carrefour.bootstrap import Hub
from carrefour.errors import Unauthenticated

bearer = HTTPBearer(auto_error=False, description="Token from POST /oauth/token")


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
