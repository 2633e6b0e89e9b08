"""Throttling failed authentications, per client id and per client address.

After ``client_failures`` failures for one client id, or ``address_failures`` from one address
(failures, and attempts refused unchecked because the hash pool was full), within
``window_seconds``, further attempts are refused (:class:`TooManyAttempts`, with the
seconds until the oldest failure leaves the window) before any hash work; a success resets the
client id's count. The counts live in the memory of each hub process: with W processes an
attacker gets up to W times the allowance (the failure counts are not shared). IPv6 addresses
count per /64 (one subscriber's network); a client behind a proxy is seen with the proxy's
address (the hub trusts no forwarding header).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from carrefour.auth.hashing import Standing
from carrefour.errors import TooManyAttempts

MAX_KEY = 200  # characters of a client id kept as a key


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottlePolicy:
    client_failures: int = 10
    address_failures: int = 50
    window_seconds: float = 300.0
    trust_seconds: float = 86_400.0  # a success makes (id, address) known for this long
    tracked: int = 100_000  # keys remembered per kind; the least recently failed go first


class _Failures:
    """The last ``limit`` failure times of each key (a sliding window log)."""

    def __init__(self, limit: int, window: float, tracked: int) -> None:
        self._limit, self._window, self._tracked = limit, window, tracked
        self._times: dict[str, deque[float]] = {}

    def wait(self, key: str, now: float) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        times = self._times.get(key)
        if times is None or len(times) < self._limit:
            return 0.0
        return max(0.0, times[0] + self._window - now)

    def recent(self, key: str, now: float) -> bool:
        """Whether ``key`` failed within the window."""
        times = self._times.get(key)
        return times is not None and len(times) > 0 and now - times[-1] < self._window

    def add(self, key: str, now: float) -> None:
        times = self._times.pop(key, None) or deque(maxlen=self._limit)
        times.append(now)
        self._times[key] = times  # now the most recently failed
        while len(self._times) > self._tracked:
            del self._times[next(iter(self._times))]

    def clear(self, key: str) -> None:
        self._times.pop(key, None)


class FailureThrottle:
    def __init__(
        self, policy: ThrottlePolicy, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy
        self._clock = clock
        window, tracked = policy.window_seconds, policy.tracked
        self._clients = _Failures(policy.client_failures, window, tracked)
        self._addresses = _Failures(policy.address_failures, window, tracked)
        self._known: dict[tuple[str, str], float] = {}  # (client id, address): last success

    def check(self, client_id: str, address: str | None) -> None:
        """Raise :class:`TooManyAttempts` when the id or the address must wait."""
        now = self._clock()
        by_client = self._clients.wait(client_id[:MAX_KEY], now)
        by_address = self._addresses.wait(_network(address), now)
        wait = max(by_client, by_address)
        if wait > 0:
            whom = "this client id" if by_client >= by_address else "this address"
            raise TooManyAttempts(
                f"Too many failed attempts for {whom}; try again in {math.ceil(wait)} s.",
                retry_after=max(1, math.ceil(wait)),
            )

    def standing(self, client_id: str, address: str | None) -> Standing:
        """Known (the client id authenticated from this address within ``trust_seconds``),
        suspect (the id or the address failed within the window), or clean."""
        key, network, now = client_id[:MAX_KEY], _network(address), self._clock()
        when = self._known.get((key, network))
        if when is not None and now - when < self.policy.trust_seconds:
            return Standing.KNOWN
        if self._clients.recent(key, now) or self._addresses.recent(network, now):
            return Standing.SUSPECT
        return Standing.CLEAN

    def failed(self, client_id: str, address: str | None) -> None:
        now = self._clock()
        self._clients.add(client_id[:MAX_KEY], now)
        self._addresses.add(_network(address), now)

    def unchecked(self, address: str | None) -> None:
        """An attempt refused unchecked (the hash pool was full) counts against its address:
        a flood is throttled like a run of failures, its client ids are not."""
        self._addresses.add(_network(address), self._clock())

    def succeeded(self, client_id: str, address: str | None) -> None:
        self._clients.clear(client_id[:MAX_KEY])
        key = (client_id[:MAX_KEY], _network(address))
        self._known.pop(key, None)
        self._known[key] = self._clock()  # now the most recent
        while len(self._known) > self.policy.tracked:
            del self._known[next(iter(self._known))]


def _network(address: str | None) -> str:
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:MAX_KEY]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
