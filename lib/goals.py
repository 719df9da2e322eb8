"""Percentage SMART goals: definitions, baselines from data, measurement points, status and feasibility.

Three kinds of goal, each a percentage of students (0-100):

- ``raise_proficiency``: "from B% to T% proficient by <date>". % proficient = proficient students /
  students with a score; proficient iff overall score (sum earned / sum possible) >= the assessment's
  proficiency_cut (or the score on one standard, when the goal names a standard).
- ``reduce_failure``: "reduce the failure rate by X%" is *relative*: the metric is % not proficient and
  the target is baseline x (1 - X/100); 20% failing at X = 50 gives a target of 10%.
- ``growth``: % of students whose score rose by at least N percentage points between a starting
  assessment window and a later measurement point (students with both scores).

Measurement point
    A goal is measured on every assessment matching its definition (assessment kind, subject, grade,
    standard) inside its measurement window. One *point* pools the matching assessments given on the
    same date (``bucket='date'``, the default: usually one assessment) or in the same calendar month
    (``bucket='month'``, for weekly CFAs). Its value is the share of the point's results (student x
    assessment) at or above each assessment's cut, so a point with one assessment is exactly its
    % proficient and a month is the takers-weighted average of its checks, whatever their number
    (pooling a student's checks first would make a month with three checks look worse than a month with
    one). "Students measured" counts each student once. "N more students" is exact when each student
    has one result in the point; otherwise it is per check (needed results / results per student).
    A growth point compares each student's score (sum earned / sum possible over the point) with their
    starting score. The point's date is its last assessment date.

Baseline
    One point: every matching assessment in the baseline window pooled the same way (for growth: the
    growth from the baseline "pre" window to the baseline window, e.g. last year's fall to spring).
    It is computed from the data, never typed; an override is allowed only with a reason, which is kept.

Cohort
    ``rolling``: whoever is in scope at each point (this year's Grade 3). ``fixed``: the students measured
    at the baseline (for growth: at the starting window), stored when the goal is created; after that the
    same students are measured wherever they are now (grade and teacher filters chose them; kind, subject
    and standard still apply). Cohort students with no score at a point are counted as not assessed.

Status (exactly one of STATUSES)
    not started: no measurement point with a score yet. met: the latest point reaches the target.
    Otherwise the latest point is compared with the straight line from the baseline (date, value) to the
    target (target date, value): on track at or beyond the line; at risk less than AT_RISK_MARGIN points
    behind it; off track AT_RISK_MARGIN or more behind, or the target date has passed unmet. A growth
    line starts at 0% on the starting assessment (nobody has grown yet). With no baseline in the data
    (and no override) the first point stands in for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import threading
import weakref
from dataclasses import asdict, dataclass, field, fields

import duckdb
import numpy as np
import pandas as pd

from lib import demo, kept, queries, store

KINDS = ("raise_proficiency", "reduce_failure", "growth")
KIND_LABELS = {
    "raise_proficiency": "Raise % proficient",
    "reduce_failure": "Reduce the failure rate (relative)",
    "growth": "% of students growing N points",
}
STATUSES = ("not started", "on track", "at risk", "off track", "met")
LEVELS = ("system", "school", "team", "individual")
SUBGROUPS = {"ell": "English learners", "iep": "Students with an IEP", "frl": "Free/reduced lunch"}
BUCKETS = {"date": "each assessment date", "month": "each month"}
COHORTS = {"rolling": "rolling (whoever is in scope at each point)",
           "fixed": "fixed (the same students as at the baseline)"}
ASSESSMENT_KINDS = ("formative", "benchmark", "summative", "state")

# Points behind the trajectory line that still count as "at risk" rather than "off track".
AT_RISK_MARGIN = 5.0
NEAREST_LIMIT = 10
# Groups smaller than this are left out of the feasibility comparison (their % swings too much).
FEASIBILITY_MIN_N = 10
EPS = 1e-9


# --- the goal definition -----------------------------------------------------------------------

@dataclass
class GoalSpec:
    """What a goal measures and aims for; field names are the goals table's columns."""

    title: str
    kind: str = "raise_proficiency"
    level: str = "team"
    owner: str | None = None
    parent_goal_id: int | None = None
    school: str | None = None
    grade_level: str | None = None
    teacher_id: str | None = None
    subject: str | None = None
    standard_code: str | None = None
    subgroup: str | None = None
    assessment_kind: str | None = None
    bucket: str = "date"
    baseline_from: dt.date | None = None
    baseline_to: dt.date | None = None
    baseline_pre_from: dt.date | None = None
    baseline_pre_to: dt.date | None = None
    pre_from: dt.date | None = None
    pre_to: dt.date | None = None
    measure_from: dt.date | None = None
    target_date: dt.date | None = None
    target_pct: float | None = None
    reduce_by_pct: float | None = None
    growth_points: float | None = None
    baseline_override: float | None = None
    baseline_override_reason: str | None = None
    cohort: str = "rolling"
    notes: str | None = None


SPEC_FIELDS = tuple(f.name for f in fields(GoalSpec))
DATE_FIELDS = tuple(n for n in SPEC_FIELDS if n.endswith(("_from", "_to")) or n == "target_date")
FLOAT_FIELDS = ("target_pct", "reduce_by_pct", "growth_points", "baseline_override")


