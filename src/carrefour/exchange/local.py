"""The hub's own registers behind one local endpoint: the BCSS's registers (the BIS register
and the person directory) are one source institution of the network, reached at
``local:bis-register``; each register answers its own services."""

from __future__ import annotations

from collections.abc import Set
from typing import Protocol

from carrefour.errors import UnknownService
from carrefour.exchange.ports import SourceAnswer, SourceRequest


class Register(Protocol):
    """A source inside the hub that says which services it answers."""

    @property
    def services(self) -> Set[str]: ...

    async def answer(self, request: SourceRequest) -> SourceAnswer: ...


class Registers:
    """Several in-process registers as one :class:`~carrefour.exchange.ports.LocalSource`."""

    def __init__(self, *registers: Register) -> None:
        self._by_service = {name: r for r in registers for name in r.services}

    async def answer(self, request: SourceRequest) -> SourceAnswer:
        register = self._by_service.get(request.service)
        if register is None:
            raise UnknownService(f"The hub's registers do not answer {request.service!r}.")
        return await register.answer(request)

    def close(self) -> None:
        """Close the registers that hold connections of their own."""
        for register in set(self._by_service.values()):
            close = getattr(register, "close", None)
            if close is not None:
                close()
