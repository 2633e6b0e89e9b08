"""The console's settings, read from the environment (``CARREFOUR_CONSOLE_*``,
``CARREFOUR_OIDC_*``). Without an identity provider the citizens' sign-in is off."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_NISS_CLAIM = "egovNRN"  # the claim of the federal authentication service


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcSettings:
    issuer: str  # discovery at <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret: str
    niss_claim: str = DEFAULT_NISS_CLAIM
    scope: str = "openid profile egovnrn"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleSettings:
    oidc: OidcSettings | None = None
    session_minutes: int = 30
    public_url: str | None = None  # the console's address as the browser sees it

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        values = os.environ if env is None else env
        issuer = values.get("CARREFOUR_OIDC_ISSUER")
        oidc = None
        if issuer:
            oidc = OidcSettings(
                issuer=issuer.rstrip("/"),
                client_id=values.get("CARREFOUR_OIDC_CLIENT_ID", "carrefour-console"),
                client_secret=values.get("CARREFOUR_OIDC_CLIENT_SECRET", ""),
                niss_claim=values.get("CARREFOUR_OIDC_NISS_CLAIM", DEFAULT_NISS_CLAIM),
            )
        minutes = values.get("CARREFOUR_CONSOLE_SESSION_MINUTES", "30")
        if not minutes.isdigit() or not 1 <= int(minutes) <= 1440:
            raise ValueError("CARREFOUR_CONSOLE_SESSION_MINUTES must be 1 to 1440 minutes")
        return cls(oidc=oidc, session_minutes=int(minutes),
                   public_url=values.get("CARREFOUR_CONSOLE_URL") or None)
