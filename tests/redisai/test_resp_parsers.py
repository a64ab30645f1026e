"""loadtest/resp_parsers.py: the measurement behind the gateway's choice of reply parser."""

from __future__ import annotations

import pytest

from loadtest.resp_parsers import PARSERS, SEGMENT, Parser, cases, disagreements, resp_parsers


def test_both_parsers_read_every_measured_reply_alike_however_it_is_cut() -> None:
    wires = [case.wire for case in cases()]
    wires += [b"-ERR model key is empty\r\n", b"*2\r\n-ERR bad \xff\r\n$-1\r\n", b":-7\r\n"]
    assert disagreements(wires, [None, SEGMENT, 7, 1]) == []


def test_a_parser_that_misreads_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def misreading() -> Parser:
        return lambda reads: [b"OK"]

    monkeypatch.setitem(PARSERS, "hiredis", misreading)
    assert len(disagreements([b"+OK\r\n", b"+no\r\n"], [None])) == 1
    assert resp_parsers(["--repeats", "1", "--sample-s", "0.0001"]) == 1


def test_the_command_prints_a_row_per_reply_and_read_size_with_both_timings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert resp_parsers(["--repeats", "1", "--sample-s", "0.0001"]) == 0
    header, _, *rows = capsys.readouterr().out.strip().splitlines()
    assert "hand µs" in header
    assert "hiredis µs" in header
    names = [row.split("|")[1].strip() for row in rows]
    assert set(names) == {case.name for case in cases()}
    for row in rows:
        hand, fast = (float(cell) for cell in row.strip(" |").split("|")[-3:-1])
        assert hand > 0
        assert fast > 0
