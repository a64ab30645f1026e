"""A lean Redis client for the gateway's hot path: a few pipelined connections per worker.

redis-py's asyncio client spent more of the gateway's time per call (pool checkout, retry
wrapper, health checks, a generic parser) than Redis took to run the model, so predictions
go through this instead: commands are written on a connection without waiting for earlier
replies, and the replies resolve the callers' futures in order. It speaks RESP2, read by
hiredis, and raises redis-py's exception classes, so callers handle errors as they would there.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, cast

import hiredis
from redis.asyncio.connection import SSLConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Reply = Any  # bytes, int, None, a ResponseError, or a list of those
CRLF = b"\r\n"
ASKING = b"*1\r\n$6\r\nASKING\r\n"


def bulk_strings(args: tuple[object, ...]) -> bytes:
    """Arguments as RESP bulk strings, without the array header: pieces of a command."""
    parts = []
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts += (b"$%d\r\n" % len(data), data, CRLF)
    return b"".join(parts)


def pack(args: tuple[object, ...]) -> bytes:
    """A command as a RESP array of bulk strings."""
    return b"*%d\r\n" % len(args) + bulk_strings(args)


def new_reader() -> hiredis.Reader:
    """A RESP2 reader for one connection: hiredis, Redis's own C parser (measured against a
    Python one in docs/performance.md). Bulk strings stay bytes; an error reply, at the top or
    inside an array, comes back as a ResponseError value; a garbled stream raises
    ConnectionError. It buffers what it is fed until a whole reply is in."""
    return hiredis.Reader(protocolError=RedisConnectionError, replyError=ResponseError)


class _Pipeline(asyncio.Protocol):
    """One connection: each sent command gets a future, resolved when its reply is in.

    Redis answers in order, so a reply overdue by `timeout_s` holds back every command sent
    after it: the connection is then given up, and all of them fail with TimeoutError. One
    timer per connection watches the oldest command: asyncio.timeout around each command cost
    as much as packing it (docs/performance.md).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float) -> None:
        # The loop is kept: asyncio.get_running_loop() is a getpid() system call on 3.11.
        self.loop = loop
        self.timeout_s = timeout_s
        self.transport: asyncio.Transport | None = None
        self.waiting: collections.deque[tuple[asyncio.Future[Reply], float]] = collections.deque()
        self.watchdog: asyncio.TimerHandle | None = None
        self.reader = new_reader()
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:  # a reply no command waits for stays in the reader, as a partial one does
            while self.waiting and (reply := self.reader.gets()) is not False:
                future, _ = self.waiting.popleft()
                if not future.done():
                    future.set_result(reply)
        except RedisConnectionError as error:  # the stream is garbled: nothing after is safe
            self._fail(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"connection to Redis lost ({exc or 'closed'})"))

    def _fail(self, error: Exception) -> None:
        self.lost = error
        if self.watchdog is not None:
            self.watchdog.cancel()
        if self.transport is not None:
            self.transport.abort()
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)

    def send(self, packed: bytes) -> asyncio.Future[Reply]:
        assert self.transport is not None
        future: asyncio.Future[Reply] = self.loop.create_future()
        deadline = self.loop.time() + self.timeout_s
        self.waiting.append((future, deadline))
        if self.watchdog is None:
            self.watchdog = self.loop.call_at(deadline, self._watch)
        self.transport.write(packed)
        return future

    def _watch(self) -> None:
        """Fail the connection if its oldest command is overdue, else look again when it is due."""
        self.watchdog = None
        if not self.waiting:
            return
        _, deadline = self.waiting[0]
        if self.loop.time() >= deadline:
            self._fail(RedisTimeoutError(f"Redis did not answer within {self.timeout_s} s"))
        else:
            self.watchdog = self.loop.call_at(deadline, self._watch)


