"""School trends for principals: % proficient over time, benchmark growth, grade x standard, subgroups, drill-down.

Definitions (shared by every function here, and stated on the page):
- A student's result on an assessment is the overall score (earned / possible); proficient iff
  score >= the assessment's cut. Students expected but not assessed are counted, never in the denominator.
- "Where students stand" (heatmap, subgroups, drill-down) uses each student's most recent result in
  the chosen scope (subject, kinds of assessment, dates, school, grade, teacher), so a student counts once.
- A school year runs July to June ("2025-26").

Every function takes the same scope keywords; each answers with one named, parameterised query. At district
scale the scope's roster and scores are computed once and shared between the questions (see "rows shared
between questions" below), kept only while the data they were computed from is unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import duckdb
import pandas as pd
import pyarrow as pa

from lib import kept as kept_rows
from lib import privacy, queries

# Kinds of assessment that are comparable across time (the same test each window).
COMPARABLE_KINDS = ("benchmark", "summative", "state")
# Flags with more distinct values than this are identifiers or free text, not subgroups.
MAX_GROUP_VALUES = 12
FLAG_LABELS = {"ell": "ELL", "iep": "IEP", "frl": "FRL", "gender": "Gender", "ethnicity": "Ethnicity"}

# --- SQL building blocks (fixed text; user values arrive only as $parameters) -------------------

SCHOOL_YEAR = "(CASE WHEN month({d}) >= 7 THEN year({d}) ELSE year({d}) - 1 END)"
SY = SCHOOL_YEAR.format(d="a.administered_on")

# The scope's roster and overall scores ("results") are computed once per scope and shared by every query
# here (see _base): a principal's page asks ~12 questions of the same scope, and at district scale the
# roster and the scores are the expensive part. The base is built for the assessment-level filters
# except dates (one base serves "this year" and "all years"; per-row filters are applied again below),
# from the stored point scores (points_overall) UNION ALL the scale-score results, and the kept rosters
# (assessment_roster), restricted to the scope's assessments: v_overall_scores and v_assessment_roster
# (lib/store.py) without their views, so the filters reach the tables.
BASE_FILTERS = """($subject IS NULL OR lower(a.subject) = lower($subject))
      AND ($grade IS NULL OR a.grade_level = $grade)
      AND ($kinds IS NULL OR list_contains($kinds, coalesce(a.kind, 'formative')))"""

queries.define(
    "trends_base",
    f"""WITH a AS MATERIALIZED (
        SELECT a.assessment_id, a.subject, a.grade_level, a.administered_on
        FROM assessments a WHERE {BASE_FILTERS}
    ),
    -- The kept roster (store.refresh_roster) holds every expected student and every taker, with the
    -- point score; scale-score results (MAP, i-Ready, Star...: earned 1 of 1 when proficient, see
    -- lib/formats/scale.py) come from their view. A row counts when the student was expected (a section)
    -- or has an overall result.
    scale AS (
        SELECT v.assessment_id, v.student_id, v.score
        FROM v_scale_overall_scores v
        WHERE v.assessment_id IN (SELECT assessment_id FROM a)
    ),
    b AS (
        SELECT r.assessment_id, r.student_id, r.teacher_id, coalesce(r.score, v.score) AS score
        FROM assessment_roster r
        LEFT JOIN scale v ON v.assessment_id = r.assessment_id AND v.student_id = r.student_id
        WHERE r.assessment_id IN (SELECT assessment_id FROM a)
          AND (r.section_id IS NOT NULL OR r.earned IS NOT NULL OR r.possible IS NOT NULL OR v.student_id IS NOT NULL)
    )
    SELECT b.assessment_id, b.student_id, b.teacher_id, st.school,
           coalesce(a.grade_level, st.grade_level) AS grade, b.score
    FROM b
    JOIN a USING (assessment_id)
    LEFT JOIN students st USING (student_id)
    WHERE ($school IS NULL OR st.school = $school)
      AND ($teacher IS NULL OR b.teacher_id = $teacher)""",
)

# The scope's assessments (every filter, dates too) and their results from the shared base: one row per
# expected or scored student and assessment; `scored` false = expected but not assessed.
SCOPE_CTE = f"""
scope AS (
    SELECT a.assessment_id, a.title, a.subject, a.grade_level, coalesce(a.kind, 'formative') AS kind,
           a.administered_on, coalesce(a.proficiency_cut, 0.8) AS cut,
           {SY} AS school_year
    FROM assessments a
    WHERE {BASE_FILTERS}
      AND ($date_from IS NULL OR a.administered_on >= $date_from)
      AND ($date_to IS NULL OR a.administered_on <= $date_to)
),
results AS (
    SELECT s.*, b.student_id, b.teacher_id, b.school, b.grade, b.score,
           b.score IS NOT NULL AS scored,
           b.score >= s.cut AS proficient
    FROM trends_base b JOIN scope s USING (assessment_id)
    WHERE ($school IS NULL OR b.school = $school)
      AND ($teacher IS NULL OR b.teacher_id = $teacher)
)"""

AGG = """count(*) FILTER (WHERE scored) AS assessed,
       count(*) FILTER (WHERE NOT scored) AS not_assessed,
       count(*) FILTER (WHERE proficient) AS proficient,
       count(*) FILTER (WHERE proficient) / nullif(count(*) FILTER (WHERE scored), 0) AS pct_proficient,
       avg(score) AS mean_score"""

# --- queries ------------------------------------------------------------------------------------
#
# Some rows are shared by several questions of one page and kept next to the base (see _shared):
#   trends_assessment_stats  per assessment, the scope without its dates (dates filter whole assessments)
#   trends_status            per student and subject, the whole scope (headline, drill-down, subgroups)
#   trends_growth_pairs      per pair of assessments, the scope without its dates (see trends_growth)
#   trends_flag_stats        per assessment and roster flag value, the scope without its dates
# The questions then read those few rows; the heatmap reads the base itself.

queries.define(
    "trends_assessment_stats",
    f"""WITH {SCOPE_CTE}
    SELECT assessment_id, title, subject, grade_level, kind, administered_on, cut, school_year, {AGG}
    FROM results
    GROUP BY ALL""",
)

DATES = """($date_from IS NULL OR administered_on >= $date_from)
      AND ($date_to IS NULL OR administered_on <= $date_to)"""

queries.define(
    "trends_over_time",
    f"""SELECT assessment_id, title, subject, grade_level, grade_order(grade_level) AS grade_rank, kind,
           administered_on, cut, school_year,
           printf('%d-%02d', school_year, (school_year + 1) % 100) AS school_year_label,
           assessed, not_assessed, proficient, pct_proficient, mean_score
    FROM trends_assessment_stats
    WHERE {DATES}
    ORDER BY administered_on, subject, grade_rank, grade_level, assessment_id""",
)

# Changes per grade and subject: the previous assessment of the same kind in the same school year,
# and the same assessment (n-th of its kind in the year) one year earlier.
queries.define(
    "trends_changes",
    f"""WITH per AS (
        SELECT assessment_id, title, subject, grade_level, kind, administered_on, school_year,
               assessed, not_assessed, proficient, pct_proficient, mean_score
        FROM trends_assessment_stats
        WHERE {DATES} AND assessed > 0
    ),
    seq AS (
        SELECT *, row_number() OVER (PARTITION BY subject, grade_level, kind, school_year
                                     ORDER BY administered_on, assessment_id) AS nth
        FROM per
    ),
    lagged AS (
        SELECT *,
            lag(title) OVER w_year AS prev_title,
            lag(pct_proficient) OVER w_year AS prev_pct,
            lag(assessed) OVER w_year AS prev_assessed,
            lag(title) OVER w_yoy AS year_ago_title,
            lag(pct_proficient) OVER w_yoy AS year_ago_pct,
            lag(school_year) OVER w_yoy AS year_ago_school_year,
            row_number() OVER (PARTITION BY subject, grade_level, kind
                               ORDER BY administered_on DESC, assessment_id DESC) AS recency
        FROM seq
        WINDOW w_year AS (PARTITION BY subject, grade_level, kind, school_year
                          ORDER BY administered_on, assessment_id),
               w_yoy AS (PARTITION BY subject, grade_level, kind, nth ORDER BY school_year)
    )
    SELECT subject, grade_level, kind, assessment_id, title, administered_on, assessed, proficient,
           pct_proficient, prev_title, prev_pct, pct_proficient - prev_pct AS change_in_year,
           CASE WHEN year_ago_school_year = school_year - 1 THEN year_ago_title END AS year_ago_title,
           CASE WHEN year_ago_school_year = school_year - 1 THEN year_ago_pct END AS year_ago_pct,
           CASE WHEN year_ago_school_year = school_year - 1 THEN pct_proficient - year_ago_pct END
               AS change_year_over_year
    FROM lagged
    WHERE recency = 1
    ORDER BY subject, grade_order(grade_level), grade_level, kind""",
)

# Benchmark-to-benchmark growth: consecutive assessments of one kind for the same subject and grade in
# one school year, over the students scored on both.
queries.define(
    "trends_growth_pairs",
    f"""WITH {SCOPE_CTE},
    events AS (
        SELECT DISTINCT assessment_id, title, subject, grade_level, administered_on, school_year, cut
        FROM scope
    ),
    pairs AS (
        SELECT *,
            lead(assessment_id) OVER w AS to_id, lead(title) OVER w AS to_title,
            lead(administered_on) OVER w AS to_date
        FROM events
        WINDOW w AS (PARTITION BY subject, grade_level, school_year ORDER BY administered_on, assessment_id)
    ),
    -- Each pair's first results, then their match on the second (in this order: joining the two results
    -- on student first would pair every result of a student with every other).
    from_results AS MATERIALIZED (
        SELECT p.subject, p.grade_level, p.school_year, p.assessment_id AS from_id, p.title AS from_title,
               p.administered_on AS from_date, p.to_id, p.to_title, p.to_date,
               f.student_id, f.score AS from_score, f.proficient AS from_prof
        FROM pairs p
        JOIN results f ON f.assessment_id = p.assessment_id AND f.scored
        WHERE p.to_id IS NOT NULL
    ),
    matched AS (
        SELECT f.*, t.score AS to_score, t.proficient AS to_prof
        FROM from_results f
        JOIN results t ON t.assessment_id = f.to_id AND t.student_id = f.student_id AND t.scored
    )
    SELECT subject, grade_level, grade_order(grade_level) AS grade_rank,
           printf('%d-%02d', school_year, (school_year + 1) % 100) AS school_year_label,
           from_id, from_title, from_date, to_id, to_title, to_date,
           count(*) AS matched,
           avg(from_score) AS mean_from, avg(to_score) AS mean_to,
           avg(to_score - from_score) AS mean_growth,
           count(*) FILTER (WHERE from_prof) / count(*) AS pct_from,
           count(*) FILTER (WHERE to_prof) / count(*) AS pct_to,
           count(*) FILTER (WHERE NOT from_prof AND to_prof) AS became_proficient,
           count(*) FILTER (WHERE from_prof AND NOT to_prof) AS fell_below
    FROM matched
    GROUP BY ALL""",
)

# Dates narrow the events in each (subject, grade, school year) to a run of consecutive ones, so the
# pairs of a date range are exactly the all-dates pairs with both ends in the range.
queries.define(
    "trends_growth",
    """SELECT * FROM trends_growth_pairs
    WHERE ($date_from IS NULL OR (from_date >= $date_from AND to_date >= $date_from))
      AND ($date_to IS NULL OR (from_date <= $date_to AND to_date <= $date_to))
    ORDER BY subject, grade_rank, grade_level, from_date""",
)

# Grade x standard: each student's most recent result on each standard in scope.
#
# Students on the roster of one assessment only per subject (in a school year's benchmarks, nearly all)
# have at most one result per standard: it is their latest, so they are summed straight into one group per
# standard (key NULL); the others ("several", counted in the shared trends_status rows of the same scope,
# which every view of the page reads anyway) are grouped per student to find their latest.
HEATMAP_CTES = """
    -- The scope's assessments from oldest to newest (date, then id) as one number, for arg_max below.
    seq AS (
        SELECT assessment_id,
               row_number() OVER (ORDER BY coalesce(administered_on, DATE '0001-01-01'), assessment_id) AS seq
        FROM scope
    ),
    several AS (
        SELECT student_id, subject FROM trends_status WHERE n_results > 1
    ),
    -- Results per standard joined to the base for the student's grade and the roster filters.
    joined AS (
        SELECT w.grade, w.subject, v.standard_code, v.student_id, v.score, v.score >= w.cut AS proficient,
               w.administered_on, q.seq
        FROM by_std v JOIN results w USING (assessment_id, student_id) JOIN seq q USING (assessment_id)
    )"""

HEATMAP_STD = {
    "several": """std AS (
        SELECT v.grade, v.subject, v.standard_code, m.student_id AS k,
               -- one student (several): their most recent result (arg_max on a number: no sort)
               arg_max(v.score, v.seq) FILTER (WHERE m.student_id IS NOT NULL) AS score,
               arg_max(v.proficient, v.seq) FILTER (WHERE m.student_id IS NOT NULL) AS proficient,
               -- everyone else: sums
               count(*) AS n, count(*) FILTER (WHERE v.proficient) AS n_proficient,
               sum(v.score) AS score_sum, count(v.score) AS n_scores,
               max(v.administered_on) AS administered_on
        FROM rows v
        LEFT JOIN several m ON m.student_id = v.student_id AND m.subject IS NOT DISTINCT FROM v.subject
        GROUP BY ALL
    ),""",
    # Nobody in scope has more than one result in a subject (a school year's benchmarks, as the page
    # opens): every row is a latest result, so the cells are plain sums (~25% faster at district size).
    "single": """std AS (
        SELECT v.grade, v.subject, v.standard_code, NULL AS k, NULL::DOUBLE AS score, NULL::BOOLEAN AS proficient,
               count(*) AS n, count(*) FILTER (WHERE v.proficient) AS n_proficient,
               sum(v.score) AS score_sum, count(v.score) AS n_scores,
               max(v.administered_on) AS administered_on
        FROM rows v
        GROUP BY ALL
    ),""",
}

HEATMAP_CELLS = """
    cells AS (
        SELECT grade, subject, standard_code,
               CAST(sum(CASE WHEN k IS NULL THEN n ELSE 1 END) AS BIGINT) AS students,
               CAST(sum(CASE WHEN k IS NULL THEN n_proficient ELSE CAST(coalesce(proficient, FALSE) AS INTEGER) END)
                    AS BIGINT) AS proficient,
               sum(CASE WHEN k IS NULL THEN score_sum ELSE score END)
                   / sum(CASE WHEN k IS NULL THEN n_scores ELSE CAST(score IS NOT NULL AS INTEGER) END) AS mean_score,
               max(administered_on) AS last_assessed
        FROM std GROUP BY ALL
    )
    SELECT c.grade AS grade_level, grade_order(c.grade) AS grade_rank, c.subject, c.standard_code,
           sd.description, sd.grade_level AS standard_grade,
           c.students, c.proficient, c.proficient / c.students AS pct_proficient, c.mean_score, c.last_assessed
    FROM cells c
    LEFT JOIN (SELECT code, any_value(description) AS description, any_value(grade_level) AS grade_level
               FROM standards GROUP BY code) sd ON sd.code = c.standard_code
    ORDER BY c.subject, grade_rank, c.grade, c.standard_code"""

def _by_std(point_scope: str) -> str:
    """by_std: standard scores of the scope's assessments; `point_scope` (fixed SQL) narrows which of them
    read the stored point scores (scale-score results always come from their view)."""
    return f"""by_std AS (
        SELECT p.assessment_id, p.student_id, p.standard_code, p.score
        FROM points_standard p
        WHERE p.assessment_id IN (SELECT assessment_id FROM scope{point_scope})
        UNION ALL
        SELECT v.assessment_id, v.student_id, v.standard_code, v.score
        FROM v_scale_standard_scores v
        WHERE v.assessment_id IN (SELECT assessment_id FROM scope)
    )"""


for _form in HEATMAP_STD:
    queries.define(
        f"trends_heatmap_{_form}",
        f"""WITH {SCOPE_CTE},
        {_by_std("")},
        {HEATMAP_CTES},
        rows AS (SELECT * FROM joined),
        {HEATMAP_STD[_form]}
        {HEATMAP_CELLS}""",
    )

# No school or teacher chosen: every student with points on an assessment is on its base, and an
# assessment with a grade gives that grade, so those results (nearly all) skip the join with the base.
queries.define(
    "trends_heatmap_unfiltered_several",
    f"""WITH {SCOPE_CTE},
    {_by_std(" WHERE grade_level IS NULL")},
    {HEATMAP_CTES},
    rows AS (
        SELECT s.grade_level AS grade, s.subject, p.standard_code, p.student_id, p.score,
               p.score >= s.cut AS proficient, s.administered_on, q.seq
        FROM points_standard p JOIN scope s USING (assessment_id) JOIN seq q USING (assessment_id)
        WHERE s.grade_level IS NOT NULL
        UNION ALL
        SELECT * FROM joined
    ),
    {HEATMAP_STD["several"]}
    {HEATMAP_CELLS}""",
)

# ...and with nobody holding several results, the point scores are first counted per assessment, standard
# and score (a few thousand rows for a district's benchmarks), then summed per cell with the assessment's
# cut: no per-row join. The results of grade-less assessments and scale-score results take the student's
# grade from the shared status rows (with one result per student and subject, those are all the results).
queries.define(
    "trends_heatmap_unfiltered_single",
    f"""WITH {SCOPE_CTE},
    {_by_std(" WHERE grade_level IS NULL")},
    -- One row per student and subject in scope: the shared trends_status rows are the results themselves.
    joined AS (
        SELECT w.grade, w.subject, v.standard_code, v.score, v.score >= w.cut AS proficient, w.administered_on
        FROM by_std v JOIN trends_status w USING (assessment_id, student_id)
    ),
    counted AS (
        SELECT p.assessment_id, p.standard_code, p.score, count(*) AS n
        FROM points_standard p
        WHERE p.assessment_id IN (SELECT assessment_id FROM scope WHERE grade_level IS NOT NULL)
        GROUP BY ALL
    ),
    std AS (
        SELECT s.grade_level AS grade, s.subject, c.standard_code, NULL AS k, NULL::DOUBLE AS score,
               NULL::BOOLEAN AS proficient,
               CAST(sum(c.n) AS BIGINT) AS n,
               CAST(coalesce(sum(c.n) FILTER (WHERE c.score >= s.cut), 0) AS BIGINT) AS n_proficient,
               sum(c.score * c.n) AS score_sum,
               CAST(coalesce(sum(c.n) FILTER (WHERE c.score IS NOT NULL), 0) AS BIGINT) AS n_scores,
               max(s.administered_on) AS administered_on
        FROM counted c JOIN scope s USING (assessment_id)
        GROUP BY ALL
        UNION ALL
        SELECT v.grade, v.subject, v.standard_code, NULL, NULL::DOUBLE, NULL::BOOLEAN,
               count(*), count(*) FILTER (WHERE v.proficient), sum(v.score), count(v.score), max(v.administered_on)
        FROM joined v
        GROUP BY ALL
    ),
    {HEATMAP_CELLS}""",
)

queries.define("trends_has_several", "SELECT coalesce(bool_or(n_results > 1), FALSE) AS several FROM trends_status")

# Every flag column of a student (ell, iep, frl, gender, ethnicity and any other imported) as text.
_STUDENT_FLAGS = """(SELECT student_id AS __student,
                     CAST(COLUMNS(* EXCLUDE (student_id, first_name, last_name, grade_level, school, import_id))
                          AS VARCHAR)
              FROM students)"""

# Each student's latest result joined to their flags, grouped by the combination of flags (a few hundred
# rows), then one row per (flag, value): far fewer rows to unpivot than one per student and flag.
queries.define(
    "trends_subgroups",
    f"""WITH per AS (
        SELECT l.subject AS __subject, f.* EXCLUDE (__student),
               count(*) AS __students, count(*) FILTER (WHERE l.proficient) AS __proficient,
               sum(l.score) AS __score_sum, count(l.score) AS __scores
        FROM trends_status l
        JOIN {_STUDENT_FLAGS} f ON f.__student = l.student_id
        WHERE l.scored
        GROUP BY ALL
    ),
    g AS (
        SELECT __subject AS subject, flag, value, CAST(sum(__students) AS BIGINT) AS students,
               CAST(sum(__proficient) AS BIGINT) AS proficient, sum(__score_sum) / sum(__scores) AS mean_score
        FROM (UNPIVOT per ON COLUMNS(* EXCLUDE (__subject, __students, __proficient, __score_sum, __scores))
              INTO NAME flag VALUE value)
        GROUP BY ALL
    ),
    tot AS (
        SELECT subject, flag, sum(students) AS n_all, sum(proficient) AS p_all, count(*) AS n_values
        FROM g GROUP BY ALL
    )
    SELECT g.subject, g.flag, g.value, g.students, g.proficient,
           g.proficient / g.students AS pct_proficient, g.mean_score,
           tot.n_all - g.students AS rest_students,
           (tot.p_all - g.proficient) / nullif(tot.n_all - g.students, 0) AS rest_pct_proficient,
           tot.n_values
    FROM g JOIN tot USING (subject, flag)
    ORDER BY g.subject, g.flag, g.value""",
)

# Scored results per assessment and (flag, value), for every flag at once: counted per combination of flags
# first (a few thousand rows), then unpivoted. Shared by every flag and date range of the scope.
queries.define(
    "trends_flag_stats",
    f"""WITH {SCOPE_CTE},
    per AS (
        SELECT r.assessment_id AS __assessment, r.subject AS __subject, r.administered_on AS __date,
               f.* EXCLUDE (__student),
               count(*) AS __students, count(*) FILTER (WHERE r.proficient) AS __proficient
        FROM results r
        JOIN {_STUDENT_FLAGS} f ON f.__student = r.student_id
        WHERE r.scored
        GROUP BY ALL
    )
    SELECT __assessment AS assessment_id, __subject AS subject, __date AS administered_on, flag, value,
           sum(__students) AS students, sum(__proficient) AS proficient
    FROM (UNPIVOT per ON COLUMNS(* EXCLUDE (__assessment, __subject, __date, __students, __proficient))
          INTO NAME flag VALUE value)
    GROUP BY ALL""",
)

queries.define(
    "trends_subgroups_over_time",
    f"""SELECT subject, administered_on, flag, value,
           CAST(sum(students) AS BIGINT) AS students,
           CAST(sum(proficient) AS BIGINT) AS proficient,
           sum(proficient) / sum(students) AS pct_proficient
    FROM trends_flag_stats
    WHERE flag = $flag AND {DATES}
    GROUP BY ALL
    ORDER BY subject, administered_on, value""",
)

# Drill-down: each student's most recent scored result in scope, or, never scored, their latest roster row.
STATUS_CTE = """
status AS (
    -- n_results: the student's rows in the subject (the heatmap takes the latest per standard of those with several)
    SELECT *, count(*) OVER (PARTITION BY student_id, subject) AS n_results FROM results
    QUALIFY row_number() OVER (PARTITION BY student_id, subject
                               ORDER BY scored DESC, administered_on DESC NULLS LAST, assessment_id DESC) = 1
)"""

queries.define(
    "trends_status",
    f"""WITH {SCOPE_CTE}, {STATUS_CTE}
    SELECT * FROM status""",
)

DRILL_AGG = AGG

queries.define(
    "trends_drill_school",
    f"""SELECT coalesce(school, '(no school)') AS school, subject, {DRILL_AGG}
    FROM trends_status GROUP BY ALL ORDER BY subject, school""",
)

queries.define(
    "trends_drill_grade",
    f"""SELECT grade AS grade_level, grade_order(grade) AS grade_rank, subject, {DRILL_AGG}
    FROM trends_status GROUP BY ALL ORDER BY subject, grade_rank, grade""",
)

queries.define(
    "trends_drill_teacher",
    f"""SELECT teacher_id, subject, {DRILL_AGG}
    FROM trends_status GROUP BY ALL ORDER BY subject, teacher_id NULLS LAST""",
)

queries.define(
    "trends_drill_students",
    """SELECT s.student_id, st.first_name, st.last_name, s.grade AS grade_level, s.teacher_id, s.subject,
           s.title AS latest_assessment, s.administered_on AS latest_date, s.score, s.cut, s.proficient,
           s.scored AS assessed
    FROM trends_status s LEFT JOIN students st USING (student_id)
    ORDER BY s.subject, s.scored, s.score NULLS FIRST, st.last_name, st.first_name, s.student_id""",
)

queries.define(
    "trends_drill_school_all",
    f"""SELECT subject, {DRILL_AGG}, max(administered_on) AS last_date
    FROM trends_status GROUP BY ALL ORDER BY subject""",
)

queries.define(
    "trends_school_years",
    f"""SELECT DISTINCT {SY} AS school_year,
           printf('%d-%02d', {SY}, ({SY} + 1) % 100) AS label
       FROM assessments a WHERE a.administered_on IS NOT NULL ORDER BY school_year DESC""",
)

queries.define(
    "trends_kinds",
    """SELECT coalesce(kind, 'formative') AS kind, count(*) AS assessments
       FROM assessments GROUP BY ALL ORDER BY kind""",
)

# --- public API ---------------------------------------------------------------------------------


def school_year_bounds(label: str | None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day (1 July - 30 June) of a school year label such as "2025-26"; (None, None) for all."""
    if not label:
        return None, None
    m = re.match(r"^(\d{4})", str(label))
    if not m:
        return None, None
    start = int(m.group(1))
    return dt.date(start, 7, 1), dt.date(start + 1, 6, 30)