def _clean(value):
    """None for NaN/NaT/empty strings so stored rows and form values compare equal."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def spec_from_row(row: dict) -> GoalSpec:
    """A GoalSpec from a goals-table row (or any dict with its field names)."""
    values = {}
    for name in SPEC_FIELDS:
        v = _clean(row.get(name))
        if v is not None and name in DATE_FIELDS:
            v = pd.Timestamp(v).date()
        elif v is not None and name in FLOAT_FIELDS:
            v = float(v)
        elif v is not None and name == "parent_goal_id":
            v = int(v)
        values[name] = v
    values["title"] = values["title"] or ""
    values["kind"] = values["kind"] or "raise_proficiency"
    values["level"] = values["level"] or "team"
    values["bucket"] = values["bucket"] or "date"
    values["cohort"] = values["cohort"] or "rolling"
    return GoalSpec(**values)


def direction(kind: str) -> int:
    """+1 when the metric should rise (proficiency, growth), -1 when it should fall (failure rate)."""
    return -1 if kind == "reduce_failure" else 1


def metric_label(spec: GoalSpec) -> str:
    """The metric in words, e.g. "% proficient" or "% improving >= 10 points"."""
    if spec.kind == "reduce_failure":
        return "% not proficient"
    if spec.kind == "growth":
        return f"% improving >= {_num(spec.growth_points or 0)} points"
    return "% proficient"


def target_value(spec: GoalSpec, baseline_pct: float | None) -> float | None:
    """The target in metric terms: as typed, or for a relative reduction baseline x (1 - X/100)."""
    if spec.kind == "reduce_failure":
        if baseline_pct is None or spec.reduce_by_pct is None:
            return None
        return baseline_pct * (1 - spec.reduce_by_pct / 100.0)
    return spec.target_pct


def validate(con: duckdb.DuckDBPyConnection | None, spec: GoalSpec, goal_id: int | None = None) -> list[str]:
    """Problems that stop a goal from being saved (empty list when it is fine)."""
    errs = []
    if not (spec.title or "").strip():
        errs.append("Give the goal a title.")
    if spec.kind not in KINDS:
        errs.append(f"Kind must be one of {', '.join(KINDS)}.")
    if spec.level not in LEVELS:
        errs.append(f"Level must be one of {', '.join(LEVELS)}.")
    if spec.bucket not in BUCKETS:
        errs.append("A measurement point is each assessment date or each month.")
    if spec.cohort not in COHORTS:
        errs.append("The cohort is rolling or fixed.")
    if spec.subgroup is not None and spec.subgroup not in SUBGROUPS:
        errs.append(f"Subgroup must be one of {', '.join(SUBGROUPS)}.")
    if spec.target_date is None:
        errs.append("Set a target date.")
    if spec.baseline_from is None or spec.baseline_to is None:
        errs.append("Set the baseline window (from and to).")
    elif spec.baseline_from > spec.baseline_to:
        errs.append("The baseline window starts after it ends.")
    if spec.kind in ("raise_proficiency", "growth"):
        if spec.target_pct is None or not 0 <= spec.target_pct <= 100:
            errs.append("The target is a percentage between 0 and 100.")
    if spec.kind == "reduce_failure" and (spec.reduce_by_pct is None or not 0 < spec.reduce_by_pct <= 100):
        errs.append("The reduction is a percentage above 0 and at most 100 (50 halves the failure rate).")
    if spec.kind == "growth":
        if spec.growth_points is None or spec.growth_points <= 0:
            errs.append("Growth goals need the number of points a student must improve by (above 0).")
        if spec.pre_from is None or spec.pre_to is None:
            errs.append("Growth goals need the starting assessment window.")
        elif spec.pre_from > spec.pre_to:
            errs.append("The starting window starts after it ends.")
    if spec.baseline_override is not None:
        if not 0 <= spec.baseline_override <= 100:
            errs.append("An overridden baseline is a percentage between 0 and 100.")
        if not (spec.baseline_override_reason or "").strip():
            errs.append("Say why the baseline is overridden (the reason is kept with the goal).")
    start = progress_start(spec)
    if spec.target_date is not None and start is not None and spec.target_date < start:
        errs.append("The target date is before measurement starts.")
    if spec.parent_goal_id is not None and con is not None:
        if goal_id is not None and spec.parent_goal_id == goal_id:
            errs.append("A goal cannot sit under itself.")
        else:
            parents = _parent_map(con)
            if spec.parent_goal_id not in parents:
                errs.append(f"There is no goal number {spec.parent_goal_id} to align under.")
            elif goal_id is not None:
                seen, cur = set(), spec.parent_goal_id
                while cur is not None and cur not in seen:
                    if cur == goal_id:
                        errs.append("That alignment would make a loop of goals.")
                        break
                    seen.add(cur)
                    cur = parents.get(cur)
    return errs


def _parent_map(con: duckdb.DuckDBPyConnection) -> dict[int, int | None]:
    df = queries.run(con, "goal_parents")
    return {int(g): (None if pd.isna(p) else int(p)) for g, p in zip(df["goal_id"], df["parent_goal_id"])}


def progress_start(spec: GoalSpec) -> dt.date | None:
    """First day a progress point may fall on: measure_from, else the day after the baseline/start window."""
    if spec.measure_from is not None:
        return spec.measure_from
    anchor = spec.pre_to if spec.kind == "growth" else spec.baseline_to
    return None if anchor is None else anchor + dt.timedelta(days=1)


# --- SQL -----------------------------------------------------------------------------------------
# Fixed text, assembled once at import; user values only ever arrive as $parameters.
#
# The measuring queries take a batch of *requests* (one per measurement: a goal's scope and one window),
# passed as parallel typed lists ($r_req, $r_kind, ...) and unnested into the table `r`; every CTE carries
# `req`, so one statement measures every goal of the page (planning a statement costs more than running it
# on one goal's few thousand results). Each query comes in two variants: `_std` when some request names a
# standard (items and standard scores are consulted), and without it (overall scores only).

_REQUEST_FIELDS = (
    ("req", "INTEGER"), ("kind", "VARCHAR"), ("subject", "VARCHAR"), ("grade", "VARCHAR"),
    ("standard", "VARCHAR"), ("school", "VARCHAR"), ("teacher", "VARCHAR"), ("subgroup", "VARCHAR"),
    ("fixed", "BOOLEAN"), ("goal_id", "INTEGER"), ("use_scope", "BOOLEAN"), ("growth_points", "DOUBLE"),
    ("pre_from", "DATE"), ("pre_to", "DATE"), ("date_from", "DATE"), ("date_to", "DATE"), ("bucket", "VARCHAR"),
)
_REQUESTS_CTE = "r AS MATERIALIZED (\n    SELECT " + ",\n           ".join(
    f"unnest($r_{name}::{typ}[]) AS {name}" for name, typ in _REQUEST_FIELDS) + "\n)"

_ASSESSMENTS_CTE = """
a AS MATERIALIZED (
    -- The assessments each request measures, with the point each one belongs to.
    SELECT r.req, x.assessment_id, x.title, x.subject, x.grade_level, x.administered_on, x.proficiency_cut,
           {pre_flag} AS is_pre,
           CASE WHEN {pre_flag} THEN r.pre_from
                WHEN r.bucket = 'month' THEN date_trunc('month', x.administered_on)::DATE
                WHEN r.bucket = 'window' THEN r.date_from
                ELSE x.administered_on END AS point
    FROM r JOIN assessments x ON ({window})
    WHERE (r.kind IS NULL OR x.kind = r.kind)
      AND (r.subject IS NULL OR lower(x.subject) = lower(r.subject))
      AND (r.fixed OR r.grade IS NULL OR x.grade_level = r.grade){standard_filter}
)"""
_STANDARD_FILTER = """
      AND (r.standard IS NULL
           OR EXISTS (SELECT 1 FROM items i WHERE i.assessment_id = x.assessment_id
                      AND i.standard_code = r.standard)
           OR EXISTS (SELECT 1 FROM scores c WHERE c.assessment_id = x.assessment_id
                      AND c.standard_code = r.standard))"""

# Scores per request x student x assessment: item responses (earned / possible points, read from the
# stored points_overall / points_standard tables that every write keeps, migration 32), plus scale-score
# results (vendor tests) as 1/0 of 1 point with proficiency_cut 1.0, the same rule as the core views
# v_overall_scores / v_standard_scores. Written out rather than read from those views so the goal's
# assessments reach the scans (points_* are sorted by assessment_id: whole row groups are skipped).
_SCORED_R = """
scale AS MATERIALIZED (
    SELECT v.assessment_id, v.student_id, v.standard_code, v.proficient, v.vendor
    FROM v_scale_scores v
    WHERE v.assessment_id IN (SELECT assessment_id FROM a) AND v.proficient IS NOT NULL
),
scored AS (
    -- Requests with a student scope join it first, so only their students' rows leave the scan.
    SELECT a.req, p.assessment_id, p.student_id, p.earned, p.possible
    FROM a JOIN r USING (req) JOIN scope sp ON sp.req = a.req
    JOIN points_overall p ON p.assessment_id = a.assessment_id AND p.student_id = sp.student_id
    WHERE r.standard IS NULL AND r.use_scope
    UNION ALL
    SELECT a.req, p.assessment_id, p.student_id, p.earned, p.possible
    FROM a JOIN r USING (req) JOIN points_overall p ON p.assessment_id = a.assessment_id
    WHERE r.standard IS NULL AND NOT r.use_scope{standard_points}
    UNION ALL
    SELECT a.req, s.assessment_id, s.student_id, CASE WHEN s.proficient THEN 1.0 ELSE 0.0 END, 1.0
    FROM a JOIN r USING (req) JOIN scale s ON s.assessment_id = a.assessment_id
    WHERE CASE WHEN r.standard IS NULL THEN s.standard_code IS NULL ELSE s.standard_code = r.standard END
    UNION ALL
    -- Standards-only scale results: proficient overall when overall_share (default 0.8) of the standards are.
    SELECT a.req, v.assessment_id, v.student_id,
           CASE WHEN avg(CASE WHEN v.proficient THEN 1 ELSE 0 END) >= coalesce(any_value(sr.overall_share), 0.8)
                THEN 1.0 ELSE 0.0 END, 1.0
    FROM a JOIN r USING (req) JOIN scale v ON v.assessment_id = a.assessment_id
    LEFT JOIN scale_rules sr ON sr.vendor = v.vendor AND sr.scope = 'overall'
    WHERE r.standard IS NULL AND v.standard_code IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM scale o WHERE o.assessment_id = v.assessment_id
                      AND o.student_id = v.student_id AND o.standard_code IS NULL)
    GROUP BY a.req, v.assessment_id, v.student_id
)"""
_STANDARD_POINTS = """
    UNION ALL
    SELECT a.req, p.assessment_id, p.student_id, p.earned, p.possible
    FROM a JOIN r USING (req) JOIN scope sp ON sp.req = a.req
    JOIN points_standard p
      ON p.assessment_id = a.assessment_id AND p.student_id = sp.student_id AND p.standard_code = r.standard
    WHERE r.use_scope
    UNION ALL
    SELECT a.req, p.assessment_id, p.student_id, p.earned, p.possible
    FROM a JOIN r USING (req) JOIN points_standard p
      ON p.assessment_id = a.assessment_id AND p.standard_code = r.standard
    WHERE NOT r.use_scope"""

_COMMON_CTES = """
scope AS MATERIALIZED (
    -- Students allowed by each request's school, subgroup and (when fixed) its goal's stored cohort.
    SELECT q.req, q.student_id FROM (
        SELECT r.req, r.subgroup, r.fixed, r.goal_id, s.student_id, s.ell, s.iep, s.frl
        FROM r JOIN students s ON s.school = r.school
        WHERE r.use_scope
        UNION ALL
        SELECT r.req, r.subgroup, r.fixed, r.goal_id, s.student_id, s.ell, s.iep, s.frl
        FROM r CROSS JOIN students s
        WHERE r.use_scope AND r.school IS NULL
    ) q
    WHERE (q.subgroup IS NULL OR CASE q.subgroup
            WHEN 'ell' THEN coalesce(q.ell, FALSE) WHEN 'iep' THEN coalesce(q.iep, FALSE)
            WHEN 'frl' THEN coalesce(q.frl, FALSE) ELSE FALSE END)
      AND (NOT q.fixed OR EXISTS (SELECT 1 FROM goal_cohort c WHERE c.goal_id = q.goal_id
                                  AND c.student_id = q.student_id))
),
expected AS MATERIALIZED (
    -- Rolling goals: who was expected to take each assessment (the same rule as v_assessment_roster),
    -- only the teacher's sections for a teacher goal.
    -- (Requests with a student scope start from its students' enrollments.)
    SELECT a.req, a.assessment_id, a.point, a.is_pre, e.student_id
    FROM scope sp JOIN enrollments e ON e.student_id = sp.student_id
    JOIN sections s ON s.section_id = e.section_id
    JOIN a ON a.req = sp.req
     AND (a.subject IS NULL OR s.subject IS NULL OR lower(s.subject) = lower(a.subject))
     AND (a.grade_level IS NULL OR s.grade_level IS NULL OR s.grade_level = a.grade_level)
     AND (s.starts_on IS NULL OR a.administered_on >= s.starts_on)
     AND (s.ends_on IS NULL OR a.administered_on <= s.ends_on)
    JOIN r ON r.req = a.req
    WHERE NOT r.fixed AND r.use_scope AND (r.teacher IS NULL OR s.teacher_id = r.teacher)
    UNION
    SELECT a.req, a.assessment_id, a.point, a.is_pre, e.student_id
    FROM a JOIN r USING (req) JOIN sections s
      ON (a.subject IS NULL OR s.subject IS NULL OR lower(s.subject) = lower(a.subject))
     AND (a.grade_level IS NULL OR s.grade_level IS NULL OR s.grade_level = a.grade_level)
     AND (s.starts_on IS NULL OR a.administered_on >= s.starts_on)
     AND (s.ends_on IS NULL OR a.administered_on <= s.ends_on)
     AND (r.teacher IS NULL OR s.teacher_id = r.teacher)
    JOIN enrollments e ON e.section_id = s.section_id
    WHERE NOT r.fixed AND NOT r.use_scope
),
@@SCORED@@,
takers AS MATERIALIZED (
    SELECT a.req, a.point, a.is_pre, a.assessment_id, a.administered_on, a.proficiency_cut,
           sc.student_id, sc.earned, sc.possible
    FROM scored sc JOIN a USING (req, assessment_id) JOIN r USING (req)
    WHERE sc.possible > 0
      AND (NOT r.use_scope OR EXISTS (SELECT 1 FROM scope sp WHERE sp.req = sc.req AND sp.student_id = sc.student_id))
      AND (r.fixed OR r.teacher IS NULL OR EXISTS (
            SELECT 1 FROM expected x WHERE x.req = sc.req AND x.assessment_id = sc.assessment_id
                                       AND x.student_id = sc.student_id))
)"""

_PROF_STUDENT_CTE = """
per_student AS MATERIALIZED (
    -- One row per result (student x assessment) in a point: meeting iff score >= proficiency_cut.
    SELECT req, point, student_id, assessment_id, administered_on, earned, possible, proficiency_cut,
           earned / possible AS score, earned / possible >= proficiency_cut AS meeting
    FROM takers
)"""

_GROWTH_STUDENT_CTE = """
pre AS (
    SELECT req, student_id, sum(earned) / sum(possible) AS pre_score FROM takers WHERE is_pre GROUP BY req, student_id
),
post AS (
    SELECT req, point, student_id, max(administered_on) AS last_on, count(*) AS n_assessments,
           sum(earned) / sum(possible) AS score
    FROM takers WHERE NOT is_pre GROUP BY req, point, student_id
),
per_student AS MATERIALIZED (
    -- Students with both a starting and a later score; improving iff the gain reaches N points.
    SELECT post.req, post.point, post.student_id, post.last_on, post.n_assessments, pre.pre_score, post.score,
           100 * (post.score - pre.pre_score) AS gain,
           100 * (post.score - pre.pre_score) >= r.growth_points - 1e-9 AS meeting
    FROM post JOIN pre USING (req, student_id) JOIN r USING (req)
)"""

_POINTS_SELECT = """
pts AS (
    SELECT a.req, a.point, max(a.administered_on) AS point_date, count(*) AS n_assessments,
           CASE WHEN count(*) = 1 THEN min(a.title) ELSE count(*) || ' assessments' END AS label
    FROM a
    WHERE NOT a.is_pre  -- only assessments someone in scope took or was expected to take
      AND (EXISTS (SELECT 1 FROM takers t WHERE t.req = a.req AND t.assessment_id = a.assessment_id)
           OR EXISTS (SELECT 1 FROM expected x WHERE x.req = a.req AND x.assessment_id = a.assessment_id))
    GROUP BY a.req, a.point
),
meas AS (
    SELECT req, point, count(DISTINCT student_id) AS n_measured, count(*) AS n_results,
           count(*) FILTER (WHERE meeting) AS n_meeting
    FROM per_student GROUP BY req, point
),
expected_n AS (
    SELECT req, point, count(DISTINCT student_id) AS n_expected FROM (
        {expected_rows}
    ) GROUP BY req, point
),
cohort_n AS (
    SELECT goal_id, count(*) AS n FROM goal_cohort WHERE goal_id IN (SELECT goal_id FROM r WHERE fixed)
    GROUP BY goal_id
)
SELECT pts.req, pts.point, pts.point_date, pts.label, pts.n_assessments,
       CASE WHEN r.fixed THEN coalesce(cohort_n.n, 0) ELSE coalesce(expected_n.n_expected, 0) END AS n_expected,
       coalesce(meas.n_measured, 0) AS n_measured,
       coalesce(meas.n_results, 0) AS n_results,
       coalesce(meas.n_meeting, 0) AS n_meeting
FROM pts JOIN r USING (req) LEFT JOIN meas USING (req, point) LEFT JOIN expected_n USING (req, point)
LEFT JOIN cohort_n ON cohort_n.goal_id = r.goal_id
WHERE coalesce(meas.n_measured, 0) > 0 OR (NOT r.fixed AND coalesce(expected_n.n_expected, 0) > 0)
ORDER BY pts.req, pts.point"""

# Proficiency: expected = roster of each assessment plus anyone measured.
_PROF_EXPECTED = ("SELECT req, point, student_id FROM expected WHERE NOT is_pre "
                  "UNION ALL SELECT req, point, student_id FROM per_student")
# Growth: a student is expected at every point once they have a starting score.
_GROWTH_EXPECTED = ("SELECT pts.req, pts.point, pre.student_id FROM pre JOIN (SELECT DISTINCT req, point FROM a "
                    "WHERE NOT is_pre) pts USING (req) UNION ALL SELECT req, point, student_id FROM per_student")

_PROF_WINDOW = "x.administered_on BETWEEN r.date_from AND r.date_to"
_GROWTH_WINDOW = ("x.administered_on BETWEEN r.pre_from AND r.pre_to "
                  "OR x.administered_on BETWEEN r.date_from AND r.date_to")
_GROWTH_PRE_FLAG = "(x.administered_on BETWEEN r.pre_from AND r.pre_to)"


def _prefix(growth: bool, standard: bool) -> str:
    a = _ASSESSMENTS_CTE.format(pre_flag=_GROWTH_PRE_FLAG if growth else "FALSE",
                                window=_GROWTH_WINDOW if growth else _PROF_WINDOW,
                                standard_filter=_STANDARD_FILTER if standard else "")
    scored = _SCORED_R.format(standard_points=_STANDARD_POINTS if standard else "").strip()
    return ("WITH " + _REQUESTS_CTE + "," + a + "," + _COMMON_CTES.replace("@@SCORED@@", scored) + ","
            + (_GROWTH_STUDENT_CTE if growth else _PROF_STUDENT_CTE))


def _define_measuring(name: str, growth: bool, tail: str) -> None:
    """Define a measuring query in its two variants: `name` (no standard) and `name_std`."""
    for standard, suffix in ((False, ""), (True, "_std")):
        queries.define(name + suffix, _prefix(growth, standard) + tail)


_define_measuring("goal_points_proficiency", False, "," + _POINTS_SELECT.format(expected_rows=_PROF_EXPECTED))
_define_measuring("goal_points_growth", True, "," + _POINTS_SELECT.format(expected_rows=_GROWTH_EXPECTED))
# The nearest students and the fixed cohort measure one request each.
_define_measuring("goal_nearest_proficiency", False, """,
closest AS (
    -- Each student's result below the cut that came closest to it, in the point.
    SELECT * FROM per_student WHERE point = $point::DATE AND NOT meeting
    QUALIFY row_number() OVER (PARTITION BY student_id
                               ORDER BY proficiency_cut - score, administered_on DESC, assessment_id) = 1
)
SELECT l.student_id, s.first_name, s.last_name, x.title AS assessment, l.administered_on AS assessed_on,
       100 * l.score AS score_pct, 100 * l.proficiency_cut AS cut_pct,
       greatest(100 * (l.proficiency_cut - l.score), 0) AS gap_pts,
       greatest(l.proficiency_cut * l.possible - l.earned, 0) AS points_short
FROM closest l LEFT JOIN students s USING (student_id) LEFT JOIN assessments x USING (assessment_id)
ORDER BY gap_pts, l.student_id
LIMIT $limit::INTEGER""")
_define_measuring("goal_nearest_growth", True, """
SELECT ps.student_id, s.first_name, s.last_name, ps.last_on AS assessed_on, ps.n_assessments,
       100 * ps.pre_score AS start_pct, 100 * ps.score AS score_pct, ps.gain AS gain_pts,
       greatest($growth_points::DOUBLE - ps.gain, 0) AS gap_pts
FROM per_student ps LEFT JOIN students s USING (student_id)
WHERE ps.point = $point::DATE AND NOT ps.meeting
ORDER BY gap_pts, ps.student_id
LIMIT $limit::INTEGER""")
# The fixed cohort: students measured at the baseline (growth: at the starting window), one statement
# run on the caller's connection so it sees the rows of the transaction it is part of.
_define_measuring("goal_cohort_students_proficiency", False,
                  "\nSELECT DISTINCT student_id FROM per_student ORDER BY student_id")
_define_measuring("goal_cohort_students_growth", True, "\nSELECT DISTINCT student_id FROM pre ORDER BY student_id")

# Feasibility: scores per student per assessment of one kind and subject (not per request): as _SCORED_R.
_SCORED = """
scale AS MATERIALIZED (
    SELECT v.assessment_id, v.student_id, v.standard_code, v.proficient, v.vendor
    FROM v_scale_scores v
    WHERE v.assessment_id IN (SELECT assessment_id FROM a) AND v.proficient IS NOT NULL
),
scored AS NOT MATERIALIZED (  -- (read twice by feasibility: its second read is pruned to a few groups)
    SELECT p.assessment_id, p.student_id, p.earned, p.possible
    FROM points_overall p
    WHERE $standard::VARCHAR IS NULL AND p.assessment_id IN (SELECT assessment_id FROM a)
    UNION ALL
    SELECT p.assessment_id, p.student_id, p.earned, p.possible
    FROM points_standard p
    WHERE $standard::VARCHAR IS NOT NULL AND p.standard_code = $standard::VARCHAR
      AND p.assessment_id IN (SELECT assessment_id FROM a)
    UNION ALL
    SELECT assessment_id, student_id, CASE WHEN proficient THEN 1.0 ELSE 0.0 END, 1.0
    FROM scale
    WHERE CASE WHEN $standard::VARCHAR IS NULL THEN standard_code IS NULL
               ELSE standard_code = $standard::VARCHAR END
    UNION ALL
    -- Standards-only scale results: proficient overall when overall_share (default 0.8) of the standards are.
    SELECT v.assessment_id, v.student_id,
           CASE WHEN avg(CASE WHEN v.proficient THEN 1 ELSE 0 END) >= coalesce(any_value(r.overall_share), 0.8)
                THEN 1.0 ELSE 0.0 END, 1.0
    FROM scale v LEFT JOIN scale_rules r ON r.vendor = v.vendor AND r.scope = 'overall'
    WHERE $standard::VARCHAR IS NULL AND v.standard_code IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM scale o WHERE o.assessment_id = v.assessment_id
                      AND o.student_id = v.student_id AND o.standard_code IS NULL)
    GROUP BY v.assessment_id, v.student_id
)"""

# Feasibility: % proficient per school x grade x point on the same kind of assessment and subject (groups
# of at least $min_n students).
queries.define(
    "goal_similar_proficiency",
    """
