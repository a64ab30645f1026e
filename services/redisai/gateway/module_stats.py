"""The RedisAI module's own figures per model (`AI.INFO <key>`), read at each scrape.

Redis keeps them, for every gateway worker alike: they are collected by the worker answering
the scrape, never summed across workers; on a Redis Cluster, each model's copies' figures
are summed (a copy a master, services/redisai/copies.py). The module counts each member of a
batch it formed as one call, adding the batch's whole run time to each
(services/redisai/module/README.md).
A scrape waits at most TIMEOUT_S for them, on connections of its own (never one a
prediction waits on); a copy Redis does not hold, or a node that does not answer, is left
out and the rest of the scrape answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from services.redisai.gateway.redis_model import Store
from services.redisai.gateway.resp import Reply, pack

TIMEOUT_S = 1.0
# AI.INFO's field -> the metric (a counter, "_total" added), its help, the unit's scale
FIELDS = {
    b"calls": ("polyserve_redisai_model_calls", "Runs of the model in RedisAI.", 1),
    b"errors": ("polyserve_redisai_model_errors", "Runs of the model that failed.", 1),
    b"samples": ("polyserve_redisai_model_samples", "Input rows the model ran on.", 1),
    b"duration": (
        "polyserve_redisai_model_duration_seconds",
        "RedisAI's run time of the model, each batch member counting the batch's.",
        1e-6,
    ),
}


class Figures(Collector):
    """Figures read already, for one scrape's registry."""

    def __init__(self, families: list[CounterMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[CounterMetricFamily]:
        return iter(self.families)


class ModuleStats:
    """The served models' AI.INFO figures, through a store of their own (one connection a node)."""

    def __init__(self, store: Store, models: list[str]) -> None:
        self.store = store
        self.models = models

    async def figures(self) -> Figures:
        """Each model's figures now, if Redis gives them within TIMEOUT_S."""
        try:
            async with asyncio.timeout(TIMEOUT_S):
                copies = [await self.store.copies(model) for model in self.models]
                replies: list[list[Reply | BaseException]] = [
                    await asyncio.gather(*(self._info(key) for key in keys), return_exceptions=True)
                    for keys in copies
                ]
        except TimeoutError:
            return Figures([])
        families = {
            field: CounterMetricFamily(name, text, labels=["model"])
            for field, (name, text, _) in FIELDS.items()
        }
        for model, model_replies in zip(self.models, replies, strict=True):
            infos = [  # an error is left out: not stored, or the node away
                dict(zip(reply[::2], reply[1::2], strict=True))
                for reply in model_replies
                if isinstance(reply, list)
            ]
            if infos:
                for field, family in families.items():
                    total = sum(info[field] for info in infos)
                    family.add_metric([model], total * FIELDS[field][2])
        return Figures([family for family in families.values() if family.samples])

    async def _info(self, key: str) -> Reply:
        return await self.store.execute(key, pack(("AI.INFO", key)), False)

    async def aclose(self) -> None:
        await self.store.aclose()
