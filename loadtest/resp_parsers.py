"""The gateway's Redis replies, parsed by hiredis and by a hand-written Python parser.

    python -m loadtest resp-parsers [--repeats 9] [--sample-s 0.02]

The replies are the model runs' (`AI.DAGEXECUTE_RO` ... `AI.TENSORGET output BLOB`, see
services/redisai/gateway/redis_model.py): an array of +OK (the TENSORSET), +OK (the
MODELEXECUTE) and the output tensor's bytes, built here byte for byte as RedisAI sends them,
for each served model at a few batch sizes. Each is parsed as the gateway's connection does,
fed in one read and in reads of one TCP segment (1448 bytes). The timings are per reply: the
median of `repeats` samples, each parser's samples taken in turn so that both see the same
machine. No server is needed. docs/performance.md has a run and what was decided from it.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import hiredis
import numpy as np
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from models import registry
from services.redisai.gateway.resp import CRLF, Reply, new_reader

ROWS = {"fizzbuzz": (1, 8, 64, 256), "digits": (1, 8, 64)}
SEGMENT = 1448  # an Ethernet TCP segment's payload: how a reply larger than that arrives
Parser = Callable[[Sequence[bytes]], list[Reply]]


def hand_parse(buffer: bytes | bytearray, start: int) -> tuple[Reply, int] | None:
    """The reply starting at `start` and the position after it, or None if it is incomplete.

    The gateway's parser before hiredis, kept as the baseline the measurement compares
    against. Error replies come back as ResponseError values, as elements of arrays do.
    """
    end = buffer.find(CRLF, start)
    if end < 0:
        return None
    kind, line, after = buffer[start : start + 1], bytes(buffer[start + 1 : end]), end + 2
    if kind == b"+":
        return line, after
    if kind == b"-":
        return ResponseError(line.decode(errors="replace")), after
    if kind == b":":
        return int(line), after
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            return None
        return bytes(buffer[after : after + size]), after + size + 2
    if kind == b"*":
        count, elements = int(line), []
        if count < 0:
            return None, after
        for _ in range(count):
            parsed = hand_parse(buffer, after)
            if parsed is None:
                return None
            element, after = parsed
            elements.append(element)
        return elements, after
    raise RedisConnectionError(f"unexpected reply from Redis: {bytes(buffer[start:end])!r}")


def hand_parser() -> Parser:
    """Reads parsed as the connection did with `hand_parse`: buffered until a reply is whole,
    each incomplete attempt starting over from the reply's first byte."""
    buffer = bytearray()

    def parse_reads(reads: Sequence[bytes]) -> list[Reply]:
        replies = []
        for data in reads:
            buffer.extend(data)
            position = 0
            while (parsed := hand_parse(buffer, position)) is not None:
                reply, position = parsed
                replies.append(reply)
            del buffer[:position]
        return replies

    return parse_reads


def hiredis_parser() -> Parser:
    """Reads parsed as the gateway's connection does now: one long-lived reader."""
    reader: hiredis.Reader = new_reader()

    def parse_reads(reads: Sequence[bytes]) -> list[Reply]:
        replies = []
        for data in reads:
            reader.feed(data)
            while (reply := reader.gets()) is not False:
                replies.append(reply)
        return replies

    return parse_reads


PARSERS: dict[str, Callable[[], Parser]] = {"hand": hand_parser, "hiredis": hiredis_parser}


@dataclass(frozen=True)
class Case:
    name: str
    wire: bytes

    def reads(self, size: int | None) -> list[bytes]:
        """The reply as the socket hands it over: in one read, or in reads of `size` bytes."""
        if size is None:
            return [self.wire]
        return [self.wire[at : at + size] for at in range(0, len(self.wire), size)]


def run_reply(model: str, rows: int) -> Case:
    """The reply to a model run on `rows` rows, with outputs of a fixed pseudo-random seed."""
    output = registry.get(model).output
    width = int(np.prod(output.shape[1:]))
    values = np.random.default_rng(rows).standard_normal((rows, width)).astype(output.dtype)
    blob = values.tobytes()
    wire = b"*3\r\n+OK\r\n+OK\r\n$%d\r\n%b\r\n" % (len(blob), blob)
    return Case(f"{model} {rows} row{'s' * (rows > 1)}", wire)


def cases() -> list[Case]:
    return [run_reply(model, rows) for model, counts in ROWS.items() for rows in counts]


def comparable(reply: Reply) -> object:
    """A reply with error values as (type, message): exceptions compare by identity."""
    if isinstance(reply, list):
        return [comparable(element) for element in reply]
    if isinstance(reply, Exception):
        return (type(reply), str(reply))
    return reply


def disagreements(wires: Sequence[bytes], sizes: Sequence[int | None]) -> list[str]:
    """Each wire (a whole number of replies) read in each way that the parsers read apart."""
    found = []
    for wire in wires:
        for size in sizes:
            reads = Case("", wire).reads(size)
            results = {name: comparable(new()(reads)) for name, new in PARSERS.items()}
            if len({repr(result) for result in results.values()}) != 1:
                found.append(f"{wire[:40]!r} in reads of {size}: {results}")
    return found


def _timer(parser: Parser, reads: Sequence[bytes]) -> timeit.Timer:
    return timeit.Timer(lambda: parser(reads))


def per_reply_us(case: Case, size: int | None, repeats: int, sample_s: float) -> dict[str, float]:
    """Microseconds per reply for each parser: the median of `repeats` interleaved samples."""
    reads = case.reads(size)
    timers = {name: _timer(new(), reads) for name, new in PARSERS.items()}
    once = min(timer.timeit(1) for timer in timers.values())  # also warms both up
    number = max(1, int(sample_s / max(once, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for repeat in range(repeats):
        order = list(timers) if repeat % 2 == 0 else list(reversed(timers))  # neither always first
        for name in order:
            samples[name].append(timers[name].timeit(number) / number * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def table(rows: list[tuple[Case, str, dict[str, float]]]) -> str:
    lines = [
        "| reply | bytes | reads | hand µs | hiredis µs | hiredis / hand |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for case, reads, us in rows:
        ratio = us["hiredis"] / us["hand"]
        lines.append(
            f"| {case.name} | {len(case.wire):,} | {reads} "
            f"| {us['hand']:.2f} | {us['hiredis']:.2f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def resp_parsers(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest resp-parsers", description=__doc__)
    parser.add_argument("--repeats", type=int, default=9, help="samples per cell (median)")
    parser.add_argument("--sample-s", type=float, default=0.02, help="seconds per sample")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.sample_s <= 0:
        parser.error("repeats and sample-s must be positive")
    replies = cases()
    sizes: list[int | None] = [None, SEGMENT]
    errors = [b"-ERR model key is empty\r\n", b"*2\r\n-ERR bad \xff\r\n$-1\r\n", b"+TIMEDOUT\r\n"]
    found = disagreements([case.wire for case in replies] + errors, [*sizes, 1])
    if found:  # a faster parser that answers differently would be no answer
        print("the parsers disagree:", *found, sep="\n")
        return 1
    rows = []
    for case in replies:
        for size in sizes:
            if size is None or len(case.wire) > size:
                reads = "one" if size is None else f"{len(case.reads(size))} x {size} B"
                rows.append((case, reads, per_reply_us(case, size, args.repeats, args.sample_s)))
    print(table(rows))
    return 0
