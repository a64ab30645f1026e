"""The gateway on a Redis Cluster: each command goes to the node serving its key's slot.

redis-py's RedisCluster routes commands, but on its asyncio client, which the gateway left
for resp.py (see there); so the routing is here, over one RespClient per node, every
connection opened with READONLY (a no-op on a master; on a replica, it serves reads).

The slot map is CLUSTER SLOTS's, asked of a node known (the seed URL's when none is yet). It
is asked again when a reply says MOVED (the slot has moved: the command follows the reply at
once) and when a node cannot be reached, at most every REFRESH_EVERY_S. ASK (a slot being
migrated whose key has left already) sends ASKING and the command to the node named;
TRYAGAIN (keys of a migrating slot split between two nodes) is retried every RETRY_S within
the command's deadline. A node that cannot be reached is avoided for AVOID_S; its command,
like one answered CLUSTERDOWN (its slot has no master until a replica is promoted), fails
with ConnectionError, and the caller turns to a copy on another master (redis_model.py).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from urllib.parse import urlsplit

from redis.crc import key_slot
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.redisai.copies import INDEX_KEY, index_keys
from services.redisai.gateway.resp import Reply, RespClient, pack

SLOTS = 16384
RETRY_S = 0.05
AVOID_S = 1.0
REFRESH_EVERY_S = 0.5
MAX_REDIRECTS = 5
INDEX_EVERY_S = 5.0
"""How stale the copies' index and the slot map may be before a request reads them again
(in the background)."""
CLUSTER_SLOTS = pack(("CLUSTER", "SLOTS"))
READ_INDEX = pack(("HGETALL", INDEX_KEY))
LOST = (RedisConnectionError, RedisTimeoutError, OSError)
# Clocks are time.monotonic(), what the event loop's own time() reads: looking the loop up on
# every request is a getpid() call on Python 3.11 (resp.py keeps its loop for the same reason).


class ClusterClient:
    """Commands by slot over a Redis Cluster; `connections` per node, as RespClient opens them.

    Read-only commands go to the slot's replicas too, in turn with its master, when
    `replica_reads` is on.
    """

    def __init__(
        self, seed_url: str, timeout_s: float, connections: int, replica_reads: bool = False
    ) -> None:
        seed = urlsplit(seed_url)
        self._scheme, self._query = seed.scheme, seed.query
        self._userinfo = seed.netloc.rpartition("@")[0]
        self._seed = f"{seed.hostname or 'localhost'}:{seed.port or 6379}"
        self.timeout_s = timeout_s
        self.connections = connections
        self.replica_reads = replica_reads
        self._masters: list[str | None] = [None] * SLOTS
        self._replicas: dict[str, tuple[str, ...]] = {}
        self._clients: dict[str, RespClient] = {}
        self._avoid_until: dict[str, float] = {}
        self._refreshing: asyncio.Task[None] | None = None
        self._refreshed_at = -math.inf
        self._turn = itertools.count()

    async def execute(self, slot: int, packed: bytes, read_only: bool = False) -> Reply:
        """The reply of the node serving `slot` (a replica of it only if `read_only`)."""
        if self._masters[slot] is None:
            await self.refresh()
        deadline = time.monotonic() + self.timeout_s
        address, asking = self._node(slot, read_only), False
        for _ in range(MAX_REDIRECTS):
            client = self._client(address)
            try:
                if asking:
                    return await client.execute_asking(packed)
                return await client.execute(packed)
            except ResponseError as error:
                kind, _, detail = str(error).partition(" ")
                if kind in ("MOVED", "ASK"):
                    address, asking = _redirected(detail, address), kind == "ASK"
                    if kind == "MOVED":
                        self.refresh_soon()
                elif kind == "TRYAGAIN" and time.monotonic() + RETRY_S < deadline:
                    await asyncio.sleep(RETRY_S)
                    address, asking = self._node(slot, read_only), False
                elif kind == "CLUSTERDOWN":  # the slot's master is lost: a copy elsewhere
                    self.refresh_soon()
                    raise RedisConnectionError(str(error)) from None
                else:
                    raise
            except LOST:
                self._avoid_until[address] = time.monotonic() + AVOID_S
                self.refresh_soon()
                raise
        raise RedisConnectionError(f"slot {slot}: redirected {MAX_REDIRECTS} times")

    async def refresh(self) -> None:
        """The slot map read again (one read for every caller waiting on it)."""
        await asyncio.shield(self._refreshing or self._start_refresh())

    async def aclose(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
        for client in self._clients.values():
            await client.aclose()

    def refresh_soon(self) -> None:
        """A refresh in the background (its failure is the next caller's to see)."""
        if self._refreshing is None and time.monotonic() - self._refreshed_at >= REFRESH_EVERY_S:
            self._start_refresh().add_done_callback(_retrieve)

    def _start_refresh(self) -> asyncio.Task[None]:
        self._refreshing = asyncio.get_running_loop().create_task(self._read_slot_map())
        return self._refreshing

    async def _read_slot_map(self) -> None:
        try:
            for address in self._nodes_to_ask():
                try:
                    reply = await self._client(address).execute(CLUSTER_SLOTS)
                except (RedisError, OSError):
                    continue
                self._apply(reply, address)
                return
            raise RedisConnectionError("no node of the Redis Cluster answers CLUSTER SLOTS")
        finally:
            self._refreshing = None
            self._refreshed_at = time.monotonic()

    def _nodes_to_ask(self) -> list[str]:
        """The nodes known (masters first) not being avoided, then the seed, then the rest."""
        now = time.monotonic()
        known = list(dict.fromkeys(
            [*self._replicas, *itertools.chain.from_iterable(self._replicas.values())]
        ))  # fmt: skip
        fine = [address for address in known if self._avoid_until.get(address, 0) <= now]
        return list(dict.fromkeys([*fine, self._seed, *known]))

    def _apply(self, slot_map: list[list[Reply]], asked: str) -> None:
        masters: list[str | None] = [None] * SLOTS
        replicas: dict[str, tuple[str, ...]] = {}
        for first, last, master, *copies in slot_map:
            address = _endpoint(master, asked)
            masters[first : last + 1] = [address] * (last + 1 - first)
            replicas[address] = tuple(_endpoint(replica, asked) for replica in copies)
        self._masters, self._replicas = masters, replicas

    def _node(self, slot: int, read_only: bool) -> str:
        master = self._masters[slot]
        if master is None:
            raise RedisConnectionError(f"no node of the Redis Cluster serves slot {slot}")
        nodes = (master,)
        if read_only and self.replica_reads:
            nodes += self._replicas.get(master, ())
        now = time.monotonic()
        reachable = [node for node in nodes if self._avoid_until.get(node, 0) <= now] or [master]
        return reachable[next(self._turn) % len(reachable)]

    def _client(self, address: str) -> RespClient:
        client = self._clients.get(address)
        if client is None:
            netloc = f"{self._userinfo}@{address}" if self._userinfo else address
            url = f"{self._scheme}://{netloc}/0" + (f"?{self._query}" if self._query else "")
            client = RespClient(url, self.timeout_s, self.connections, readonly=True)
            self._clients[address] = client
        return client


def _retrieve(task: asyncio.Task[None]) -> None:
    """Take a background task's exception, so that asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()


def _endpoint(node: list[Reply], asked: str) -> str:
    """host:port of a node in CLUSTER SLOTS's reply ('' or '?' for the host: the one asked)."""
    host = bytes(node[0]).decode()
    if host in ("", "?"):
        host = asked.rpartition(":")[0]
    return f"{host}:{int(node[1])}"


def _redirected(detail: str, current: str) -> str:
    """The node a MOVED/ASK reply's 'SLOT HOST:PORT' names (no host: the current one's)."""
    target = detail.split()[-1]
    host, _, port = target.rpartition(":")
    return f"{host or current.rpartition(':')[0]}:{port}"


class ClusterStore:
    """Where a model runs on a Redis Cluster: its copies, as the index lists them
    (services/redisai/copies.py), each on the node serving its key's slot."""

    def __init__(self, client: ClusterClient) -> None:
        self.client = client
        self._copies: dict[str, list[str]] = {}
        self._read_at = -math.inf
        self._reading: asyncio.Task[None] | None = None

    async def copies(self, model: str) -> list[str]:
        """The model's copies' keys: read from the index when unknown (waiting for it) or
        stale (in the background, the ones known used meanwhile)."""
        known = self._copies.get(model)
        stale = time.monotonic() - self._read_at > INDEX_EVERY_S
        if known is None or stale:
            if self._reading is None:
                self._reading = asyncio.get_running_loop().create_task(self._read_index())
                self.client.refresh_soon()  # replicas come and go without a MOVED
            if known is None:
                await asyncio.shield(self._reading)
                return self._copies.get(model, [])
        return known

    async def execute(self, key: str, packed: bytes, read_only: bool) -> Reply:
        return await self.client.execute(key_slot(key.encode()), packed, read_only)

    async def aclose(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
        await self.client.aclose()

    async def _read_index(self) -> None:
        try:
            reply = await self.client.execute(key_slot(INDEX_KEY.encode()), READ_INDEX, True)
            self._copies = {
                bytes(model).decode(): index_keys(keys)
                for model, keys in zip(reply[::2], reply[1::2], strict=True)
            }
        except (RedisError, OSError):
            pass  # the copies known stay; the next request past INDEX_EVERY_S reads again
        finally:
            self._reading = None
            self._read_at = time.monotonic()
