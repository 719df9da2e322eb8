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
    return {"label": 20, "title": 20, "text": 21, "legend": 19} if big else \
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
    # A step per band (not a total height): Streamlit counts axes and legend inside a total height.
    return (bars + rule + text).properties(height=alt.Step(52 if big else 40), width="container")


def _ramp(start: str, end: str, n: int) -> list[str]:
    """n colours from start to end (hex), for as many vendor levels as a side has."""
    if n <= 1:
        return [end][:n]
    a = [int(start[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(end[i:i + 2], 16) for i in (1, 3, 5)]
    return ["#" + "".join(f"{round(x + (y - x) * k / (n - 1)):02X}" for x, y in zip(a, b)) for k in range(n)]


def vendor_levels_chart(levels: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Diverging bars per result (Overall, then goal areas/domains) in the vendor's own levels: levels that
    do not count as proficient to the left of the line (lowest outermost), levels that do to the right.

    `levels` is lib.meeting.scale_levels: standard_code, level, proficient, students, share, pct.
    """
    data = levels[levels["proficient"].notna()].copy()
    rows = []
    for code, g in data.groupby("standard_code", sort=False):
        below = g[~g["proficient"].astype(bool)]
        above = g[g["proficient"].astype(bool)]
        left = 0.0
        for _, r in below.iloc[::-1].iterrows():  # the highest level below the line sits next to it
            rows.append({"label": code, "level": r["level"], "x": -left - r["share"], "x2": -left,
                         "share": r["share"], "count": int(r["students"]), "scale": r["mean_scale_score"]})
            left += r["share"]
        right = 0.0
        for _, r in above.iterrows():
            rows.append({"label": code, "level": r["level"], "x": right, "x2": right + r["share"],
                         "share": r["share"], "count": int(r["students"]), "scale": r["mean_scale_score"]})
            right += r["share"]
    # One legend for every bar: each side's words ordered by the vendor's rank, else by average scale score.
    ranked = data.assign(_r=data["level_rank"] if "level_rank" in data else np.nan).groupby("level").agg(
        p=("proficient", "max"), r=("_r", "min"), m=("mean_scale_score", "mean")).reset_index()
    ranked = ranked.sort_values(["p", "r", "m", "level"], na_position="last")
    below_names = list(ranked.loc[~ranked["p"].astype(bool), "level"])
    above_names = list(ranked.loc[ranked["p"].astype(bool), "level"])
    domain = below_names + above_names
    colours = _ramp(NOT_PROFICIENT_COLOR, "#F0C27A", len(below_names)) + \
        _ramp("#9BD0F0", PROFICIENT_COLOR, len(above_names))
    s = _sizes(big)
    order = list(dict.fromkeys(levels["standard_code"]))
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=380))
    bars = alt.Chart(pd.DataFrame(rows)).mark_bar(size=28 if big else 22).encode(
        x=alt.X("x:Q", title="← students at levels below proficient   |   at a level counted as proficient →",
                scale=alt.Scale(domain=[-1, 1]),
                axis=alt.Axis(format="%", values=[-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1],
                              labelExpr="format(abs(datum.value), '.0%')")),
        x2="x2:Q", y=y,
        color=alt.Color("level:N", scale=alt.Scale(domain=domain, range=colours), sort=domain,
                        title="Vendor level", legend=alt.Legend(orient="bottom", columns=min(len(domain), 5))),
        tooltip=[alt.Tooltip("label:N", title="Result"), alt.Tooltip("level:N", title="Level"),
                 alt.Tooltip("count:Q", title="Students"), alt.Tooltip("share:Q", title="Share", format=".0%"),
                 alt.Tooltip("scale:Q", title="Average scale score", format=".0f")],
    )
    per = levels.drop_duplicates("standard_code")
    labels = pd.DataFrame({"label": per["standard_code"],
                           "text": [("-" if pd.isna(p) else f"{p:.0%}") for p in per["pct"]], "x": 1.0})
    text = alt.Chart(labels).mark_text(align="left", dx=6, fontSize=s["text"], fontWeight="bold").encode(
        x="x:Q", y=alt.Y("label:N", sort=order), text="text:N")
    rule = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=CUT_COLOR, strokeWidth=3).encode(x="x:Q")
    return (bars + rule + text).properties(height=alt.Step(52 if big else 40), width="container")


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
    # With yOffset the step is per sub-band (class, rest of team).
    return (lines + dots + text).properties(height=alt.Step(30 if big else 24), width="container")


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
    return (line + pts + text).properties(height=alt.Step(56 if big else 44), width="container")


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
    return (rect + text).properties(height=alt.Step(30 if big else 24), width="container")


def score_trend_chart(assessments: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """A student's overall score on each assessment over time, coloured by level, one line per subject."""
    data = assessments.dropna(subset=["score"]).copy()
    data["date"] = pd.to_datetime(data["administered_on"])
    line = alt.Chart(data).mark_line(color=NEUTRAL_COLOR, strokeWidth=2).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%d %b %Y", labelAngle=-30)),
        y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]),
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


# --- school trends, standards explorer and reports (issue 4) -----------------------------------

# Okabe-Ito order with the pale yellow left out (unreadable on white and on a projector).
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"]
# Heatmap: orange (few proficient) through pale to blue (most proficient); colour-blind safe.
HEAT_RANGE = ["#D55E00", "#F7F7F7", "#0072B2"]


def _series_scale(values: list) -> alt.Scale:
    """A categorical scale over the given values in order, cycling the shared series palette."""
    values = [v for v in dict.fromkeys(values) if v is not None]
    return alt.Scale(domain=values, range=[SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(values))])


