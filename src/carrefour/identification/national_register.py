"""Asking the National Register, through the source gateway, for the legal data of a number:
the check the hub makes before it lets an institution replace a BIS number by a Register one.

The hub asks on its own behalf (the control belongs to the BIS register), so no deliberation
applies; the question carries the ticket of the replacement, whose journal entry names the
Register among its sources.
"""

from __future__ import annotations

from typing import Any

from carrefour.directory.cache import ReferenceCache
from carrefour.directory.domain import Institution
from carrefour.errors import SourceTimeout, SourceUnavailable, UnknownPerson
from carrefour.exchange.gateway import SourceGateway, Status
from carrefour.exchange.ports import SourceRequest
from carrefour.identification.niss import Niss

NATIONAL_REGISTER = "national-register"
LEGAL_DATA, LEGAL_DATA_VERSION = "legal-data", 1


class NationalRegister:
    def __init__(
        self, *, gateway: SourceGateway, reference_cache: ReferenceCache, timeout: float
    ) -> None:
        self._gateway = gateway
        self._reference = reference_cache
        self._timeout = timeout

    async def record(self, register: Institution, niss: Niss, *, ticket: str) -> dict[str, Any]:
        """The Register's legal data of ``niss``; :class:`UnknownPerson` when it has none,
        :class:`SourceUnavailable` (or :class:`SourceTimeout`) when it cannot answer."""
        request = SourceRequest(
            ticket=ticket, service=LEGAL_DATA, version=LEGAL_DATA_VERSION, niss=niss.value
        )
        outcome = await self._gateway.ask(register, request, timeout=self._timeout)
        if outcome.status is Status.OK:
            return outcome.data
        if outcome.status is Status.NOT_FOUND:
            raise UnknownPerson(
                f"The National Register does not know the number {niss}; it cannot replace a "
                "BIS number.",
                niss=niss.value,
            )
        if outcome.status is Status.TIMEOUT:
            raise SourceTimeout(f"The National Register did not answer in time ({outcome.detail}).")
        raise SourceUnavailable(f"The National Register could not answer ({outcome.detail}).")

    async def institution(self) -> Institution:
        """The National Register, as the directory knows it."""
        found = (await self._reference.current()).sources_by_kind.get(NATIONAL_REGISTER, [])
        if not found:
            raise SourceUnavailable(
                "No National Register is connected to the hub: the number cannot be checked."
            )
        return found[0]
