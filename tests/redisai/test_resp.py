"""The gateway's lean Redis client: the RESP codec, and the client against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.process import free_port
from services.redisai.gateway.resp import Reply, RespClient, _Pipeline, new_reader, pack
from services.redisai.server import RedisSettings
from tests.redisai.stack import RedisStack

PASSWORD = "s3cret"


def test_pack_writes_bulk_strings() -> None:
    assert pack(("SET", "k", 12, b"\x00\r\n")) == (
        b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$3\r\n\x00\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("wire", "reply"),
    [
        (b"+OK\r\n", b"OK"),
        (b":-42\r\n", -42),
        (b"$5\r\na\r\nbc\r\n", b"a\r\nbc"),
        (b"$-1\r\n", None),
        (b"*0\r\n", []),
        (b"*3\r\n+OK\r\n*1\r\n:1\r\n$2\r\nhi\r\n", [b"OK", [1], b"hi"]),
    ],
)
def test_the_reader_reads_each_reply_kind_and_stops_where_it_ends(
    wire: bytes, reply: object
) -> None:
    reader = new_reader()
    reader.feed(wire + b"+next\r\n")
    assert reader.gets() == reply
    assert reader.gets() == b"next"
    for cut in range(len(wire)):  # any prefix is incomplete, never misread
        reader = new_reader()
        reader.feed(wire[:cut])
        assert reader.gets() is False


def test_the_reader_returns_error_replies_as_values_even_inside_arrays() -> None:
    reader = new_reader()
    reader.feed(b"*2\r\n-ERR bad\r\n+OK\r\n-WRONGTYPE top\r\n")
    error, ok = reader.gets()
    top = reader.gets()
    assert isinstance(error, ResponseError)
    assert str(error) == "ERR bad"
    assert ok == b"OK"
    assert isinstance(top, ResponseError)
    assert str(top) == "WRONGTYPE top"


def test_the_reader_refuses_a_garbled_stream() -> None:
    reader = new_reader()
    reader.feed(b"?what\r\n")
    with pytest.raises(RedisConnectionError):
        reader.gets()


class FakeTransport:
    """What a _Pipeline writes to: it keeps the commands, and whether it was aborted."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def abort(self) -> None:
        self.aborted = True


def pipeline_sending(
    commands: int, transport: FakeTransport | None = None
) -> tuple[_Pipeline, list[asyncio.Future[Reply]]]:
    """A connection with `commands` sent and no reply in yet (inside a running loop)."""
    pipeline = _Pipeline(asyncio.get_running_loop(), timeout_s=5)
    pipeline.connection_made(transport or FakeTransport())  # type: ignore[arg-type]
    return pipeline, [pipeline.send(pack(("PING",))) for _ in range(commands)]


# A model run's reply (as in loadtest/resp_parsers.py), then an error reply.
RUN_REPLY = b"*3\r\n+OK\r\n+OK\r\n$8\r\n\r\n\x00\x01\r\n\x02\x03\r\n"
ERROR_REPLY = b"-ERR model key is empty\r\n"


@pytest.mark.parametrize("cut", range(1, len(RUN_REPLY + ERROR_REPLY)))
def test_a_connection_buffers_replies_cut_anywhere_and_answers_in_order(cut: int) -> None:
    async def scenario() -> list[Reply]:
        pipeline, futures = pipeline_sending(2)
        wire = RUN_REPLY + ERROR_REPLY
        pipeline.data_received(wire[:cut])
        assert [future.done() for future in futures] == [cut >= len(RUN_REPLY), False]
        pipeline.data_received(wire[cut:])
        assert not pipeline.waiting
        return [future.result() for future in futures]

    run, error = asyncio.run(scenario())
    assert run == [b"OK", b"OK", b"\r\n\x00\x01\r\n\x02\x03"]
    assert isinstance(error, ResponseError)
    assert str(error) == "ERR model key is empty"


def test_a_garbled_reply_fails_every_waiting_command_and_the_connection() -> None:
    transport = FakeTransport()

    async def scenario() -> tuple[_Pipeline, list[BaseException | None]]:
        pipeline, futures = pipeline_sending(2, transport)
        pipeline.data_received(b"?what\r\n+OK\r\n")
        return pipeline, [future.exception() for future in futures]

    pipeline, errors = asyncio.run(scenario())
    assert all(isinstance(error, RedisConnectionError) for error in errors)
    assert isinstance(pipeline.lost, RedisConnectionError)
    assert transport.aborted


@pytest.fixture
def redis_stack(tmp_path: Path) -> Iterator[RedisStack]:
    settings = RedisSettings(free_port(), tmp_path / "data", password=PASSWORD)
    stack = RedisStack(settings, tmp_path / "redis.log")
    stack.start()
    yield stack
    stack.stop()


def url(stack: RedisStack, password: str | None = PASSWORD, db: int = 0) -> str:
    auth = f":{password}@" if password else ""
    return f"redis://{auth}127.0.0.1:{stack.settings.port}/{db}"