def _grade_names(grades: list) -> list[str]:
    """"Grade K", "Grade 3"... in the order given."""
    return [f"Grade {g}" for g in grades]


def trend_lines_chart(df: pd.DataFrame, big: bool = False, title: str | None = None) -> alt.TopLevelMixin:
    """% proficient per assessment over time, one line per grade and school year (one subject).

    `df` rows (from trends.over_time): administered_on, grade_level, grade_rank, school_year, title, kind,
    pct_proficient, assessed, not_assessed, proficient. Lines break between school years: a grade's
    students change each year.
    """
    data = df.dropna(subset=["pct_proficient"]).copy()
    data["date"] = pd.to_datetime(data["administered_on"])
    grades = [str(g) for g in dict.fromkeys(data.sort_values(["grade_rank", "grade_level"])["grade_level"])]
    data["grade"] = data["grade_level"].astype(str)
    data["line"] = data["grade"] + " " + data.get("school_year", pd.Series("", index=data.index)).astype(str)
    color = alt.Color("grade:N", scale=_series_scale(grades), sort=grades, title="Grade",
                      legend=alt.Legend(orient="top", direction="horizontal", columns=len(grades) or 1,
                                        symbolSize=160 if big else 100))
    base = alt.Chart(data).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)),
        y=alt.Y("pct_proficient:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="% proficient"),
        color=color,
    )
    lines = base.mark_line(strokeWidth=4 if big else 3).encode(detail="line:N")
    pts = base.mark_point(filled=True, size=200 if big else 110, opacity=1).encode(
        shape=alt.Shape("kind:N", title=None, legend=None),
        tooltip=[alt.Tooltip("title:N", title="Assessment"), alt.Tooltip("date:T", title="Date"),
                 alt.Tooltip("grade:N", title="Grade"),
                 alt.Tooltip("pct_proficient:Q", title="% proficient", format=".0%"),
                 alt.Tooltip("proficient:Q", title="Proficient"), alt.Tooltip("assessed:Q", title="Assessed"),
                 alt.Tooltip("not_assessed:Q", title="Not assessed")])
    chart = (lines + pts).properties(height=280 if big else 240, width="container")
    return chart.properties(title=title) if title else chart


