"""Small statistics the pages quote: Wilson intervals for proportions and how to compare them honestly."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# Two-sided 95%: the normal quantile 1.959963984540054.
Z95 = 1.959963984540054


def wilson_interval(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for k successes out of n (NaN, NaN when n is 0)."""
    if n is None or k is None or pd.isna(n) or pd.isna(k) or n <= 0:
        return (math.nan, math.nan)
    if k < 0 or k > n:
        raise ValueError(f"k={k} must lie between 0 and n={n}")
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # k = 0 and k = n give exactly 0 and 1 in exact arithmetic; do not let float noise move them.
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return (lo, hi)


def wilson_arrays(k, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson bounds for arrays of successes and totals (NaN where n is 0)."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    lo = np.where(k == 0, 0.0, lo)
    hi = np.where(k == n, 1.0, hi)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


def compare_intervals(lo_a: float, hi_a: float, lo_b: float, hi_b: float) -> str | None:
    """'higher' / 'lower' when interval A lies wholly above / below interval B, else None (they overlap)."""
    if any(v is None or pd.isna(v) for v in (lo_a, hi_a, lo_b, hi_b)):
        return None
    if lo_a > hi_b:
        return "higher"
    if hi_a < lo_b:
        return "lower"
    return None


def percent(k: float, n: float) -> float:
    """k / n as a fraction, NaN when n is 0 (students not assessed never enter n)."""
    if n is None or pd.isna(n) or n == 0:
        return math.nan
    return k / n


def percent_arrays(k, n) -> np.ndarray:
    """Vectorised `percent`: k / n as fractions, NaN where n is 0."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)


def ordinal(n: int) -> str:
    """1 -> '1st', 22 -> '22nd', 13 -> '13th' (percentile ranks read this way)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