async def blocked_in_redis(stack: RedisStack, clients: int, timeout_s: float = 10) -> None:
    """Wait until Redis reports `clients` blocked clients (the condition, not a guess)."""
    with stack.settings.client() as client:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while client.info("clients")["blocked_clients"] < clients:
            assert asyncio.get_running_loop().time() < deadline, "no client blocked in time"
            await asyncio.sleep(0.005)


def test_commands_pipeline_on_one_connection_and_keep_their_order(redis_stack: RedisStack) -> None:
    async def scenario() -> list[object]:
        client = RespClient(url(redis_stack, db=3), 2, connections=1)
        replies = await asyncio.gather(*(client.execute_command("INCR", "n") for _ in range(50)))
        replies.append(await client.execute_command("CLIENT", "LIST"))
        await client.aclose()
        return replies

    *counts, clients = asyncio.run(scenario())
    assert counts == list(range(1, 51))
    assert clients.count(b"cmd=") == 1  # one connection carried them all
    assert b" db=3 " in clients  # the URL's database was selected


def test_a_blocked_command_holds_back_only_its_own_connection(redis_stack: RedisStack) -> None:
    async def scenario(connections: int) -> list[object]:
        client = RespClient(url(redis_stack), 2, connections=connections)
        order: list[object] = []

        async def run(*command: object) -> None:
            order.append(await client.execute_command(*command))

        blocked = asyncio.ensure_future(run("BLPOP", "queue", "0.3"))
        await blocked_in_redis(redis_stack, 1)  # BLPOP is waiting in Redis now
        await asyncio.gather(blocked, run("PING"))
        await client.aclose()
        return order

    assert asyncio.run(scenario(connections=2)) == [b"PONG", None]  # PING overtook BLPOP
    assert asyncio.run(scenario(connections=1)) == [None, b"PONG"]  # PING waited behind it


def test_an_overdue_reply_fails_its_connection_and_the_next_command_gets_a_new_one(
    redis_stack: RedisStack,
) -> None:
    async def scenario() -> tuple[list[object], object, object]:
        client = RespClient(url(redis_stack), 0.3, connections=1)
        start = asyncio.get_running_loop().time()
        stuck = await asyncio.gather(
            client.execute_command("BLPOP", "queue", "0"),  # waits for ever in Redis
            client.execute_command("PING"),  # queued behind it on the one connection
            return_exceptions=True,
        )
        waited = asyncio.get_running_loop().time() - start
        clients = await client.execute_command("CLIENT", "LIST")
        return [*stuck, waited], clients, await client.execute_command("PING")

    (blpop, ping, waited), clients, after = asyncio.run(scenario())
    assert isinstance(blpop, RedisTimeoutError)
    assert isinstance(ping, RedisTimeoutError)
    assert 0.3 <= waited < 2
    assert b"cmd=blpop" not in clients  # the stuck connection was closed
    assert after == b"PONG"


def test_a_connection_busy_for_longer_than_the_timeout_is_not_taken_for_a_stuck_one(
    redis_stack: RedisStack,
) -> None:
    async def scenario() -> int:
        client = RespClient(url(redis_stack), 0.2, connections=1)
        loop = asyncio.get_running_loop()
        end, replies = loop.time() + 0.8, 0  # four timeouts of commands, each answered at once
        while loop.time() < end:
            await asyncio.gather(*(client.execute_command("PING") for _ in range(10)))
            replies += 10
        clients = await client.execute_command("CLIENT", "LIST")
        await client.aclose()
        assert clients.count(b"cmd=") == 1  # the same connection all along
        return replies

    assert asyncio.run(scenario()) > 100


def test_an_error_reply_raises_and_the_connection_stays_usable(redis_stack: RedisStack) -> None:
    async def scenario() -> object:
        client = RespClient(url(redis_stack), 2)
        with pytest.raises(ResponseError, match="unknown command"):
            await client.execute_command("NO.SUCH.COMMAND")
        return await client.execute_command("PING")

    assert asyncio.run(scenario()) == b"PONG"


def test_a_wrong_password_is_a_connection_error(redis_stack: RedisStack) -> None:
    async def scenario() -> None:
        await RespClient(url(redis_stack, password="wrong"), 2).execute_command("PING")

    with pytest.raises(RedisConnectionError, match="AUTH"):
        asyncio.run(scenario())


def test_it_reconnects_after_redis_comes_back(redis_stack: RedisStack) -> None:
    async def scenario() -> object:
        client = RespClient(url(redis_stack), 2)
        assert await client.execute_command("PING") == b"PONG"
        redis_stack.stop()
        with pytest.raises(RedisConnectionError):
            await client.execute_command("PING")
        with pytest.raises(RedisConnectionError, match="cannot connect"):
            await client.execute_command("PING")
        redis_stack.start()
        return await client.execute_command("PING")

    assert asyncio.run(scenario()) == b"PONG"
