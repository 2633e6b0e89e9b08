"""A source that closes idle keep-alive connections the way a request crossing the close sees
it: a request arriving on a connection idle for longer than ``idle_timeout`` finds it closed,
unanswered (the source's close and the hub's send crossed). Other requests get the source
protocol's "not found". Deterministic, so that the race a real server leaves to timing is hit
on every spaced request. A real HTTP/1.1 server on a socket, in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ANSWER = b'{"found": false}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(ANSWER)).encode()
    + b"\r\n\r\n"
    + ANSWER
)


@dataclass
class IdleSource:
    idle_timeout: float
    close_every_connection: bool = False  # never answers: every request finds it closed
    connections: int = 0
    answered: int = 0
    closed_unanswered: int = 0

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        last = time.monotonic()
        try:
            while await _read_request(reader):
                if self.close_every_connection or time.monotonic() - last > self.idle_timeout:
                    self.closed_unanswered += 1
                    return
                writer.write(RESPONSE)
                await writer.drain()
                self.answered += 1
                last = time.monotonic()
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> bool:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return False
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return True


@contextmanager
def serving_idle_source(source: IdleSource) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(source._serve, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        _finish_connections(loop)
        loop.close()


def _finish_connections(loop: asyncio.AbstractEventLoop) -> None:
    """End the connections still served (waiting for a next request): their tasks would
    otherwise be destroyed pending when the loop closes."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
