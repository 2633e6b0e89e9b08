"""Reaching subscriber endpoints only where :mod:`carrefour.signal.endpoints` allows.

Checked twice. When an institution subscribes: the URL, and every address its host resolves to
then. When a delivery is sent: against the addresses the host resolves to *at that moment*, in
the resolver through which the delivery worker's connection pools connect, so that a name which
resolved to a public address at subscription time and to 127.0.0.1 now (DNS rebinding) is not
connected to. Hosts written as addresses never reach a resolver: they are checked before
sending. Plain http goes through a pool of its own whose resolver admits allow-listed networks
only.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from carrefour.errors import CarrefourError, EndpointNotAllowed
from carrefour.signal.endpoints import (
    Address,
    AllowList,
    Endpoint,
    forbidden,
    ip_or_none,
    parse_endpoint,
    refusal,
)

Resolve = Callable[[str, int], Awaitable[list[Address]]]
REFUSED = EndpointNotAllowed.code


async def system_resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (the system's resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found = (ip_or_none(str(info[4][0])) for info in infos)
    return list(dict.fromkeys(a for a in found if a is not None))


class EndpointGuard:
    """Decides whether the hub may send to an endpoint."""

    def __init__(
        self, allow: AllowList, *, resolve: Resolve = system_resolve, timeout: float = 5.0
    ) -> None:
        self.allow = allow
        self._resolve = resolve
        self._timeout = timeout

    async def check(self, url: str) -> Endpoint:
        """The endpoint of ``url``, or EndpointNotAllowed (InvalidInput for no http(s) URL)."""
        endpoint = parse_endpoint(url)
        reason = refusal(endpoint, await self._addresses(endpoint), self.allow)
        if reason is not None:
            raise EndpointNotAllowed(f"The endpoint {url} is refused: {reason}.")
        return endpoint

    async def _addresses(self, endpoint: Endpoint) -> list[Address]:
        if endpoint.address is not None:
            return [endpoint.address]
        if self.allow.allows_host(endpoint.host, endpoint.port):
            return []  # allow-listed by name: whatever it resolves to
        try:
            async with asyncio.timeout(self._timeout):
                return await self._resolve(endpoint.host, endpoint.port)
        except (OSError, TimeoutError):
            return []

    def before_sending(self, url: str) -> str | None:
        """At delivery: a refusal that needs no name resolution (a malformed URL, a host
        written as an address); None leaves a name's addresses to the pools' resolvers."""
        try:
            endpoint = parse_endpoint(url)
        except CarrefourError as error:
            return error.detail
        if endpoint.address is None:
            return None
        return refusal(endpoint, [endpoint.address], self.allow)


class EndpointRefused(OSError):
    """The resolver found no address the hub may connect to."""


class GuardedResolver(AbstractResolver):
    """A resolver (aiohttp's interface) that drops the addresses the hub must not connect to;
    with ``public=False`` (the plain-http pool) it keeps allow-listed networks only."""

    def __init__(
        self, allow: AllowList, *, public: bool, inner: AbstractResolver | None = None
    ) -> None:
        self._allow = allow
        self._public = public
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if self._allow.allows_host(host, port):
            return found
        kept = [r for r in found if self._permits(r["host"])]
        if not kept:
            seen = ", ".join(sorted({r["host"] for r in found})) or "no address"
            why = "is not allow-listed for plain http" if not self._public else (
                "resolves to no address the hub may connect to")
            raise EndpointRefused(f"{REFUSED}: {host} {why} (now {seen})")
        return kept

    def _permits(self, text: str) -> bool:
        address = ip_or_none(text)
        if address is None:
            return False
        if self._allow.allows_address(address):
            return True
        return self._public and forbidden(address) is None

    async def close(self) -> None:
        await self._inner.close()