def growth_dumbbell_chart(df: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Per grade and window (BOY -> MOY...): % proficient before (grey) and after (blue), same students.

    `df` rows (from trends.growth): grade_level, from_title, to_title, pct_from, pct_to, matched,
    mean_growth, became_proficient, fell_below and a `label` column for the axis.
    """
    s = _sizes(big)
    rows = []
    for _, r in df.iterrows():
        for when, col, src in (("Before", "pct_from", "from_title"), ("After", "pct_to", "to_title")):
            rows.append({"label": r["label"], "when": when, "pct": r[col], "assessment": r[src],
                         "matched": r["matched"], "growth": r["mean_growth"],
                         "up": r["became_proficient"], "down": r["fell_below"]})
    data = pd.DataFrame(rows, columns=["label", "when", "pct", "assessment", "matched", "growth", "up", "down"])
    order = list(df["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=380))
    line = alt.Chart(data).mark_line(color=NEUTRAL_COLOR, strokeWidth=3).encode(x="pct:Q", y=y, detail="label:N")
    pts = alt.Chart(data).mark_point(filled=True, size=240 if big else 140, opacity=1).encode(
        x=alt.X("pct:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="% proficient, students who took both"),
        y=y,
        color=alt.Color("when:N", scale=alt.Scale(domain=["Before", "After"], range=["#999999", PROFICIENT_COLOR]),
                        title=None),
        tooltip=[alt.Tooltip("assessment:N", title="Assessment"), alt.Tooltip("pct:Q", format=".0%",
                                                                              title="% proficient"),
                 alt.Tooltip("matched:Q", title="Students with both"),
                 alt.Tooltip("growth:Q", title="Mean change in score", format="+.1%"),
                 alt.Tooltip("up:Q", title="Became proficient"), alt.Tooltip("down:Q", title="Fell below")])
    text = alt.Chart(data[data["when"] == "After"]).mark_text(dy=-15, fontSize=s["text"] - 2).encode(
        x="pct:Q", y=y, text=alt.Text("pct:Q", format=".0%"))
    # Streamlit fits legend and axes inside the height, so add room for them.
    return (line + pts + text).properties(height=max(140, (46 if big else 36) * len(order) + 90),
                                          width="container")


def grade_standard_heatmap(df: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Grades (rows) by standard (columns, aligned across grades by `standard_key`): % proficient per cell.

    `df` rows (from trends.heatmap): grade_level, grade_rank, standard_key, standard_code, description,
    students, proficient, pct_proficient.
    """
    s = _sizes(big)
    data = df.copy()
    data["grade"] = "Grade " + data["grade_level"].astype(str)
    grades = _grade_names(list(dict.fromkeys(data.sort_values(["grade_rank", "grade_level"])["grade_level"])))
    keys = sorted(data["standard_key"].astype(str).unique(), key=_natural_key)
    base = alt.Chart(data).encode(
        x=alt.X("standard_key:N", sort=keys, title=None,
                axis=alt.Axis(labelAngle=-40, orient="top", labelOverlap=False)),
        y=alt.Y("grade:N", sort=grades, title=None),
    )
    rect = base.mark_rect(stroke="#ffffff", strokeWidth=2).encode(
        color=alt.Color("pct_proficient:Q", title="% proficient",
                        scale=alt.Scale(domain=[0, 0.6, 1], range=HEAT_RANGE),
                        legend=alt.Legend(format="%", orient="right", gradientLength=120)),
        tooltip=[alt.Tooltip("grade:N", title="Grade"), alt.Tooltip("standard_code:N", title="Standard"),
                 alt.Tooltip("description:N", title="Skill"),
                 alt.Tooltip("pct_proficient:Q", title="% proficient", format=".0%"),
                 alt.Tooltip("proficient:Q", title="Proficient"), alt.Tooltip("students:Q", title="Students")])
    text = base.mark_text(fontSize=s["text"] - 3).encode(
        text=alt.Text("pct_proficient:Q", format=".0%"),
        color=alt.condition("datum.pct_proficient < 0.2 || datum.pct_proficient > 0.85",
                            alt.value("#ffffff"), alt.value("#000000")))
    return (rect + text).properties(height=max(180, (52 if big else 40) * len(grades) + 90), width="container")


def _natural_key(text: str) -> list:
    """Sort "OA.A.10" after "OA.A.2"."""
    import re

    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", str(text))]


def subgroup_gap_chart(df: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """% proficient per subgroup (bars), the rest of the students (tick) and the gap in points (text).

    `df` rows (from trends.subgroups, one subject): flag, group, students, pct_proficient,
    rest_pct_proficient, gap, suppressed, and `label` for the axis.
    """
    s = _sizes(big)
    data = df.copy()
    data["status"] = np.where(data["suppressed"], "hidden (<10)",
                              np.where(data["gap"].fillna(0) < 0, "below the rest", "at or above"))
    data["bar"] = data["pct_proficient"].fillna(0.0)
    data["text"] = [
        f"hidden (n={int(n)})" if sup else
        f"{p:.0%}" + ("" if pd.isna(g) else f"  ({g * 100:+.0f} pts)")
        for sup, n, p, g in zip(data["suppressed"], data["students"], data["pct_proficient"], data["gap"])
    ]
    order = list(data["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False))
    domain = ["below the rest", "at or above", "hidden (<10)"]
    bars = alt.Chart(data).mark_bar(size=22 if big else 16).encode(
        x=alt.X("bar:Q", scale=alt.Scale(domain=[0, 1.25]), axis=alt.Axis(format="%", values=[0, .25, .5, .75, 1]),
                title="% proficient (tick = the other students)"),
        y=y,
        color=alt.Color("status:N", scale=alt.Scale(domain=domain, range=[NOT_PROFICIENT_COLOR, PROFICIENT_COLOR,
                                                                          "#DDDDDD"]), title=None),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("students:Q", title="Students"),
                 alt.Tooltip("pct_proficient:Q", title="% proficient", format=".0%"),
                 alt.Tooltip("rest_pct_proficient:Q", title="Other students", format=".0%"),
                 alt.Tooltip("gap:Q", title="Gap", format="+.0%")])
    ticks = alt.Chart(data.dropna(subset=["rest_pct_proficient"])).mark_tick(
        color=CUT_COLOR, thickness=3, size=26 if big else 20).encode(x="rest_pct_proficient:Q", y=y)
    text = alt.Chart(data).mark_text(align="left", dx=6, fontSize=s["text"] - 2).encode(
        x=alt.X("bar:Q"), y=y, text="text:N")
    return (bars + ticks + text).properties(height=max(140, (38 if big else 30) * len(order) + 100),
                                            width="container")


def subgroup_trend_chart(df: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """% proficient per assessment date for each group of one flag (one subject); hidden groups left out."""
    data = df.dropna(subset=["pct_proficient"]).copy()
    data["date"] = pd.to_datetime(data["date"])
    groups = list(dict.fromkeys(df["group"]))
    color = alt.Color("group:N", scale=_series_scale(groups), sort=groups, title=None)
    base = alt.Chart(data).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)),
        y=alt.Y("pct_proficient:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="% proficient"),
        color=color)
    lines = base.mark_line(strokeWidth=4 if big else 3)
    pts = base.mark_point(filled=True, size=160 if big else 80, opacity=1).encode(
        tooltip=[alt.Tooltip("group:N"), alt.Tooltip("date:T"), alt.Tooltip("pct_proficient:Q", format=".0%"),
                 alt.Tooltip("students:Q")])
    return (lines + pts).properties(height=280 if big else 240, width="container")


def pct_bars_chart(df: pd.DataFrame, label_col: str, big: bool = False, n_col: str = "assessed",
                   color_col: str | None = None, x_title: str = "% proficient") -> alt.TopLevelMixin:
    """Horizontal bars of % proficient per row (school, grade, teacher, standard...) with "62% of 120" labels.

    Rows with `suppressed` True show "hidden (n<5)" instead of a bar. `color_col` splits bars by a
    second field (e.g. standard) as side-by-side bars.
    """
    s = _sizes(big)
    data = df.copy()
    if "suppressed" not in data:
        data["suppressed"] = False
    data["bar"] = data["pct_proficient"].astype("float64").fillna(0.0)
    data["text"] = [
        "hidden (small group)" if sup else ("no results" if pd.isna(p) else f"{p:.0%} of {int(n)}")
        for sup, p, n in zip(data["suppressed"], data["pct_proficient"], data[n_col].fillna(0))
    ]
    order = list(dict.fromkeys(data[label_col]))
    y = alt.Y(f"{label_col}:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False))
    enc = {"x": alt.X("bar:Q", scale=alt.Scale(domain=[0, 1.2]),
                      axis=alt.Axis(format="%", values=[0, .25, .5, .75, 1]), title=x_title),
           "y": y,
           "tooltip": [alt.Tooltip(f"{label_col}:N", title=""), alt.Tooltip("text:N", title="% proficient")]}
    if color_col:
        values = list(dict.fromkeys(data[color_col]))
        enc["color"] = alt.Color(f"{color_col}:N", scale=_series_scale(values), sort=values, title=None)
        enc["yOffset"] = alt.YOffset(f"{color_col}:N", sort=values)
        enc["tooltip"] = enc["tooltip"] + [alt.Tooltip(f"{color_col}:N")]
        per_row = max(1, len(values))
    else:
        enc["color"] = alt.value(PROFICIENT_COLOR)
        per_row = 1
    bars = alt.Chart(data).mark_bar().encode(**enc)
    text_enc = {"x": "bar:Q", "y": y, "text": "text:N"}
    if color_col:
        text_enc["yOffset"] = alt.YOffset(f"{color_col}:N", sort=list(dict.fromkeys(data[color_col])))
    text = alt.Chart(data).mark_text(align="left", dx=6, fontSize=s["text"] - 3).encode(**text_enc)
    row_h = (34 if big else 26) * per_row if per_row > 1 else (40 if big else 30)
    return (bars + text).properties(height=max(120, row_h * len(order) + (110 if color_col else 70)),
                                    width="container")


def standard_time_chart(df: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """% proficient on each standard at each assessment over time (one line per standard).

    `df` rows (from standards_explorer.by_assessment): administered_on, standard_code, title, kind,
    grade_level, students, proficient, pct_proficient.
    """
    data = df.dropna(subset=["pct_proficient"]).copy()
    data["date"] = pd.to_datetime(data["administered_on"])
    codes = list(dict.fromkeys(data["standard_code"]))
    base = alt.Chart(data).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=6)),
        y=alt.Y("pct_proficient:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"),
                title="% proficient on the standard"),
        color=alt.Color("standard_code:N", scale=_series_scale(codes), sort=codes, title=None))
    lines = base.mark_line(strokeWidth=3 if big else 2, opacity=0.7)
    pts = base.mark_point(filled=True, opacity=1).encode(
        size=alt.Size("students:Q", legend=None, scale=alt.Scale(range=[80, 400] if big else [40, 250])),
        shape=alt.Shape("kind:N", title="Kind"),
        tooltip=[alt.Tooltip("title:N", title="Assessment"), alt.Tooltip("date:T", title="Date"),
                 alt.Tooltip("standard_code:N", title="Standard"),
                 alt.Tooltip("pct_proficient:Q", title="% proficient", format=".0%"),
                 alt.Tooltip("proficient:Q", title="Proficient"), alt.Tooltip("students:Q", title="Students")])
    return (lines + pts).properties(height=340 if big else 300, width="container")


