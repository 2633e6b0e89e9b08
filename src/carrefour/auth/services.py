"""Issue and check access tokens (OAuth2 client credentials grant, RFC 6749 §4.4)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from sqlalchemy import Connection, Engine, select, update

from carrefour.auth.hashing import SecretHasher
from carrefour.auth.roles import check_role
from carrefour.auth.tables import credentials
from carrefour.directory.repository import bump_version
from carrefour.directory.tables import institutions
from carrefour.errors import (
    ClientRevoked,
    Forbidden,
    InstitutionDisabled,
    InvalidCredentials,
    NotFound,
    Unauthenticated,
)
from carrefour.journal import audit
from carrefour.journal.recorded import Stamp

_ALGORITHM = "HS256"
HASHER = SecretHasher()  # argon2id with argon2-cffi's default parameters


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
    stamp: Stamp | None = None,
) -> NewCredentials:
    """Create a client id and secret for an institution; only the secret's hash is kept.
    Journaled (``stamp``: who acts, by default the local operator) without the secret."""
    client_id = client_id or f"inst-{institution_id}-{secrets.token_hex(4)}"
    client_secret = client_secret or secrets.token_urlsafe(24)
    with engine.begin() as connection:
        connection.execute(
            credentials.insert().values(
                client_id=client_id,
                institution_id=institution_id,
                secret_hash=HASHER.hash(client_secret),
                scopes=sorted(str(s) for s in scopes),
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        state = _state(connection, client_id)
        change = audit.Change(audit.Kind.CREDENTIALS, client_id, None, state)
        audit.commit(connection, stamp or audit.local_stamp("admin-add-credentials"), [change])
    return NewCredentials(client_id, client_secret)


def revoke_credentials(
    engine: Engine, client_id: str, *, stamp: Stamp | None = None
) -> dict[str, Any]:
    """Revoke client credentials: their tokens and HTTP Basic use are refused from now on
    (at once in this process; other hub processes see it at their next reference check)."""
    with engine.begin() as connection:
        before = _state(connection, client_id)
        if before is None:
            raise NotFound(f"No client credentials have the id {client_id!r}.")
        connection.execute(
            update(credentials)
            .where(credentials.c.client_id == client_id, credentials.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
        bump_version(connection)
        after = _state(connection, client_id)
        assert after is not None
        change = audit.Change(audit.Kind.CREDENTIALS, client_id, before, after)
        audit.commit(connection, stamp or audit.local_stamp("admin-revoke-credentials"), [change])
    return after


def _state(connection: Connection, client_id: str) -> dict[str, Any] | None:
    """What the audit trail keeps of credentials: never the secret nor its hash."""
    query = (
        select(credentials.c.client_id, institutions.c.cbe, credentials.c.scopes,
               credentials.c.created_at, credentials.c.revoked_at)
        .select_from(credentials.join(institutions))
        .where(credentials.c.client_id == client_id)
    )
    row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return {
        "client_id": row["client_id"],
        "institution": row["cbe"],
        "scopes": sorted(str(s) for s in row["scopes"]),
        "created_at": _aware(row["created_at"]),
        "revoked_at": None if row["revoked_at"] is None else _aware(row["revoked_at"]),
    }


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredClient:
    """Client credentials as stored, with the standing of their institution."""

    client_id: str
    institution_id: int
    secret_hash: str
    scopes: frozenset[str]
    revoked: bool
    institution_active: bool


def lookup_client(engine: Engine, client_id: str) -> StoredClient | None:
    if "\x00" in client_id:  # no client id holds one, and the database cannot look it up
        return None
    query = (
        select(credentials, institutions.c.active)
        .select_from(credentials.join(institutions))
        .where(credentials.c.client_id == client_id)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return StoredClient(
        client_id=row["client_id"],
        institution_id=int(row["institution_id"]),
        secret_hash=row["secret_hash"],
        scopes=frozenset(str(s) for s in row["scopes"]),
        revoked=row["revoked_at"] is not None,
        institution_active=bool(row["active"]),
    )


def check_client(
    stored: StoredClient | None, client_secret: str, *, hasher: SecretHasher
) -> Caller:
    """The caller, if the secret is right and the client in good standing. The secret is
    checked first, always (an unknown id against the dummy hash): every refusal costs one
    hash, and only the holder of the right secret learns that a client was revoked."""
    matched = hasher.verify(None if stored is None else stored.secret_hash, client_secret)
    if stored is None or not matched:
        raise InvalidCredentials("The client id or secret is wrong.")
    if stored.revoked:
        raise ClientRevoked("These client credentials were revoked.")
    if not stored.institution_active:
        raise InstitutionDisabled("The institution of these credentials is disabled.")
    return Caller(
        client_id=stored.client_id, institution_id=stored.institution_id, scopes=stored.scopes
    )


def verify_client(engine: Engine, *, client_id: str, client_secret: str) -> Caller:
    """The caller that client credentials stand for; raises :class:`InvalidCredentials`
    (or a subclass) otherwise. Synchronous and unthrottled: the hub's entry points go through
    :class:`carrefour.auth.guard.Authenticator`."""
    return check_client(lookup_client(engine, client_id), client_secret, hasher=HASHER)


def issue_token(
    engine: Engine, *, client_id: str, client_secret: str, secret: str, ttl_seconds: int
) -> IssuedToken:
    """Exchange valid client credentials for a signed token valid ``ttl_seconds``."""
    caller = verify_client(engine, client_id=client_id, client_secret=client_secret)
    return sign_token(caller, secret=secret, ttl_seconds=ttl_seconds)


def sign_token(
    caller: Caller, *, secret: str, ttl_seconds: int, scopes: frozenset[str] | None = None
) -> IssuedToken:
    """A signed token for ``caller`` with its scopes (or the subset ``scopes``)."""
    now = int(time.time())
    scope = " ".join(sorted(caller.scopes if scopes is None else scopes))
    claims = {
        "sub": caller.client_id,
        "inst": caller.institution_id,
        "scope": scope,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    token = jwt.encode(claims, secret, algorithm=_ALGORITHM)
    return IssuedToken(access_token=token, expires_in=ttl_seconds, scope=scope)


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


@dataclass(frozen=True, slots=True, kw_only=True)
class CredentialsRow:
    """Client credentials as an operator sees them (never the secret nor its hash)."""

    client_id: str
    institution_id: int
    scopes: tuple[str, ...]
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def list_credentials(engine: Engine) -> list[CredentialsRow]:
    query = select(
        credentials.c.client_id, credentials.c.institution_id, credentials.c.scopes,
        credentials.c.created_at, credentials.c.revoked_at,
    ).order_by(credentials.c.institution_id, credentials.c.created_at)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        CredentialsRow(
            client_id=row["client_id"], institution_id=row["institution_id"],
            scopes=tuple(row["scopes"]), created_at=_aware(row["created_at"]),
            revoked_at=None if row["revoked_at"] is None else _aware(row["revoked_at"]),
        )
        for row in rows
    ]
