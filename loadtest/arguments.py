"""Command-line option types shared by the load tools."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def comma_separated(kind: Callable[[str], T]) -> Callable[[str], list[T]]:
    """An argparse `type`: "a, b,,c" -> [kind("a"), kind("b"), kind("c")], blanks skipped
    (argparse applies it to a string default too)."""

    def parse(text: str) -> list[T]:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]

    return parse