# --- goals (issue 5) ----------------------------------------------------------------------------

# One colour per goal status (Okabe-Ito): green met, blue on track, orange at risk, vermillion off track.
GOAL_STATUS_COLORS = {"met": "#009E73", "on track": "#0072B2", "at risk": "#E69F00", "off track": "#D55E00",
                      "not started": "#7F7F7F"}


def goal_trajectory_chart(points: pd.DataFrame, trajectory: pd.DataFrame, target: tuple | None,
                          status: str, baseline: tuple | None = None, reference_pct: float | None = None,
                          metric: str = "% proficient", big: bool = False, height: int | None = None,
                          y_title: bool = True) -> alt.TopLevelMixin:
    """A goal's measurement points against the straight line from baseline to target.

    `points`: point_date, value_pct (0-100), label, n_measured, n_expected (rows without a value are
    skipped); `trajectory`: date, pct (two rows: start and target); `target` / `baseline`: (date, pct);
    `reference_pct`: a horizontal dotted rule (a growth goal's last-period result).
    """
    s = _sizes(big)
    color = GOAL_STATUS_COLORS.get(status, NEUTRAL_COLOR)
    pts = points.dropna(subset=["value_pct"]).copy()
    pts["date"] = pd.to_datetime(pts["point_date"])
    pts["not_assessed"] = pts["n_expected"] - pts["n_measured"]
    y_scale = alt.Scale(domain=[0, 100])
    y = alt.Y("pct:Q", scale=y_scale, title=metric if y_title else None)
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount=5))
    layers = []
    if not trajectory.empty:
        line = trajectory.assign(date=pd.to_datetime(trajectory["date"]), what="Trajectory to the target")
        layers.append(alt.Chart(line).mark_line(color=NEUTRAL_COLOR, strokeDash=[8, 5], strokeWidth=2).encode(
            x=x, y=y, tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("date:T", title="Date"),
                               alt.Tooltip("pct:Q", title=metric, format=".1f")]))
    if reference_pct is not None:
        layers.append(alt.Chart(pd.DataFrame({"pct": [reference_pct], "what": ["Baseline (last period)"]}))
                      .mark_rule(color=NEUTRAL_COLOR, strokeDash=[2, 3], strokeWidth=2)
                      .encode(y=alt.Y("pct:Q", scale=y_scale), tooltip=["what:N", alt.Tooltip("pct:Q", format=".1f")]))
    if baseline is not None and baseline[0] is not None and baseline[1] is not None:
        b = pd.DataFrame({"date": [pd.Timestamp(baseline[0])], "pct": [baseline[1]], "what": ["Baseline"]})
        layers.append(alt.Chart(b).mark_point(shape="circle", size=180 if big else 110, filled=False,
                                              color="#000000", strokeWidth=2).encode(
            x=x, y=y, tooltip=[alt.Tooltip("what:N", title=""), alt.Tooltip("date:T", title="Date"),
                               alt.Tooltip("pct:Q", title=metric, format=".1f")]))
    if target is not None and target[0] is not None and target[1] is not None:
        t = pd.DataFrame({"date": [pd.Timestamp(target[0])], "pct": [target[1]],
                          "text": [f"Target {target[1]:.0f}%"]})
        layers.append(alt.Chart(t).mark_point(shape="diamond", size=260 if big else 170, filled=True,
                                              color="#000000").encode(x=x, y=y))
        layers.append(alt.Chart(t).mark_text(align="right", dx=-10, dy=-12, fontSize=s["text"] - 2,
                                             fontWeight="bold").encode(x=x, y=y, text="text:N"))
    if len(pts):
        pts = pts.rename(columns={"value_pct": "pct"})
        tips = [alt.Tooltip("label:N", title="Measured on"), alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("pct:Q", title=metric, format=".1f"),
                alt.Tooltip("n_measured:Q", title="Students measured"),
                alt.Tooltip("not_assessed:Q", title="Not assessed")]
        layers.append(alt.Chart(pts).mark_line(color=color, strokeWidth=4 if big else 3).encode(x=x, y=y))
        layers.append(alt.Chart(pts).mark_point(filled=True, size=200 if big else 120, color=color, opacity=1)
                      .encode(x=x, y=y, tooltip=tips))
        last = pts.tail(1).assign(text=lambda d: d["pct"].map(lambda v: f"{v:.0f}%"))
        layers.append(alt.Chart(last).mark_text(align="left", dx=9, dy=-10, fontSize=s["text"], fontWeight="bold",
                                                color=color).encode(x=x, y=y, text="text:N"))
    if not layers:
        layers.append(alt.Chart(pd.DataFrame({"date": [], "pct": []})).mark_point().encode(x=x, y=y))
    return alt.layer(*layers).properties(height=height or (300 if big else 220), width="container")


