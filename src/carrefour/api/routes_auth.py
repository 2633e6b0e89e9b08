"""OAuth2 client credentials: ``POST /oauth/token``."""

from __future__ import annotations

import asyncio
import base64
from typing import Annotated

from fastapi import APIRouter, Form, Header

from carrefour.api.deps import HubDep
from carrefour.api.schemas import TokenOut
from carrefour.auth.services import issue_token
from carrefour.errors import InvalidCredentials, InvalidInput

router = APIRouter(tags=["authentication"])


@router.post("/oauth/token", response_model=TokenOut)
async def token(
    hub: HubDep,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> TokenOut:
    """Exchange client credentials (form fields or HTTP Basic) for a short-lived token."""
    if grant_type != "client_credentials":
        raise InvalidInput("Only the 'client_credentials' grant type is supported.")
    client_id, client_secret = _credentials(client_id, client_secret, authorization)
    issued = await asyncio.to_thread(
        issue_token,
        hub.engine,
        client_id=client_id,
        client_secret=client_secret,
        secret=hub.settings.token_secret,
        ttl_seconds=hub.settings.token_ttl_seconds,
    )
    return TokenOut(
        access_token=issued.access_token,
        token_type=issued.token_type,
        expires_in=issued.expires_in,
        scope=issued.scope,
    )


def _credentials(
    client_id: str | None, client_secret: str | None, authorization: str | None
) -> tuple[str, str]:
    if client_id and client_secret:
        return client_id, client_secret
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
            user, _, password = decoded.partition(":")
        except (ValueError, UnicodeDecodeError):
            raise InvalidCredentials("The Basic authorization header is malformed.") from None
        if user and password:
            return user, password
    raise InvalidCredentials("Give client_id and client_secret (form fields or HTTP Basic).")