def _params(subject=None, grade=None, school=None, teacher=None, kinds=None, date_from=None, date_to=None) -> dict:
    """The scope parameters every trends query takes (None means no restriction)."""
    return {
        "subject": subject or None,
        "grade": grade or None,
        "school": school or None,
        "teacher": teacher or None,
        "kinds": list(kinds) if kinds else None,
        "date_from": date_from,
        "date_to": date_to,
    }


# --- rows shared between questions ----------------------------------------------------------------

BASE_KEYS = ("subject", "grade", "school", "teacher", "kinds")
# The shared rows each question reads, and which scope they are kept for ("undated": dates filter
# whole assessments, so one set serves every date range).
SHARED = {"trends_assessment_stats": "undated", "trends_growth_pairs": "undated", "trends_flag_stats": "undated",
          "trends_status": "scope"}
# Kept per connection (lib.kept), most recently used first: bases (~0.5M rows, ~40 MB for a district) and
# shared rows (kept.MAX_TABLES of them).
MAX_BASES = 3
_LOCK = threading.RLock()


def _covers(built: dict, wanted: dict) -> bool:
    """True when a base built for `built` holds every row of the scope `wanted` (the queries filter again)."""
    for key in ("subject", "grade", "school", "teacher"):
        if built[key] is not None and built[key] != wanted[key]:
            return False
    if built["kinds"] is None:
        return True
    return wanted["kinds"] is not None and set(wanted["kinds"]) <= set(built["kinds"])