WITH a AS (
    SELECT assessment_id, coalesce(grade_level, '') AS grade_level, administered_on, proficiency_cut,
           CASE WHEN $bucket::VARCHAR = 'month' THEN date_trunc('month', administered_on)::DATE
                ELSE administered_on END AS point
    FROM assessments
    WHERE administered_on IS NOT NULL
      AND ($kind::VARCHAR IS NULL OR kind = $kind::VARCHAR)
      AND ($subject::VARCHAR IS NULL OR lower(subject) = lower($subject::VARCHAR))
),
@@SCORED@@,
per_a AS (
    -- Results per assessment x school (grade and point come with the assessment).
    SELECT sc.assessment_id, coalesce(st.school, '') AS school, count(*) AS n_results,
           count(*) FILTER (WHERE sc.earned / sc.possible >= a.proficiency_cut) AS n_meeting
    FROM scored sc JOIN a USING (assessment_id) LEFT JOIN students st USING (student_id)
    WHERE sc.possible > 0
    GROUP BY sc.assessment_id, coalesce(st.school, '')
),
grp AS (
    -- A group's students: stored point scores have one row per student and assessment, so with one
    -- assessment the results are the students, and with several the largest is a lower bound.
    -- Scale results (which may repeat) and groups the bounds leave open are counted exactly below.
    SELECT p.school, a.grade_level, a.point, max(a.administered_on) AS point_date,
           sum(p.n_results)::BIGINT AS n_results, sum(p.n_meeting)::BIGINT AS n_meeting, max(p.n_results) AS most,
           count(*) AS n_assessments, bool_or(p.assessment_id IN (SELECT assessment_id FROM scale)) AS has_scale
    FROM per_a p JOIN a USING (assessment_id)
    GROUP BY p.school, a.grade_level, a.point
),
open_grp AS (
    SELECT school, grade_level, point FROM grp
    WHERE (has_scale OR (n_assessments > 1 AND most < $min_n::INTEGER)) AND n_results >= $min_n::INTEGER
),
open_a AS (
    SELECT DISTINCT a.assessment_id FROM a JOIN open_grp o ON o.grade_level = a.grade_level AND o.point = a.point
),
exact AS (
    SELECT school, grade_level, point, count(DISTINCT student_id) AS n_students
    FROM (SELECT coalesce(st.school, '') AS school, a.grade_level, a.point, sc.student_id
          FROM scored sc JOIN a USING (assessment_id) LEFT JOIN students st USING (student_id)
          WHERE sc.possible > 0 AND sc.assessment_id IN (SELECT assessment_id FROM open_a))
    JOIN open_grp USING (school, grade_level, point)
    GROUP BY ALL
)
SELECT g.school, g.grade_level, g.point, g.point_date, 100.0 * g.n_meeting / g.n_results AS pct
FROM grp g LEFT JOIN exact x USING (school, grade_level, point)
WHERE CASE WHEN NOT g.has_scale AND g.n_assessments = 1 THEN g.n_results >= $min_n::INTEGER
           WHEN NOT g.has_scale AND g.most >= $min_n::INTEGER THEN TRUE
           ELSE coalesce(x.n_students, 0) >= $min_n::INTEGER END
