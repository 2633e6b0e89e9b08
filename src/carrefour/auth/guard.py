"""The hub's door: client credentials checked with throttling and bounded hash work (the token
endpoint and SOAP HTTP Basic), and the client of every bearer token admitted against the
reference snapshot (revoked credentials, disabled institutions). Every refusal is journaled
with the action ``authenticate``, the client id attempted as client and the caller's address
as end user (never the secret)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from carrefour.auth import services
from carrefour.auth.hashing import HashPool, SecretHasher
from carrefour.auth.services import Caller, check_client, lookup_client
from carrefour.auth.throttle import FailureThrottle
from carrefour.directory.cache import ReferenceCache
from carrefour.errors import (
    AuthenticationBusy,
    CarrefourError,
    InstitutionDisabled,
    InvalidCredentials,
    TooManyAttempts,
)
from carrefour.journal.recorded import Act, Stamp, journaled
from carrefour.journal.writer import JournalWriter
from carrefour.observability.metrics import HubMetrics

ACTION = "authenticate"
MAX_CLIENT = 80  # characters of an attempted client id that the journal keeps


def authentication_act(channel: str, client_id: str | None, address: str | None) -> Act:
    return Act(
        channel=channel,
        action=ACTION,
        client=journaled_id(client_id),
        end_user_id=address,
        end_user_role="client-address" if address else None,
        service=None,
        niss=None,
    )


def journaled_id(client_id: str | None) -> str:
    """The attempted client id as the journal keeps it: cut, and with any NUL character (which
    no database text column stores) shown as U+FFFD."""
    return (client_id or "-")[:MAX_CLIENT].replace("\x00", "\ufffd")


class Authenticator:
    def __init__(
        self,
        *,
        engine: Engine,
        reference: ReferenceCache,
        journal: JournalWriter,
        throttle: FailureThrottle,
        pool: HashPool,
        hasher: SecretHasher | None = None,
        refusal_delay: float = 0.0,
        metrics: HubMetrics | None = None,
    ) -> None:
        self.metrics = metrics or HubMetrics()
        self._engine = engine
        self._reference = reference
        self.journal = journal
        self.throttle = throttle
        self.pool = pool
        self.hasher = hasher or services.HASHER
        self.refusal_delay = refusal_delay

    async def authenticate(
        self, client_id: str, secret: str, *, address: str | None, channel: str
    ) -> Caller:
        """The caller the credentials stand for; journaled, refusals included."""

        async def work(_stamp: Stamp) -> Caller:
            return await self.check(client_id, secret, address=address, channel=channel)

        act = authentication_act(channel, client_id, address)
        return (await journaled(self.journal, act, work)).value

    def refused(self, channel: str, error: CarrefourError) -> None:
        """Count a refused authentication (a failure, or an attempt refused unchecked)."""
        throttled = isinstance(error, (TooManyAttempts, AuthenticationBusy))
        self.metrics.authentication_refused(channel=channel, code=error.code, throttled=throttled)

    async def check(
        self, client_id: str, secret: str, *, address: str | None, channel: str = "rest"
    ) -> Caller:
        """Throttle first (no hash work for an id or address that must wait), then the secret
        on the hash pool, queued by the attempt's standing. A failure counts against the id
        and the address, an attempt the full pool could not take against the address; both
        refusals without a check are answered after ``refusal_delay`` (a client ignoring
        Retry-After cannot loop fast). A success clears the id's failures."""
        try:
            self.throttle.check(client_id, address)
            standing = self.throttle.standing(client_id, address)
            caller = await self.pool.run(self._verify, client_id, secret, standing=standing)
        except (InvalidCredentials, InstitutionDisabled) as failed:
            self.throttle.failed(client_id, address)
            self.refused(channel, failed)
            raise
        except (TooManyAttempts, AuthenticationBusy) as refused:
            self.refused(channel, refused)
            if isinstance(refused, AuthenticationBusy):
                self.throttle.unchecked(address)
            await asyncio.sleep(self.refusal_delay)
            raise
        self.throttle.succeeded(client_id, address)
        return caller

    def _verify(self, client_id: str, secret: str) -> Caller:
        return check_client(lookup_client(self._engine, client_id), secret, hasher=self.hasher)

    async def admit(self, caller: Caller, *, channel: str, address: str | None = None) -> None:
        """Refuse (and journal) a caller whose credentials were revoked or whose institution
        is disabled, however valid its token or cached credentials: a set look-up."""
        snapshot = await self._reference.current()
        try:
            snapshot.admit(caller.client_id, caller.institution_id)
        except CarrefourError as error:
            stamp = Stamp(authentication_act(channel, caller.client_id, address))
            await self.journal.record(stamp.entry(error.code))
            error.extra["ticket"] = stamp.ticket
            self.refused(channel, error)
            raise

    def close(self) -> None:
        self.pool.close()
