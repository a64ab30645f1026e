"""Over a thousand malformed HTTP/1.1 requests against each backend (tests/hostile/fuzz.py
says what each may answer): no 5xx, no hang, every error in the contract's JSON, and the
backend still serving afterwards."""

from __future__ import annotations

import pytest

from tests.hostile import fuzz

CORPUS = fuzz.corpus()


def test_the_corpus_is_large_deterministic_and_uniquely_named() -> None:
    """The same seed gives the same bytes (a failure can be replayed), another seed others."""
    assert len(CORPUS) >= fuzz.MIN_CASES
    assert [c.data for c in fuzz.corpus()] == [c.data for c in CORPUS]
    assert [c.data for c in fuzz.corpus(fuzz.SEED + 1)] != [c.data for c in CORPUS]
    assert len({c.name for c in CORPUS}) == len(CORPUS)
    assert {c.kind for c in CORPUS} >= {
        "request-line", "version", "headers", "chunked", "transfer-encoding", "upgrade",
        "half-close", "url", "expect", "content-length", "garbage", "mutation",
    }  # fmt: skip


@pytest.fixture(scope="module")
def fuzzed(hostile_backend: str) -> list[fuzz.Outcome]:
    """The whole corpus run once per backend; the tests below judge the outcomes."""
    return fuzz.run_cases(hostile_backend, CORPUS)


def test_every_case_is_answered_as_the_contract_says(
    fuzzed: list[fuzz.Outcome],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """On failure: a summary and ~20 cases here, every failing case in a file beside."""
    if fuzz.failures(fuzzed):
        every = tmp_path_factory.getbasetemp() / f"fuzz-failures-{request.node.callspec.id}.txt"
        every.write_text(fuzz.failure_report(fuzzed, limit=None))
        pytest.fail(f"{fuzz.failure_report(fuzzed)}\nevery failing case: {every}", pytrace=False)


def test_the_backend_still_serves_after_the_fuzz(
    hostile_backend: str, fuzzed: list[fuzz.Outcome]
) -> None:
    assert fuzz.serving_problems(hostile_backend) == []