ORDER BY school, grade_level, point""".replace("@@SCORED@@", _SCORED.strip()),
)
# Feasibility for growth: % of students improving >= N points between two points of the same kind
# and subject whose distance in days is like the goal's span, per school x starting grade.
queries.define(
    "goal_similar_growth",
    """
WITH a AS (
    SELECT assessment_id, coalesce(grade_level, '') AS grade_level, administered_on,
           CASE WHEN $bucket::VARCHAR = 'month' THEN date_trunc('month', administered_on)::DATE
                ELSE administered_on END AS point
    FROM assessments
    WHERE administered_on IS NOT NULL
      AND ($kind::VARCHAR IS NULL OR kind = $kind::VARCHAR)
      AND ($subject::VARCHAR IS NULL OR lower(subject) = lower($subject::VARCHAR))
),
@@SCORED@@,
ps0 AS (
    SELECT a.point, sc.student_id, min(a.grade_level) AS grade_level, max(a.administered_on) AS last_on,
           sum(sc.earned) / sum(sc.possible) AS score
    FROM scored sc JOIN a USING (assessment_id)
    WHERE sc.possible > 0
    GROUP BY a.point, sc.student_id
),
ps AS (
    -- A student's school is one value: joined after grouping the results.
    SELECT coalesce(st.school, '') AS school, ps0.grade_level, ps0.point, ps0.student_id, ps0.last_on, ps0.score
    FROM ps0 LEFT JOIN students st USING (student_id)
)
SELECT x.school, x.grade_level, x.point AS point_1, y.point AS point_2,
       max(x.last_on) AS date_1, max(y.last_on) AS date_2, count(*) AS n,
       100.0 * count(*) FILTER (WHERE 100 * (y.score - x.score) >= $growth_points::DOUBLE - 1e-9) / count(*) AS pct
FROM ps x JOIN ps y ON x.student_id = y.student_id AND y.point > x.point
 AND date_diff('day', x.point, y.point) BETWEEN $lo::INTEGER AND $hi::INTEGER
GROUP BY ALL HAVING count(*) >= $min_n::INTEGER
ORDER BY 1, 2, 3, 4""".replace("@@SCORED@@", _SCORED.strip()),
)

queries.define("goal_parents", "SELECT goal_id, parent_goal_id FROM goals")
queries.define("goal_rows", "SELECT * FROM goals ORDER BY goal_id")
queries.define("goal_row", "SELECT * FROM goals WHERE goal_id = $goal_id::INTEGER")
queries.define(
    "goal_history",
    """SELECT history_id, changed_at, coalesce(changed_by, '') AS changed_by, action, field,
              old_value, new_value, coalesce(reason, '') AS reason
       FROM goal_history WHERE goal_id = $goal_id::INTEGER ORDER BY history_id DESC""",
)
queries.define("goal_cohort_size", "SELECT count(*) FROM goal_cohort WHERE goal_id = $goal_id::INTEGER")
queries.define(
    "goal_scope_options",
    """SELECT 'school' AS field, school AS value FROM students WHERE school IS NOT NULL
       UNION SELECT 'grade', grade_level FROM assessments WHERE grade_level IS NOT NULL
       UNION SELECT 'subject', subject FROM assessments WHERE subject IS NOT NULL
       UNION SELECT 'kind', kind FROM assessments WHERE kind IS NOT NULL
       UNION SELECT 'teacher', teacher_id FROM teachers
       UNION SELECT 'standard', code FROM standards""",
)
queries.define(
    "goal_data_dates",
    """SELECT min(administered_on) AS first_date, max(administered_on) AS last_date,
              max(administered_on) FILTER (WHERE kind = 'benchmark') AS last_benchmark
       FROM assessments""",
)

queries.define("goal_db_file", "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
queries.define("goal_cohort_sizes", "SELECT goal_id, count(*) AS n FROM goal_cohort GROUP BY goal_id")

_PARAM_RE = re.compile(r"\$([a-z_]+)")

# Results of the measuring and feasibility queries, remembered per database file and data version (every
# write bumps the version, as for risk.cached_build): the calls of one page share a goal's measurements
# (the goals table, the goal's nearest students, its feasibility, the edit form's preview), and the form's
# preview does not measure again while only the title or the target is being typed. Never used for an
# in-memory database, nor for direct=True (a transaction in progress sees rows nobody else does).
MEMO_ENTRIES = 512
_MEMO: dict = {}
_MEMO_LOCK = threading.Lock()


_DB_FILES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fetchone(con: duckdb.DuckDBPyConnection, name: str) -> tuple | None:
    cur = con.cursor()
    try:
        return cur.execute(queries.QUERIES[name]).fetchone()
    finally:
        cur.close()


def _memo_base(con: duckdb.DuckDBPyConnection, direct: bool) -> tuple | None:
    """(database file, data version) naming the data a result comes from; None when not remembered."""
    if direct or MEMO_ENTRIES <= 0:
        return None
    file = _DB_FILES.get(con)  # a connection's file never changes: asked once per connection
    if file is None:
        row = _fetchone(con, "goal_db_file")
        file = (row[0] if row else None) or ""
        _DB_FILES[con] = file
    if not file:  # in-memory
        return None
    return (file, kept.data_version(con))


def _memo_get(key):
    with _MEMO_LOCK:
        df = _MEMO.get(key)
    return None if df is None else df.copy()


def _memo_put(key, df: pd.DataFrame) -> None:
    with _MEMO_LOCK:
        _MEMO.pop(key, None)
        while len(_MEMO) >= MEMO_ENTRIES:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = df.copy()


def _remembered(con: duckdb.DuckDBPyConnection, key: tuple, compute) -> pd.DataFrame:
    """compute() (a DataFrame from this database's data), remembered for this data version under key."""
    base = _memo_base(con, False)
    full = (base, *key) if base else None
    hit = _memo_get(full) if full else None
    if hit is not None:
        return hit
    df = compute()
    if full:
        _memo_put(full, df)
    return df


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict, direct: bool = False,
         memo: bool = False) -> pd.DataFrame:
    """Run a named goal query with just the parameters its text uses.

    direct=True runs on `con` itself instead of a cursor, so it sees the uncommitted rows of a
    transaction in progress on `con` (the demo loader builds goals inside its transaction).
    memo=True remembers the result for this data version (see _MEMO).
    """
    sql = queries.QUERIES[name]
    used = set(_PARAM_RE.findall(sql))
    bound = {k: v for k, v in params.items() if k in used}
    missing = used - bound.keys()
    if missing:
        raise KeyError(f"query {name} needs {sorted(missing)}")
    if direct:
        return con.execute(sql, bound).df()
    base = _memo_base(con, direct) if memo else None
    key = (base, name, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(bound.items()))
           ) if base else None
    if key is not None:
        hit = _memo_get(key)
        if hit is not None:
            return hit
    # A goal's assessments reach the points_* scans as a list of ids when there are up to a few hundred
    # (DuckDB's default stops at 50), so row groups of other assessments are skipped.
    df = queries.run_pruned(con, name, **bound)
    if key is not None:
        _memo_put(key, df)
    return df


def _scope_params(spec: GoalSpec, *, fixed: bool, goal_id: int | None) -> dict:
    return {
        "kind": spec.assessment_kind, "subject": spec.subject, "grade": spec.grade_level,
        "standard": spec.standard_code, "school": spec.school, "teacher": None if fixed else spec.teacher_id,
        "subgroup": spec.subgroup, "fixed": fixed, "goal_id": goal_id if goal_id is not None else -1,
        "use_scope": bool(fixed or spec.school or spec.subgroup),
        "growth_points": float(spec.growth_points or 0.0), "pre_from": None, "pre_to": None,
    }


def _request(spec: GoalSpec, date_from: dt.date, date_to: dt.date, bucket: str | None = None, *,
             fixed: bool = False, goal_id: int | None = None, pre_from: dt.date | None = None,
             pre_to: dt.date | None = None) -> dict | None:
    """One measurement (a row of `r` in the measuring queries); None for growth without a starting window."""
    if spec.kind == "growth" and (pre_from is None or pre_to is None):
        return None
    params = _scope_params(spec, fixed=fixed, goal_id=goal_id)
    params.update(date_from=date_from, date_to=date_to, bucket=bucket or spec.bucket)
    if spec.kind == "growth":
        params.update(pre_from=pre_from, pre_to=pre_to)
    return params


def _batch_params(requests: list[dict]) -> dict:
    """The requests as the parallel lists the measuring queries unnest ($r_req, $r_kind, ...)."""
    out = {"r_req": list(range(len(requests)))}
    for name, _ in _REQUEST_FIELDS[1:]:
        out[f"r_{name}"] = [rq[name] for rq in requests]
    return out


def _measuring_name(name: str, requests: list[dict]) -> str:
    return name + ("_std" if any(rq["standard"] is not None for rq in requests) else "")


