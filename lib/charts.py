"""Altair chart builders: DataFrame in, chart out, one colour-blind-safe palette for every page."""

from __future__ import annotations

import altair as alt
import numpy as np
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


# --- team meeting and student profile (issue 3) ------------------------------------------------

BELOW_LEVELS = ["Beginning", "Approaching"]
ABOVE_LEVELS = ["Meets", "Exceeds"]
TEACHER_COLOR = PROFICIENT_COLOR
TEAM_COLOR = NEUTRAL_COLOR


def _sizes(big: bool) -> dict:
    """Font sizes: projector (meeting mode) or desk."""
    return {"label": 17, "title": 18, "text": 18, "legend": 17} if big else \
        {"label": 13, "title": 14, "text": 14, "legend": 13}


def styled(chart: alt.TopLevelMixin, big: bool = False) -> alt.TopLevelMixin:
    """Apply readable fonts (bigger on a projector) and a clean background to a top-level chart."""
    s = _sizes(big)
    return (chart.configure_axis(labelFontSize=s["label"], titleFontSize=s["title"], labelLimit=320,
                                 labelColor="#000000", titleColor="#000000", gridColor="#e6e6e6")
            .configure_legend(labelFontSize=s["legend"], titleFontSize=s["legend"], orient="top",
                              labelColor="#000000", titleColor="#000000")
            .configure_view(stroke=None)
            .configure_title(fontSize=s["title"] + 2, anchor="start", color="#000000"))


def standard_levels_chart(by_standard: pd.DataFrame, cut: float, big: bool = False) -> alt.TopLevelMixin:
    """Diverging bars per standard: share of students below the cut to the left, at or above it to the right.

    `by_standard` needs standard_code, label (axis text), description, students, pct and
    n_beginning / n_approaching / n_meets / n_exceeds; the black line at 0 is the proficiency cut.
    """
    rows = []
    for _, r in by_standard.iterrows():
        n = r["students"]
        if not n:
            continue
        left = 0.0
        for level in ("Approaching", "Beginning"):
            share = r[f"n_{level.lower()}"] / n
            rows.append({"label": r["label"], "level": level, "x": -left - share, "x2": -left, "share": share,
                         "count": int(r[f"n_{level.lower()}"]), "description": r.get("description")})
            left += share
        right = 0.0
        for level in ("Meets", "Exceeds"):
            share = r[f"n_{level.lower()}"] / n
            rows.append({"label": r["label"], "level": level, "x": right, "x2": right + share, "share": share,
                         "count": int(r[f"n_{level.lower()}"]), "description": r.get("description")})
            right += share
    data = pd.DataFrame(rows)
    s = _sizes(big)
    order = list(by_standard["label"])
    height = max(90, (44 if big else 34) * len(order))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=380))
    bars = alt.Chart(data).mark_bar(size=28 if big else 22).encode(
        x=alt.X("x:Q", title=f"← below the cut ({cut:.0%} of points)   |   students at or above the cut →",
                scale=alt.Scale(domain=[-1, 1]),
                axis=alt.Axis(format="%", values=[-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1],
                              labelExpr="format(abs(datum.value), '.0%')")),
        x2="x2:Q",
        y=y,
        color=alt.Color("level:N", scale=level_scale(), title="Level", sort=LEVELS),
        tooltip=[alt.Tooltip("label:N", title="Standard"), alt.Tooltip("description:N", title="Skill"),
                 alt.Tooltip("level:N", title="Level"), alt.Tooltip("count:Q", title="Students"),
                 alt.Tooltip("share:Q", title="Share", format=".0%")],
    )
    labels = pd.DataFrame({"label": by_standard["label"],
                           "text": [("-" if pd.isna(p) else f"{p:.0%}") for p in by_standard["pct"]],
                           "x": 1.0})
    text = alt.Chart(labels).mark_text(align="left", dx=6, fontSize=s["text"], fontWeight="bold").encode(
        x="x:Q", y=alt.Y("label:N", sort=order), text="text:N")
    rule = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=CUT_COLOR, strokeWidth=3).encode(x="x:Q")
    return (bars + rule + text).properties(height=height, width="container",
                                           title=alt.Title("% of students at or above the cut, by standard",
                                                           subtitle="Bold number = % proficient"))


