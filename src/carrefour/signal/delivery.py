"""The delivery worker: claims due outbox rows, pushes them to the subscribers' endpoints
(CloudEvents, signed per Standard Webhooks), and records each attempt with its journal entry.

Each attempt is journaled when it is claimed, before it is sent, and again with its outcome. A
failed attempt is retried after an exponential back-off with jitter, until the subscriber's
next success releases its waiting deliveries at once (:mod:`carrefour.signal.release`); a
delivery still failing ``dead_after`` after its first attempt becomes a dead letter, which
holds the later changes about the same person for that subscriber until it is replayed
(inspect, replay, retry with ``carrefour signal`` or ``/v1/admin/signal``). Several workers
(in one process or many, on one database) never send the same claimed row twice; a worker
that dies loses only its lease.

Nothing is sent where :mod:`carrefour.signal.egress` refuses (checked against the addresses
connected to, at send time; redirects are not followed): such an attempt fails with an
``endpoint-not-allowed`` error. The worker also purges settled payloads now and then
(:mod:`carrefour.signal.retention`), a few bounded batches at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp.abc import AbstractResolver
from sqlalchemy import Engine

from carrefour.db import describe_outage, is_outage
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.exchange import http1
from carrefour.journal.chain import append as journal_append
from carrefour.journal.entries import JournalEntry
from carrefour.settings import SettingsError, read_environment
from carrefour.signal import outbox
from carrefour.signal.cloudevents import encode
from carrefour.signal.domain import MutationTypes
from carrefour.signal.egress import REFUSED, EndpointGuard, EndpointRefused, GuardedResolver
from carrefour.signal.endpoints import AllowList, ip_or_none
from carrefour.signal.expiry import HUB, notice_expiries
from carrefour.signal.journaling import DELIVER, SEND, attempt_entry, event_of
from carrefour.signal.outbox import Attempt, Claimed
from carrefour.signal.recording import record_attempts
from carrefour.signal.retention import PurgeRun, purge_payloads
from carrefour.signal.webhooks import Signer

# A task the worker runs once a day (the status buffer's sweep): how many things it did.
DailyTask = Callable[[ReferenceSnapshot, dt.date], int]

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
KEEPALIVE_SECONDS = 15.0  # an idle connection to a subscriber is kept this long
MAX_ANSWER_BYTES = 1024 * 1024  # a subscriber's answer is read, then dropped


@dataclass(frozen=True, kw_only=True)
class DeliveryPolicy:
    """How deliveries are made; the values read from ``CARREFOUR_SIGNAL_*`` variables are
    named beside them (the one place where the signal function's settings are read)."""

    enabled: bool = True  # run a worker inside the hub process
    claim_batch: int = 500
    loops: int = 2  # claim/send/record cycles running at once in one worker
    lease_seconds: float = 30.0
    timeout_seconds: float = 5.0
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 300.0
    dead_after_seconds: float = 86_400.0
    poll_seconds: float = 0.5
    connections: int = 64
    expiry_every_seconds: float = 60.0  # look for expired integrations to tell about
    # ALLOWED_ENDPOINTS: endpoints beyond public https ones (networks, host[:port]; also http)
    allowed_endpoints: AllowList = field(default_factory=AllowList)
    retention_seconds: float = 259_200.0  # RETENTION: a dead letter keeps its payload 3 days
    purge_every_seconds: float = 60.0  # PURGE_EVERY: how often the worker purges payloads
    purge_batch: int = 1_000  # mutations per purge transaction
    purge_batches: int = 20  # batches per purge run of the worker (it continues next run)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeliveryPolicy:
        """The policy of the environment (validated by :mod:`carrefour.settings`)."""
        env = read_environment(environ)
        return cls(
            enabled=env.signal_worker,
            lease_seconds=env.signal_lease,
            timeout_seconds=env.signal_timeout,
            backoff_base_seconds=env.signal_backoff_base,
            backoff_cap_seconds=env.signal_backoff_cap,
            dead_after_seconds=env.signal_dead_after,
            poll_seconds=env.signal_poll,
            allowed_endpoints=_allowed(env.signal_allowed_endpoints),
            retention_seconds=env.signal_retention,
            purge_every_seconds=env.signal_purge_every,
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        """Exponential back-off with "equal jitter": half fixed, half random."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (attempts - 1))
        return dt.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


def _allowed(text: str) -> AllowList:
    try:
        return AllowList.parse(text)
    except ValueError as error:
        raise SettingsError(f"invalid setting {error}") from None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryWorker:
    def __init__(
        self,
        *,
        engine: Engine,
        reference_cache: ReferenceCache,
        types: MutationTypes,
        policy: DeliveryPolicy,
        clock: Clock = utc_now,
        today: Callable[[], dt.date] = dt.date.today,
        name: str | None = None,
        resolver: AbstractResolver | None = None,  # DNS (default: the system's)
        daily: DailyTask | None = None,  # the status buffer's sweep, once a day
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._types = types
        self._policy = policy
        self._clock = clock
        self._today = today
        self.name = name or f"worker-{os.getpid()}-{secrets.token_hex(3)}"
        self._signer = Signer()
        self._guard = EndpointGuard(policy.allowed_endpoints)
        self._resolver = resolver
        self._pools: dict[str, http1.Pool] = {}
        self._resolvers: list[GuardedResolver] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._expiries_checked: float = -float("inf")
        self._purged: float = -float("inf")
        self._purge_after = 0
        self._daily = daily
        self._daily_done_on: dt.date | None = None

    async def open(self) -> None:
        """Ready to send (``run_once`` may be called); ``start`` also runs the loops. One
        connection pool for https (public or allow-listed addresses), one for plain http
        (allow-listed only), each connecting only where the guard's resolver lets it.

        The pools are the hub's own HTTP/1.1 client (:mod:`carrefour.exchange.http1`), as for
        the sources: a delivery is one POST and its status, and aiohttp's session cost about
        five times its CPU a request."""
        for scheme, public in (("https", True), ("http", False)):
            resolver = GuardedResolver(
                self._policy.allowed_endpoints, public=public, inner=self._resolver
            )
            self._resolvers.append(resolver)
            self._pools[scheme] = http1.Pool(
                keepalive=KEEPALIVE_SECONDS, limit_per_source=self._policy.connections,
                max_answer_bytes=MAX_ANSWER_BYTES, resolve=_addresses_by(resolver),
            )

    async def start(self) -> None:
        await self.open()
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"{self.name}-{n}")
            for n in range(self._policy.loops)
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for pool in self._pools.values():
            await pool.close()
        for resolver in self._resolvers:
            await resolver.close()
        self._pools, self._resolvers = {}, []

    def wake(self) -> None:
        """New deliveries were committed: look now rather than at the next poll."""
        self._wakeup.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._maybe_notice_expiries()
                await self._maybe_run_daily()
                await self._maybe_purge()
                sent = await self.run_once()
            except Exception as error:  # the database is away: log, wait, try again
                _log_cycle_failure(error)
                sent = 0
            if sent == 0:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._policy.poll_seconds)

    async def _maybe_notice_expiries(self) -> None:
        if time.monotonic() - self._expiries_checked < self._policy.expiry_every_seconds:
            return
        self._expiries_checked = time.monotonic()
        await self.notice_expiries()

    async def _maybe_run_daily(self) -> None:
        today = self._today()
        if self._daily is None or self._daily_done_on == today:
            return
        await self.run_daily()
        self._daily_done_on = today

    async def run_daily(self) -> int:
        """The daily task (the status buffer's sweep); what it returns: the persons followed."""
        if self._daily is None:
            return 0
        snapshot = await self._reference.current()
        done = await asyncio.to_thread(self._daily, snapshot, self._today())
        if done:
            self.wake()
        return done

    async def notice_expiries(self) -> int:
        """Publish ``integration-expired`` mutations for integrations that ended."""
        snapshot = await self._reference.current()
        return await asyncio.to_thread(
            notice_expiries, self._engine, types=self._types, snapshot=snapshot,
            today=self._today(),
        )

    async def _maybe_purge(self) -> None:
        if time.monotonic() - self._purged < self._policy.purge_every_seconds:
            return
        self._purged = time.monotonic()
        await self.purge(max_batches=self._policy.purge_batches)

    async def purge(self, *, max_batches: int | None = None) -> PurgeRun:
        """Purge settled payloads, continuing where the last run stopped."""
        run = await asyncio.to_thread(
            purge_payloads, self._engine, now=self._clock(),
            retention=dt.timedelta(seconds=self._policy.retention_seconds),
            batch_size=self._policy.purge_batch, client=HUB, channel="signal",
            after=self._purge_after, max_batches=max_batches,
        )
        self._purge_after = run.after
        return run

    async def run_once(self) -> int:
        """One cycle: claim, send, record. How many deliveries were claimed."""
        snapshot = await self._reference.current()
        cbes = {i.id: i.cbe for i in snapshot.institutions.values()}
        claimed = await asyncio.to_thread(self._claim, cbes)
        if not claimed:
            return 0
        attempts = await self._send_all(claimed, cbes)
        await asyncio.to_thread(self._record, attempts, cbes)
        return len(claimed)

    def _claim(self, cbes: Mapping[int, str]) -> list[Claimed]:
        """Lease due deliveries, cancel those whose subscriber lost its file, and journal
        each attempt about to be made (in the claim's transaction: whatever happens after
        the send, the journal has at least every transmission the receivers saw)."""
        now = self._clock()
        lease = dt.timedelta(seconds=self._policy.lease_seconds)
        with self._engine.begin() as connection:
            claimed = outbox.claim(
                connection, worker=self.name, now=now, lease=lease, limit=self._policy.claim_batch
            )
            if not claimed:
                return []
            gone = outbox.no_longer_integrated(connection, claimed, self._types, self._today())
            outbox.cancel(connection, [c.id for c in gone], "not-integrated")
            kept = [c for c in claimed if c not in gone]

            def entry(c: Claimed, outcome: str, action: str) -> JournalEntry:
                client = cbes.get(c.institution_id, "?")
                return attempt_entry(c, client=client, cbes=cbes, outcome=outcome, action=action)

            journal_append(connection, [
                *(entry(c, "not-integrated", DELIVER) for c in gone),
                *(entry(c, f"claimed: attempt {c.attempts + 1}", SEND) for c in kept),
            ])
        return kept

    async def _send_all(self, claimed: Sequence[Claimed], cbes: Mapping[int, str]) -> list[Attempt]:
        groups: dict[int, list[Claimed]] = {}
        for c in claimed:
            groups.setdefault(c.subscription_id, []).append(c)
        requests = [
            chunk[i : i + chunk[0].batch_max]
            for chunk in groups.values()
            for i in range(0, len(chunk), chunk[0].batch_max)
        ]
        results = await asyncio.gather(*(self._send(r, cbes) for r in requests))
        return [attempt for result in results for attempt in result]

    async def _send(self, group: Sequence[Claimed], cbes: Mapping[int, str]) -> list[Attempt]:
        first = group[0]
        assert first.endpoint is not None
        batch = first.batch_max > 1
        body, content_type = encode([event_of(c, cbes) for c in group], batch=batch)
        message_id = f"batch-{first.id}-{len(group)}" if batch else first.event_id
        headers = self._signer.headers(
            first.secret, message_id=message_id, body=body, now=utc_now()
        )
        headers["content-type"] = content_type
        error = await self._post(first.endpoint, body, headers)
        return [Attempt(c, delivered=error is None, error=error) for c in group]

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> str | None:
        """None when the receiver took it (2xx), otherwise what went wrong."""
        refused = self._guard.before_sending(url)
        if refused is not None:
            return f"{REFUSED}: {refused}"
        pool = self._pools["http" if url[:5].lower() == "http:" else "https"]
        try:
            async with asyncio.timeout(self._policy.timeout_seconds):
                try:
                    reply = await pool.post(url, body, headers)
                except http1.ClosedOnReuse:  # an idle connection the subscriber had closed
                    reply = await pool.post(url, body, headers)  # once more, on a new one
        except TimeoutError:
            return "timeout"
        except EndpointRefused as error:
            return str(error)
        except (http1.ClientError, OSError) as error:
            return f"{type(error).__name__}: {error}"[:300]
        return None if 200 <= reply.status < 300 else f"HTTP {reply.status}"

    def _record(self, attempts: Sequence[Attempt], cbes: Mapping[int, str]) -> None:
        started = time.perf_counter()
        record_attempts(
            self._engine,
            attempts,
            worker=self.name,
            now=self._clock(),
            policy=self._policy,
            cbes=cbes,
        )
        log.debug("recorded %d attempts in %.3f s", len(attempts), time.perf_counter() - started)


def _addresses_by(resolver: GuardedResolver) -> http1.Resolve:
    """The addresses the guard's resolver lets a connection to a host go to (it raises
    :class:`EndpointRefused` when there is none); a host written as an address was checked
    before sending and is connected to as it is."""

    async def addresses(host: str, port: int) -> list[str]:
        if ip_or_none(host) is not None:
            return [host]
        return [found["host"] for found in await resolver.resolve(host, port, socket.AF_UNSPEC)]

    return addresses


def _log_cycle_failure(error: Exception) -> None:
    if is_outage(error):  # one line: the fault is the database's, not the worker's
        log.error("delivery cycle failed: the database is unavailable (%s)",
                  describe_outage(error))
    else:
        log.error("delivery cycle failed", exc_info=error)