def _points_many(con: duckdb.DuckDBPyConnection, items: list[tuple[GoalSpec, dict | None]],
                 direct: bool = False) -> list[pd.DataFrame]:
    """Measurement points for (spec, request) pairs; those not remembered are measured in one statement
    for the proficiency requests and one for the growth requests."""
    out: list = [None] * len(items)
    base = _memo_base(con, direct)
    batches = []
    for growth in (False, True):
        idx = [i for i, (sp, rq) in enumerate(items) if rq is not None and (sp.kind == "growth") == growth]
        keys = {i: (base, growth, items[i][0].kind == "reduce_failure", tuple(sorted(items[i][1].items())))
                for i in idx} if base else {}
        todo = []
        for i in idx:
            hit = _memo_get(keys[i]) if keys else None
            if hit is None:
                todo.append(i)
            else:
                out[i] = hit
        if todo:
            batch = [items[i][1] for i in todo]
            name = _measuring_name("goal_points_growth" if growth else "goal_points_proficiency", batch)
            batches.append((todo, keys, name, _batch_params(batch)))
    if len(batches) == 2 and not direct:
        # Each statement plans for ~30 ms and scans its own rows: on their own cursors they overlap.
        raws = queries.at_once([functools.partial(_run, con, name, params) for _, _, name, params in batches])
    else:
        raws = [_run(con, name, params, direct=direct) for _, _, name, params in batches]
    for (todo, keys, _, _), raw in zip(batches, raws):
        reduce = np.array([items[i][0].kind == "reduce_failure" for i in todo], dtype=bool)
        req = raw["req"].to_numpy(dtype="int64")
        if len(req) and (np.diff(req) < 0).any():  # the statements order by request; keep it so
            order = np.argsort(req, kind="stable")
            raw, req = raw.iloc[order].reset_index(drop=True), req[order]
        done = _finish_points(raw, reduce[req])
        # Each request's rows are one run of the ordered rows: sliced, not filtered once per request.
        bounds = np.searchsorted(req, np.arange(len(todo) + 1))
        for j, i in enumerate(todo):
            part = done.iloc[bounds[j]:bounds[j + 1]].reset_index(drop=True)
            if part.empty:  # as a statement with no rows gives them: text columns of object dtype
                part = part.astype({c: object for c in part.columns if pd.api.types.is_string_dtype(part[c])})
            if keys:
                _memo_put(keys[i], part)
            out[i] = part
    return [pd.DataFrame(columns=POINT_COLUMNS) if o is None else o for o in out]


# --- measuring -----------------------------------------------------------------------------------

POINT_COLUMNS = ["point", "point_date", "label", "n_assessments", "n_expected", "n_measured", "n_results",
                 "n_meeting", "value_pct"]


def _finish_points(df: pd.DataFrame, reduce: bool | np.ndarray) -> pd.DataFrame:
    """Add the metric value (0-100) to raw point counts; None where nobody was measured.

    reduce: the metric is % not meeting (a failure-rate goal), for all rows or per row.
    """
    out = df.copy()
    for c in ("n_assessments", "n_expected", "n_measured", "n_results", "n_meeting"):
        out[c] = out[c].astype("int64")
    meeting_pct = np.where(out["n_results"] > 0, 100.0 * out["n_meeting"] / out["n_results"].clip(lower=1), np.nan)
    out["value_pct"] = np.where(reduce, 100.0 - meeting_pct, meeting_pct)
    out["value_pct"] = out["value_pct"].astype("float64")
    for c in ("point", "point_date"):
        out[c] = pd.to_datetime(out[c]).dt.date
    return out[POINT_COLUMNS]


def measure(con: duckdb.DuckDBPyConnection, spec: GoalSpec, date_from: dt.date, date_to: dt.date,
            bucket: str | None = None, *, fixed: bool = False, goal_id: int | None = None,
            pre_from: dt.date | None = None, pre_to: dt.date | None = None, direct: bool = False) -> pd.DataFrame:
    """Measurement points of a goal's metric between two dates (growth: from the pre window)."""
    rq = _request(spec, date_from, date_to, bucket, fixed=fixed, goal_id=goal_id, pre_from=pre_from, pre_to=pre_to)
    return _points_many(con, [(spec, rq)], direct=direct)[0]


@dataclass
class Baseline:
    """The baseline measurement (from data), and the value actually used (maybe overridden)."""

    data_pct: float | None
    n_measured: int
    n_results: int
    n_meeting: int
    n_expected: int
    date: dt.date | None
    label: str | None
    used_pct: float | None
    overridden: bool
    reason: str | None


def _baseline_request(spec: GoalSpec) -> dict | None:
    """The baseline window as one request (every matching assessment in it pooled into one point)."""
    if spec.baseline_from is None or spec.baseline_to is None:
        return None
    if spec.kind == "growth":
        return _request(spec, spec.baseline_from, spec.baseline_to, "window",
                        pre_from=spec.baseline_pre_from, pre_to=spec.baseline_pre_to)
    return _request(spec, spec.baseline_from, spec.baseline_to, "window")


def _baseline_from(spec: GoalSpec, df: pd.DataFrame) -> Baseline:
    row = df.iloc[0] if len(df) else None
    measured = int(row["n_measured"]) if row is not None else 0
    data_pct = float(row["value_pct"]) if row is not None and measured > 0 else None
    overridden = spec.baseline_override is not None
    return Baseline(
        data_pct=data_pct, n_measured=measured,
        n_results=int(row["n_results"]) if row is not None else 0,
        n_meeting=int(row["n_meeting"]) if row is not None else 0,
        n_expected=int(row["n_expected"]) if row is not None else 0,
        date=(row["point_date"] if row is not None else None) or spec.baseline_to,
        label=row["label"] if row is not None else None,
        used_pct=float(spec.baseline_override) if overridden else data_pct,
        overridden=overridden, reason=spec.baseline_override_reason if overridden else None,
    )


def compute_baseline(con: duckdb.DuckDBPyConnection, spec: GoalSpec, direct: bool = False) -> Baseline:
    """The baseline point from data (all matching assessments in the baseline window pooled)."""
    return _baseline_from(spec, _points_many(con, [(spec, _baseline_request(spec))], direct=direct)[0])


def more_students_needed(kind: str, n_results: int, n_meeting: int, target_pct: float | None,
                         n_students: int | None = None) -> int | None:
    """How many more students must meet the bar (or stop failing) for the latest point to reach the target.

    With several results per student in a point (a month of CFAs) the count is per check: the results
    needed divided by the results per student, rounded up.
    """
    if target_pct is None or n_results <= 0:
        return None
    if kind == "reduce_failure":
        failing = n_results - n_meeting
        allowed = math.floor(target_pct * n_results / 100.0 + EPS)
        needed = max(0, failing - allowed)
    else:
        needed = max(0, math.ceil(target_pct * n_results / 100.0 - EPS) - n_meeting)
    if n_students and n_results > n_students:
        return math.ceil(needed * n_students / n_results - EPS)
    return needed


def line_value(start: tuple[dt.date, float], end: tuple[dt.date, float], on: dt.date) -> float:
    """The straight trajectory's value on a date (flat before the start and after the target date)."""
    (d0, v0), (d1, v1) = start, end
    span = (d1 - d0).days
    if span <= 0:
        return v1
    frac = min(max((on - d0).days / span, 0.0), 1.0)
    return v0 + (v1 - v0) * frac


def decide_status(kind: str, start: tuple[dt.date, float] | None, target: tuple[dt.date, float] | None,
                  current: tuple[dt.date, float] | None, today: dt.date) -> tuple[str, float | None]:
    """Status word and the trajectory's expected value at the current point (see module docstring)."""
    if current is None or target is None or target[1] is None:
        return "not started", None
    sign = direction(kind)
    cur_date, cur = current
    if sign * (cur - target[1]) >= -EPS:
        return "met", (line_value(start, target, cur_date) if start else target[1])
    if start is None:
        start = current
    expected = line_value(start, target, cur_date)
    if today > target[0]:
        return "off track", expected
    behind = sign * (expected - cur)
    if behind <= EPS:
        return "on track", expected
    if behind < AT_RISK_MARGIN - EPS:
        return "at risk", expected
    return "off track", expected


@dataclass
class Progress:
    """Everything the page and the command line show about one goal."""

    goal_id: int | None
    spec: GoalSpec
    metric: str
    baseline: Baseline
    target_pct: float | None
    points: pd.DataFrame
    start: tuple[dt.date, float] | None
    current: tuple[dt.date, float] | None
    current_point: dict | None
    expected_pct: float | None
    status: str
    more_needed: int | None
    cohort_size: int | None
    trajectory: pd.DataFrame = field(default_factory=pd.DataFrame)


def _progress_request(spec: GoalSpec, goal_id: int | None) -> dict | None:
    """The progress window (measure_from or the day after the baseline, to the target date) as one request."""
    fixed = spec.cohort == "fixed" and goal_id is not None
    start_day = progress_start(spec)
    if start_day is None or spec.target_date is None or spec.target_date < start_day:
        return None
    return _request(spec, start_day, spec.target_date, fixed=fixed, goal_id=goal_id,
                    pre_from=spec.pre_from, pre_to=spec.pre_to)


def evaluate_spec(con: duckdb.DuckDBPyConnection, spec: GoalSpec, goal_id: int | None = None,
                  today: dt.date | None = None, direct: bool = False) -> Progress:
    """Baseline, measurement points, trajectory, status and "N more" for a goal definition.

    direct=True queries `con` itself (inside a transaction in progress, as the demo loader does).
    """
    return _evaluate_many(con, [(spec, goal_id)], today=today, direct=direct)[0]


def _evaluate_many(con: duckdb.DuckDBPyConnection, goals_in: list[tuple[GoalSpec, int | None]],
                   today: dt.date | None = None, direct: bool = False,
                   cohort_sizes: dict[int, int] | None = None) -> list[Progress]:
    """evaluate_spec for several goals, their baselines and progress measured together."""
    items = []
    for spec, goal_id in goals_in:
        items += [(spec, _baseline_request(spec)), (spec, _progress_request(spec, goal_id))]
    frames = _points_many(con, items, direct=direct)
    return [_progress(con, spec, goal_id, frames[2 * n], frames[2 * n + 1], today, direct, cohort_sizes)
            for n, (spec, goal_id) in enumerate(goals_in)]


