"""loadtest/model_batches.py: the batch-cost table and its bound (the timing itself is a
benchmark, not asserted)."""

from __future__ import annotations

import pytest

from loadtest.model_batches import BatchCost, best_gain, example_rows, model_batches, table
from models import registry


def test_the_bound_is_the_request_cost_over_what_batching_leaves() -> None:
    alone, batched = BatchCost(1, 100.0), BatchCost(8, 400.0)  # 100 and 50 µs a row
    assert best_gain(500.0, alone, batched) == pytest.approx(500 / 450)
    assert best_gain(500.0, alone, alone) == 1.0
    # A batched call dearer per row than a lone one: batching can only lose.
    assert best_gain(500.0, alone, BatchCost(2, 300.0)) < 1.0


def test_the_table_has_a_row_per_size_and_a_bound_per_request_cost() -> None:
    text = table([BatchCost(1, 100.0), BatchCost(4, 200.0)], [500.0, 1000.0])
    lines = text.splitlines()
    assert len(lines) == 4
    assert "500 µs a request" in lines[0]
    assert "1,000 µs a request" in lines[0]
    assert lines[3] == "| 4 | 200 | 50.0 | 50.0 | 1.11x | 1.05x |"


@pytest.mark.parametrize("model", ["fizzbuzz", "digits"])
def test_example_rows_are_the_models_input_tensor(model: str) -> None:
    spec = registry.get(model)
    rows = example_rows(spec, 5)
    assert rows.shape == (5, *spec.input.shape[1:])
    assert rows.dtype == spec.input.dtype


@pytest.mark.parametrize("argv", [["--sizes", "2,4"], ["--sizes", "1,0"], ["--cpu-us", "-5"]])
def test_refused_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        model_batches(argv)
    assert stopped.value.code == 2
    assert "must" in capsys.readouterr().err
