"""The standards explorer for coaches: one or several standards across grades, teachers, assessments and time.

A student's score on a standard in an assessment = earned / possible over the items aligned to it
(v_standard_scores); proficient iff score >= that assessment's cut. "Where students stand" tables
(by grade, by teacher, not yet proficient) use each student's most recent result on the standard
in the chosen window, so a student counts once per standard. Item statistics use every student in
the window (and school) who took the assessment: difficulty = mean(earned / possible),
discrimination = corrected item-total correlation (item vs the rest of the test).
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import numpy as np
import pandas as pd
import pyarrow.compute as pc

from lib import kept, meeting, privacy, queries

TOO_HARD = 0.30
TOO_EASY = 0.95
WEAK_DISCRIMINATION = 0.15

# --- SQL building blocks ------------------------------------------------------------------------

# Each student's score on the chosen standards per assessment ("sc"), for the assessment-level filters
# except dates, computed once per scope and kept (lib.kept) while the data is unchanged: a coach's page
# asks ~8 questions of the same rows (summary, by grade, by teacher, by assessment over this year and all
# years, not yet proficient, levels), and finding them is the expensive part at district scale.
queries.define(
    "standards_sc",
    """WITH asm AS (
        SELECT a.assessment_id, a.title, a.subject, a.grade_level, coalesce(a.kind, 'formative') AS kind,
               a.administered_on, coalesce(a.proficiency_cut, 0.8) AS cut
        FROM assessments a
        WHERE ($grade IS NULL OR a.grade_level = $grade)
          AND ($subject IS NULL OR lower(a.subject) = lower($subject))
          AND (a.assessment_id IN (SELECT DISTINCT assessment_id FROM items
                                   WHERE list_contains($codes::VARCHAR[], standard_code))
               OR a.assessment_id IN (SELECT DISTINCT assessment_id FROM v_scale_standard_scores
                                      WHERE list_contains($codes::VARCHAR[], standard_code)))
    ),
    -- Scores on the chosen standards of those assessments only, from the stored point scores (kept by
    -- every write, migration 32): regrouping their responses with their items cost ~4x more.
    v AS (
        SELECT p.assessment_id, p.student_id, p.standard_code, p.earned, p.possible, p.score, p.n_items,
               FALSE AS from_scale
        FROM points_standard p
        WHERE p.assessment_id IN (SELECT assessment_id FROM asm)
          AND list_contains($codes::VARCHAR[], p.standard_code)
          AND ($school IS NULL OR p.student_id IN (SELECT student_id FROM students WHERE school = $school))
        UNION ALL
        -- Scale-score results (earned 1 of 1 when proficient), see lib/formats/scale.py.
        SELECT s.assessment_id, s.student_id, s.standard_code, s.earned, s.possible, s.score, s.n_items,
               TRUE AS from_scale
        FROM v_scale_standard_scores s
        WHERE s.assessment_id IN (SELECT assessment_id FROM asm)
          AND list_contains($codes::VARCHAR[], s.standard_code)
          AND ($school IS NULL OR s.student_id IN (SELECT student_id FROM students WHERE school = $school))
    )
    -- Neither names nor teachers: joining them to every row was half of the time, and only the tabs that
    -- list students or teachers need them (for their fewer rows: see _NAMED). A chosen teacher's class
    -- (the kept roster, store.refresh_roster) only filters.
    SELECT v.assessment_id, v.student_id, v.standard_code, v.score, v.earned, v.possible, v.n_items, v.from_scale,
           asm.title, asm.subject, asm.grade_level, asm.kind, asm.administered_on, asm.cut,
           v.score >= asm.cut AS proficient
    FROM v
    JOIN asm USING (assessment_id)
    WHERE $teacher IS NULL
       OR EXISTS (SELECT 1 FROM assessment_roster r WHERE r.assessment_id = v.assessment_id
                  AND r.student_id = v.student_id AND r.teacher_id = $teacher)""",
)
SC_KEYS = ("codes", "school", "grade", "subject", "teacher")
USES_LATEST = {"standards_summary", "standards_by_grade", "standards_by_teacher", "standards_not_proficient",
               "standards_levels", "standards_latest_levels"}
# Questions about scale-score results only: unasked (no rows) when the scope has none.
SCALE_ONLY = {"standards_levels", "standards_latest_levels"}

# The questions read the kept rows (registered as standards_sc) within the dates, and each student's
# most recent result on each standard (kept too, per scope and dates: standards_latest).
_SC_DATED = """
sc AS (
    SELECT * FROM standards_sc
    WHERE ($date_from IS NULL OR administered_on >= $date_from)
      AND ($date_to IS NULL OR administered_on <= $date_to)
)"""
queries.define(
    "standards_latest_rows",
    f"""WITH {_SC_DATED}
    SELECT *,
           count(*) OVER (PARTITION BY student_id, standard_code) AS attempts,
           max(score) OVER (PARTITION BY student_id, standard_code) AS best_score,
           count(*) FILTER (WHERE proficient) OVER (PARTITION BY student_id, standard_code) AS times_proficient
    FROM sc
    QUALIFY row_number() OVER (PARTITION BY student_id, standard_code
                               ORDER BY administered_on DESC NULLS LAST, assessment_id DESC) = 1""",
)
_STD_SCORES = _SC_DATED + """,
latest AS (SELECT * FROM standards_latest)"""

_AGG = """count(*) AS students,
       count(*) FILTER (WHERE proficient) AS proficient,
       count(*) FILTER (WHERE proficient) / count(*) AS pct_proficient,
       avg(score) AS mean_score"""

# --- queries ------------------------------------------------------------------------------------

# Every standard with where it is measured (the same for every search): a catalogue kept while the data is
# unchanged (lib.kept), which each search then filters.
queries.define(
    "standards_catalog",
    """WITH measured AS (
        -- Where each standard is measured: items, and scale-score results (which have no items).
        SELECT assessment_id, standard_code, 1 AS n FROM items WHERE standard_code IS NOT NULL
        UNION ALL
        SELECT DISTINCT assessment_id, standard_code, 0 FROM v_scale_standard_scores
    ),
    catalog AS (
        SELECT code, subject, grade_level, description FROM standards
        UNION ALL
        SELECT m.standard_code, any_value(a.subject), any_value(a.grade_level), NULL
        FROM measured m JOIN assessments a USING (assessment_id)
        WHERE m.standard_code NOT IN (SELECT code FROM standards)
        GROUP BY m.standard_code
    ),
    use AS (
        SELECT m.standard_code AS code, count(DISTINCT m.assessment_id) AS assessments, sum(m.n) AS items,
               max(a.administered_on) AS last_assessed
        FROM measured m JOIN assessments a USING (assessment_id)
        GROUP BY m.standard_code
    )
    SELECT c.*, coalesce(u.assessments, 0) AS assessments, coalesce(u.items, 0) AS items, u.last_assessed,
           lower(c.code || ' ' || coalesce(c.description, '') || ' ' || coalesce(c.subject, '')) AS haystack
    FROM catalog c LEFT JOIN use u USING (code)""",
)

queries.define(
    "standards_search",
    """SELECT code, subject, grade_level, description, assessments, items, last_assessed
    FROM standards_catalog
    WHERE ($subject IS NULL OR lower(subject) = lower($subject))
      AND ($grade IS NULL OR grade_level = $grade)
      AND len(list_filter($words::VARCHAR[], lambda w: NOT contains(haystack, w))) = 0
    ORDER BY CASE WHEN lower(code) = $exact THEN 0 WHEN starts_with(lower(code), $exact) THEN 1 ELSE 2 END,
             (assessments = 0), grade_order(grade_level), grade_level, code
    LIMIT $limit""",
)

queries.define(
    "standards_by_assessment",
    f"""WITH {_SC_DATED}
    SELECT assessment_id, title, subject, grade_level, kind, administered_on, cut, standard_code,
           {_AGG}, any_value(n_items) AS n_items
    FROM sc GROUP BY ALL
    ORDER BY administered_on, standard_code, grade_order(any_value(grade_level)), assessment_id""",
)

queries.define(
    "standards_by_grade",
    f"""WITH {_STD_SCORES}
    SELECT grade_level, grade_order(grade_level) AS grade_rank, standard_code, {_AGG}
    FROM latest GROUP BY ALL ORDER BY standard_code, grade_rank, grade_level""",
)

# The teacher of each latest result (the student's class on that assessment: the kept roster) and the
# student's name, for the tabs that list them: joined to the latest rows only, not to every kept row.
_NAMED = """,
named AS (
    SELECT l.*, k.teacher_id, st.first_name, st.last_name, st.grade_level AS student_grade
    FROM latest l
    LEFT JOIN assessment_roster k ON k.assessment_id = l.assessment_id AND k.student_id = l.student_id
    LEFT JOIN students st ON st.student_id = l.student_id
)"""

queries.define(
    "standards_by_teacher",
    f"""WITH {_STD_SCORES}{_NAMED}
    SELECT teacher_id, standard_code, {_AGG}
    FROM named GROUP BY ALL ORDER BY standard_code, teacher_id NULLS LAST""",
)

queries.define(
    "standards_summary",
    f"""WITH {_STD_SCORES}
    SELECT l.standard_code, any_value(sd.description) AS description, {_AGG},
           count(*) FILTER (WHERE NOT proficient) AS not_yet,
           (SELECT count(DISTINCT assessment_id) FROM sc WHERE sc.standard_code = l.standard_code) AS assessments,
           max(l.administered_on) AS last_assessed
    FROM latest l LEFT JOIN standards sd ON sd.code = l.standard_code
    GROUP BY l.standard_code ORDER BY l.standard_code""",
)

queries.define(
    "standards_not_proficient",
    f"""WITH {_STD_SCORES}{_NAMED}
    SELECT student_id, first_name, last_name, student_grade AS grade_level, teacher_id, standard_code,
           score AS latest_score, title AS latest_assessment, administered_on AS latest_date, cut,
           attempts, best_score, times_proficient
    FROM named
    WHERE NOT proficient
    ORDER BY standard_code, score, last_name, first_name, student_id""",
)

queries.define(
    "standards_items",
    """WITH its AS (
        SELECT i.assessment_id, i.item, i.standard_code, i.points_possible, i.correct_response, i.position,
               a.title, a.grade_level, a.administered_on, coalesce(a.kind, 'formative') AS kind
        FROM items i JOIN assessments a USING (assessment_id)
        WHERE list_contains($codes::VARCHAR[], i.standard_code)
          AND ($grade IS NULL OR a.grade_level = $grade)
          AND ($subject IS NULL OR lower(a.subject) = lower($subject))
          AND ($date_from IS NULL OR a.administered_on >= $date_from)
          AND ($date_to IS NULL OR a.administered_on <= $date_to)
    ),
    -- One scan of those assessments' responses (for the students in the school) serves the totals and items.
    r0 AS (
        SELECT r.assessment_id, r.student_id, r.item, r.points_earned, r.response
        FROM responses r LEFT JOIN students st USING (student_id)
        WHERE r.assessment_id IN (SELECT DISTINCT assessment_id FROM its)
          AND ($school IS NULL OR st.school = $school)
    ),
    tot AS (SELECT assessment_id, student_id, sum(points_earned) AS total FROM r0 GROUP BY ALL),
    ir AS (
        SELECT its.*, r.student_id, r.points_earned, r.response, t.total - r.points_earned AS rest
        FROM its JOIN r0 r USING (assessment_id, item)
        JOIN tot t ON t.assessment_id = r.assessment_id AND t.student_id = r.student_id
    )
    SELECT assessment_id, title, grade_level, kind, administered_on, item, standard_code, position,
           points_possible, correct_response,
           count(*) AS students,
           avg(points_earned / nullif(points_possible, 0)) AS difficulty,
           corr(points_earned, rest) AS discrimination,
           mode(response) FILTER (WHERE points_earned < points_possible AND response IS NOT NULL) AS top_wrong,
           count(response) AS with_response
    FROM ir
    GROUP BY ALL
    ORDER BY administered_on, assessment_id, position NULLS LAST, item""",
)

queries.define(
    "standards_item_wrong_share",
    """WITH its AS (
        SELECT i.assessment_id, i.item FROM items i JOIN assessments a USING (assessment_id)
        WHERE list_contains($codes::VARCHAR[], i.standard_code)
          AND ($grade IS NULL OR a.grade_level = $grade)
          AND ($subject IS NULL OR lower(a.subject) = lower($subject))
          AND ($date_from IS NULL OR a.administered_on >= $date_from)
          AND ($date_to IS NULL OR a.administered_on <= $date_to)
    )
    SELECT r.assessment_id, r.item, r.response, count(*) AS chose
    FROM responses r JOIN its USING (assessment_id, item)
    LEFT JOIN students st USING (student_id)
    WHERE r.response IS NOT NULL AND ($school IS NULL OR st.school = $school)
    GROUP BY ALL""",
)


# --- public API ---------------------------------------------------------------------------------


def _words(text: str | None) -> list[str]:
    """Lower-case search words (every one must match the code, description or subject)."""
    return [w for w in re.split(r"\s+", (text or "").strip().lower()) if w]


def search(con: duckdb.DuckDBPyConnection, text: str | None = None, subject: str | None = None,
           grade: str | None = None, limit: int = 200) -> pd.DataFrame:
    """Standards whose code or description contains every word of `text`; exact and prefix code matches first."""
    words = _words(text)
    exact = (text or "").strip().lower()
    catalog = kept.table(con, "standards_catalog", (), lambda: kept.arrow(con, "standards_catalog", {}))
    return kept.run(con, "standards_search", {"standards_catalog": catalog},
                    {"words": words, "exact": exact, "subject": subject or None, "grade": grade or None,
                     "limit": int(limit)})


def _params(codes, school=None, grade=None, subject=None, teacher=None, date_from=None, date_to=None) -> dict:
    """The parameters every explorer query takes (None means no restriction)."""
    return {"codes": [str(c) for c in codes], "school": school or None, "grade": grade or None,
            "subject": subject or None, "teacher": teacher or None, "date_from": date_from, "date_to": date_to}


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> pd.DataFrame | None:
    """Run one question over the kept scores of its scope (computed on first use); None for a SCALE_ONLY
    question when the scope has no scale-score result."""
    scope = {k: params[k] for k in SC_KEYS}
    key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in scope.items())
    dates = {"date_from": params["date_from"], "date_to": params["date_to"]}
    now = kept.current(con)  # one fingerprint for both tables
    sc = kept.get(now.setdefault("standards_sc", {}), key, lambda: kept.arrow(con, "standards_sc", scope))
    if name in SCALE_ONLY and not pc.any(sc["from_scale"]).as_py():
        return None
    reads = {"standards_sc": sc}
    if name in USES_LATEST:
        reads["standards_latest"] = kept.get(
            now.setdefault("standards_latest", {}), (key, tuple(dates.items())),
            lambda: kept.arrow(con, "standards_latest_rows", dates, {"standards_sc": sc}))
    return kept.run(con, name, reads, dates)


def summary(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], **scope) -> pd.DataFrame:
    """Per standard: students with a result, proficient now and not yet (latest result each), assessments, last date."""
    return _run(con, "standards_summary", _params(codes, **scope))


def by_assessment(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], **scope) -> pd.DataFrame:
    """Per assessment and standard: students, proficient, % proficient, mean score (a time series)."""
    return _run(con, "standards_by_assessment", _params(codes, **scope))


def within_dates(by_assessment_rows: pd.DataFrame, date_from: dt.date | None, date_to: dt.date | None) -> pd.DataFrame:
    """The rows of by_assessment for every date whose assessments fall in the dates: what by_assessment answers
    for those dates (dates select whole assessments)."""
    when = pd.to_datetime(by_assessment_rows["administered_on"])
    keep = pd.Series(True, index=by_assessment_rows.index)
    if date_from is not None:
        keep &= when >= pd.Timestamp(date_from)
    if date_to is not None:
        keep &= when <= pd.Timestamp(date_to)
    return by_assessment_rows[keep.to_numpy()].reset_index(drop=True)


def by_grade(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], **scope) -> pd.DataFrame:
    """Per grade tested and standard: % proficient on each student's latest result."""
    return _run(con, "standards_by_grade", _params(codes, **scope))


