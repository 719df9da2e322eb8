"""Wilson intervals and interval comparison, checked against hand-worked values."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import stats


# Hand-worked with z = 1.96: centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
@pytest.mark.parametrize(
    "k, n, lo, hi",
    [
        (5, 10, 0.2366, 0.7634),   # p = 0.5: symmetric about 0.5
        (0, 10, 0.0, 0.2775),      # centre 0.1388 ± 0.1388
        (10, 10, 0.7225, 1.0),     # mirror image of 0 of 10
        (8, 10, 0.4902, 0.9433),
        (2, 4, 0.1500, 0.8500),
        (0, 2, 0.0, 0.6576),
        (1, 1, 0.2065, 1.0),
        (50, 100, 0.4038, 0.5962),
    ],
)
def test_wilson_hand_worked(k, n, lo, hi):
    got = stats.wilson_interval(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-4)
    assert got[1] == pytest.approx(hi, abs=1e-4)


def test_wilson_of_nothing_is_undefined():
    lo, hi = stats.wilson_interval(0, 0)
    assert math.isnan(lo) and math.isnan(hi)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        stats.wilson_interval(5, 4)


def test_wilson_arrays_match_scalar():
    k = np.array([0, 3, 7, 10, 0])
    n = np.array([10, 10, 12, 10, 0])
    lo, hi = stats.wilson_arrays(k, n)
    for i in range(4):
        assert (lo[i], hi[i]) == pytest.approx(stats.wilson_interval(int(k[i]), int(n[i])))
    assert math.isnan(lo[4]) and math.isnan(hi[4])


@given(st.integers(min_value=1, max_value=500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_proportion(kn):
    k, n = kn
    lo, hi = stats.wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ((0.6, 0.9), (0.2, 0.5), "higher"),
        ((0.1, 0.3), (0.4, 0.8), "lower"),
        ((0.3, 0.6), (0.5, 0.9), None),     # overlap
        ((0.3, 0.5), (0.5, 0.9), None),     # touching counts as overlapping
        ((float("nan"), 0.5), (0.6, 0.9), None),
    ],
)
def test_compare_intervals(a, b, expected):
    assert stats.compare_intervals(a[0], a[1], b[0], b[1]) == expected


def test_percent_excludes_empty_groups():
    assert stats.percent(3, 4) == 0.75
    assert math.isnan(stats.percent(0, 0))


def test_percent_arrays_is_percent_elementwise():
    k, n = [3, 0, 5, 0], [4, 0, 5, 7]
    got = stats.percent_arrays(k, n)
    for g, kk, nn in zip(got, k, n):
        want = stats.percent(kk, nn)
        assert (math.isnan(g) and math.isnan(want)) or g == want


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                         (12, "12th"), (13, "13th"), (21, "21st"), (52, "52nd"), (99, "99th"),
                                         (100, "100th"), (111, "111th")])
def test_ordinal(n, text):
    assert stats.ordinal(n) == text
