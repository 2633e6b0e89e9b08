"""The delivery worker: claims due outbox rows, pushes them to the subscribers' endpoints
(CloudEvents, signed per Standard Webhooks), and records each attempt with its journal entry.

A failed attempt is retried after an exponential back-off with jitter; a delivery still failing
``dead_after`` after it was queued becomes a dead letter (inspect and replay them with
``carrefour signal`` or ``/v1/admin/signal``). Several workers (in one process or many, on one
database) never send the same claimed row twice; a worker that dies loses only its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
from sqlalchemy import Engine

from carrefour.directory.cache import ReferenceCache
from carrefour.journal.chain import append as journal_append
from carrefour.signal import outbox
from carrefour.signal.cloudevents import encode
from carrefour.signal.domain import MutationTypes
from carrefour.signal.expiry import notice_expiries
from carrefour.signal.journaling import attempt_entry, event_of
from carrefour.signal.outbox import Attempt, Claimed
from carrefour.signal.recording import record_attempts
from carrefour.signal.webhooks import Signer

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, kw_only=True)
class DeliveryPolicy:
    """How deliveries are made; every value has a ``CARREFOUR_SIGNAL_*`` variable."""

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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeliveryPolicy:
        env = os.environ if environ is None else environ

        def number(name: str, default: float) -> float:
            return float(env.get(f"CARREFOUR_SIGNAL_{name}", default))

        defaults = cls()
        return cls(
            enabled=env.get("CARREFOUR_SIGNAL_WORKER", "1") not in ("0", "false", "no"),
            lease_seconds=number("LEASE", defaults.lease_seconds),
            timeout_seconds=number("TIMEOUT", defaults.timeout_seconds),
            backoff_base_seconds=number("BACKOFF_BASE", defaults.backoff_base_seconds),
            backoff_cap_seconds=number("BACKOFF_CAP", defaults.backoff_cap_seconds),
            dead_after_seconds=number("DEAD_AFTER", defaults.dead_after_seconds),
            poll_seconds=number("POLL", defaults.poll_seconds),
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        """Exponential back-off with "equal jitter": half fixed, half random."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (attempts - 1))
        return dt.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


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
    ) -> None:
        self._engine = engine
        self._reference = reference_cache
        self._types = types
        self._policy = policy
        self._clock = clock
        self._today = today
        self.name = name or f"worker-{os.getpid()}-{secrets.token_hex(3)}"
        self._signer = Signer()
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._expiries_checked: float = -float("inf")

    async def open(self) -> None:
        """Ready to send (``run_once`` may be called); ``start`` also runs the loops."""
        connector = aiohttp.TCPConnector(limit=self._policy.connections)
        timeout = aiohttp.ClientTimeout(total=self._policy.timeout_seconds)
        self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)

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
        if self._session is not None:
            await self._session.close()
            self._session = None

    def wake(self) -> None:
        """New deliveries were committed: look now rather than at the next poll."""
        self._wakeup.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._maybe_notice_expiries()
                sent = await self.run_once()
            except Exception:  # the database is away: log, wait, try again
                log.exception("delivery cycle failed")
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

    async def notice_expiries(self) -> int:
        """Publish ``integration-expired`` mutations for integrations that ended."""
        snapshot = await self._reference.current()
        return await asyncio.to_thread(
            notice_expiries, self._engine, types=self._types, snapshot=snapshot,
            today=self._today(),
        )

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
        now = self._clock()
        lease = dt.timedelta(seconds=self._policy.lease_seconds)
        with self._engine.begin() as connection:
            claimed = outbox.claim(
                connection, worker=self.name, now=now, lease=lease, limit=self._policy.claim_batch
            )
            gone = outbox.no_longer_integrated(connection, claimed, self._types, self._today())
            if gone:
                outbox.cancel(connection, [c.id for c in gone], "not-integrated")
                journal_append(
                    connection,
                    [
                        attempt_entry(
                            c,
                            client=cbes.get(c.institution_id, "?"),
                            cbes=cbes,
                            outcome="not-integrated",
                        )
                        for c in gone
                    ],
                )
        return [c for c in claimed if c not in gone]

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
        assert first.endpoint is not None and self._session is not None
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
        assert self._session is not None
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                await response.read()
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError as error:
            return f"{type(error).__name__}: {error}"[:300]

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
