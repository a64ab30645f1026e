"""loadtest.server_metrics: quantiles from a cumulative histogram, as Prometheus reads them."""

from __future__ import annotations

import math

import pytest

from loadtest.server_metrics import quantile

# 10 requests at most 1 ms, 80 more at most 5 ms, 10 more at most 10 ms; none slower.
HISTOGRAM = {0.001: 10.0, 0.005: 90.0, 0.01: 100.0, math.inf: 100.0}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (0.05, 0.0005),  # halfway into the first bucket, from 0
        (0.5, 0.003),  # 40 of the second bucket's 80: halfway from 1 to 5 ms
        (0.95, 0.0075),  # halfway into the third
        (1.0, 0.01),
    ],
)
def test_a_quantile_is_interpolated_within_its_bucket(q: float, expected: float) -> None:
    assert quantile(HISTOGRAM, q) == pytest.approx(expected)


def test_past_the_last_finite_bound_the_quantile_is_that_bound() -> None:
    assert quantile({0.001: 1.0, 0.01: 2.0, math.inf: 10.0}, 0.99) == 0.01


def test_an_empty_histogram_has_no_quantile() -> None:
    assert quantile({}, 0.5) is None
    assert quantile({0.001: 0.0, math.inf: 0.0}, 0.5) is None