class _Slot:
    """One of the client's connections: opened when first needed, and again after a loss."""

    def __init__(self) -> None:
        self.pipeline: _Pipeline | None = None
        self.opening = asyncio.Lock()

    @property
    def usable(self) -> _Pipeline | None:
        """The connection if it is open and not lost."""
        pipeline = self.pipeline
        return pipeline if pipeline is not None and pipeline.lost is None else None

    @property
    def load(self) -> int:
        """0: open and idle; 1: closed (one connect away); 1 + replies awaited: busy."""
        pipeline = self.usable
        if pipeline is None:
            return 1
        return 1 + len(pipeline.waiting) if pipeline.waiting else 0

    async def connected(self, open_: Callable[[], Awaitable[_Pipeline]]) -> _Pipeline:
        async with self.opening:  # one connection for all the callers waiting on it
            pipeline = self.usable
            if pipeline is None:
                self.pipeline = None
                self.pipeline = pipeline = await open_()
            return pipeline


class RespClient:
    """Commands over up to `connections` connections, each pipelined, opened as load needs.

    Redis answers a connection's commands in order and holds back the rest while one is
    blocked (a model run waits for a worker thread), so runs that should overlap go out on
    different connections: each command takes the least busy one. The URL is redis-py's
    (redis://, rediss://, unix://, with password, username and db). A reply that is an error
    raises ResponseError; a lost or refused connection raises ConnectionError; a connection or
    reply taking longer than `timeout_s` raises TimeoutError. With `readonly`, each connection
    starts with READONLY: a Redis Cluster replica then serves reads of its master's slots.
    """

    def __init__(
        self, url: str, timeout_s: float, connections: int = 4, readonly: bool = False
    ) -> None:
        self.options = parse_url(url)
        self.timeout_s = timeout_s
        self.readonly = readonly
        self._slots = [_Slot() for _ in range(connections)]

    async def execute_command(self, *args: object) -> Reply:
        return await self.execute(pack(args))

    async def execute(self, packed: bytes) -> Reply:
        """Send a command already packed (see `pack`) and return its reply."""
        reply = await (await self._least_busy()).send(packed)
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def execute_asking(self, packed: bytes) -> Reply:
        """The command right after ASKING on the same connection: a Redis Cluster node then
        serves a key of a slot being imported (the reply ASK pointed here)."""
        pipeline = await self._least_busy()
        asking, command = pipeline.send(ASKING), pipeline.send(packed)
        for future in (asking, command):
            reply = await future
            if isinstance(reply, ResponseError):
                raise reply
        return reply

    async def _least_busy(self) -> _Pipeline:
        slot = min(self._slots, key=lambda slot: slot.load)
        return slot.usable or await slot.connected(self._open)

    async def aclose(self) -> None:
        for slot in self._slots:
            if slot.pipeline is not None and slot.pipeline.transport is not None:
                slot.pipeline.transport.close()
            slot.pipeline = None

    async def _open(self) -> _Pipeline:
        async with asyncio.timeout(self.timeout_s):
            return await self._connect_and_handshake()

    async def _connect_and_handshake(self) -> _Pipeline:
        loop, options = asyncio.get_running_loop(), self.options
        new_pipeline = functools.partial(_Pipeline, loop, self.timeout_s)
        try:
            if "path" in options:
                _, pipeline = await loop.create_unix_connection(new_pipeline, options["path"])
            else:
                tls = (
                    ssl.create_default_context()
                    if options.get("connection_class") is SSLConnection
                    else None
                )
                host, port = options.get("host", "localhost"), options.get("port", 6379)
                _, pipeline = await loop.create_connection(new_pipeline, host, port, ssl=tls)
        except OSError as error:
            raise RedisConnectionError(f"cannot connect to Redis: {error}") from None
        for command in self._handshake():
            reply = await pipeline.send(pack(command))
            if isinstance(reply, ResponseError):
                pipeline.transport.close()
                raise RedisConnectionError(f"Redis refused {command[0]}: {reply}")
        return pipeline

    def _handshake(self) -> list[tuple[object, ...]]:
        """AUTH and SELECT as the URL asks, and READONLY: what a new connection sends first."""
        options, commands = self.options, []
        if options.get("password") is not None:
            user = options.get("username")
            commands.append(
                ("AUTH", user, options["password"]) if user else ("AUTH", options["password"])
            )
        if options.get("db"):
            commands.append(("SELECT", options["db"]))
        if self.readonly:
            commands.append(("READONLY",))
        return commands
