"""A simulated source publishing its mutations to the hub (``POST /v1/mutations``, scope
``publish``), as the real ones do: with client credentials, retried a few times."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HubPublisher:
    hub_url: str
    client_id: str
    client_secret: str
    attempts: int = 5

    async def publish(self, mutation: Mapping[str, Any]) -> bool:
        """Publish one mutation; False when the hub refused it or could not be reached."""
        async with httpx.AsyncClient(base_url=self.hub_url, timeout=10) as client:
            for attempt in range(self.attempts):
                try:
                    return await self._once(client, mutation)
                except httpx.HTTPError as error:
                    log.warning("publishing to the hub failed (%s), attempt %d", error, attempt)
                    await asyncio.sleep(0.2 * 2 ** attempt)
        return False

    async def _once(self, client: httpx.AsyncClient, mutation: Mapping[str, Any]) -> bool:
        token = await client.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret})
        token.raise_for_status()
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        answer = await client.post("/v1/mutations", json=dict(mutation), headers=bearer)
        if answer.status_code >= 500:
            answer.raise_for_status()
        if answer.status_code != 202:
            log.warning("the hub refused the mutation: %s", answer.text[:300])
        return answer.status_code == 202
