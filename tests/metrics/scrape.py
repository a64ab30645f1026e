"""A backend's GET /metrics, parsed: its families, and each sample's value by name and labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import requests
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

TIMEOUT = 30
Key = tuple[str, frozenset[tuple[str, str]]]
"""A series: its sample's name and its labels."""


def key(name: str, **labels: str) -> Key:
    return name, frozenset(labels.items())


@dataclass(frozen=True)
class Scrape:
    families: dict[str, Metric]
    values: dict[Key, float]

    def value(self, name: str, **labels: str) -> float:
        """A series' value; 0 for one not there (yet)."""
        return self.values.get(key(name, **labels), 0.0)

    def sums(self, name: str, by: Iterable[str]) -> Counter[tuple[str, ...]]:
        """The values of `name`'s series, summed by the labels `by`."""
        sums: Counter[tuple[str, ...]] = Counter()
        for (sample, labels), value in self.values.items():
            if sample == name:
                named = dict(labels)
                sums[tuple(named[label] for label in by)] += value
        return sums


def scrape(url: str) -> Scrape:
    response = requests.get(f"{url}/metrics", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return parse(response.text)


def parse(text: str) -> Scrape:
    families = {family.name: family for family in text_string_to_metric_families(text)}
    values = {
        key(sample.name, **sample.labels): sample.value
        for family in families.values()
        for sample in family.samples
    }
    return Scrape(families, values)


def changes(before: Scrape, after: Scrape, name: str, by: Iterable[str]) -> dict:
    """How `name`'s values, summed by the labels `by`, changed between two scrapes (the
    unchanged left out)."""
    old, new = before.sums(name, by), after.sums(name, by)
    return {series: new[series] - old[series] for series in old | new if new[series] != old[series]}
