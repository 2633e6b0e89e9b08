"""The console's session: a signed, short-lived token in an HttpOnly cookie (audience
``carrefour-console``, so that it is never taken for an API token, nor an API token for it)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from carrefour.console.domain import Session
from carrefour.errors import Unauthenticated

COOKIE = "carrefour_console"
AUDIENCE = "carrefour-console"
_ALGORITHM = "HS256"


def encode(session: Session, *, secret: str, minutes: int) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": AUDIENCE, "iat": now, "exp": now + 60 * minutes,
        "kind": session.kind, "sub": session.end_user_id, "role": session.role,
        "lang": session.language, "cid": session.client_id, "inst": session.institution_id,
        "scope": " ".join(sorted(session.scopes)), "niss": session.niss,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode(token: str | None, *, secret: str) -> Session:
    if not token:
        raise Unauthenticated("Sign in to the console.")
    try:
        claims = jwt.decode(token[:4000], secret, algorithms=[_ALGORITHM], audience=AUDIENCE)
        return Session(
            kind=str(claims["kind"]), end_user_id=str(claims["sub"]), role=str(claims["role"]),
            language=str(claims["lang"]), client_id=claims.get("cid"),
            institution_id=claims.get("inst"), scopes=frozenset(str(claims["scope"]).split()),
            niss=claims.get("niss"),
        )
    except (jwt.InvalidTokenError, KeyError):
        raise Unauthenticated("The console session has expired; sign in again.") from None
