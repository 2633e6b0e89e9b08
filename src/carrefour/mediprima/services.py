"""Use cases of Mediprima through the hub: each operation is an exchange with the whole
preventive control (authentication done at the door; role, the caller's own active file on the
person in the capacity it claims, a deliberation for the operation, routing to Mediprima, the
journal with its ticket before the answer leaves). The hub tells Mediprima which institution
declares (the protocol's ``client``): decisions are idempotent on the CPAS's own reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carrefour.auth.services import Caller
from carrefour.exchange.services import Consultation, ConsultationResult, EndUser, Exchange
from carrefour.mediprima import domain
from carrefour.mediprima.domain import Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class Asker:
    """Who asks about whom: the caller, the end user, the person and the capacity claimed."""

    caller: Caller
    end_user: EndUser
    niss: str
    capacity: int


class Mediprima:
    """The operations of the ManageCarmed family, and the care providers' check."""

    def __init__(self, exchange: Exchange, *, channel: str = "rest") -> None:
        self._exchange, self._channel = exchange, channel  # the journal's channel (rest, soap)

    async def open(self, asker: Asker, decision: Decision) -> ConsultationResult:
        return await self._ask(asker, domain.OPEN, decision.parameters())

    async def modify(self, asker: Asker, decision: Decision) -> ConsultationResult:
        return await self._ask(asker, domain.MODIFY, decision.parameters())

    async def stop(self, asker: Asker, reference: str, end: dt.date) -> ConsultationResult:
        parameters = {"reference": domain.check_reference(reference),
                      "end": domain.check_stop(end).isoformat()}
        return await self._ask(asker, domain.STOP, parameters)

    async def consult(self, asker: Asker, reference: str) -> ConsultationResult:
        parameters = {"reference": domain.check_reference(reference)}
        return await self._ask(asker, domain.CONSULT, parameters)

    async def evaluate(self, asker: Asker, decision: Decision) -> ConsultationResult:
        return await self._ask(asker, domain.EVALUATE, decision.parameters())

    async def evaluate_modified(self, asker: Asker, decision: Decision) -> ConsultationResult:
        return await self._ask(asker, domain.EVALUATE_MODIFIED, decision.parameters())

    async def history(self, asker: Asker) -> ConsultationResult:
        return await self._ask(asker, domain.HISTORY, {})

    async def coverage(self, asker: Asker, day: dt.date) -> ConsultationResult:
        return await self._ask(asker, domain.COVERAGE, {"date": day.isoformat()})

    async def _ask(
        self, asker: Asker, service: str, parameters: Mapping[str, Any]
    ) -> ConsultationResult:
        return await self._exchange.consult(
            asker.caller,
            Consultation(
                service=service, niss=asker.niss, capacity=asker.capacity,
                end_user=asker.end_user, parameters=parameters, exchange=domain.EXCHANGE,
                action=service, verdict=domain.VERDICTS[service],
            ),
            channel=self._channel,
        )