def by_teacher(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], min_n: int = privacy.MIN_GROUP_TEAM,
               **scope) -> pd.DataFrame:
    """Per teacher and standard: % proficient on each student's latest result; groups under min_n hidden."""
    df = _run(con, "standards_by_teacher", _params(codes, **scope))
    if df.empty:
        return df.assign(suppressed=pd.Series(dtype=bool))
    out = privacy.suppress_small(df, "students", ["proficient", "pct_proficient", "mean_score"], min_n)
    return out


def not_yet_proficient(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], **scope) -> pd.DataFrame:
    """Students whose most recent result on a standard is below the cut, lowest first, with attempts and best score."""
    return _run(con, "standards_not_proficient", _params(codes, **scope))


def items(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], school=None, grade=None, subject=None,
          date_from: dt.date | None = None, date_to: dt.date | None = None) -> pd.DataFrame:
    """Items aligned to the standards: difficulty, discrimination, most common wrong answer and its share, flags."""
    p = {"codes": [str(c) for c in codes], "school": school or None, "grade": grade or None,
         "subject": subject or None, "date_from": date_from, "date_to": date_to}
    df = queries.run(con, "standards_items", **p)
    if df.empty:
        return df.assign(top_wrong_share=pd.Series(dtype="float64"), synthetic=pd.Series(dtype=bool),
                         flag=pd.Series(dtype=object))
    df["discrimination"] = df["discrimination"].astype("float64").replace([np.inf, -np.inf], np.nan)
    shares = queries.run(con, "standards_item_wrong_share", **p)
    if not shares.empty:
        totals = shares.groupby(["assessment_id", "item"])["chose"].sum().rename("answered")
        shares = shares.join(totals, on=["assessment_id", "item"])
        shares["share"] = shares["chose"] / shares["answered"]
        df = df.merge(shares.rename(columns={"response": "top_wrong", "share": "top_wrong_share"})
                      [["assessment_id", "item", "top_wrong", "top_wrong_share"]],
                      on=["assessment_id", "item", "top_wrong"], how="left")
    else:
        df["top_wrong_share"] = np.nan
    # Results loaded per standard (no items) become one item named after the standard (or "Total").
    df["synthetic"] = (df["item"] == df["standard_code"]) | (df["item"] == "Total")
    df["flag"] = [_flag(d, r, s) for d, r, s in zip(df["difficulty"], df["discrimination"], df["synthetic"])]
    return df


