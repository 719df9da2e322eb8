"""Altair chart builders: DataFrame in, chart out, one colour-blind-safe palette for every page."""

from __future__ import annotations

import altair as alt
import pandas as pd

# Okabe-Ito based: distinguishable with the common colour-vision deficiencies and on a projector.
LEVELS = ["Beginning", "Approaching", "Meets", "Exceeds"]
LEVEL_COLORS = ["#D55E00", "#E69F00", "#56B4E9", "#0072B2"]
PROFICIENT_COLOR = "#0072B2"
NOT_PROFICIENT_COLOR = "#D55E00"
NEUTRAL_COLOR = "#7F7F7F"
CUT_COLOR = "#000000"


def level_scale() -> alt.Scale:
    """The shared colour scale for the four proficiency levels."""
    return alt.Scale(domain=LEVELS, range=LEVEL_COLORS)


def level_of(score: float | None, cut: float, approaching_gap: float = 0.2, exceeds_from: float = 0.95) -> str | None:
    """Beginning / Approaching / Meets / Exceeds for a score with the assessment's cut (editable gaps)."""
    if score is None or pd.isna(score):
        return None
    if score >= cut:
        return "Exceeds" if score >= exceeds_from > cut else "Meets"
    if score >= cut - approaching_gap:
        return "Approaching"
    return "Beginning"