def _cache(con: duckdb.DuckDBPyConnection) -> dict:
    """This connection's kept rows, emptied when the data they were computed from changed."""
    return kept_rows.current(con).setdefault("trends", {"bases": [], "shared": {}})


def _base(con: duckdb.DuckDBPyConnection, kept: dict, params: dict) -> pa.Table:
    """The roster and overall scores of a scope (all dates): a kept base that covers it, else a new one."""
    bases = kept["bases"]
    for i, (built, table) in enumerate(bases):
        if _covers(built, params):
            bases.insert(0, bases.pop(i))
            return table
    wanted = {k: params[k] for k in BASE_KEYS}
    table = kept_rows.arrow(con, "trends_base", wanted)
    bases.insert(0, (wanted, table))
    del bases[MAX_BASES:]
    return table


def _shared_scope(name: str, params: dict, undated: bool) -> tuple[dict, tuple]:
    """The scope a shared row set is kept for (its dates dropped when `undated`) and its key in the cache."""
    scope = {k: params[k] for k in BASE_KEYS + ("date_from", "date_to")}
    if undated:
        scope.update(date_from=None, date_to=None)
    return scope, (name, repr(sorted(scope.items())))


def _shared(con: duckdb.DuckDBPyConnection, kept: dict, name: str, params: dict) -> pa.Table:
    """One of the SHARED row sets for the scope, computed over its base once and kept."""
    scope, key = _shared_scope(name, params, SHARED[name] == "undated")
    return kept_rows.get(kept["shared"], key,
                         lambda: kept_rows.arrow(con, name, scope, {"trends_base": _base(con, kept, scope)}))