def _progress(con: duckdb.DuckDBPyConnection, spec: GoalSpec, goal_id: int | None, base_points: pd.DataFrame,
              points: pd.DataFrame, today: dt.date | None, direct: bool,
              cohort_sizes: dict[int, int] | None) -> Progress:
    """A goal's Progress from its measured baseline and progress points."""
    today = today or dt.date.today()
    fixed = spec.cohort == "fixed" and goal_id is not None
    base = _baseline_from(spec, base_points)
    target = target_value(spec, base.used_pct)
    valued = points[points["n_measured"] > 0]
    current_point = valued.iloc[-1].to_dict() if len(valued) else None
    current = (current_point["point_date"], float(current_point["value_pct"])) if current_point else None
    if spec.kind == "growth":
        # Nobody has grown on the starting assessment: the line runs from 0% there to the target.
        start = (spec.pre_to, 0.0) if spec.pre_to is not None else None
    elif base.used_pct is not None and base.date is not None:
        start = (base.date, base.used_pct)
    elif len(valued):
        start = (valued.iloc[0]["point_date"], float(valued.iloc[0]["value_pct"]))
    else:
        start = None
    tgt = (spec.target_date, target) if spec.target_date is not None and target is not None else None
    status, expected = decide_status(spec.kind, start, tgt, current, today)
    more = (more_students_needed(spec.kind, int(current_point["n_results"]), int(current_point["n_meeting"]), target,
                                 int(current_point["n_measured"])) if current_point else None)
    cohort = None
    if fixed:
        cohort = (int(cohort_sizes.get(goal_id, 0)) if cohort_sizes is not None
                  else int(_run(con, "goal_cohort_size", {"goal_id": goal_id}, direct=direct).iat[0, 0]))
    trajectory = pd.DataFrame(
        [{"date": start[0], "pct": start[1]}, {"date": tgt[0], "pct": tgt[1]}] if start and tgt else [],
        columns=["date", "pct"],
    )
    return Progress(goal_id=goal_id, spec=spec, metric=metric_label(spec), baseline=base, target_pct=target,
                    points=points, start=start, current=current, current_point=current_point,
                    expected_pct=expected, status=status, more_needed=more, cohort_size=cohort,
                    trajectory=trajectory)


def get_spec(con: duckdb.DuckDBPyConnection, goal_id: int) -> GoalSpec:
    """The stored definition of one goal (KeyError if there is none)."""
    df = _run(con, "goal_row", {"goal_id": goal_id})
    if df.empty:
        raise KeyError(f"There is no goal number {goal_id}.")
    return spec_from_row(df.iloc[0].to_dict())


def evaluate(con: duckdb.DuckDBPyConnection, goal_id: int, today: dt.date | None = None) -> Progress:
    """Progress of one stored goal."""
    return evaluate_spec(con, get_spec(con, goal_id), goal_id=goal_id, today=today)


def nearest_students(con: duckdb.DuckDBPyConnection, goal_id: int | None, spec: GoalSpec | None = None,
                     limit: int = NEAREST_LIMIT, today: dt.date | None = None) -> pd.DataFrame:
    """Students at the latest point who do not yet meet the bar, closest to it first (real names; label them)."""
    spec = spec or get_spec(con, goal_id)
    prog = evaluate_spec(con, spec, goal_id=goal_id, today=today)
    if prog.current_point is None:
        return pd.DataFrame(columns=["student_id", "first_name", "last_name", "score_pct", "gap_pts"])
    params = _batch_params([_progress_request(spec, goal_id)])
    params.update(point=prog.current_point["point"], limit=int(limit), growth_points=float(spec.growth_points or 0.0))
    name = "goal_nearest_growth" if spec.kind == "growth" else "goal_nearest_proficiency"
    return _run(con, name + ("_std" if spec.standard_code is not None else ""), params, memo=True)


def describe_scope(spec: GoalSpec, teacher_names: dict[str, str] | None = None) -> str:
    """The goal's scope in words, e.g. "Grade 3 · ELA · English learners"."""
    parts = []
    if spec.school:
        parts.append(spec.school)
    if spec.grade_level:
        parts.append(f"Grade {spec.grade_level}")
    if spec.teacher_id:
        parts.append((teacher_names or {}).get(spec.teacher_id, spec.teacher_id))
    if spec.subject:
        parts.append(spec.subject)
    if spec.standard_code:
        parts.append(f"standard {spec.standard_code}")
    if spec.subgroup:
        parts.append(SUBGROUPS.get(spec.subgroup, spec.subgroup))
    return " · ".join(parts) or "All students"


def describe_measure(spec: GoalSpec) -> str:
    """How the goal is measured, in one sentence (shown on the page next to every goal)."""
    kind = f"{spec.assessment_kind} assessments" if spec.assessment_kind else "all assessments"
    pts = "one point per assessment date" if spec.bucket == "date" else "one point per month"
    start = progress_start(spec)
    cohort = ("fixed cohort: the students measured at the baseline" if spec.cohort == "fixed"
              else "rolling: whoever is in scope at each point")
    text = (f"{metric_label(spec)} on {kind}, {pts}, from {_d(start)} to {_d(spec.target_date)}; "
            f"baseline window {_d(spec.baseline_from)} to {_d(spec.baseline_to)}")
    if spec.kind == "growth":
        text += (f" (growth from {_d(spec.baseline_pre_from)}–{_d(spec.baseline_pre_to)}); growth counted from the "
                 f"starting window {_d(spec.pre_from)} to {_d(spec.pre_to)}")
    return text + f"; {cohort}."


def _d(value) -> str:
    return "?" if value is None else pd.Timestamp(value).strftime("%d %b %Y")


def _num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _r(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 1)


def goal_level_of(spec: GoalSpec) -> str:
    """A sensible default level for a scope: individual for a teacher, team for a grade, else school."""
    if spec.teacher_id:
        return "individual"
    if spec.grade_level:
        return "team"
    return "school"


def summarize(prog: Progress) -> dict:
    """One JSON-ready row for a goal (what `cli goals list --json` prints and the principal table shows)."""
    s = prog.spec
    cp = prog.current_point
    return {
        "goal_id": prog.goal_id,
        "title": s.title,
        "kind": s.kind,
        "metric": prog.metric,
        "level": s.level,
        "owner": s.owner,
        "parent_goal_id": s.parent_goal_id,
        "scope": describe_scope(s),
        "cohort": s.cohort,
        "baseline_pct": _r(prog.baseline.used_pct),
        "baseline_from_data_pct": _r(prog.baseline.data_pct),
        "baseline_overridden": prog.baseline.overridden,
        "baseline_date": prog.baseline.date.isoformat() if prog.baseline.date else None,
        "current_pct": _r(prog.current[1]) if prog.current else None,
        "current_date": prog.current[0].isoformat() if prog.current else None,
        "expected_pct": _r(prog.expected_pct),
        "target_pct": _r(prog.target_pct),
        "reduce_by_pct": _r(s.reduce_by_pct),
        "target_date": s.target_date.isoformat() if s.target_date else None,
        "status": prog.status,
        "more_students_needed": prog.more_needed,
        "n_measured": int(cp["n_measured"]) if cp else 0,
        "n_expected": int(cp["n_expected"]) if cp else 0,
        "points": int((prog.points["n_measured"] > 0).sum()),
    }