def teacher_team_chart(df: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Each teacher's % proficient (dot, 95% interval line) beside the rest of the team's.

    `df` rows: teacher (label), who ('This class' / 'Rest of team'), pct, lo, hi, n, note.
    """
    s = _sizes(big)
    order = list(dict.fromkeys(df["teacher"]))
    base = alt.Chart(df).encode(
        y=alt.Y("teacher:N", sort=order, title=None),
        yOffset=alt.YOffset("who:N", sort=["This class", "Rest of team"]),
        color=alt.Color("who:N", scale=alt.Scale(domain=["This class", "Rest of team"],
                                                  range=[TEACHER_COLOR, TEAM_COLOR]),
                        title=None, sort=["This class", "Rest of team"]),
        tooltip=[alt.Tooltip("teacher:N", title="Class"), alt.Tooltip("who:N", title=""),
                 alt.Tooltip("pct:Q", title="% proficient", format=".0%"),
                 alt.Tooltip("lo:Q", title="95% from", format=".0%"),
                 alt.Tooltip("hi:Q", title="95% to", format=".0%"), alt.Tooltip("n:Q", title="Students"),
                 alt.Tooltip("note:N", title="")],
    )
    lines = base.mark_rule(strokeWidth=4 if big else 3).encode(
        x=alt.X("lo:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="% proficient (line = 95% interval)"),
        x2="hi:Q")
    dots = base.mark_point(filled=True, size=260 if big else 160, opacity=1).encode(x="pct:Q")
    text = base.mark_text(align="left", dx=10, dy=0, fontSize=s["text"] - 2).encode(
        x="hi:Q", text=alt.Text("pct:Q", format=".0%"))
    height = max(120, (70 if big else 52) * len(order))
    return (lines + dots + text).properties(height=height, width="container")


def item_map_chart(items: pd.DataFrame, too_hard: float, too_easy: float, big: bool = False) -> alt.TopLevelMixin:
    """Items by difficulty (x) and discrimination (y); flagged items stand out; lines mark the limits."""
    s = _sizes(big)
    data = items.assign(status=np.where(items["flag"].notna(), "flagged", "fine"),
                        discrimination=items["discrimination"].astype("float64"))
    base = alt.Chart(data).encode(
        x=alt.X("difficulty:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="Difficulty: average share of points earned (higher = easier)"),
        y=alt.Y("discrimination:Q", scale=alt.Scale(domain=[-1, 1]),
                title="Discrimination (item vs rest of test)"),
        tooltip=[alt.Tooltip("item:N", title="Item"), alt.Tooltip("standard_code:N", title="Standard"),
                 alt.Tooltip("difficulty:Q", format=".0%"), alt.Tooltip("discrimination:Q", format=".2f"),
                 alt.Tooltip("flag:N", title="Flag")],
    )
    pts = base.mark_point(filled=True, size=240 if big else 140).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=["fine", "flagged"],
                                                    range=[PROFICIENT_COLOR, NOT_PROFICIENT_COLOR]),
                        title=None))
    labels = base.mark_text(dy=-14, fontSize=s["text"] - 2).encode(text="item:N")
    rules = alt.Chart(pd.DataFrame({"x": [too_hard, too_easy]})).mark_rule(strokeDash=[6, 4],
                                                                          color=NEUTRAL_COLOR).encode(x="x:Q")
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=CUT_COLOR).encode(y="y:Q")
    return (rules + zero + pts + labels).properties(height=360 if big else 300, width="container")


def growth_chart(summary: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Per standard, % proficient on the previous assessment (grey) and now (blue), same students."""
    s = _sizes(big)
    rows = []
    for _, r in summary.iterrows():
        for when, col in (("Before", "matched_before_pct"), ("Now", "matched_now_pct")):
            if pd.notna(r[col]):
                rows.append({"standard": r["standard_code"], "when": when, "pct": r[col], "matched": r["matched"],
                             "source": r["prev_title"]})
    data = pd.DataFrame(rows, columns=["standard", "when", "pct", "matched", "source"])
    order = list(summary["standard_code"])
    y = alt.Y("standard:N", sort=order, title=None)
    line = alt.Chart(data).mark_line(color=NEUTRAL_COLOR, strokeWidth=3).encode(
        x="pct:Q", y=y, detail="standard:N")
    pts = alt.Chart(data).mark_point(filled=True, size=260 if big else 160, opacity=1).encode(
        x=alt.X("pct:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="% proficient, students who took both"),
        y=y,
        color=alt.Color("when:N", scale=alt.Scale(domain=["Before", "Now"], range=["#999999", PROFICIENT_COLOR]),
                        title=None),
        tooltip=[alt.Tooltip("standard:N"), alt.Tooltip("when:N"), alt.Tooltip("pct:Q", format=".0%"),
                 alt.Tooltip("matched:Q", title="Students with both"), alt.Tooltip("source:N", title="Before =")],
    )
    text = alt.Chart(data[data["when"] == "Now"]).mark_text(dy=-16, fontSize=s["text"] - 2).encode(
        x="pct:Q", y=y, text=alt.Text("pct:Q", format=".0%"))
    return (line + pts + text).properties(height=max(100, (56 if big else 44) * len(order)), width="container")


def history_heatmap(history: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """A student's level on each standard (rows) at each assessment (columns, in date order)."""
    s = _sizes(big)
    data = history.assign(when=pd.to_datetime(history["administered_on"]).dt.strftime("%Y-%m-%d"),
                          pct=history["score"])
    order = sorted(data["standard_code"].unique())
    cols = list(dict.fromkeys(data.sort_values("administered_on")["when"]))
    base = alt.Chart(data).encode(
        x=alt.X("when:O", sort=cols, title="Assessment date", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("standard_code:N", sort=order, title=None),
    )
    rect = base.mark_rect(stroke="#ffffff", strokeWidth=1).encode(
        color=alt.Color("level:N", scale=level_scale(), sort=LEVELS, title="Level"),
        tooltip=[alt.Tooltip("title:N", title="Assessment"), alt.Tooltip("when:N", title="Date"),
                 alt.Tooltip("standard_code:N", title="Standard"), alt.Tooltip("description:N", title="Skill"),
                 alt.Tooltip("pct:Q", title="Score", format=".0%"), alt.Tooltip("level:N"),
                 alt.Tooltip("n_items:Q", title="Items")])
    text = base.mark_text(fontSize=s["text"] - 4).encode(
        text=alt.Text("pct:Q", format=".0%"),
        color=alt.condition("datum.level == 'Exceeds'", alt.value("#ffffff"), alt.value("#000000")))
    return (rect + text).properties(height=max(120, (30 if big else 24) * len(order)), width="container")


def score_trend_chart(assessments: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """A student's overall score on each assessment over time, coloured by level, one line per subject."""
    data = assessments.dropna(subset=["score"]).copy()
    data["date"] = pd.to_datetime(data["administered_on"])
    line = alt.Chart(data).mark_line(color=NEUTRAL_COLOR, strokeWidth=2).encode(
        x=alt.X("date:T", title=None), y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]),
                                                axis=alt.Axis(format="%"), title="Overall score"),
        strokeDash=alt.StrokeDash("subject:N", title="Subject"))
    pts = alt.Chart(data).mark_point(filled=True, size=150 if big else 90, opacity=1).encode(
        x="date:T", y="score:Q",
        color=alt.Color("level:N", scale=level_scale(), sort=LEVELS, title="Level"),
        shape=alt.Shape("subject:N", title="Subject"),
        tooltip=[alt.Tooltip("title:N", title="Assessment"), alt.Tooltip("date:T", title="Date"),
                 alt.Tooltip("score:Q", format=".0%"), alt.Tooltip("cut:Q", title="Cut", format=".0%"),
                 alt.Tooltip("level:N")])
    cuts = alt.Chart(data).mark_tick(color=CUT_COLOR, thickness=2, size=14).encode(
        x="date:T", y="cut:Q", tooltip=[alt.Tooltip("cut:Q", title="Cut", format=".0%")])
    return (line + cuts + pts).properties(height=300 if big else 260, width="container")


def attendance_chart(periods: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Attendance rate per period with the 90% line (below it = chronically absent)."""
    data = periods.assign(month=pd.to_datetime(periods["period_start"]),
                          status=np.where(periods["attendance_rate"] < 0.9, "below 90%", "90% or more"))
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("yearmonth(month):O", title=None, axis=alt.Axis(labelAngle=-45, format="%b %Y")),
        y=alt.Y("attendance_rate:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="Attendance"),
        color=alt.Color("status:N", scale=alt.Scale(domain=["90% or more", "below 90%"],
                                                    range=[PROFICIENT_COLOR, NOT_PROFICIENT_COLOR]), title=None),
        tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("attendance_rate:Q", title="Attendance", format=".0%"),
                 alt.Tooltip("days_absent:Q", title="Days absent"),
                 alt.Tooltip("days_enrolled:Q", title="Days enrolled")])
    rule = alt.Chart(pd.DataFrame({"y": [0.9]})).mark_rule(color=CUT_COLOR, strokeDash=[6, 4]).encode(y="y:Q")
    return (bars + rule).properties(height=240 if big else 200, width="container")
