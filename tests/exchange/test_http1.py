"""The source protocol's HTTP/1.1 client, against small servers on real sockets: what it
sends, how it reads an answer (by length, chunked), when it keeps a connection, and each way
an answer can go wrong."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from carrefour.exchange.http1 import ClientError, ClosedOnReuse, Pool, Reply

OK = b'{"found": true, "data": {}}'


def _answer(body: bytes = OK, *, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


@dataclass
class Seen:
    connections: int = 0
    ended_by_client: int = 0  # connections the client closed
    requests: list[bytes] = field(default_factory=list)


Reply_ = Callable[[bytes], bytes | None]  # the request -> what to write back (None: close)


async def _serve(seen: Seen, answer: Reply_, *, close_after: bool
                 ) -> tuple[asyncio.Server, str]:
    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                seen.requests.append(request)
                written = answer(request)
                if written is None:
                    return  # closed unanswered
                writer.write(written)
                await writer.drain()
                if close_after:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            seen.ended_by_client += 1
        finally:
            writer.close()

    server = await asyncio.start_server(one, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1/consult"


def _run(answer: Reply_, use: Callable[[Pool, str], Awaitable[object]], *,
         keepalive: float = 5.0, close_after: bool = False) -> tuple[Seen, object]:
    seen = Seen()

    async def main() -> object:
        server, url = await _serve(seen, answer, close_after=close_after)
        pool = Pool(keepalive=keepalive, max_answer_bytes=1024)
        try:
            return await use(pool, url)
        finally:
            await pool.close()
            server.close()

    return seen, asyncio.run(main())


def test_requests_in_a_row_share_one_connection_and_carry_their_headers() -> None:
    async def three(pool: Pool, url: str) -> list[Reply]:
        return [await pool.post(url, b'{"n": %d}' % n, {"Authorization": "Bearer t"})
                for n in range(3)]

    seen, replies = _run(lambda _request: _answer(), three)
    assert replies == [Reply(200, OK)] * 3
    assert seen.connections == 1
    first = seen.requests[0]
    assert first.startswith(b"POST /v1/consult HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer t\r\n" in first
    assert b"\r\nContent-Type: application/json\r\n" in first
    assert first.endswith(b'\r\n\r\n{"n": 0}')


def test_without_keep_alive_every_request_has_its_own_connection() -> None:
    async def two(pool: Pool, url: str) -> list[Reply]:
        return [await pool.post(url, b"{}", {}) for _ in range(2)]

    seen, replies = _run(lambda _request: _answer(), two, keepalive=0)
    assert replies == [Reply(200, OK)] * 2
    assert seen.connections == 2
    assert all(b"\r\nConnection: close\r\n" in request for request in seen.requests)


def test_a_chunked_answer_is_read_whole_and_the_status_kept() -> None:
    chunked = (b"HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n"
               b"5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n")
    _seen, reply = _run(lambda _request: chunked, lambda pool, url: pool.post(url, b"{}", {}))
    assert reply == Reply(503, b'{"a": 1}')


def test_an_answer_closing_its_connection_is_not_kept() -> None:
    async def two(pool: Pool, url: str) -> list[Reply]:
        return [await pool.post(url, b"{}", {}) for _ in range(2)]

    seen, _replies = _run(lambda _request: _answer(extra=b"connection: close\r\n"), two)
    assert seen.connections == 2


def test_a_reused_connection_closed_unanswered_says_so_and_a_new_one_does_not() -> None:
    answers = iter([_answer(), None])

    async def twice(pool: Pool, url: str) -> object:
        await pool.post(url, b"{}", {})
        await asyncio.sleep(0.05)
        with pytest.raises(ClosedOnReuse):
            await pool.post(url, b"{}", {})
        return None

    _run(lambda _request: next(answers), twice)

    async def once(pool: Pool, url: str) -> object:
        with pytest.raises(ClientError) as refused:
            await pool.post(url, b"{}", {})
        assert not isinstance(refused.value, ClosedOnReuse)
        return None

    _run(lambda _request: None, once)


@pytest.mark.parametrize(("written", "message"), [
    (b"SPAM\r\n\r\n", "not HTTP/1.1"),
    (_answer(b"x" * 2048), "larger than 1024 bytes"),
    (b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort", "connection was closed"),
])
def test_a_broken_answer_is_a_client_error(written: bytes, message: str) -> None:
    async def use(pool: Pool, url: str) -> str:
        with pytest.raises(ClientError) as refused:
            await asyncio.wait_for(pool.post(url, b"{}", {}), 5)
        return str(refused.value)

    _seen, text = _run(lambda _request: written, use, close_after=True)
    assert message in str(text)


def test_an_unreachable_source_and_a_bad_address_are_client_errors() -> None:
    async def main() -> tuple[str, str]:
        pool = Pool(keepalive=1)
        with pytest.raises(ClientError) as unreachable:
            await pool.post("http://127.0.0.1:1/v1/consult", b"{}", {})
        with pytest.raises(ClientError) as bad:
            await pool.post("ftp://example/v1/consult", b"{}", {})
        return str(unreachable.value), str(bad.value)

    unreachable, bad = asyncio.run(main())
    assert "cannot connect to 127.0.0.1:1" in unreachable
    assert "not an http(s) address" in bad


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent() -> None:
    async def use(pool: Pool, url: str) -> object:
        with pytest.raises(ClientError, match="line break"):
            await pool.post(url, b"{}", {"Authorization": "Bearer t\r\nX-Evil: 1"})
        return None

    seen, _ = _run(lambda _request: _answer(), use)
    assert seen.requests == []


def test_a_request_given_up_closes_its_connection() -> None:
    answers = iter([b"", _answer()])  # the first is never answered, its connection kept open
    seen = Seen()

    async def main() -> tuple[Reply, int]:
        server, url = await _serve(seen, lambda _request: next(answers), close_after=False)
        pool = Pool(keepalive=5)
        stalled = asyncio.ensure_future(pool.post(url, b"{}", {}))
        await asyncio.sleep(0.05)
        stalled.cancel()  # a timeout: the answer may still come on that connection
        with pytest.raises(asyncio.CancelledError):
            await stalled
        reply = await pool.post(url, b"{}", {})
        await asyncio.sleep(0.05)
        ended = seen.ended_by_client
        await pool.close()
        server.close()
        return reply, ended

    reply, ended_before_close = asyncio.run(main())
    assert reply == Reply(200, OK)
    assert seen.connections == 2
    assert ended_before_close == 1  # the given-up one, closed at once; the other still kept


def test_a_content_type_given_by_the_caller_replaces_the_json_one() -> None:
    async def one(pool: Pool, url: str) -> Reply:
        return await pool.post(url, b"[]", {"content-type": "application/cloudevents-batch+json"})

    seen, _ = _run(lambda _request: _answer(), one)
    (request,) = seen.requests
    assert b"\r\ncontent-type: application/cloudevents-batch+json\r\n" in request
    assert b"application/json" not in request


class Refused(OSError):
    pass


def test_a_resolver_names_the_addresses_tried_in_turn_and_its_refusal_reaches_the_caller(
) -> None:
    """The delivery worker's guard: a name connects only to the addresses the resolver
    gives (the first unreachable, the next tried), and a name it refuses is not connected
    to at all."""
    asked: list[tuple[str, int]] = []
    seen = Seen()

    async def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        if host == "refused.example":
            raise Refused("refused.example resolves to no address the hub may connect to")
        return ["127.0.0.2", "127.0.0.1"] if host == "second.example" else ["127.0.0.1"]

    async def main() -> tuple[Reply, str]:
        server, url = await _serve(seen, lambda _request: _answer(), close_after=False)
        port = int(url.split(":")[2].split("/")[0])
        pool = Pool(keepalive=5, resolve=resolve)
        try:
            reply = await pool.post(f"http://second.example:{port}/events", b"{}", {})
            with pytest.raises(Refused) as refused:
                await pool.post(f"http://refused.example:{port}/events", b"{}", {})
        finally:
            await pool.close()
            server.close()
        return reply, str(refused.value)

    reply, refusal = asyncio.run(main())
    assert reply == Reply(200, OK)
    assert seen.connections == 1
    assert seen.requests[0].startswith(b"POST /events HTTP/1.1\r\nHost: second.example:")
    assert [host for host, _ in asked] == ["second.example", "refused.example"]
    assert "no address the hub may connect to" in refusal