# --- early warning and interventions (issue 6) ---------------------------------------------------

RISK_BANDS = ["high", "medium", "low"]
RISK_BAND_COLORS = ["#D55E00", "#E69F00", "#56B4E9"]


def calibration_chart(bins: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Predicted vs observed share who missed, per probability bin; the diagonal is perfect calibration.

    `bins` needs predicted, observed, n (and bin for the tooltip); point size shows how many students.
    """
    s = _sizes(big)
    axis = alt.Axis(format="%")
    scale = alt.Scale(domain=[0, 1])
    diag = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
        color=NEUTRAL_COLOR, strokeDash=[6, 4], strokeWidth=2).encode(
        x=alt.X("x:Q", scale=scale, axis=axis, title="Predicted chance of missing the cut"),
        y=alt.Y("y:Q", scale=scale, axis=axis, title="Share who actually missed"))
    layers = [diag]
    if len(bins):
        x = alt.X("predicted:Q", scale=scale)
        y = alt.Y("observed:Q", scale=scale)
        tips = [alt.Tooltip("bin:N", title="Predicted"),
                alt.Tooltip("predicted:Q", title="Mean predicted", format=".0%"),
                alt.Tooltip("observed:Q", title="Actually missed", format=".0%"), alt.Tooltip("n:Q", title="Students")]
        layers.append(alt.Chart(bins).mark_line(color=PROFICIENT_COLOR, strokeWidth=3).encode(x=x, y=y))
        layers.append(alt.Chart(bins).mark_circle(color=PROFICIENT_COLOR, opacity=0.9).encode(
            x=x, y=y, size=alt.Size("n:Q", title="Students", scale=alt.Scale(range=[60, 900] if big else [40, 600])),
            tooltip=tips))
        layers.append(alt.Chart(bins).mark_text(dy=-16, fontSize=s["text"] - 3, color="#000000").encode(
            x=x, y=y, text=alt.Text("n:Q")))
    return alt.layer(*layers).properties(height=360 if big else 320, width="container")


def risk_bands_chart(counts: pd.DataFrame, big: bool = False) -> alt.TopLevelMixin:
    """Students per risk band (high, medium, low) as horizontal bars with the count written on each.

    `counts` needs band and students.
    """
    s = _sizes(big)
    y = alt.Y("band:N", sort=RISK_BANDS, title=None)
    bars = alt.Chart(counts).mark_bar().encode(
        x=alt.X("students:Q", title="Students"), y=y,
        color=alt.Color("band:N", scale=alt.Scale(domain=RISK_BANDS, range=RISK_BAND_COLORS), legend=None),
        tooltip=["band:N", "students:Q"])
    text = alt.Chart(counts).mark_text(align="left", dx=5, fontSize=s["text"], fontWeight="bold").encode(
        x="students:Q", y=y, text="students:Q")
    return (bars + text).properties(height=130 if big else 110, width="container")


def before_after_chart(results: pd.DataFrame, start_date, big: bool = False) -> alt.TopLevelMixin:
    """A student's scores around an intervention: points before (grey) and after (blue) its start, cut ticks.

    `results` needs administered_on, score, cut, phase ('before'/'after') and title.
    """
    s = _sizes(big)
    data = results.copy()
    data["date"] = pd.to_datetime(data["administered_on"])
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%-d %b", labelAngle=0))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="Score")
    color = alt.Color("phase:N", scale=alt.Scale(domain=["before", "after"], range=[NEUTRAL_COLOR, PROFICIENT_COLOR]),
                      title="Results")
    tips = [alt.Tooltip("title:N", title="Assessment"), alt.Tooltip("date:T", title="Date"),
            alt.Tooltip("score:Q", format=".0%"), alt.Tooltip("cut:Q", title="Cut", format=".0%")]
    line = alt.Chart(data).mark_line(strokeWidth=2, opacity=0.6).encode(x=x, y=y, color=color)
    pts = alt.Chart(data).mark_point(filled=True, size=170 if big else 100, opacity=1).encode(
        x=x, y=y, color=color, shape=alt.Shape("phase:N", scale=alt.Scale(domain=["before", "after"],
                                                                        range=["circle", "diamond"]), title="Results"),
        tooltip=tips)
    cuts = alt.Chart(data).mark_tick(color=CUT_COLOR, thickness=2, size=16).encode(
        x=x, y="cut:Q", tooltip=[alt.Tooltip("cut:Q", title="Cut", format=".0%")])
    start = pd.DataFrame({"date": [pd.Timestamp(start_date)], "label": ["help starts"]})
    rule = alt.Chart(start).mark_rule(color=CUT_COLOR, strokeDash=[6, 4], strokeWidth=2).encode(x="date:T")
    label = alt.Chart(start).mark_text(align="left", dx=6, y=8, fontSize=s["text"] - 2, fontWeight="bold").encode(
        x="date:T", text="label:N")
    return (line + cuts + rule + label + pts).properties(height=300 if big else 260, width="container")
