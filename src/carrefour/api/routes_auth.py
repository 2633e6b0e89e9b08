"""OAuth2 client credentials: ``POST /oauth/token``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from carrefour.api.deps import HubDep, client_address
from carrefour.api.problems import problem_fields, retry_headers
from carrefour.api.schemas import TokenOut
from carrefour.auth import oauth
from carrefour.errors import CarrefourError

router = APIRouter(tags=["authentication"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1


class OAuthErrorOut(BaseModel):
    """RFC 6749 §5.2, with the problem members of the rest of the API."""

    error: str = Field(examples=["invalid_client"])
    error_description: str
    type: str
    title: str
    status: int
    detail: str
    code: str = Field(examples=["invalid-credentials"])
    ticket: str | None = None
    retry_after: int | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorOut, "description": "invalid_request, unsupported_grant_type, "
          "invalid_scope, or invalid_client for credentials sent as form fields"},
    401: {"model": OAuthErrorOut, "description": "invalid_client, credentials sent with "
          "HTTP Basic (with WWW-Authenticate: Basic)"},
    429: {"model": OAuthErrorOut, "description": "too-many-attempts: too many failures for "
          "this client id or address; see Retry-After"},
    503: {"model": OAuthErrorOut, "description": "authentication-busy: too many checks "
          "waiting; see Retry-After"},
}


@router.post("/oauth/token", response_model=TokenOut, responses=ERRORS)
async def token(
    request: Request,
    hub: HubDep,
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Exchange client credentials (HTTP Basic, or form fields) for a short-lived token.
    After repeated failures for a client id or from an address, attempts are refused for a
    while (429, `Retry-After`) without checking the secret. Every attempt is journaled."""
    asked = oauth.TokenRequest(
        grant_type=grant_type, client_id=client_id, client_secret=client_secret, scope=scope,
        authorization=authorization,
    )
    try:
        issued = await oauth.issue(
            hub.auth, asked, address=client_address(request),
            signing_secret=hub.settings.token_secret,
            ttl_seconds=hub.settings.token_ttl_seconds,
        )
    except CarrefourError as error:
        return _error(error, basic=asked.uses_basic)
    body = TokenOut(access_token=issued.value.access_token, token_type=issued.value.token_type,
                    expires_in=issued.value.expires_in, scope=issued.value.scope)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


def _error(error: CarrefourError, *, basic: bool) -> Response:
    mapped = oauth.oauth_error(error, basic=basic)
    body = {
        "error": mapped.error,
        "error_description": error.detail,
        "type": f"/problems/{error.code}",
        "title": error.title,
        "status": mapped.status,
        "detail": error.detail,
        "code": error.code,
        **problem_fields(error),
    }
    headers = {**NO_STORE, **retry_headers(error)}
    if mapped.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="carrefour"'
    return JSONResponse(body, status_code=mapped.status, headers=headers)
