"""Citizens sign in with an identity provider over OpenID Connect (authorization code flow):
the redirect and the code exchange (client secret over HTTP Basic) with httpx, and joserfc
(the JOSE library of the authlib project) to check the ID token's signature against the
provider's JWKS, its issuer, audience, expiry and nonce. The
demo's simulated eID provider and the federal authentication service differ only by their
settings (:class:`~carrefour.console.settings.OidcSettings`)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from carrefour.console.settings import OidcSettings
from carrefour.errors import Unauthenticated

STATE_COOKIE = "carrefour_oidc"
_STATE_AUDIENCE = "carrefour-console-oidc"


@dataclass(frozen=True, slots=True)
class Started:
    url: str  # where to send the browser
    state_cookie: str  # what to remember until the provider sends it back


class OidcClient:
    def __init__(self, settings: OidcSettings, *, secret: str) -> None:
        self.settings = settings
        self._secret = secret
        self._metadata: dict[str, Any] | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            self._metadata = await _get_json(
                f"{self.settings.issuer}/.well-known/openid-configuration")
        return self._metadata

    async def start(self, redirect_uri: str, language: str) -> Started:
        """The authorization request, with a state and a nonce kept in a signed cookie."""
        found = await self.metadata()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        query = urlencode({"response_type": "code", "client_id": self.settings.client_id,
                           "redirect_uri": redirect_uri, "scope": self.settings.scope,
                           "state": state, "nonce": nonce})
        url = f"{found['authorization_endpoint']}?{query}"
        claims = {"aud": _STATE_AUDIENCE, "exp": int(time.time()) + 600, "state": state,
                  "nonce": nonce, "lang": language}
        return Started(str(url), jwt.encode(claims, self._secret, algorithm="HS256"))

    async def finish(
        self, *, code: str, state: str, state_cookie: str | None, redirect_uri: str
    ) -> tuple[str, str, str]:
        """The NISS and subject the provider vouches for, and the language chosen."""
        remembered = self._remembered(state_cookie)
        if not secrets.compare_digest(remembered["state"], state):
            raise Unauthenticated("The identity provider's answer is not for this sign-in.")
        found = await self.metadata()
        token = await self._exchange(found["token_endpoint"], code, redirect_uri)
        claims = await self._verified(str(token.get("id_token", "")), remembered["nonce"])
        niss = claims.get(self.settings.niss_claim)
        if not isinstance(niss, str):
            raise Unauthenticated("The identity provider gave no national number.")
        return niss, str(claims["sub"]), str(remembered["lang"])

    def _remembered(self, cookie: str | None) -> dict[str, Any]:
        try:
            return dict(jwt.decode(cookie or "", self._secret, algorithms=["HS256"],
                                   audience=_STATE_AUDIENCE))
        except jwt.InvalidTokenError:
            raise Unauthenticated("The sign-in took too long or was not started here.") from None

    async def _verified(self, id_token: str, nonce: str) -> dict[str, Any]:
        found = await self.metadata()
        keys = await _get_json(found["jwks_uri"])
        registry = jose_jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
            token = jose_jwt.decode(id_token, key_set, algorithms=["RS256"])
            registry.validate(token.claims)
        except (JoseError, ValueError) as error:
            raise Unauthenticated(f"The ID token is not valid ({error}).") from None
        return dict(token.claims)

    async def _exchange(self, endpoint: str, code: str, redirect_uri: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        auth = (self.settings.client_id, self.settings.client_secret)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(endpoint, data=form, auth=auth)
            answer.raise_for_status()
            return dict(answer.json())
        except (httpx.HTTPError, ValueError) as error:
            raise Unauthenticated(
                f"The identity provider refused the sign-in ({error})."
            ) from None


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            found = await client.get(url)
        found.raise_for_status()
        return dict(found.json())
    except (httpx.HTTPError, ValueError) as error:
        raise Unauthenticated(f"The identity provider cannot be reached ({error}).") from None
