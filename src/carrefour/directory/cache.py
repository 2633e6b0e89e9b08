"""In-memory copy of the slow-changing reference tables, shared by every request.

Institutions, deliberations and availability change rarely and are read on every exchange;
the hub keeps them in memory and reloads them when the database's reference version moves
(checked at most once per ``check_every`` seconds, so several hub processes converge).

The snapshot also carries the standing of callers: the revoked client ids, and which
institutions are disabled. :meth:`ReferenceSnapshot.admit` is checked on every request, so a
revocation or a disabling made in this process (which calls :meth:`ReferenceCache.invalidate`)
is enforced at once, and one made by another process (another hub worker, the CLI) within
``check_every`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine

from carrefour.db import reading
from carrefour.directory import repository as repo
from carrefour.directory.domain import Availability, Deliberation, Institution
from carrefour.errors import ClientRevoked, InstitutionDisabled, UnknownInstitution


@dataclass(frozen=True)
class ReferenceSnapshot:
    version: int
    institutions: dict[int, Institution]
    by_cbe: dict[str, Institution]
    sources_by_kind: dict[str, list[Institution]]
    deliberations_by_service: dict[str, list[Deliberation]]
    availability: dict[tuple[str, str], Availability]
    revoked_clients: frozenset[str] = frozenset()

    def institution(self, institution_id: int) -> Institution:
        found = self.institutions.get(institution_id)
        if found is None:
            raise UnknownInstitution(f"The institution {institution_id} is not in the directory.")
        if not found.active:
            raise InstitutionDisabled(f"The institution {found.cbe} is disabled.")
        return found

    def admit(self, client_id: str, institution_id: int) -> None:
        """Refuse a revoked client, or a client of a disabled institution (two look-ups)."""
        if client_id in self.revoked_clients:
            raise ClientRevoked("These client credentials were revoked; their tokens too.")
        found = self.institutions.get(institution_id)
        if found is not None and not found.active:
            raise InstitutionDisabled(f"The institution {found.cbe} is disabled.")


def load_snapshot(engine: Engine) -> ReferenceSnapshot:
    with reading(engine).connect() as connection:
        version = repo.current_version(connection)
        institutions = repo.all_institutions(connection)
        grants = repo.all_deliberations(connection)
        rows = repo.all_availability(connection)
        revoked = repo.revoked_client_ids(connection)
    sources: dict[str, list[Institution]] = defaultdict(list)
    for institution in institutions:
        if institution.role.is_source and institution.active:
            sources[institution.kind].append(institution)
    by_service: dict[str, list[Deliberation]] = defaultdict(list)
    for grant in grants:
        by_service[grant.service].append(grant)
    return ReferenceSnapshot(
        version=version,
        institutions={i.id: i for i in institutions},
        by_cbe={i.cbe: i for i in institutions},
        sources_by_kind=dict(sources),
        deliberations_by_service=dict(by_service),
        availability={(a.service, a.source_kind): a for a in rows},
        revoked_clients=frozenset(revoked),
    )


@dataclass
class ReferenceCache:
    engine: Engine
    check_every: float = 1.0
    _snapshot: ReferenceSnapshot | None = None
    _checked_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def current(self) -> ReferenceSnapshot:
        """The snapshot, reloaded first if another process (or this one) changed the tables."""
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < self.check_every:
            return self._snapshot
        async with self._lock:
            if self._snapshot is None or time.monotonic() - self._checked_at >= self.check_every:
                await asyncio.to_thread(self._refresh)
        assert self._snapshot is not None
        return self._snapshot

    def _refresh(self) -> None:
        with reading(self.engine).connect() as connection:
            version = repo.current_version(connection)
        if self._snapshot is None or version != self._snapshot.version:
            self._snapshot = load_snapshot(self.engine)
        self._checked_at = time.monotonic()

    def invalidate(self) -> None:
        """Force a reload on the next request (after a change made by this process)."""
        self._checked_at = 0.0
        self._snapshot = None