def all_progress(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> list[Progress]:
    """Progress of every stored goal, each goal followed by the goals aligned under it."""
    rows = _run(con, "goal_rows", {})
    sizes = _run(con, "goal_cohort_sizes", {})
    progs = _evaluate_many(con, [(spec_from_row(row), int(row["goal_id"])) for row in rows.to_dict("records")],
                           today=today, cohort_sizes=dict(zip(sizes["goal_id"].astype(int), sizes["n"].astype(int))))
    by_id = {p.goal_id: p for p in progs}
    order = _aligned_order([{"goal_id": p.goal_id, "parent_goal_id": p.spec.parent_goal_id} for p in progs])
    return [by_id[g["goal_id"]] for g in order]


def list_goals(con: duckdb.DuckDBPyConnection, today: dt.date | None = None) -> list[dict]:
    """Every goal with baseline, current value, target and status (percentages 0-100), parents first."""
    return table_rows(all_progress(con, today))


def _aligned_order(goals: list[dict]) -> list[dict]:
    """Depth-first order: each goal followed by the goals aligned under it; depth added."""
    children: dict = {}
    ids = {g["goal_id"] for g in goals}
    for g in goals:
        parent = g["parent_goal_id"] if g["parent_goal_id"] in ids else None
        children.setdefault(parent, []).append(g)
    out, seen = [], set()

    def walk(parent, depth):
        for g in children.get(parent, []):
            if g["goal_id"] in seen:
                continue
            seen.add(g["goal_id"])
            g["depth"] = depth
            out.append(g)
            walk(g["goal_id"], depth + 1)

    walk(None, 0)
    for g in goals:  # anything left (a loop in stored data) still shows
        if g["goal_id"] not in seen:
            g["depth"] = 0
            out.append(g)
    return out


def history(con: duckdb.DuckDBPyConnection, goal_id: int) -> pd.DataFrame:
    """The change history of one goal, newest first."""
    return _run(con, "goal_history", {"goal_id": goal_id})


def goal_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Values the goal form offers for school, grade, subject, kind, teacher and standard."""
    df = _run(con, "goal_scope_options", {}, memo=True)
    out = {}
    for fld in ("school", "grade", "subject", "kind", "teacher", "standard"):
        vals = sorted(df.loc[df["field"] == fld, "value"].dropna().astype(str).unique())
        if fld == "grade":
            vals.sort(key=lambda g: (-1 if g == "PK" else 0 if g == "K" else int(g) if g.isdigit() else 99, g))
        out[fld] = vals
    return out


# --- feasibility ---------------------------------------------------------------------------------

@dataclass
class Feasibility:
    """The planned change next to the changes similar groups achieved in the data."""

    planned: float | None
    unit: str
    n_compared: int
    median: float | None
    p90: float | None
    best: float | None
    share_reaching: float | None
    verdict: str
    comparisons: pd.DataFrame


def feasibility(con: duckdb.DuckDBPyConnection, spec: GoalSpec, baseline_pct: float | None = None,
                goal_id: int | None = None) -> Feasibility:
    """Compare the planned gain with gains similar groups achieved over a similar span.

    Similar groups: every school x grade measured on the same kind of assessment in the same subject
    (and standard), with points as the goal's (each date or month). For proficiency goals the
    comparison is the change in % proficient between two of a group's points whose distance in days is
    within max(25%, 45 days) of the goal's span (baseline date to target date), e.g. fall to fall for a
    one-year goal; for a relative reduction the planned change is the fall in the failure rate, the same
    points. For growth goals it is the % of students who grew by N points over such a span, next to the target.
    """
    if baseline_pct is None:
        baseline_pct = compute_baseline(con, spec).used_pct
    target = target_value(spec, baseline_pct)
    anchor = spec.pre_to if spec.kind == "growth" else (spec.baseline_to or spec.baseline_from)
    empty = pd.DataFrame()
    if anchor is None or spec.target_date is None or target is None:
        return Feasibility(None, "points", 0, None, None, None, None, "Not enough definition to compare yet.", empty)
    span = max((spec.target_date - anchor).days, 1)
    tol = max(int(round(span * 0.25)), 45)
    lo, hi = max(span - tol, 1), span + tol
    params = {"kind": spec.assessment_kind, "subject": spec.subject, "standard": spec.standard_code,
              "bucket": spec.bucket, "min_n": FEASIBILITY_MIN_N, "lo": lo, "hi": hi,
              "growth_points": float(spec.growth_points or 0)}
    if spec.kind == "growth":
        comp = _run(con, "goal_similar_growth", params, memo=True)
        values = comp["pct"].astype(float) if len(comp) else pd.Series(dtype=float)
        planned, unit = float(target), "% of students growing"
    else:
        comp = _remembered(con, ("goal_similar_pairs", tuple(sorted(params.items()))),
                           lambda: _similar_pairs(_run(con, "goal_similar_proficiency", params, memo=True), lo, hi))
        values = comp["gain"].astype(float) if len(comp) else pd.Series(dtype=float)
        if baseline_pct is None:
            return Feasibility(None, "points", len(values), None, None, None, None,
                               "No baseline yet, so there is no planned gain to compare.", comp)
        # Proficiency gain in points; for a failure-rate goal the same change seen from the other side.
        planned = (target - baseline_pct) * direction(spec.kind)
        unit = "points of % proficient"
    if len(values) == 0:
        return Feasibility(planned, unit, 0, None, None, None, None,
                           "No similar group in the data was measured over a similar span to compare with.", comp)
    med, p90, best = float(values.median()), float(values.quantile(0.9)), float(values.max())
    share = float((values >= planned - EPS).mean() * 100)
    what = "reached" if spec.kind == "growth" else "gained"
    if spec.kind != "growth" and planned <= EPS:
        verdict = "No gain planned: the target is at or below the baseline."
    elif planned <= med + EPS:
        verdict = f"Realistic: at or below what the typical similar group {what} (median {_signed(med, spec)})."
    elif planned <= p90 + EPS:
        verdict = (f"Ambitious but done before: {share:.0f}% of similar groups {what} this much or more "
                   f"(median {_signed(med, spec)}).")
    elif planned <= best + EPS:
        verdict = (f"Stretch: only {share:.0f}% of similar groups {what} this much "
                   f"(best {_signed(best, spec)}).")
    else:
        verdict = f"Beyond anything in the data: the best similar group {what} {_signed(best, spec)}."
    return Feasibility(planned, unit, len(values), med, p90, best, share, verdict, comp)


def _similar_pairs(series: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    """Every pair of one group's points whose distance in days is within [lo, hi], with the change."""
    pairs = series.merge(series, on=["school", "grade_level"], suffixes=("_1", "_2"))
    days = (pd.to_datetime(pairs["point_2"]) - pd.to_datetime(pairs["point_1"])).dt.days
    pairs = pairs[(days >= lo) & (days <= hi)]
    return pd.DataFrame({"school": pairs["school"], "grade_level": pairs["grade_level"],
                         "from": pairs["point_date_1"], "to": pairs["point_date_2"],
                         "days": days[pairs.index], "from_pct": pairs["pct_1"], "to_pct": pairs["pct_2"],
                         "gain": pairs["pct_2"] - pairs["pct_1"]}).reset_index(drop=True)


def _signed(v: float, spec: GoalSpec) -> str:
    return f"{v:.0f}%" if spec.kind == "growth" else f"{v:+.1f} points"


# --- writing -------------------------------------------------------------------------------------

def fmt_value(v) -> str | None:
    """A field value as history text (and for comparing old and new values)."""
    v = _clean(v)
    if v is None:
        return None
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, (dt.date, pd.Timestamp)):
        return pd.Timestamp(v).date().isoformat()
    return str(v)


def _snapshot_cohort(con: duckdb.DuckDBPyConnection, goal_id: int, spec: GoalSpec) -> int:
    """Store the fixed cohort: students measured at the baseline (growth: at the starting window)."""
    con.execute("DELETE FROM goal_cohort WHERE goal_id = ?", [goal_id])
    if spec.kind == "growth":
        if spec.pre_from is None or spec.pre_to is None:
            return 0
        # Only the starting window matters; the later window is empty on purpose.
        rq = _request(spec, dt.date(1, 1, 1), dt.date(1, 1, 1), "window", goal_id=goal_id,
                      pre_from=spec.pre_from, pre_to=spec.pre_to)
        name = "goal_cohort_students_growth"
    else:
        if spec.baseline_from is None or spec.baseline_to is None:
            return 0
        rq = _request(spec, spec.baseline_from, spec.baseline_to, "window", goal_id=goal_id)
        name = "goal_cohort_students_proficiency"
    students = _run(con, _measuring_name(name, [rq]), _batch_params([rq]), direct=True)
    if len(students):
        con.register("_goal_cohort_frame", students.assign(goal_id=goal_id)[["goal_id", "student_id"]])
        try:
            con.execute("INSERT INTO goal_cohort SELECT goal_id, student_id FROM _goal_cohort_frame")
        finally:
            con.unregister("_goal_cohort_frame")
    return len(students)


def _record(con, goal_id: int, action: str, changed_by: str | None, field_name: str | None = None,
            old=None, new=None, reason: str | None = None) -> None:
    con.execute(
        "INSERT INTO goal_history (history_id, goal_id, changed_by, action, field, old_value, new_value, reason) "
        "VALUES (nextval('goal_history_seq'), ?, ?, ?, ?, ?, ?, ?)",
        [goal_id, _clean(changed_by), action, field_name, fmt_value(old), fmt_value(new), _clean(reason)],
    )


def _insert(con: duckdb.DuckDBPyConnection, spec: GoalSpec, changed_by: str | None, import_id: int | None,
            reason: str | None) -> int:
    """Insert a goal (no transaction of its own) and return its id."""
    goal_id = int(con.execute("SELECT nextval('goal_seq')").fetchone()[0])
    values = {k: _clean(v) for k, v in asdict(spec).items()}
    cols = ["goal_id", *SPEC_FIELDS, "import_id"]
    con.execute(
        f"INSERT INTO goals ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        [goal_id, *(values[k] for k in SPEC_FIELDS), import_id],
    )
    _record(con, goal_id, "created", changed_by, reason=reason)
    if spec.baseline_override is not None:
        _record(con, goal_id, "baseline overridden", changed_by, "baseline_override", None,
                spec.baseline_override, spec.baseline_override_reason)
    if spec.cohort == "fixed":
        n = _snapshot_cohort(con, goal_id, spec)
        _record(con, goal_id, "cohort fixed", changed_by, "cohort", None, f"{n} students")
    return goal_id


def create_goal(con: duckdb.DuckDBPyConnection, spec: GoalSpec, changed_by: str | None = None,
                reason: str | None = None) -> int:
    """Validate and store a new goal (with its fixed cohort, if any) in one transaction; return its id."""
    errs = validate(con, spec)
    if errs:
        raise ValueError(" ".join(errs))
    with store.transaction(con):
        goal_id = _insert(con, spec, changed_by, None, reason)
        store.bump_data_version(con)
    return goal_id


def update_goal(con: duckdb.DuckDBPyConnection, goal_id: int, changes: dict, changed_by: str | None = None,
                reason: str | None = None) -> list[str]:
    """Apply field changes to a goal, keeping one history row per changed field; return the changed fields."""
    old = get_spec(con, goal_id)
    unknown = set(changes) - set(SPEC_FIELDS)
    if unknown:
        raise ValueError(f"Unknown goal fields: {', '.join(sorted(unknown))}")
    merged = spec_from_row({**asdict(old), **changes})
    errs = validate(con, merged, goal_id=goal_id)
    if errs:
        raise ValueError(" ".join(errs))
    before, after = asdict(old), asdict(merged)
    changed = [k for k in SPEC_FIELDS if fmt_value(before[k]) != fmt_value(after[k])]
    if not changed:
        return []
    with store.transaction(con):
        sets = ", ".join(f"{k} = ?" for k in changed)
        con.execute(f"UPDATE goals SET {sets}, updated_at = current_timestamp WHERE goal_id = ?",
                    [_clean(after[k]) for k in changed] + [goal_id])
        for k in changed:
            why = merged.baseline_override_reason if k == "baseline_override" and not reason else reason
            _record(con, goal_id, "edited", changed_by, k, before[k], after[k], why)
        cohort_inputs = {"cohort", "baseline_from", "baseline_to", "pre_from", "pre_to", "school", "grade_level",
                         "teacher_id", "subject", "standard_code", "subgroup", "assessment_kind"}
        if merged.cohort == "fixed" and (old.cohort != "fixed" or cohort_inputs & set(changed)):
            n = _snapshot_cohort(con, goal_id, merged)
            _record(con, goal_id, "cohort fixed", changed_by, "cohort", None, f"{n} students", reason)
        elif merged.cohort != "fixed" and old.cohort == "fixed":
            con.execute("DELETE FROM goal_cohort WHERE goal_id = ?", [goal_id])
        store.bump_data_version(con)
    return changed


def delete_goal(con: duckdb.DuckDBPyConnection, goal_id: int) -> None:
    """Remove a goal, its cohort and history; goals aligned under it move up to its parent."""
    spec = get_spec(con, goal_id)
    with store.transaction(con):
        con.execute("UPDATE goals SET parent_goal_id = ? WHERE parent_goal_id = ?", [spec.parent_goal_id, goal_id])
        for table in ("goal_cohort", "goal_history", "goals"):
            con.execute(f"DELETE FROM {table} WHERE goal_id = ?", [goal_id])
        store.bump_data_version(con)


