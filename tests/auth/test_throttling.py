"""Failed authentications are throttled per client id and per address, before any hash work;
hash work runs on its own bounded pool; an unknown client id costs what a known one costs."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import threading
import time

import httpx
import pytest

from carrefour.auth.hashing import HashPool, Standing
from carrefour.auth.throttle import FailureThrottle, ThrottlePolicy
from carrefour.errors import AuthenticationBusy, TooManyAttempts
from tests.auth.conftest import ADDRESS_FAILURES, CLIENT_FAILURES, REFUSAL_DELAY, Door

TX25 = "/SOA4520/RetrieveTIGroupsService/v2/retrieveTI"
TX25_REQUEST = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body><v2:retrieveTIGroupsRequest "
    'xmlns:v2="http://kszbcss.fgov.be/intf/RetrieveTIGroupsService/v2"/>'
    "</soapenv:Body></soapenv:Envelope>"
)


def test_the_attempt_after_n_wrong_secrets_is_refused_without_hashing(door: Door) -> None:
    answers = [door.token("cpas", client_secret=f"wrong-{i}") for i in range(CLIENT_FAILURES)]
    assert [a.status_code for a in answers] == [400] * CLIENT_FAILURES
    assert len(door.spy.verified) == CLIENT_FAILURES

    refused = door.token("cpas", client_secret="wrong-again")
    right_one = door.token("cpas")

    for answer in (refused, right_one):
        assert answer.status_code == 429, answer.text
        assert answer.json()["error"] == "invalid_client"
        assert answer.json()["code"] == "too-many-attempts"
        assert 1 <= int(answer.headers["retry-after"]) <= 300
        assert answer.json()["retry_after"] == int(answer.headers["retry-after"])
    assert len(door.spy.verified) == CLIENT_FAILURES  # no hash computed once throttled


def test_a_throttled_attempt_is_answered_after_the_refusal_delay(door: Door) -> None:
    for _ in range(CLIENT_FAILURES):
        door.token("cpas", client_secret="wrong")
    started = time.monotonic()
    assert door.token("cpas", client_secret="wrong").status_code == 429
    assert time.monotonic() - started >= REFUSAL_DELAY


def test_every_refusal_is_journaled_with_the_client_id_and_never_the_secret(door: Door) -> None:
    client_id = door.credentials["cpas"].client_id
    for i in range(CLIENT_FAILURES + 1):
        door.token("cpas", client_secret=f"guess-number-{i}")

    entries = door.entries(action="authenticate", client=client_id)
    outcomes = [e["outcome"] for e in entries]
    assert outcomes[-CLIENT_FAILURES - 1:] == ["invalid-credentials"] * CLIENT_FAILURES + [
        "too-many-attempts"]
    assert all(e["end_user_id"] == "127.0.0.1" for e in entries)
    assert not any("guess-number" in str(value) for e in door.entries() for value in e.values())


def test_a_success_clears_the_client_ids_failures(door: Door) -> None:
    for _ in range(CLIENT_FAILURES - 1):
        door.token("cpas", client_secret="wrong")
    assert door.token("cpas").status_code == 200
    answers = [door.token("cpas", client_secret="wrong") for _ in range(CLIENT_FAILURES - 1)]
    assert [a.status_code for a in answers] == [400] * (CLIENT_FAILURES - 1)
    assert door.token("cpas").status_code == 200


def test_an_address_rotating_client_ids_is_throttled_and_others_are_not(door: Door) -> None:
    attacker = "127.0.0.2"
    answers = [door.token(client_id=f"nobody-{i}", client_secret="x", local_address=attacker)
               for i in range(ADDRESS_FAILURES + 1)]

    assert [a.status_code for a in answers] == [400] * ADDRESS_FAILURES + [429]
    assert "address" in answers[-1].json()["detail"]
    assert len(door.spy.verified) == ADDRESS_FAILURES
    assert door.token("cpas").status_code == 200  # from 127.0.0.1


def test_an_unknown_client_id_is_checked_against_the_dummy_hash(door: Door) -> None:
    door.token(client_id="no-such-client", client_secret="whatever")
    door.token("cpas", client_secret="wrong")

    dummy = door.hub.auth.hasher.dummy()
    assert door.spy.verified[0] == dummy  # the same work as for a known id...
    assert door.spy.verified[1] != dummy  # ...whose own hash is checked
    assert door.spy.verified[1].split("$")[:4] == dummy.split("$")[:4]  # same parameters


def test_hash_work_runs_on_the_dedicated_threads(door: Door) -> None:
    door.token("cpas", client_secret="wrong")
    door.token(client_id="no-such-client", client_secret="whatever")
    assert door.spy.threads and all(t.startswith("carrefour-hash") for t in door.spy.threads)


def test_checks_beyond_the_pool_and_its_queue_are_refused_at_once(door: Door) -> None:
    door.hub.auth.pool = HashPool(threads=1, queue=0)
    door.spy.hold = threading.Event()
    first: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: first.append(door.token("cpas")))
    waiting.start()
    try:
        deadline = time.monotonic() + 10
        while door.hub.auth.pool.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        busy = door.token("other-cpas")
        assert time.monotonic() - started < 2
    finally:
        door.spy.hold.set()
        waiting.join(10)
    assert busy.status_code == 503, busy.text
    assert busy.json()["error"] == "temporarily_unavailable"
    assert busy.json()["code"] == "authentication-busy"
    assert busy.headers["retry-after"] == "1"
    assert first[0].status_code == 200
    assert door.entries(action="authenticate", outcome="authentication-busy")


def test_soap_http_basic_is_throttled_the_same_way(door: Door) -> None:
    client_id = door.credentials["cpas"].client_id
    wrong = base64.b64encode(f"{client_id}:wrong".encode()).decode()
    headers = {"Authorization": f"Basic {wrong}", "Content-Type": "text/xml"}

    answers = [httpx.post(door.url + TX25, content=TX25_REQUEST, headers=headers, timeout=30)
               for _ in range(CLIENT_FAILURES + 1)]

    assert [a.status_code for a in answers] == [401] * CLIENT_FAILURES + [429]
    assert "too-many-attempts" in answers[-1].text
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert len(door.spy.verified) == CLIENT_FAILURES
    outcomes = [e["outcome"] for e in door.entries(action="authenticate", channel="soap")]
    assert outcomes == ["invalid-credentials"] * CLIENT_FAILURES + ["too-many-attempts"]


# --- the parts alone ---------------------------------------------------------------------------
def test_a_throttled_id_may_try_again_once_its_oldest_failure_leaves_the_window() -> None:
    now = [1000.0]
    throttle = FailureThrottle(
        ThrottlePolicy(client_failures=2, address_failures=100, window_seconds=60),
        clock=lambda: now[0],
    )
    throttle.failed("inst-1", "10.0.0.1")
    now[0] += 10
    throttle.failed("inst-1", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as refused:
        throttle.check("inst-1", "10.0.0.1")
    assert refused.value.extra["retry_after"] == 50
    throttle.check("inst-2", "10.0.0.1")  # another id from the same address may try
    now[0] += 50
    throttle.check("inst-1", "10.0.0.1")


def test_ipv6_addresses_count_per_64_network() -> None:
    throttle = FailureThrottle(ThrottlePolicy(client_failures=100, address_failures=2))
    throttle.failed("a", "2001:db8:1:2::1")
    throttle.failed("b", "2001:db8:1:2:ffff::9")
    with pytest.raises(TooManyAttempts):
        throttle.check("c", "2001:db8:1:2::77")
    throttle.check("c", "2001:db8:1:3::1")


def test_a_check_whose_caller_went_away_still_holds_its_place_until_done() -> None:
    async def scenario() -> None:
        pool = HashPool(threads=1, queue=0)
        release = threading.Event()
        try:
            gone = asyncio.ensure_future(pool.run(release.wait, 5))
            await asyncio.sleep(0.05)
            gone.cancel()
            await asyncio.sleep(0.05)
            with pytest.raises(AuthenticationBusy):  # its hash is still being computed
                await pool.run(release.wait, 5)
            release.set()
            await asyncio.sleep(0.2)
            assert pool.in_flight == 0
        finally:
            release.set()
            pool.close()

    asyncio.run(scenario())


def test_a_flood_of_suspect_checks_keeps_no_one_else_waiting() -> None:
    async def scenario() -> None:
        pool = HashPool(threads=1, queue=2)
        release = threading.Event()
        try:
            suspects = [asyncio.ensure_future(
                pool.run(release.wait, 5, standing=Standing.SUSPECT)) for _ in range(3)]
            await asyncio.sleep(0.05)
            with pytest.raises(AuthenticationBusy):  # the suspects' lane is full...
                await pool.run(release.wait, 5, standing=Standing.SUSPECT)
            for standing in (Standing.KNOWN, Standing.CLEAN):  # ...not the main lane
                checked = pool.run(lambda: "checked", standing=standing)
                assert await asyncio.wait_for(checked, 2) == "checked"
            assert not any(s.done() for s in suspects)
            release.set()
            assert await asyncio.gather(*suspects) == [True] * 3
        finally:
            release.set()
            pool.close()

    asyncio.run(scenario())


def test_known_clients_are_checked_before_clean_strangers_and_have_their_own_share() -> None:
    async def scenario() -> list[str]:
        pool = HashPool(threads=1, queue=1)
        release, order = threading.Event(), []

        def check(name: str) -> None:
            release.wait(5)
            order.append(name)

        try:
            strangers = [asyncio.ensure_future(pool.run(check, f"stranger-{i}"))
                         for i in range(2)]
            await asyncio.sleep(0.05)
            with pytest.raises(AuthenticationBusy):
                await pool.run(check, "one stranger too many")
            known = asyncio.ensure_future(pool.run(check, "known", standing=Standing.KNOWN))
            await asyncio.sleep(0.05)
            release.set()
            await asyncio.gather(known, *strangers)
            return order
        finally:
            release.set()
            pool.close()

    assert asyncio.run(scenario()) == ["stranger-0", "known", "stranger-1"]


def test_the_suspects_lane_rests_three_times_as_long_as_it_worked() -> None:
    async def scenario() -> list[float]:
        pool = HashPool()
        moments: list[float] = []

        def check() -> None:
            moments.append(time.monotonic())
            time.sleep(0.1)

        try:
            await asyncio.gather(pool.run(check, standing=Standing.SUSPECT),
                                 pool.run(check, standing=Standing.SUSPECT))
            return moments
        finally:
            pool.close()

    first, second = asyncio.run(scenario())
    assert second - first >= 0.1 + 0.3 - 0.02


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_suspects_are_checked_at_the_lowest_cpu_priority_on_one_cpu() -> None:
    def standing() -> tuple[int, int]:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), len(
            os.sched_getaffinity(0))

    async def scenario() -> tuple[tuple[int, int], tuple[int, int]]:
        pool = HashPool()
        try:
            return (await pool.run(standing),
                    await pool.run(standing, standing=Standing.SUSPECT))
        finally:
            pool.close()

    (clean, clean_cpus), (suspect, suspect_cpus) = asyncio.run(scenario())
    assert suspect == 19 and clean < suspect
    assert suspect_cpus == 1 and clean_cpus == len(os.sched_getaffinity(0))


def test_an_attempts_standing_follows_its_history() -> None:
    now = [0.0]
    throttle = FailureThrottle(ThrottlePolicy(window_seconds=60, trust_seconds=3600),
                               clock=lambda: now[0])
    assert throttle.standing("inst-1", "10.0.0.1") is Standing.CLEAN
    throttle.failed("inst-2", "10.0.0.2")
    assert throttle.standing("inst-2", "10.0.0.9") is Standing.SUSPECT  # its id failed
    assert throttle.standing("inst-9", "10.0.0.2") is Standing.SUSPECT  # its address failed
    throttle.succeeded("inst-1", "10.0.0.2")
    assert throttle.standing("inst-1", "10.0.0.2") is Standing.KNOWN  # from there, before
    assert throttle.standing("inst-1", "10.0.0.3") is Standing.CLEAN
    now[0] = 61
    assert throttle.standing("inst-9", "10.0.0.2") is Standing.CLEAN
    now[0] = 3601
    assert throttle.standing("inst-1", "10.0.0.2") is Standing.CLEAN


def test_attempts_the_full_pool_refused_count_against_the_address_only() -> None:
    throttle = FailureThrottle(ThrottlePolicy(client_failures=1, address_failures=2))
    throttle.unchecked("10.0.0.9")
    throttle.unchecked("10.0.0.9")
    with pytest.raises(TooManyAttempts):
        throttle.check("anyone", "10.0.0.9")
    throttle.check("anyone", "10.0.0.8")


def test_the_throttle_forgets_the_least_recently_failed_keys_beyond_its_bound() -> None:
    throttle = FailureThrottle(ThrottlePolicy(client_failures=1, address_failures=1000,
                                              tracked=10))
    for i in range(50):
        throttle.failed(f"id-{i}", "10.0.0.1")
    throttle.check("id-0", None)  # forgotten
    with pytest.raises(TooManyAttempts):
        throttle.check("id-49", None)


def test_a_full_hash_pool_refuses_without_queueing() -> None:
    async def scenario() -> None:
        pool = HashPool(threads=1, queue=1)
        release = threading.Event()
        try:
            held = [asyncio.ensure_future(pool.run(release.wait, 5)) for _ in range(2)]
            await asyncio.sleep(0.05)
            with pytest.raises(AuthenticationBusy):
                await pool.run(release.wait, 5)
            started = time.monotonic()
            with pytest.raises(AuthenticationBusy):
                await pool.run(release.wait, 5)
            assert time.monotonic() - started < 0.5  # refused at once, not queued
            release.set()
            assert await asyncio.gather(*held) == [True, True]
            assert pool.in_flight == 0
        finally:
            release.set()
            pool.close()

    asyncio.run(scenario())


def test_throttled_attempts_are_counted_apart_from_refused_credentials(door: Door) -> None:
    registry = door.hub.metrics.registry

    def count(name: str) -> float:
        return sum(registry.get_sample_value(f"{name}_total", {"channel": "rest", "code": code})
                   or 0.0 for code in ("invalid-credentials", "too-many-attempts"))

    for i in range(CLIENT_FAILURES):
        door.token("cpas", client_secret=f"wrong-{i}")
    assert count("carrefour_authentication_failures") == CLIENT_FAILURES
    assert count("carrefour_authentication_throttled") == 0
    for _ in range(3):
        assert door.token("cpas", client_secret="wrong-again").status_code == 429
    assert count("carrefour_authentication_throttled") == 3
    assert count("carrefour_authentication_failures") == CLIENT_FAILURES
