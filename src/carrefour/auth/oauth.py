"""The OAuth2 token endpoint's use case (client credentials grant, RFC 6749 §4.4) and its
error responses (§5.2): ``error`` and ``error_description`` beside the problem fields."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from urllib.parse import unquote_plus

from carrefour.auth.guard import Authenticator, authentication_act, journaled_id
from carrefour.auth.services import Caller, IssuedToken, sign_token
from carrefour.errors import (
    AuthenticationBusy,
    CarrefourError,
    Forbidden,
    InvalidCredentials,
    InvalidInput,
    InvalidScope,
    TooManyAttempts,
    Unauthenticated,
    UnsupportedGrantType,
)
from carrefour.journal.recorded import Stamp, Ticketed, journaled

GRANT_TYPE = "client_credentials"
MAX_FIELD = 1000  # characters of any parameter; longer ones are refused as invalid_request


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRequest:
    """The form fields and the Authorization header of a token request."""

    grant_type: str | None
    client_id: str | None
    client_secret: str | None
    scope: str | None
    authorization: str | None

    @property
    def uses_basic(self) -> bool:
        return bool(self.authorization and self.authorization.lower().startswith("basic "))


async def issue(
    auth: Authenticator,
    request: TokenRequest,
    *,
    address: str | None,
    signing_secret: str,
    ttl_seconds: int,
) -> Ticketed[IssuedToken]:
    """A signed token for valid client credentials; journaled, refusals included."""

    async def work(stamp: Stamp) -> IssuedToken:
        _check_lengths(request)
        client_id, secret = client_credentials(request)
        stamp.act = replace(stamp.act, client=journaled_id(client_id))
        if not request.grant_type:
            raise InvalidInput("The grant_type parameter is required.")
        if request.grant_type != GRANT_TYPE:
            raise UnsupportedGrantType(f"Only the '{GRANT_TYPE}' grant type is supported.")
        caller = await auth.check(client_id, secret, address=address)
        scopes = requested_scopes(request.scope, caller)
        return sign_token(caller, secret=signing_secret, ttl_seconds=ttl_seconds, scopes=scopes)

    act = authentication_act("rest", request.client_id, address)
    return await journaled(auth.journal, act, work)


def _check_lengths(request: TokenRequest) -> None:
    fields = (request.grant_type, request.client_id, request.client_secret, request.scope,
              request.authorization)
    if any(len(value) > MAX_FIELD for value in fields if value is not None):
        raise InvalidInput(f"A parameter is longer than {MAX_FIELD} characters.")


def client_credentials(request: TokenRequest) -> tuple[str, str]:
    """The client id and secret, from HTTP Basic (RFC 6749 §2.3.1) or from the form."""
    in_form = request.client_secret is not None
    if request.uses_basic:
        if in_form:
            raise InvalidInput("Authenticate with HTTP Basic or with form fields, not both.")
        return _basic(request.authorization or "")
    if request.client_id and request.client_secret:
        return request.client_id, request.client_secret
    raise InvalidCredentials("Give client_id and client_secret (form fields or HTTP Basic).")


def _basic(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidInput("The Basic authorization header is malformed.") from None
    user, colon, password = decoded.partition(":")
    if not colon or not user or not password:
        raise InvalidCredentials("The Basic credentials need a client id and a secret.")
    return unquote_plus(user), unquote_plus(password)


def requested_scopes(scope: str | None, caller: Caller) -> frozenset[str] | None:
    """The scopes asked for (all the client's when none are), never more than it holds."""
    if scope is None or not scope.strip():
        return None
    asked = frozenset(scope.split())
    beyond = sorted(asked - caller.scopes)
    if beyond:
        raise InvalidScope(f"The client was not granted the scope(s): {', '.join(beyond)}.")
    return asked


@dataclass(frozen=True, slots=True)
class OAuthError:
    error: str
    status: int


def oauth_error(error: CarrefourError, *, basic: bool) -> OAuthError:
    """The RFC 6749 §5.2 error code and the HTTP status of a refused token request: 401 for a
    client that authenticated with HTTP Basic (with ``WWW-Authenticate``), 400 otherwise; 429
    and 503 when the hub refused to check the credentials at all."""
    if isinstance(error, UnsupportedGrantType):
        return OAuthError("unsupported_grant_type", 400)
    if isinstance(error, InvalidScope):
        return OAuthError("invalid_scope", 400)
    if isinstance(error, InvalidInput):
        return OAuthError("invalid_request", 400)
    if isinstance(error, TooManyAttempts):
        return OAuthError("invalid_client", 429)
    if isinstance(error, Unauthenticated | Forbidden):
        return OAuthError("invalid_client", 401 if basic else 400)
    if isinstance(error, AuthenticationBusy) or error.status == 503:
        return OAuthError("temporarily_unavailable", 503)
    return OAuthError("server_error", error.status)
