"""Signing what is pushed, per the Standard Webhooks scheme (standardwebhooks.com).

Each request carries ``webhook-id`` (the event id, the same on every retry), ``webhook-timestamp``
(Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed
with the subscription's secret ``whsec_<base64>``. Receivers verify with any Standard Webhooks
library (``standardwebhooks.Webhook(secret).verify(body, headers)``).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class Signer:
    """Signs bodies with the secrets of many subscriptions (keys decoded once)."""

    def __init__(self) -> None:
        self._keys: dict[str, Webhook] = {}

    def headers(
        self, secret: str, *, message_id: str, body: bytes, now: dt.datetime
    ) -> dict[str, str]:
        webhook = self._keys.get(secret)
        if webhook is None:
            webhook = self._keys[secret] = Webhook(secret)
        timestamp = dt.datetime.fromtimestamp(int(now.timestamp()), dt.UTC)
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": webhook.sign(message_id, timestamp, body.decode()),
        }


def verify(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Raise ``standardwebhooks.WebhookVerificationError`` unless the request is authentic."""
    Webhook(secret).verify(body, headers, json_parse=False)