def _undo_goals(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Undo hook: goals an import (the demo) created go with it, with their cohorts and history."""
    ids = [r[0] for r in con.execute("SELECT goal_id FROM goals WHERE import_id = ?", [import_id]).fetchall()]
    if not ids:
        return
    con.execute("UPDATE goals SET parent_goal_id = NULL WHERE parent_goal_id IN (SELECT unnest(?::INTEGER[])) "
                "AND coalesce(import_id, -1) <> ?", [ids, import_id])
    for table in ("goal_cohort", "goal_history", "goals"):
        con.execute(f"DELETE FROM {table} WHERE goal_id IN (SELECT unnest(?::INTEGER[]))", [ids])


store.UNDO_HOOKS.append(_undo_goals)


# --- demo goals ----------------------------------------------------------------------------------

DEMO_GRADE_ORDER = ("3", "4", "5", "2", "1", "K")


def _demo_cfa_goal(school: str | None, grade: str, subject: str, kind: str = "raise_proficiency",
                   **kw) -> GoalSpec:
    """A team goal on monthly CFAs: baseline August-September 2026, progress from October to May."""
    d = dt.date
    return GoalSpec(title="", kind=kind, level="team", owner=f"Grade {grade} team", school=school,
                    grade_level=grade, subject=subject, assessment_kind="formative", bucket="month",
                    baseline_from=d(2026, 8, 1), baseline_to=d(2026, 9, 30), measure_from=d(2026, 10, 1),
                    target_date=d(2027, 5, 28), **kw)


def _demo_cfa_candidates(con: duckdb.DuckDBPyConnection, school: str | None, grades: set[str]):
    """Baseline, latest value and elapsed share of the time for each grade x subject on monthly CFAs
    (computed lazily: the demo stops looking once it has its goals)."""
    for grade in [g for g in DEMO_GRADE_ORDER if g in grades]:
        for subject in ("Math", "ELA"):
            spec = _demo_cfa_goal(school, grade, subject, target_pct=100.0)
            prog = evaluate_spec(con, spec, direct=True)
            b, cur = prog.baseline.used_pct, prog.current
            if b is None or cur is None:
                continue
            frac = (cur[0] - prog.start[0]).days / max((spec.target_date - prog.start[0]).days, 1)
            yield {"grade": grade, "subject": subject, "b": b, "c": cur[1], "frac": max(frac, 0.05)}


def demo_goals_for(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> list[GoalSpec]:
    """The demo school's goals, one per status: CFA goals pick the grade whose generated data fits.

    Targets of the CFA goals are set from the data (a demo must show every status whatever the seed):
    met = a failure-rate cut already achieved; on track = halfway between now and the steepest line
    still met by now; at risk = a line passing 2.5 points above the latest point.
    """
    schools = sorted(frames["students"]["school"].dropna().unique())
    school = schools[0] if len(schools) > 1 else None
    teachers = sorted(frames["teachers"]["teacher_id"])
    d = dt.date
    goals_out = [
        GoalSpec(title="School: more students meeting the ELA standard on the spring benchmark",
                 kind="raise_proficiency", level="school", owner="Principal", school=school, subject="ELA",
                 assessment_kind="benchmark", baseline_from=d(2026, 4, 1), baseline_to=d(2026, 4, 30),
                 measure_from=d(2027, 4, 1), target_date=d(2027, 5, 28),
                 notes="Measured on the spring benchmark only, so the points compare like with like."),
        GoalSpec(title="Grade 3 ELA: from last spring's % proficient to 85% on the spring benchmark",
                 kind="raise_proficiency", level="team", owner="Grade 3 team", school=school, grade_level="3",
                 subject="ELA", assessment_kind="benchmark", baseline_from=d(2026, 4, 1),
                 baseline_to=d(2026, 4, 30), measure_from=d(2026, 12, 1), target_date=d(2027, 5, 28),
                 target_pct=85.0),
    ]
    school_base = compute_baseline(con, goals_out[0], direct=True).used_pct
    goals_out[0].target_pct = float(min(100, round((school_base if school_base is not None else 70) + 5)))
    goals_out[0].title += f": {goals_out[0].target_pct:.0f}% by May"

    source = _demo_cfa_candidates(con, school, set(frames["assessments"]["grade_level"].astype(str)))
    seen: list[dict] = []
    used: set = set()

    def candidates():
        yield from list(seen)
        for cand in source:
            seen.append(cand)
            yield cand

    def take(test):
        for cand in candidates():
            key = (cand["grade"], cand["subject"])
            if key not in used and test(cand) is not None:
                used.add(key)
                return cand, test(cand)
        rest = [c for c in seen if (c["grade"], c["subject"]) not in used]
        if rest:
            used.add((rest[0]["grade"], rest[0]["subject"]))
            return rest[0], None
        return None, None

    def met_cut(c):  # a relative cut in the failure rate already achieved, in fives, at least 20%
        fb, fc = 100 - c["b"], 100 - c["c"]
        achieved = (1 - fc / fb) * 100 if fb > 0 else 0
        return math.floor(achieved / 5) * 5 if achieved >= 20 else None

    def on_track(c):
        if c["c"] <= c["b"] + 3:
            return None
        steepest = c["b"] + (c["c"] - c["b"]) / c["frac"]
        t = math.floor(c["c"] + (min(steepest, 95) - c["c"]) / 2)
        return t if c["c"] + 3 <= t <= 95 else None

    def at_risk(c):
        t = round(c["b"] + (c["c"] + 2.5 - c["b"]) / c["frac"])
        return t if c["c"] + 3 <= t <= 95 else None

    cand, cut = take(met_cut)
    if cand:
        cut = cut or 50
        g = _demo_cfa_goal(school, cand["grade"], cand["subject"], kind="reduce_failure", reduce_by_pct=float(cut))
        g.title = f"Grade {cand['grade']} {cand['subject']}: {cut}% fewer students below the cut on CFAs by May"
        goals_out.append(g)
    for test in (on_track, at_risk):
        cand, t = take(test)
        if cand:
            t = t or 80
            g = _demo_cfa_goal(school, cand["grade"], cand["subject"], target_pct=float(t))
            g.title = f"Grade {cand['grade']} {cand['subject']}: {t}% proficient on monthly CFAs by May"
            goals_out.append(g)
    goals_out.append(GoalSpec(
        title="Grade 4 ELA: 75% of students grow 10+ points from the fall to the spring benchmark (2025-26)",
        kind="growth", level="team", owner="Grade 4 team", school=school, grade_level="4", subject="ELA",
        assessment_kind="benchmark", growth_points=10.0, baseline_from=d(2025, 4, 1), baseline_to=d(2025, 4, 30),
        baseline_pre_from=d(2024, 9, 1), baseline_pre_to=d(2024, 9, 30), baseline_override=45.0,
        baseline_override_reason="2024-25 results are not in PLC Lens; figure from last year's data report.",
        pre_from=d(2025, 9, 1), pre_to=d(2025, 9, 30), measure_from=d(2025, 10, 1),
        target_date=d(2026, 5, 29), target_pct=75.0, cohort="fixed"))
    # An individual goal under the first Grade 4 team goal (or the school goal), on the teacher's class.
    sec = frames["sections"]
    sec = sec[(sec["grade_level"].astype(str) == "4") & ((sec["school"] == school) if school else True)]
    grade4 = sorted(sec["teacher_id"])[0] if len(sec) else teachers[0]
    mine = _demo_cfa_goal(school, "4", "Math", target_pct=85.0)
    mine.title, mine.level, mine.owner, mine.teacher_id, mine.cohort = (
        "My class: 85% proficient on Grade 4 Math CFAs by May (fixed cohort)", "individual", grade4, grade4, "fixed")
    goals_out.append(mine)
    return goals_out


def _demo_goals(con: duckdb.DuckDBPyConnection, import_id: int, frames: dict[str, pd.DataFrame]) -> None:
    """demo.EXTRAS hook: store the demo goals (school goal first, team and individual goals under it)."""
    school_goal = grade4_goal = None
    for spec in demo_goals_for(con, frames):
        if spec.level == "team":
            spec.parent_goal_id = school_goal
        elif spec.level == "individual":
            spec.parent_goal_id = grade4_goal or school_goal
        goal_id = _insert(con, spec, "demo", import_id, "Demo goal")
        if spec.level == "school" and school_goal is None:
            school_goal = goal_id
        if spec.level == "team" and spec.grade_level == "4" and grade4_goal is None:
            grade4_goal = goal_id


demo.EXTRAS.append(_demo_goals)


# --- form support ------------------------------------------------------------------------------------

def preview(con: duckdb.DuckDBPyConnection, editing_goal_id: int | None = None, **values) -> dict:
    """What a goal being written would say now: problems, baseline, target, status and feasibility.

    Takes plain field values (cacheable); a fixed cohort is previewed as rolling (it is stored on save).
    """
    spec = spec_from_row(values)
    errors = validate(con, spec, goal_id=editing_goal_id)
    out = {"errors": errors, "spec": spec, "progress": None, "feasibility": None}
    if spec.baseline_from is None or spec.baseline_to is None or spec.baseline_from > spec.baseline_to:
        return out
    prog = evaluate_spec(con, spec)
    out["progress"] = prog
    if spec.target_date is not None and prog.target_pct is not None:
        out["feasibility"] = feasibility(con, spec, prog.baseline.used_pct)
    return out


def default_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """Form defaults from the data: the month of the latest benchmark (else the last 30 days) as the
    baseline window, and the next 31 May after the latest result as the target date."""
    df = _run(con, "goal_data_dates", {})
    last, bench = df.iat[0, 1], df.iat[0, 2]
    last = pd.Timestamp(last).date() if last is not None and not pd.isna(last) else dt.date.today()
    target_year = last.year + (1 if last.month >= 6 else 0)
    if bench is not None and not pd.isna(bench):
        b = pd.Timestamp(bench).date()
        start = b.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    else:
        start, end = last - dt.timedelta(days=30), last
    return {"baseline_from": start, "baseline_to": end, "target_date": dt.date(target_year, 5, 31)}


def feasibility_of(con: duckdb.DuckDBPyConnection, goal_id: int) -> Feasibility:
    """Feasibility of a stored goal (see `feasibility`)."""
    spec = get_spec(con, goal_id)
    return feasibility(con, spec, compute_baseline(con, spec).used_pct, goal_id=goal_id)


def table_rows(progs: list[Progress]) -> list[dict]:
    """Summaries of goals in aligned order with depth and parent title (the principal's table)."""
    out = [summarize(p) for p in progs]
    titles = {g["goal_id"]: g["title"] for g in out}
    depth = {g["goal_id"]: g["depth"] for g in _aligned_order([dict(g) for g in out])}
    for g in out:
        g["parent_title"] = titles.get(g["parent_goal_id"])
        g["depth"] = depth[g["goal_id"]]
    return out
