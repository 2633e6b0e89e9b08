"""The hub pushes personal data only to https endpoints on public addresses, or to endpoints an
operator allow-listed: refused at subscription (journaled) and again at send time, against the
address the endpoint's name resolves to then."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from sqlalchemy import insert, select

from carrefour.directory.cache import ReferenceCache
from carrefour.errors import EndpointNotAllowed
from carrefour.journal.services import by_reference, by_ticket
from carrefour.signal.delivery import DeliveryPolicy, DeliveryWorker
from carrefour.signal.domain import default_mutation_types
from carrefour.signal.egress import EndpointGuard, Resolve
from carrefour.signal.endpoints import Address, AllowList, forbidden
from carrefour.signal.tables import deliveries, subscriptions
from tests.people import ALICE
from tests.signal.conftest import SignalNet, allowing_receivers
from tests.signal.receiver import Receiver
from tests.signal.workers import MANUAL, Clock, run_cycles, worker

PUBLIC = "193.191.0.10"  # a public address (no test ever connects to it)


@pytest.fixture
def policy(_receivers: dict[str, tuple[Receiver, str]]) -> DeliveryPolicy:
    return allowing_receivers(MANUAL, _receivers)  # the tests drive the workers

REFUSED = [
    "http://cpas.example/carrefour/events",  # plain http
    "http://193.191.0.10/events",  # plain http to a public address
    "https://127.0.0.1/events",
    "https://[::1]/events",
    "https://localhost/events",  # a name resolving to loopback
    "https://2130706433/events",  # 127.0.0.1 written as one number
    "https://127.1/events",  # and abbreviated
    "https://10.1.2.3/events",
    "https://192.168.1.10/events",
    "https://[fc00::1]/events",
    "https://169.254.169.254/latest/meta-data/",  # the cloud metadata service
    "https://[fe80::1]/events",
    "https://[::ffff:127.0.0.1]/events",  # IPv4-mapped IPv6
    "https://0.0.0.0/events",
    "https://224.0.0.1/events",
]


@pytest.mark.parametrize("endpoint", REFUSED)
def test_an_endpoint_the_hub_must_not_send_to_is_refused_with_a_code_and_journaled(
    net: SignalNet, endpoint: str
) -> None:
    with net.client("cpas") as client:
        response = client.post(
            "/v1/subscriptions", json={"mutation_type": "death", "endpoint": endpoint}
        )
        assert client.get("/v1/subscriptions").json() == []
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "endpoint-not-allowed"
    assert problem["ticket"]
    entry = by_ticket(net.engine, problem["ticket"])
    assert entry is not None and entry.entry.outcome == "endpoint-not-allowed"


def test_the_allow_listed_receiver_is_accepted_but_not_another_port_of_its_host(
    net: SignalNet,
) -> None:
    made = net.subscribe(receiver="a")  # http://127.0.0.1:<port>, allow-listed by host:port
    assert made["endpoint"].startswith("http://127.0.0.1:")
    port = int(made["endpoint"].rsplit(":", 1)[1].split("/")[0])
    with net.client("cpas") as client:
        other = client.post("/v1/subscriptions", json={
            "mutation_type": "death", "endpoint": f"http://127.0.0.1:{port + 1}/events"})
    assert other.json()["code"] == "endpoint-not-allowed"


def test_a_public_https_endpoint_is_accepted(net: SignalNet) -> None:
    with net.client("cpas") as client:
        response = client.post("/v1/subscriptions", json={
            "mutation_type": "death", "endpoint": f"https://{PUBLIC}/carrefour/events"})
    assert response.status_code == 201, response.text


# --- the rules ---------------------------------------------------------------------------------
@pytest.mark.parametrize("address", [
    "127.0.0.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "fc00::1", "fd12:3456::1",
    "169.254.169.254", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "0.0.0.0", "::",
    "224.0.0.1", "ff02::1", "240.0.0.1", "255.255.255.255", "100.64.0.1", "fec0::1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
])
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_not(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address)) is None


def test_the_allow_list_takes_networks_and_hosts_with_or_without_a_port() -> None:
    allow = AllowList.parse("10.20.0.0/16, 127.0.0.1 cpas.intra localhost:8109 [::1]:8443")
    assert [str(n) for n in allow.networks] == ["10.20.0.0/16", "127.0.0.1/32"]
    assert allow.allows_address(ipaddress.ip_address("10.20.3.4"))
    assert allow.allows_address(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not allow.allows_address(ipaddress.ip_address("10.21.0.1"))
    assert allow.allows_host("cpas.intra", 443) and allow.allows_host("CPAS.intra.", 80)
    assert allow.allows_host("localhost", 8109) and not allow.allows_host("localhost", 8110)
    assert allow.allows_host("::1", 8443)
    with pytest.raises(ValueError, match="neither a network nor host"):
        AllowList.parse("https://cpas.intra/events")


def test_the_allow_list_is_a_setting_of_the_delivery_policy() -> None:
    policy = DeliveryPolicy.from_env({"CARREFOUR_SIGNAL_ALLOWED_ENDPOINTS": "127.0.0.1:8109"})
    assert policy.allowed_endpoints.allows_host("127.0.0.1", 8109)
    assert DeliveryPolicy.from_env({}).allowed_endpoints == AllowList()


def _resolving(*found: str) -> Resolve:
    async def resolve(_host: str, _port: int) -> list[Address]:
        return [ipaddress.ip_address(a) for a in found]

    return resolve


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    def check(url: str, *found: str, allow: AllowList | None = None) -> None:
        guard = EndpointGuard(allow or AllowList(), resolve=_resolving(*found))
        asyncio.run(guard.check(url))

    check("https://cpas.example/events", PUBLIC)
    with pytest.raises(EndpointNotAllowed, match=r"127\.0\.0\.1"):
        check("https://cpas.example/events", PUBLIC, "127.0.0.1")
    with pytest.raises(EndpointNotAllowed, match="does not resolve"):
        check("https://cpas.example/events")
    check("http://cpas.intra/events", "10.20.0.7", allow=AllowList.parse("10.20.0.0/16"))
    with pytest.raises(EndpointNotAllowed, match="only https"):
        check("http://cpas.intra/events", "10.20.0.7", PUBLIC,
              allow=AllowList.parse("10.20.0.0/16"))


# --- at send time ------------------------------------------------------------------------------
class FakeDns(AbstractResolver):
    """A name server that now answers 127.0.0.1 for every name (DNS rebinding)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        pass


