"""School trends for principals: % proficient over time, benchmark growth, grade x standard, subgroups, drill-down.

Definitions (shared by every function here, and stated on the page):
- A student's result on an assessment is the overall score (earned / possible); proficient iff
  score >= the assessment's cut. Students expected but not assessed are counted, never in the denominator.
- "Where students stand" (heatmap, subgroups, drill-down) uses each student's most recent result in
  the chosen scope (subject, kinds of assessment, dates, school, grade, teacher), so a student counts once.
- A school year runs July to June ("2025-26").

Every function takes the same scope keywords; each runs one named, parameterised query.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pandas as pd

from lib import privacy, queries

# Kinds of assessment that are comparable across time (the same test each window).
COMPARABLE_KINDS = ("benchmark", "summative", "state")
# Flags with more distinct values than this are identifiers or free text, not subgroups.
MAX_GROUP_VALUES = 12
FLAG_LABELS = {"ell": "ELL", "iep": "IEP", "frl": "FRL", "gender": "Gender", "ethnicity": "Ethnicity"}

# --- SQL building blocks (fixed text; user values arrive only as $parameters) -------------------

SCHOOL_YEAR = "(CASE WHEN month({d}) >= 7 THEN year({d}) ELSE year({d}) - 1 END)"
SY = SCHOOL_YEAR.format(d="a.administered_on")

# The scope's assessments, their responses, scores and roster. This is v_overall_scores,
# v_standard_scores and v_assessment_roster (lib/store.py) restricted to the scope *before* they
# aggregate: DuckDB cannot push a join filter through those views' GROUP BY and FULL OUTER JOIN, and
# over a district's ten million responses that is the difference between seconds and a fraction.
SCOPE_CTE = f"""
scope AS (
    SELECT a.assessment_id, a.title, a.subject, a.grade_level, coalesce(a.kind, 'formative') AS kind,
           a.administered_on, coalesce(a.proficiency_cut, 0.8) AS cut,
           {SY} AS school_year
    FROM assessments a
    WHERE ($subject IS NULL OR lower(a.subject) = lower($subject))
      AND ($grade IS NULL OR a.grade_level = $grade)
      AND ($kinds IS NULL OR list_contains($kinds, coalesce(a.kind, 'formative')))
      AND ($date_from IS NULL OR a.administered_on >= $date_from)
      AND ($date_to IS NULL OR a.administered_on <= $date_to)
),
resp AS (
    SELECT r.assessment_id, r.student_id, r.points_earned, i.points_possible, i.standard_code
    FROM responses r LEFT JOIN items i ON i.assessment_id = r.assessment_id AND i.item = r.item
    WHERE r.assessment_id IN (SELECT assessment_id FROM scope)
      AND ($school IS NULL OR r.student_id IN (SELECT student_id FROM students WHERE school = $school))
),
-- One scan serves both: every student with a response took it; the score counts aligned items only.
overall AS (
    SELECT assessment_id, student_id,
           sum(points_earned) FILTER (WHERE points_possible IS NOT NULL) AS earned,
           sum(points_possible) AS possible,
           sum(points_earned) FILTER (WHERE points_possible IS NOT NULL) / nullif(sum(points_possible), 0) AS score
    FROM resp GROUP BY ALL
    UNION ALL
    -- Scale-score results (MAP, i-Ready, Star...: earned 1 of 1 when proficient), see lib/formats/scale.py.
    SELECT v.assessment_id, v.student_id, v.earned, v.possible, v.score
    FROM v_scale_overall_scores v
    WHERE v.assessment_id IN (SELECT assessment_id FROM scope)
      AND ($school IS NULL OR v.student_id IN (SELECT student_id FROM students WHERE school = $school))
),
takers AS (SELECT DISTINCT assessment_id, student_id FROM overall),
expected AS (
    SELECT s.assessment_id, e.student_id, min(sec.teacher_id) AS teacher_id
    FROM scope s
    JOIN sections sec
      ON (s.subject IS NULL OR sec.subject IS NULL OR lower(sec.subject) = lower(s.subject))
     AND (s.grade_level IS NULL OR sec.grade_level IS NULL OR sec.grade_level = s.grade_level)
     AND (s.administered_on IS NULL OR sec.starts_on IS NULL OR s.administered_on >= sec.starts_on)
     AND (s.administered_on IS NULL OR sec.ends_on IS NULL OR s.administered_on <= sec.ends_on)
    JOIN enrollments e ON e.section_id = sec.section_id
    GROUP BY ALL
),
roster AS (
    SELECT s.*, b.student_id, b.teacher_id, st.school,
           coalesce(s.grade_level, st.grade_level) AS grade
    FROM (SELECT coalesce(x.assessment_id, t.assessment_id) AS assessment_id,
                 coalesce(x.student_id, t.student_id) AS student_id, x.teacher_id
          FROM expected x FULL OUTER JOIN takers t
            ON x.assessment_id = t.assessment_id AND x.student_id = t.student_id) b
    JOIN scope s USING (assessment_id)
    LEFT JOIN students st USING (student_id)
    WHERE ($school IS NULL OR st.school = $school)
      AND ($teacher IS NULL OR b.teacher_id = $teacher)
),
results AS (
    SELECT roster.*, o.score, o.earned, o.possible,
           o.score IS NOT NULL AS scored,
           o.score >= roster.cut AS proficient
    FROM roster LEFT JOIN overall o USING (assessment_id, student_id)
)"""

# Each student's most recent scored result per subject in scope.
LATEST_CTE = """
latest AS (
    SELECT * FROM results WHERE scored
    QUALIFY row_number() OVER (PARTITION BY student_id, subject
                               ORDER BY administered_on DESC NULLS LAST, assessment_id DESC) = 1
)"""

AGG = """count(*) FILTER (WHERE scored) AS assessed,
       count(*) FILTER (WHERE NOT scored) AS not_assessed,
       count(*) FILTER (WHERE proficient) AS proficient,
       count(*) FILTER (WHERE proficient) / nullif(count(*) FILTER (WHERE scored), 0) AS pct_proficient,
       avg(score) AS mean_score"""

# --- queries ------------------------------------------------------------------------------------

queries.define(
    "trends_over_time",
    f"""WITH {SCOPE_CTE}
    SELECT assessment_id, title, subject, grade_level, grade_order(grade_level) AS grade_rank, kind,
           administered_on, cut, school_year,
           printf('%d-%02d', school_year, (school_year + 1) % 100) AS school_year_label,
           {AGG}
    FROM results
    GROUP BY ALL
    ORDER BY administered_on, subject, grade_rank, grade_level, assessment_id""",
)

# Changes per grade and subject: the previous assessment of the same kind in the same school year,
# and the same assessment (n-th of its kind in the year) one year earlier.
queries.define(
    "trends_changes",
    f"""WITH {SCOPE_CTE},
    per AS (
        SELECT assessment_id, title, subject, grade_level, kind, administered_on, school_year, {AGG}
        FROM results GROUP BY ALL
        HAVING count(*) FILTER (WHERE scored) > 0
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
    "trends_growth",
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
    matched AS (
        SELECT p.subject, p.grade_level, p.school_year, p.assessment_id AS from_id, p.title AS from_title,
               p.administered_on AS from_date, p.to_id, p.to_title, p.to_date,
               f.student_id, f.score AS from_score, t.score AS to_score,
               f.proficient AS from_prof, t.proficient AS to_prof
        FROM pairs p
        JOIN results f ON f.assessment_id = p.assessment_id AND f.scored
        JOIN results t ON t.assessment_id = p.to_id AND t.student_id = f.student_id AND t.scored
        WHERE p.to_id IS NOT NULL
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
    GROUP BY ALL
    ORDER BY subject, grade_rank, grade_level, from_date""",
)

# Grade x standard: each student's most recent result on each standard in scope.
queries.define(
    "trends_heatmap",
    f"""WITH {SCOPE_CTE},
    by_std AS (
        SELECT assessment_id, student_id, standard_code,
               sum(points_earned) / nullif(sum(points_possible), 0) AS score
        FROM resp WHERE standard_code IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT v.assessment_id, v.student_id, v.standard_code, v.score
        FROM v_scale_standard_scores v
        WHERE v.assessment_id IN (SELECT assessment_id FROM scope)
    ),
    -- Each student's most recent result per standard (arg_max: a hash aggregate, no sort).
    std AS (
        SELECT w.grade, w.subject, v.standard_code, v.student_id,
               arg_max(v.score, struct_pack(d := coalesce(w.administered_on, DATE '0001-01-01'),
                                            a := v.assessment_id)) AS score,
               arg_max(v.score >= w.cut, struct_pack(d := coalesce(w.administered_on, DATE '0001-01-01'),
                                                     a := v.assessment_id)) AS proficient,
               max(w.administered_on) AS administered_on
        FROM by_std v JOIN roster w USING (assessment_id, student_id)
        GROUP BY ALL
    )
    SELECT grade AS grade_level, grade_order(grade) AS grade_rank, std.subject, standard_code,
           any_value(sd.description) AS description,
           any_value(sd.grade_level) AS standard_grade,
           count(*) AS students,
           count(*) FILTER (WHERE proficient) AS proficient,
           count(*) FILTER (WHERE proficient) / count(*) AS pct_proficient,
           avg(score) AS mean_score,
           max(administered_on) AS last_assessed
    FROM std LEFT JOIN standards sd ON sd.code = std.standard_code
    GROUP BY ALL
    ORDER BY std.subject, grade_rank, grade, standard_code""",
)

# Every roster column other than identity and names, as (flag, value) text per student.
FLAGS_CTE = """
flags AS (
    UNPIVOT (
        SELECT student_id,
               CAST(COLUMNS(* EXCLUDE (student_id, first_name, last_name, grade_level, school, import_id))
                    AS VARCHAR)
        FROM students
    ) ON COLUMNS(* EXCLUDE student_id) INTO NAME flag VALUE value
)"""

queries.define(
    "trends_subgroups",
    f"""WITH {SCOPE_CTE}, {LATEST_CTE}, {FLAGS_CTE},
    g AS (
        SELECT l.subject, f.flag, f.value, count(*) AS students,
               count(*) FILTER (WHERE l.proficient) AS proficient, avg(l.score) AS mean_score
        FROM latest l JOIN flags f USING (student_id)
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

queries.define(
    "trends_subgroups_over_time",
    f"""WITH {SCOPE_CTE}, {FLAGS_CTE}
    SELECT r.subject, r.administered_on, f.flag, f.value,
           count(*) AS students,
           count(*) FILTER (WHERE r.proficient) AS proficient,
           count(*) FILTER (WHERE r.proficient) / count(*) AS pct_proficient
    FROM results r JOIN flags f USING (student_id)
    WHERE r.scored AND f.flag = $flag
    GROUP BY ALL
    ORDER BY r.subject, r.administered_on, f.value""",
)

# Drill-down: each student's most recent scored result in scope, or, never scored, their latest roster row.
STATUS_CTE = """
status AS (
    SELECT * FROM results
    QUALIFY row_number() OVER (PARTITION BY student_id, subject
                               ORDER BY scored DESC, administered_on DESC NULLS LAST, assessment_id DESC) = 1
)"""

DRILL_AGG = AGG

queries.define(
    "trends_drill_school",
    f"""WITH {SCOPE_CTE}, {STATUS_CTE}
    SELECT coalesce(school, '(no school)') AS school, subject, {DRILL_AGG}
    FROM status GROUP BY ALL ORDER BY subject, school""",
)

queries.define(
    "trends_drill_grade",
    f"""WITH {SCOPE_CTE}, {STATUS_CTE}
    SELECT grade AS grade_level, grade_order(grade) AS grade_rank, subject, {DRILL_AGG}
    FROM status GROUP BY ALL ORDER BY subject, grade_rank, grade""",
)

queries.define(
    "trends_drill_teacher",
    f"""WITH {SCOPE_CTE}, {STATUS_CTE}
    SELECT teacher_id, subject, {DRILL_AGG}
    FROM status GROUP BY ALL ORDER BY subject, teacher_id NULLS LAST""",
)

queries.define(
    "trends_drill_students",
    f"""WITH {SCOPE_CTE}, {STATUS_CTE}
    SELECT s.student_id, st.first_name, st.last_name, s.grade AS grade_level, s.teacher_id, s.subject,
           s.title AS latest_assessment, s.administered_on AS latest_date, s.score, s.cut, s.proficient,
           s.scored AS assessed
    FROM status s LEFT JOIN students st USING (student_id)
    ORDER BY s.subject, s.scored, s.score NULLS FIRST, st.last_name, st.first_name, s.student_id""",
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


def school_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """School years that have assessments, newest first ("2026-27", "2025-26")."""
    return queries.run(con, "trends_school_years")["label"].tolist()


def kinds(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Kinds of assessment present in the store."""
    return queries.run(con, "trends_kinds")["kind"].tolist()


def default_kinds(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The comparable kinds (benchmark, summative, state) present, else every kind present."""
    present = kinds(con)
    comparable = tuple(k for k in COMPARABLE_KINDS if k in present)
    return comparable or tuple(present)


def over_time(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """% proficient per assessment (grade, subject, date), with students assessed and not assessed."""
    return queries.run(con, "trends_over_time", **_params(**scope))


def changes(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """Latest assessment per grade, subject and kind with its change within the year and year over year."""
    return queries.run(con, "trends_changes", **_params(**scope))


def growth(con: duckdb.DuckDBPyConnection, kind: str = "benchmark", **scope) -> pd.DataFrame:
    """Growth between consecutive assessments of one kind (same subject, grade, school year) on matched students."""
    scope = dict(scope)
    scope["kinds"] = (kind,)
    return queries.run(con, "trends_growth", **_params(**scope))


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
    df = queries.run(con, "trends_heatmap", **_params(**scope))
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


def subgroups(con: duckdb.DuckDBPyConnection, min_n: int = privacy.MIN_GROUP_SUBGROUP, **scope) -> pd.DataFrame:
    """% proficient by subgroup (every roster flag) with the gap to the other students; groups under min_n hidden."""
    df = queries.run(con, "trends_subgroups", **_params(**scope))
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
    df = queries.run(con, "trends_subgroups", **_params(**scope))
    df = df[(df["n_values"] >= 2) & (df["n_values"] <= MAX_GROUP_VALUES)]
    return order_flags(df["flag"].unique())


def subgroups_over_time(con: duckdb.DuckDBPyConnection, flag: str, min_n: int = privacy.MIN_GROUP_SUBGROUP,
                        **scope) -> pd.DataFrame:
    """% proficient per assessment date for each group of one flag; groups under min_n hidden."""
    df = queries.run(con, "trends_subgroups_over_time", flag=flag, **_params(**scope))
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
    df = queries.run(con, name, **_params(**scope))
    if level == "teacher" and not df.empty:
        df = privacy.suppress_small(df, "assessed", ["proficient", "pct_proficient", "mean_score"], min_n)
    return df


def headline(con: duckdb.DuckDBPyConnection, **scope) -> pd.DataFrame:
    """Per subject: each student's latest result in scope -> students, proficient, % proficient, not assessed."""
    return queries.run(con, "trends_drill_school_all", **_params(**scope))


queries.define(
    "trends_drill_school_all",
    f"""WITH {SCOPE_CTE}, {STATUS_CTE}
    SELECT subject, {DRILL_AGG}, max(administered_on) AS last_date
    FROM status GROUP BY ALL ORDER BY subject""",
)


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
