"""The simulated eID provider (OpenID Connect, authorization code flow).

The citizen "reads their card" by typing their national number on the provider's page; the
provider redirects back with a code, which the client exchanges (client secret, HTTP Basic or
form) for an ID token signed with RS256 whose key is published at ``/jwks``. The national
number travels in the ``egovNRN`` claim, as with the federal authentication service."""

from __future__ import annotations

import base64
import html
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

NISS_CLAIM = "egovNRN"


@dataclass(frozen=True, slots=True)
class Grant:
    niss: str
    nonce: str
    client_id: str
    redirect_uri: str
    expires: float


class Provider:
    def __init__(self, *, clients: dict[str, str], issuer: str | None = None) -> None:
        self.clients = clients  # client id -> secret
        self.issuer = issuer  # None: the address the provider is reached at
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8)})
        self.grants: dict[str, Grant] = {}

    def id_token(self, grant: Grant, issuer: str) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "aud": grant.client_id, "sub": f"eid-{grant.niss[-4:]}",
                  "iat": now, "exp": now + 300, "nonce": grant.nonce, NISS_CLAIM: grant.niss}
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def client_of(self, request: Request, form: dict[str, Any]) -> str | None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        known = self.clients.get(str(client_id))
        return str(client_id) if known is not None and known == secret else None


def create_app(provider: Provider) -> FastAPI:
    app = FastAPI(title="Simulated eID provider", docs_url=None, redoc_url=None)

    def issuer(request: Request) -> str:
        return provider.issuer or str(request.base_url).rstrip("/")

    @app.get("/.well-known/openid-configuration")
    async def discovery(request: Request) -> dict[str, Any]:
        base = issuer(request)
        return {"issuer": base, "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                          "client_secret_post"]}

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return dict(KeySet([provider.key]).as_dict(private=False))

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize_page(
        client_id: Annotated[str, Query()], redirect_uri: Annotated[str, Query()],
        state: Annotated[str, Query()] = "", nonce: Annotated[str, Query()] = "",
    ) -> Response:
        if client_id not in provider.clients:
            return HTMLResponse("Unknown client", status_code=400)
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
            for k, v in (("client_id", client_id), ("redirect_uri", redirect_uri),
                         ("state", state), ("nonce", nonce))
        )
        return HTMLResponse(PAGE.format(hidden=hidden))

    @app.post("/authorize")
    async def authorize(
        niss: Annotated[str, Form()], client_id: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()], state: Annotated[str, Form()] = "",
        nonce: Annotated[str, Form()] = "",
    ) -> Response:
        digits = "".join(c for c in niss if c.isdigit())
        code = secrets.token_urlsafe(24)
        provider.grants[code] = Grant(digits, nonce, client_id, redirect_uri, time.time() + 60)
        query = urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}?{query}", status_code=303)

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = dict(await request.form())
        client_id = provider.client_of(request, form)
        grant = provider.grants.pop(str(form.get("code", "")), None)
        if (client_id is None or grant is None or grant.client_id != client_id
                or grant.expires < time.time() or grant.redirect_uri != form.get("redirect_uri")):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        signed = provider.id_token(grant, issuer(request))
        return JSONResponse({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                             "expires_in": 300, "id_token": signed})

    return app


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>eID — simulated identity provider</title>
<style>body{{font-family:system-ui,sans-serif;margin:3rem;}}
form{{display:grid;gap:.8rem;max-width:22rem}}
button{{background:#5a2a82;color:#fff;border:0;padding:.5rem}}</style></head><body>
<h1>eID</h1><p>Simulated identity provider: insert your card (type your national number).</p>
<form method="post" action="/authorize">{hidden}
<label>National number <input name="niss" id="niss" required autofocus></label>
<button type="submit" id="authenticate">Authenticate</button></form></body></html>"""
