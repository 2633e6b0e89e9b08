"""Where the hub may push mutations. Pure: no network, no framework.

A subscriber endpoint is an ``https`` URL whose host is a public address (or a name resolving
only to public addresses): never loopback, private, link-local (the cloud metadata service at
169.254.169.254 among them), unique-local, multicast, reserved or unspecified, in IPv4 or IPv6,
IPv4-mapped IPv6 included. An operator may allow-list endpoints
(``CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS``): networks (``10.20.0.0/16``, ``127.0.0.1``, ``fc00::/7``)
and ``host[:port]`` entries (``cpas.intra``, ``localhost:8109``, ``[::1]:8443``); an
allow-listed endpoint may also use plain ``http``. The ranges are Python's
(:mod:`ipaddress`), not a table of ours.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

from carrefour.errors import InvalidInput

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
DEFAULT_PORTS = {"https": 443, "http": 80}
SETTING = "CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS"


def ip_or_none(text: str) -> Address | None:
    """The address written in ``text`` ("127.0.0.1", "::1", "fe80::1%eth0"), or None."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def forbidden(address: Address) -> str | None:
    """Why the hub must not connect to ``address``; None for a public address."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
            return forbidden(address.ipv4_mapped)
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and forbidden(embedded):
            return f"embeds {embedded}, {forbidden(embedded)}"
        if address.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not a public address", not address.is_global),
    )
    return next((reason for reason, hit in checks if hit), None)


@dataclass(frozen=True, slots=True)
class HostEntry:
    host: str
    port: int | None  # None: any port

    def matches(self, host: str, port: int) -> bool:
        return self.host == host and self.port in (None, port)


@dataclass(frozen=True, slots=True)
class AllowList:
    """Endpoints an operator allows beyond public https ones (empty: none)."""

    networks: tuple[Network, ...] = ()
    hosts: tuple[HostEntry, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """Entries separated by commas or spaces: networks and/or ``host[:port]``."""
        networks: list[Network] = []
        hosts: list[HostEntry] = []
        for item in text.replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.append(_host_entry(item))
        return cls(tuple(networks), tuple(hosts))

    def allows_host(self, host: str, port: int) -> bool:
        name = _normal(host)
        return any(entry.matches(name, port) for entry in self.hosts)

    def allows_address(self, address: Address) -> bool:
        if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        plain = type(address)(int(address))  # without an IPv6 scope id ("%eth0")
        return any(plain in network for network in self.networks)


def _host_entry(item: str) -> HostEntry:
    try:
        parts = urlsplit(f"//{item}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or parts.path or parts.username is not None:
        raise ValueError(f"{SETTING}: {item!r} is neither a network nor host[:port]")
    return HostEntry(_normal(host), port)


def _normal(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A subscriber endpoint, parsed."""

    url: str
    scheme: str
    host: str
    port: int

    @property
    def address(self) -> Address | None:
        """The address when the host is written as one (no name to resolve)."""
        return ip_or_none(self.host)


def parse_endpoint(url: str) -> Endpoint:
    """The endpoint of ``url``; InvalidInput when it is no http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        scheme, host, port = "", None, None
    if scheme not in DEFAULT_PORTS or not host:
        raise InvalidInput("The endpoint must be an http(s) URL, or absent to pull the feed.")
    return Endpoint(url, scheme, _normal(host), port or DEFAULT_PORTS[scheme])


def refusal(endpoint: Endpoint, addresses: Sequence[Address], allow: AllowList) -> str | None:
    """Why the hub must not send to ``endpoint`` at ``addresses`` (what its host is or resolves
    to); None when it may."""
    if allow.allows_host(endpoint.host, endpoint.port):
        return None
    for address in addresses:
        reason = None if allow.allows_address(address) else forbidden(address)
        if reason is not None:
            return _named(endpoint, address, reason)
    listed = bool(addresses) and all(allow.allows_address(a) for a in addresses)
    if endpoint.scheme != "https" and not listed:
        return "only https endpoints are accepted (plain http only where allow-listed)"
    if not addresses:
        return f"{endpoint.host} does not resolve to any address"
    return None


def _named(endpoint: Endpoint, address: Address, reason: str) -> str:
    where = endpoint.host if endpoint.address is not None else f"{endpoint.host} ({address})"
    return f"{where} is {reason}: the hub does not send there unless it is allow-listed"
