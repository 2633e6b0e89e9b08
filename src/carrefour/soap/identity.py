"""Who is calling a SOAP endpoint.

- HTTP Basic with the institution's client credentials (the ``client_id`` and secret also used
  for ``/oauth/token``), required by RetrieveTIGroups and accepted on the SSDN connector;
- on the SSDN connector only, a client that sends no credentials (as the CBSS clients in the
  field do) is admitted by its registered address: the ``OrgUnit`` of ``AuthorizedUser`` names
  the institution, and the request must come from a network registered for that institution
  (``CARREFOUR_SOAP_CLIENT_ADDRESSES``). Anything else is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import time

from carrefour.auth.services import Caller, Scope
from carrefour.bootstrap import Hub
from carrefour.directory.domain import Institution
from carrefour.errors import Forbidden, InvalidCredentials, Unauthenticated

CACHE_SECONDS = 300.0
CHANNEL = "soap"


class BasicVerifier:
    """Checks HTTP Basic credentials, remembering good ones for a few minutes (the secret hash
    is deliberately slow to check, and clients send credentials on every request). The check
    is the token endpoint's (throttled, on the bounded hash pool, journaled); a remembered
    caller is still refused at once when its credentials are revoked or its institution
    disabled (the reference snapshot is consulted on every request)."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._known: dict[tuple[str, str], tuple[Caller, float]] = {}

    async def __call__(self, header: str, *, address: str | None = None) -> Caller:
        client_id, secret = _basic_credentials(header)
        key = (client_id, hashlib.sha256(secret.encode()).hexdigest())
        known = self._known.get(key)
        if known is not None and known[1] > time.monotonic():
            await self._hub.auth.admit(known[0], channel=CHANNEL, address=address)
            return known[0]
        caller = await self._hub.auth.authenticate(
            client_id, secret, address=address, channel=CHANNEL
        )
        caller.require(Scope.CONSULT)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[key] = (caller, time.monotonic() + CACHE_SECONDS)
        return caller


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthenticated("Send the client credentials with HTTP Basic authentication.")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidCredentials("The HTTP Basic credentials are not valid base64.") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidCredentials("The HTTP Basic credentials lack the ':' separator.")
    return client_id, secret


async def by_address(hub: Hub, org_unit: str | None, client_host: str | None) -> Caller:
    """The institution named by ``OrgUnit``, if the request comes from one of its networks."""
    if not org_unit or not client_host:
        raise Unauthenticated(
            "Send HTTP Basic credentials, or an OrgUnit from a registered client address."
        )
    cbe = normalise_cbe(org_unit)
    institution = (await hub.reference.current()).by_cbe.get(cbe)
    if institution is None or not _admitted(hub, cbe, client_host):
        raise Unauthenticated(
            f"The address {client_host} is not registered for the organisation {org_unit}."
        )
    caller = Caller(
        client_id=f"address:{cbe}@{client_host}",
        institution_id=institution.id,
        scopes=frozenset({Scope.CONSULT.value}),
    )
    await hub.auth.admit(caller, channel=CHANNEL, address=client_host)
    return caller


def check_org_unit(institution: Institution, org_unit: str | None) -> None:
    """An authenticated client may not speak for another organisation."""
    if org_unit and normalise_cbe(org_unit) != institution.cbe:
        raise Forbidden(f"The OrgUnit {org_unit} is not the authenticated institution.")


def normalise_cbe(value: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    return digits.zfill(10) if len(digits) == 9 else digits


def _admitted(hub: Hub, cbe: str, host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for owner, network in hub.settings.soap_client_addresses:
        if normalise_cbe(owner) == cbe and address in ipaddress.ip_network(network, strict=False):
            return True
    return False
