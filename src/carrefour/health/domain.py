"""Health checks as values: each check passes or says why not, in one line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = "ok"


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: Sequence[Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def reasons(self) -> str:
        """Why the hub is not ready, one clause per failed check."""
        return "; ".join(f"{c.name}: {c.detail}" for c in self.checks if not c.ok)

    def report(self) -> dict[str, str]:
        return {check.name: check.detail for check in self.checks}