def _run(con: duckdb.DuckDBPyConnection, name: str, reads: str | tuple[str, ...], params: dict,
         **own) -> pd.DataFrame:
    """Run one named question over the rows it `reads` (the base and/or SHARED sets) for the scope `params`.

    A question over the base takes the scope parameters and its `own`; one over shared rows only, the dates
    (when it filters by them) and its `own`.
    """
    names = (reads,) if isinstance(reads, str) else reads
    with _LOCK:
        kept = _cache(con)
        tables = {n: _base(con, kept, params) if n == "trends_base" else _shared(con, kept, n, params) for n in names}
    if "trends_base" in names:
        args = dict(params, **own)
    else:
        args = dict(own)
        if any(SHARED[n] == "undated" for n in names):
            args.update(date_from=params["date_from"], date_to=params["date_to"])
    return kept_rows.run(con, name, tables, args)


def school_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """School years that have assessments, newest first ("2026-27", "2025-26")."""
    return kept_rows.lookup(con, "trends_school_years")["label"].tolist()


def kinds(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Kinds of assessment present in the store."""
    return kept_rows.lookup(con, "trends_kinds")["kind"].tolist()


def default_kinds(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The comparable kinds (benchmark, summative, state) present, else every kind present."""
    present = kinds(con)
    comparable = tuple(k for k in COMPARABLE_KINDS if k in present)
    return comparable or tuple(present)


def over_time(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """% proficient per assessment (grade, subject, date), with students assessed and not assessed."""
    return _run(con, "trends_over_time", "trends_assessment_stats", _params(**scope))


def changes(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """Latest assessment per grade, subject and kind with its change within the year and year over year."""
    return _run(con, "trends_changes", "trends_assessment_stats", _params(**scope))


def growth(con: duckdb.DuckDBPyConnection, kind: str = "benchmark", **scope) -> pd.DataFrame:
    """Growth between consecutive assessments of one kind (same subject, grade, school year) on matched students."""
    scope = dict(scope)
    scope["kinds"] = (kind,)
    return _run(con, "trends_growth", "trends_growth_pairs", _params(**scope))


def _is_grade_token(token: str, grade: str) -> bool:
    """True when a code token names the grade ("3", "03", "G3", "Gr3", "K")."""
    t, g = token.strip().upper(), grade.strip().upper()
    for prefix in ("GR", "G"):
        if t.startswith(prefix) and t[len(prefix):] and not t[len(prefix):].isalpha():
            t = t[len(prefix):]
            break
    if t.isdigit() and g.isdigit():
        return int(t) == int(g)
    return t == g


def standard_key(code: str, grade: str | None) -> str:
    """The code with its grade token removed (3.OA.A.1 -> OA.A.1, RL.3.1 -> RL.1) so standards align across grades."""
    if not isinstance(code, str) or not grade:
        return code
    parts = re.split(r"([.\-_ ])", code)
    words, seps = parts[0::2], parts[1::2]
    hits = [i for i, w in enumerate(words) if _is_grade_token(w, str(grade))]
    if not hits or len(words) < 2:
        return code
    i = hits[0]
    words.pop(i)
    seps.pop(i if i < len(seps) else i - 1)
    out = words[0]
    for sep, word in zip(seps, words[1:]):
        out += sep + word
    return out


def heatmap(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """% proficient per grade and standard (each student's latest result on it), with an aligned column key."""
    params = _params(**scope)
    several = bool(_run(con, "trends_has_several", "trends_status", params).iloc[0, 0])
    name = "trends_heatmap" if params["school"] or params["teacher"] else "trends_heatmap_unfiltered"
    df = _run(con, f"{name}_{'several' if several else 'single'}", ("trends_base", "trends_status"), params)
    # Strip the standard's own grade when the catalogue knows it (a grade 3 test may reuse RL.1.3).
    grades = df["standard_grade"].where(df["standard_grade"].notna(), df["grade_level"])
    df["standard_key"] = [standard_key(c, g) for c, g in zip(df["standard_code"], grades)]
    return df


def flag_label(flag: str, value: str) -> str:
    """A readable group name: ("ell", "true") -> "ELL", ("ell", "false") -> "Not ELL", ("gender", "F") -> "F"."""
    name = FLAG_LABELS.get(flag, flag.replace("_", " ").capitalize())
    v = str(value).lower()
    if v == "true":
        return name
    if v == "false":
        return f"Not {name}"
    return str(value)


def _complementary(df: pd.DataFrame, min_n: int) -> pd.Series:
    """Which groups to hide: those under min_n, plus the next-smallest when exactly one in a flag is hidden."""
    hide = df["students"] < min_n
    for _, idx in df.groupby(["subject", "flag"]).groups.items():
        block = df.loc[idx]
        small = hide.loc[idx]
        if small.sum() == 1 and len(block) > 1:
            # Shown totals minus the other groups would reveal the one hidden group.
            other = block.loc[~small, "students"].idxmin()
            hide.loc[other] = True
    return hide


def _subgroup_rows(con: duckdb.DuckDBPyConnection, params: dict) -> pd.DataFrame:
    """Every flag's groups for the scope, kept: the page asks for them twice (the flags to offer, the table)."""
    _, key = _shared_scope("trends_subgroups", params, undated=False)
    with _LOCK:
        shared = _cache(con)["shared"]
        df = kept_rows.get(shared, key, lambda: _run(con, "trends_subgroups", "trends_status", params))
    return df.copy()


def subgroups(con: duckdb.DuckDBPyConnection, min_n: int = privacy.MIN_GROUP_SUBGROUP, **scope) -> pd.DataFrame:
    """% proficient by subgroup (every roster flag) with the gap to the other students; groups under min_n hidden."""
    df = _subgroup_rows(con, _params(**scope))
    df = df[(df["n_values"] >= 2) & (df["n_values"] <= MAX_GROUP_VALUES)].reset_index(drop=True)
    if df.empty:
        return df.assign(group=pd.Series(dtype=str), gap=pd.Series(dtype=float),
                         suppressed=pd.Series(dtype=bool))
    df["group"] = [flag_label(f, v) for f, v in zip(df["flag"], df["value"])]
    df["gap"] = df["pct_proficient"] - df["rest_pct_proficient"]
    hide = _complementary(df, min_n)
    hide_gap = hide | (df["rest_students"] < min_n)
    for col in ("proficient", "pct_proficient", "mean_score"):
        df[col] = df[col].astype("float64").where(~hide)
    df["rest_pct_proficient"] = df["rest_pct_proficient"].astype("float64").where(~hide_gap)
    df["gap"] = df["gap"].astype("float64").where(~hide_gap)
    df["suppressed"] = hide
    rank = {f: i for i, f in enumerate(order_flags(df["flag"]))}
    df = df.assign(_r=df["flag"].map(rank)).sort_values(["subject", "_r", "value"]).drop(columns=["_r"])
    return df.drop(columns=["n_values"]).reset_index(drop=True)


def order_flags(flags) -> list[str]:
    """Flags in the usual order (ELL, IEP, FRL, gender, ethnicity), then any others by name."""
    order = list(FLAG_LABELS)
    return sorted(dict.fromkeys(flags), key=lambda f: (order.index(f) if f in order else len(order), f))


def subgroup_flags(con: duckdb.DuckDBPyConnection, **scope) -> list[str]:
    """The roster flags that split the students in scope into 2-12 groups."""
    df = _subgroup_rows(con, _params(**scope))
    df = df[(df["n_values"] >= 2) & (df["n_values"] <= MAX_GROUP_VALUES)]
    return order_flags(df["flag"].unique())


def subgroups_over_time(con: duckdb.DuckDBPyConnection, flag: str, min_n: int = privacy.MIN_GROUP_SUBGROUP,
                        **scope) -> pd.DataFrame:
    """% proficient per assessment date for each group of one flag; groups under min_n hidden."""
    df = _run(con, "trends_subgroups_over_time", "trends_flag_stats", _params(**scope), flag=flag)
    df["group"] = [flag_label(f, v) for f, v in zip(df["flag"], df["value"])]
    df = df.rename(columns={"administered_on": "date"})
    out = privacy.suppress_small(df, "students", ["proficient", "pct_proficient"], min_n)
    # With two groups on a date, hiding one alone would let the school total reveal it.
    counts = out.groupby(["subject", "date"])["suppressed"].transform("sum")
    sizes = out.groupby(["subject", "date"])["suppressed"].transform("size")
    pair = (counts == 1) & (sizes == 2)
    out.loc[pair, ["proficient", "pct_proficient"]] = float("nan")
    out.loc[pair, "suppressed"] = True
    return out


DRILL_LEVELS = ("school", "grade", "teacher", "student")


def drilldown(con: duckdb.DuckDBPyConnection, level: str, min_n: int = privacy.MIN_GROUP_TEAM,
              **scope) -> pd.DataFrame:
    """One level of school -> grade -> teacher -> students for the scope; teacher groups under min_n hidden."""
    if level not in DRILL_LEVELS:
        raise ValueError(f"level must be one of {DRILL_LEVELS}")
    name = {"school": "trends_drill_school", "grade": "trends_drill_grade",
            "teacher": "trends_drill_teacher", "student": "trends_drill_students"}[level]
    df = _run(con, name, "trends_status", _params(**scope))
    if level == "teacher" and not df.empty:
        df = privacy.suppress_small(df, "assessed", ["proficient", "pct_proficient", "mean_score"], min_n)
    return df


def headline(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """Per subject: each student's latest result in scope -> students, proficient, % proficient, not assessed."""
    return _run(con, "trends_drill_school_all", "trends_status", _params(**scope))




# --- summaries of other features on the principal view (present only once those modules exist) ---


def goal_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """Goals counted by status (on track, at risk...); None when the goals feature is not installed."""
    try:
        from lib import goals
    except ImportError:
        return None
    if not hasattr(goals, "list_goals"):
        return None
    rows = pd.DataFrame(goals.list_goals(con))
    if rows.empty:
        return pd.DataFrame(columns=["Status", "Goals"])
    out = rows.groupby("status", dropna=False).size().reset_index(name="Goals")
    out["status"] = out["status"].fillna("not measured yet")
    return out.rename(columns={"status": "Status"}).sort_values("Goals", ascending=False).reset_index(drop=True)


BAND_ORDER = ["high", "medium", "low"]


def _risk_module():
    """lib.risk when the early-warning feature is installed with the functions this view needs, else None."""
    try:
        from lib import risk
    except ImportError:
        return None
    needed = ("cached_build", "filter_predictions")
    return risk if all(hasattr(risk, n) for n in needed) else None


def early_warning_ready(con: duckdb.DuckDBPyConnection) -> bool | None:
    """None when early warning is not installed; True when today's risk scores are already computed (instant)."""
    risk = _risk_module()
    if risk is None:
        return None
    cache = getattr(risk, "_CACHE", None)
    if not isinstance(cache, dict):
        return False
    try:
        # risk.cached_build keys its results on a fingerprint of the data it reads.
        fingerprint = tuple(str(v) for v in queries.run(con, "risk_inputs").iloc[0].tolist())
    except Exception:  # noqa: BLE001 - a changed risk module: fall back to "not computed yet"
        return False
    return (fingerprint, None, "summative") in cache


def early_warning_summary(con: duckdb.DuckDBPyConnection, school: str | None = None, grade: str | None = None,
                          subject: str | None = None) -> pd.DataFrame | None:
    """Students by early-warning risk band (high / medium / low) per subject, from lib.risk; None if not installed."""
    risk = _risk_module()
    if risk is None:
        return None
    result = risk.cached_build(con)
    pred = risk.filter_predictions(result.predictions, school, grade, subject)
    if pred is None or pred.empty or "band" not in pred:
        return pd.DataFrame(columns=["Subject"] + [b.capitalize() for b in BAND_ORDER] + ["Students"])
    counts = pred.groupby(["subject", "band"]).size().unstack(fill_value=0)
    for band in BAND_ORDER:
        if band not in counts:
            counts[band] = 0
    counts = counts[BAND_ORDER + [c for c in counts.columns if c not in BAND_ORDER]]
    counts["Students"] = counts.sum(axis=1)
    counts.columns = [str(c).capitalize() if c != "Students" else c for c in counts.columns]
    return counts.reset_index().rename(columns={"subject": "Subject"})