def _flag(difficulty: float, discrimination: float, synthetic: bool) -> str | None:
    """Why an item deserves a look (None when it looks fine)."""
    if synthetic:
        return None
    out = []
    if pd.notna(discrimination) and discrimination < 0:
        out.append("negative discrimination: check the key")
    elif pd.notna(discrimination) and discrimination < WEAK_DISCRIMINATION:
        out.append("weak discrimination")
    if pd.notna(difficulty) and difficulty < TOO_HARD:
        out.append("too hard")
    if pd.notna(difficulty) and difficulty > TOO_EASY:
        out.append("too easy")
    return "; ".join(out) or None


# --- vendor levels (scale-score results: MAP goal areas, i-Ready domains, Star standards) ---------------

queries.define(
    "standards_levels",
    f"""WITH {_STD_SCORES}
    SELECT l.standard_code, v.vendor_level, v.proficient, min(v.level_rank) AS level_rank,
           count(*) AS students, avg(v.scale_score) AS mean_scale_score
    FROM latest l JOIN v_scale_scores v
      ON v.assessment_id = l.assessment_id AND v.student_id = l.student_id AND v.standard_code = l.standard_code
    GROUP BY ALL""",
)

queries.define(
    "standards_latest_levels",
    f"""WITH {_STD_SCORES}
    SELECT l.student_id, l.standard_code, v.scale_score, v.percentile, v.vendor_level
    FROM latest l JOIN v_scale_scores v
      ON v.assessment_id = l.assessment_id AND v.student_id = l.student_id AND v.standard_code = l.standard_code
    WHERE NOT l.proficient""",
)


def levels(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], **scope) -> pd.DataFrame:
    """Where students stand in the vendor's own levels (latest scale-score result each); empty for points."""
    df = _run(con, "standards_levels", _params(codes, **scope))
    out = meeting.levels_frame(pd.DataFrame() if df is None else df, list(codes))
    return out[out["standard_code"] != meeting.OVERALL].reset_index(drop=True)


def latest_levels(con: duckdb.DuckDBPyConnection, codes: tuple[str, ...], **scope) -> pd.DataFrame:
    """For students not yet proficient on a scale-score standard: their latest result in words ('198 · LoAvg')."""
    df = _run(con, "standards_latest_levels", _params(codes, **scope))
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("student_id", "standard_code", "result")})
    df["result"] = [meeting.scale_cell(s, lv, pc) for s, lv, pc in
                    zip(df["scale_score"], df["vendor_level"], df["percentile"])]
    return df[["student_id", "standard_code", "result"]]
