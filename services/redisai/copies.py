"""Where a model's copies live on a Redis Cluster: their keys, and the index that lists them.

A model run reads the model's key, and a key lives in one hash slot, served by one master.
So that every master serves every model, the deployment (exporters/redisai_cluster.py) stores
a copy on each, under the model's name with a hash tag that lands in that master's slots:
`fizzbuzz{2}`. The tag is the master's, the first number hashing into its slots, shared by
every model on it (one DAG may then run several models). The index, a hash at INDEX_KEY,
maps each model to its copies' keys; the gateway reads it and routes each request by its
copy's slot. On a single Redis a model has one key, its name, and no index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

INDEX_KEY = "polyserve:copies"
MAX_TAG = 1 << 20  # the numbers 0..MAX_TAG hash into every one of the 16384 slots
SEPARATOR = " "  # model names and tags hold no spaces (models/registry.py's names)


def copy_key(model: str, tag: int) -> str:
    return f"{model}{{{tag}}}"


def first_tag(in_place: Callable[[str], bool]) -> int:
    """The first tag whose key `in_place` accepts (it tells whether a key lands where
    wanted); a tag's slot never changes, so the same slots always give the same tag."""
    for tag in range(MAX_TAG):
        if in_place(copy_key("", tag)):
            return tag
    raise ValueError(f"no tag below {MAX_TAG} lands where wanted (does the master own slots?)")


def index_value(keys: Iterable[str]) -> str:
    return SEPARATOR.join(keys)


def index_keys(value: bytes | str | None) -> list[str]:
    """The copies' keys from an index entry (none for a model not indexed)."""
    if value is None:
        return []
    text = value.decode() if isinstance(value, bytes) else value
    return text.split()