def _stored_subscription(net: SignalNet, endpoint: str) -> None:
    """A subscription accepted earlier (when its name still resolved to a public address)."""
    with net.engine.begin() as connection:
        connection.execute(insert(subscriptions).values(
            institution_id=net.institutions["cpas"].id, mutation_type="address-change",
            endpoint=endpoint, secret="whsec_" + "QUFB" * 8, batch_max=1, active=True,
            created_at=dt.datetime.now(dt.UTC)))


def _last_errors(net: SignalNet) -> list[str | None]:
    with net.engine.connect() as connection:
        return list(connection.execute(select(deliveries.c.last_error)).scalars())


def _worker(net: SignalNet, allow: AllowList) -> DeliveryWorker:
    policy = DeliveryPolicy(enabled=False, timeout_seconds=2, allowed_endpoints=allow)
    return DeliveryWorker(engine=net.engine, reference_cache=ReferenceCache(net.engine),
                          types=default_mutation_types(), policy=policy, clock=Clock(),
                          resolver=FakeDns())


def test_a_name_resolving_to_loopback_at_send_time_is_not_sent_to(net: SignalNet) -> None:
    port = net.receivers["a"][1].rsplit(":", 1)[1]
    url = f"https://rebind.example:{port}/events"
    guard = EndpointGuard(AllowList(), resolve=_resolving(PUBLIC))
    asyncio.run(guard.check(url))  # accepted at subscription time
    _stored_subscription(net, url)
    net.integrate(ALICE)
    event_id = net.publish(ALICE).json()["event_id"]
    assert run_cycles([_worker(net, AllowList())]) == 1
    assert net.receiver().requests == []
    (error,) = _last_errors(net)
    assert error is not None and error.startswith("endpoint-not-allowed: rebind.example")
    outcomes = [r.entry.outcome for r in by_reference(net.engine, event_id)]
    assert outcomes[:2] == ["ok", "claimed: attempt 1"]
    assert outcomes[2].startswith("failed: endpoint-not-allowed")


def test_the_same_name_allow_listed_by_network_is_sent_to(net: SignalNet) -> None:
    port = net.receivers["a"][1].rsplit(":", 1)[1]
    _stored_subscription(net, f"http://rebind.example:{port}/events")
    net.integrate(ALICE)
    net.publish(ALICE)
    run_cycles([_worker(net, AllowList.parse("127.0.0.1/32"))])
    assert len(net.receiver().events()) == 1


def test_a_stored_plain_http_endpoint_is_not_sent_to_without_the_allow_list(
    net: SignalNet,
) -> None:
    _stored_subscription(net, f"{net.receivers['a'][1]}/events")
    net.integrate(ALICE)
    net.publish(ALICE)
    run_cycles([_worker(net, AllowList())])
    assert net.receiver().requests == []
    (error,) = _last_errors(net)
    assert error is not None and error.startswith("endpoint-not-allowed: 127.0.0.1 is loopback")


def test_redirects_are_not_followed(net: SignalNet) -> None:
    net.subscribe(receiver="a")
    net.integrate(ALICE)
    net.receiver("a").redirect_to = f"{net.receivers['b'][1]}/events"
    net.publish(ALICE)
    run_cycles([worker(net, Clock())])  # the receivers allow-listed, as in every test
    assert _last_errors(net) == ["HTTP 307"]
    assert net.receiver("b").requests == []
