"""A simulated source publishing its mutations to the hub (``POST /v1/mutations``, scope
``publish``), as the real ones do: with client credentials, one try per call. What the hub
could not take is tried again by the source's outbox (``outbox.py``), later."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)
# Answers that say "not now" rather than "never this mutation": the hub is busy or down, or
# the source's credentials are refused (a matter of configuration, not of the mutation).
TRANSIENT = frozenset({401, 403, 408, 425, 429})


class Outcome(StrEnum):
    PUBLISHED = "published"  # the hub has it (a duplicate included)
    REFUSED = "refused"  # the hub will never take it: sending it again changes nothing
    FAILED = "failed"  # the hub could not be reached or could not take it now


@dataclass(frozen=True, slots=True)
class Attempt:
    outcome: Outcome
    detail: str = ""


class Publisher(Protocol):
    async def publish(self, mutation: Mapping[str, Any]) -> Attempt: ...


@dataclass(frozen=True, slots=True)
class HubPublisher:
    hub_url: str
    client_id: str
    client_secret: str
    timeout: float = 10.0

    async def publish(self, mutation: Mapping[str, Any]) -> Attempt:
        """Publish one mutation, once."""
        try:
            async with httpx.AsyncClient(base_url=self.hub_url, timeout=self.timeout) as client:
                return await self._once(client, mutation)
        except httpx.HTTPError as error:
            log.warning("publishing to the hub failed: %s", error)
            return Attempt(Outcome.FAILED, str(error) or type(error).__name__)

    async def _once(self, client: httpx.AsyncClient, mutation: Mapping[str, Any]) -> Attempt:
        token = await client.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret})
        if token.status_code != 200:
            return _refusal(token, transient=True)
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        answer = await client.post("/v1/mutations", json=dict(mutation), headers=bearer)
        return Attempt(Outcome.PUBLISHED) if answer.status_code == 202 else _refusal(answer)


def _refusal(answer: httpx.Response, *, transient: bool = False) -> Attempt:
    detail = f"{answer.request.url.path}: {answer.status_code} {answer.text[:200]}"
    if transient or answer.status_code >= 500 or answer.status_code in TRANSIENT:
        log.warning("the hub could not take the mutation now (%s)", detail)
        return Attempt(Outcome.FAILED, detail)
    log.warning("the hub refused the mutation (%s)", detail)
    return Attempt(Outcome.REFUSED, detail)
