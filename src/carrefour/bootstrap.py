"""The composition root: builds the hub's parts from its settings, starts and stops them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial

from sqlalchemy import Engine

from carrefour.auth.guard import Authenticator
from carrefour.auth.hashing import HashPool
from carrefour.auth.throttle import FailureThrottle, ThrottlePolicy
from carrefour.catalogue.model import Catalogue, default_catalogue
from carrefour.config import JournalSettings, Settings
from carrefour.db import build_engine
from carrefour.declarations.domain import default_types
from carrefour.declarations.services import Declarations
from carrefour.directory.access import AccessManager
from carrefour.directory.cache import ReferenceCache, ReferenceSnapshot
from carrefour.directory.reader import IntegrationReader
from carrefour.directory.source import PersonDirectorySource
from carrefour.exchange.gateway import SourceGateway
from carrefour.exchange.keepalive import KeepAlive
from carrefour.exchange.local import Registers
from carrefour.exchange.services import Exchange
from carrefour.identification.national_register import NationalRegister
from carrefour.identification.services import BisRegistry
from carrefour.identification.source import BisRegisterSource
from carrefour.identification.succession import NissReplacementApplier, Succession
from carrefour.journal.keys import chain_key, use_key
from carrefour.journal.sealing import Sealer
from carrefour.journal.writer import JournalWriter
from carrefour.lists.services import Lists, list_policy, shipped_definitions
from carrefour.observability.metrics import HubMetrics
from carrefour.observability.outbox import OutboxCollector
from carrefour.observability.tracing import Tracing, build_tracing
from carrefour.research.services import Research, research_policy
from carrefour.rights.engine import RightsEngine
from carrefour.rights.services import Rights, rules_in_force
from carrefour.rights.source import RightsSource
from carrefour.rights.sweep import sweep_statuses
from carrefour.signal.delivery import DeliveryPolicy, DeliveryWorker
from carrefour.signal.domain import NISS_REPLACEMENT, default_mutation_types
from carrefour.signal.services import Signal
from carrefour.statuses.applier import Changes, HouseholdApplier, SocialStatusApplier
from carrefour.statuses.domain import FAMILY_COMPOSITION, SOCIAL_STATUS
from carrefour.statuses.source import StatusBufferSource

BIS_REGISTER_ENDPOINT = "bis-register"


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    catalogue: Catalogue
    reference: ReferenceCache
    gateway: SourceGateway
    journal: JournalWriter
    exchange: Exchange
    access: AccessManager
    bis: BisRegistry
    signal: Signal
    delivery: DeliveryWorker
    delivery_policy: DeliveryPolicy
    sealer: Sealer
    auth: Authenticator
    declarations: Declarations
    rights: Rights
    lists: Lists
    research: Research
    owns_engine: bool = True  # an engine handed in by the caller is the caller's to dispose
    metrics: HubMetrics = field(default_factory=HubMetrics)
    tracing: Tracing = field(default_factory=Tracing)

    async def start(self) -> None:
        await self.gateway.start()
        self.sealer.start()
        await self.journal.start()
        await self.signal.start()
        if self.delivery_policy.enabled:
            await self.delivery.start()
        await self.lists.start()

    async def stop(self) -> None:
        await self.lists.stop()
        await self.delivery.stop()
        await self.signal.stop()
        await self.journal.stop()
        self.sealer.stop()  # seals what was journaled, on its own thread
        await self.gateway.stop()
        self.exchange.close()
        self.declarations.close()
        self.auth.close()
        self.tracing.close()
        if self.owns_engine:
            self.engine.dispose()


def build_hub(
    settings: Settings,
    *,
    engine: Engine | None = None,
    today: Callable[[], dt.date] = dt.date.today,
    delivery: DeliveryPolicy | None = None,
    tracing: Tracing | None = None,
    keepalive: KeepAlive | None = None,
) -> Hub:
    """The hub of ``settings``; ``tracing``, when given, replaces the configured one."""
    owns_engine = engine is None
    engine = engine or build_engine(settings.database_url)
    catalogue = default_catalogue()
    reference = ReferenceCache(engine)
    rules = rules_in_force()
    registers = Registers(BisRegisterSource(engine),
                          PersonDirectorySource(engine, reference, today),
                          StatusBufferSource(engine, today),
                          RightsSource(engine, today, rules=rules, reference=reference))
    metrics = HubMetrics()
    metrics.scrape_also(OutboxCollector(engine))
    tracing = tracing or build_tracing(settings.observability)
    gateway = SourceGateway(
        local={BIS_REGISTER_ENDPOINT: registers}, keepalive=keepalive or KeepAlive.from_env(),
        metrics=metrics, tracing=tracing,
    )
    journal_settings = settings.journal or JournalSettings.from_env()
    use_key(engine, chain_key(journal_settings, create=True))
    sealer = Sealer.from_settings(engine, journal_settings)
    journal = JournalWriter(
        engine, batch_max=settings.journal_batch_max, sealer=sealer, metrics=metrics,
        gather_for=settings.journal_gather_seconds,
    )
    exchange = Exchange(
        engine=engine,
        catalogue=catalogue,
        reference_cache=reference,
        gateway=gateway,
        journal=journal,
        source_timeout=settings.source_timeout_seconds,
        today=today,
        metrics=metrics,
        tracing=tracing,
    )
    types = default_mutation_types()
    policy = delivery or DeliveryPolicy.from_env()
    succession = Succession(types)
    rights_engine = RightsEngine(rules, types)
    signal = Signal(
        engine=engine, reference_cache=reference, journal=journal, types=types, today=today,
        appliers={NISS_REPLACEMENT: NissReplacementApplier(succession),
                  **status_appliers(rights_engine)},
        policy=policy,
    )
    bis = BisRegistry(
        engine=engine, reference_cache=reference, journal=journal,
        national_register=NationalRegister(
            gateway=gateway, reference_cache=reference, timeout=settings.source_timeout_seconds
        ),
        succession=succession, today=today, on_commit=signal.committed,
    )
    worker = DeliveryWorker(
        engine=engine, reference_cache=reference, types=types, policy=policy, today=today,
        daily=partial(_sweep, engine, rights_engine),
    )
    signal.on_commit(worker.wake)
    access = AccessManager(engine=engine, reference_cache=reference, journal=journal, today=today,
                           on_integrated=rights_engine.integrated, on_commit=signal.committed)
    return Hub(
        settings, engine, catalogue, reference, gateway, journal, exchange, access, bis,
        signal=signal, delivery=worker, delivery_policy=policy, sealer=sealer,
        auth=build_authenticator(settings, engine, reference, journal, metrics),
        declarations=Declarations(
            catalogue=catalogue, types=default_types(), reference_cache=reference,
            reader=IntegrationReader(engine), gateway=gateway, journal=journal,
            source_timeout=settings.source_timeout_seconds, today=today,
        ),
        rights=Rights(engine=engine, reference_cache=reference, journal=journal, rules=rules,
                      today=today),
        lists=build_lists(settings, engine, reference, journal, catalogue, today),
        research=Research(engine=engine, reference_cache=reference, journal=journal,
                          policy=cache(partial(research_policy, settings)), today=today),
        owns_engine=owns_engine, metrics=metrics, tracing=tracing,
    )


def _sweep(engine: Engine, rights: RightsEngine, snapshot: ReferenceSnapshot,
           today: dt.date) -> int:
    return sweep_statuses(engine, rights.follow, snapshot=snapshot, today=today)


def build_lists(settings: Settings, engine: Engine, reference: ReferenceCache,
                journal: JournalWriter, catalogue: Catalogue, today: Callable[[], dt.date]
                ) -> Lists:
    """Lists: the shipped definitions, the mailboxes' files under the data folder."""
    return Lists(engine=engine, reference_cache=reference, journal=journal,
                 definitions=shipped_definitions(catalogue), types=default_mutation_types(),
                 policy=list_policy(settings), today=today)


def status_appliers(engine: RightsEngine) -> dict[str, SocialStatusApplier | HouseholdApplier]:
    """The status buffer's appliers; every change is followed by the derived rights."""
    changes = Changes(engine.follow)
    return {SOCIAL_STATUS: SocialStatusApplier(changes),
            FAMILY_COMPOSITION: HouseholdApplier(changes)}


def build_authenticator(
    settings: Settings, engine: Engine, reference: ReferenceCache, journal: JournalWriter,
    metrics: HubMetrics | None = None,
) -> Authenticator:
    throttle = FailureThrottle(
        ThrottlePolicy(
            client_failures=settings.auth_client_failures,
            address_failures=settings.auth_address_failures,
            window_seconds=settings.auth_failure_window_seconds,
        )
    )
    pool = HashPool(threads=settings.auth_hash_threads, queue=settings.auth_hash_queue)
    return Authenticator(
        engine=engine, reference=reference, journal=journal, throttle=throttle, pool=pool,
        refusal_delay=settings.auth_refusal_delay_seconds, metrics=metrics,
    )
