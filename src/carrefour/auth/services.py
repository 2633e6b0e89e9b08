"""Issue and check access tokens (OAuth2 client credentials grant, RFC 6749 §4.4)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select

from carrefour.auth.roles import check_role
from carrefour.auth.tables import credentials
from carrefour.errors import Forbidden, InvalidCredentials, Unauthenticated

_ALGORITHM = "HS256"
_hasher = PasswordHasher()


class Scope(StrEnum):
    CONSULT = "consult"  # consultations, integrations, identification
    PUBLISH = "publish"  # a source publishing mutations
    ADMIN = "admin"  # the hub's operators: directory, deliberations, journal


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated institution, as carried by its token."""

    client_id: str
    institution_id: int
    scopes: frozenset[str]

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This operation needs the '{scope}' scope, which the client lacks.")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the authenticated institution and the end user behind it."""

    caller: Caller
    end_user_id: str
    end_user_role: str
    channel: str = "rest"
    listed_role: bool = True
    """Whether ``end_user_role`` is a role of the list (``check_role``); False where the
    channel carries none (CBSS SOAP names the user by an e-mail address or legal context)."""

    def check_role(self, sector: int) -> None:
        if self.listed_role:
            check_role(self.end_user_role, sector=sector)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class NewCredentials:
    client_id: str
    client_secret: str


def create_credentials(
    engine: Engine,
    *,
    institution_id: int,
    scopes: Iterable[Scope],
    client_id: str | None = None,
    client_secret: str | None = None,
) -> NewCredentials:
    """Create a client id and secret for an institution; only the secret's hash is kept."""
    client_id = client_id or f"inst-{institution_id}-{secrets.token_hex(4)}"
    client_secret = client_secret or secrets.token_urlsafe(24)
    with engine.begin() as connection:
        connection.execute(
            credentials.insert().values(
                client_id=client_id,
                institution_id=institution_id,
                secret_hash=_hasher.hash(client_secret),
                scopes=sorted(str(s) for s in scopes),
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    return NewCredentials(client_id, client_secret)


def issue_token(
    engine: Engine, *, client_id: str, client_secret: str, secret: str, ttl_seconds: int
) -> IssuedToken:
    """Exchange valid client credentials for a signed token valid ``ttl_seconds``."""
    caller = verify_client(engine, client_id=client_id, client_secret=client_secret)
    now = int(time.time())
    scope = " ".join(sorted(caller.scopes))
    claims = {
        "sub": caller.client_id,
        "inst": caller.institution_id,
        "scope": scope,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    token = jwt.encode(claims, secret, algorithm=_ALGORITHM)
    return IssuedToken(access_token=token, expires_in=ttl_seconds, scope=scope)


def verify_client(engine: Engine, *, client_id: str, client_secret: str) -> Caller:
    """The caller that client credentials stand for (the token endpoint, and HTTP Basic on
    the SOAP endpoints); raises :class:`InvalidCredentials` otherwise."""
    if "\x00" in client_id:  # no client id holds one, and the database cannot look it up
        raise InvalidCredentials("The client id or secret is wrong, or the client was revoked.")
    with engine.connect() as connection:
        row = (
            connection.execute(select(credentials).where(credentials.c.client_id == client_id))
            .mappings()
            .first()
        )
    if (
        row is None
        or row["revoked_at"] is not None
        or not _verify(row["secret_hash"], client_secret)
    ):
        raise InvalidCredentials("The client id or secret is wrong, or the client was revoked.")
    return Caller(
        client_id=client_id,
        institution_id=int(row["institution_id"]),
        scopes=frozenset(str(s) for s in row["scopes"]),
    )


def _verify(secret_hash: str, client_secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, client_secret)
    except (VerificationError, InvalidHashError):
        return False


class TokenVerifier:
    """Checks bearer tokens, remembering the ones already verified until they expire (a token
    is presented on every request; its signature needs checking only once)."""

    def __init__(self, secret: str, *, capacity: int = 10_000) -> None:
        self._secret = secret
        self._capacity = capacity
        self._verified: dict[str, tuple[Caller, int]] = {}

    def __call__(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        caller, expires = _decode(token, secret=self._secret)
        if len(self._verified) >= self._capacity:
            self._verified.clear()
        self._verified[token] = (caller, expires)
        return caller


def authenticate(token: str, *, secret: str) -> Caller:
    """The caller a bearer token stands for; raises :class:`Unauthenticated` otherwise."""
    return _decode(token, secret=secret)[0]


def _decode(token: str, *, secret: str) -> tuple[Caller, int]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "inst"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The access token has expired; request a new one.") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("The access token is not valid.") from None
    return _caller_of(claims), int(claims["exp"])


def _caller_of(claims: dict[str, object]) -> Caller:
    """The caller a token's claims name; a claim of the wrong type makes the token invalid
    (the hub signs only tokens it issued, but a leaked or reused secret must not crash it)."""
    subject, institution, scope = claims["sub"], claims["inst"], claims.get("scope", "")
    if (
        not isinstance(subject, str)
        or not isinstance(institution, int)
        or isinstance(institution, bool)
        or not isinstance(scope, str)
    ):
        raise Unauthenticated("The access token is not valid.")
    return Caller(
        client_id=subject, institution_id=institution, scopes=frozenset(scope.split())
    )
