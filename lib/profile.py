"""One student's profile: results over time by standard and assessment, attendance, help and risk.

Links to a profile carry `?student=<ref>`: the student id normally, and in meeting mode an opaque
token, so not even a local student id reaches a projected screen or its address bar.
"""

from __future__ import annotations

import functools
import hashlib

import duckdb
import pandas as pd

from lib import interventions, queries
from lib.meeting import DEFAULT_EXCEEDS, DEFAULT_GAP, _level_sql

TOKEN_PREFIX = "t-"
CHRONIC_ABSENCE = 0.10  # missing 10% or more of enrolled days is chronic absence (the usual definition)


def link_token(student_id: str) -> str:
    """An opaque, stable token for a student id (the same as SQL `sha256('plc-lens-link:' || id)`)."""
    return TOKEN_PREFIX + hashlib.sha256(f"plc-lens-link:{student_id}".encode()).hexdigest()[:16]


def student_ref(student_id: str, meeting: bool) -> str:
    """What a link carries for a student: the id, or in meeting mode the opaque token."""
    return link_token(student_id) if meeting else str(student_id)


queries.define(
    "profile_student_by_ref",
    """SELECT student_id FROM students
       WHERE student_id = $ref
          OR ($token IS NOT NULL AND substr(sha256('plc-lens-link:' || student_id), 1, 16) = $token)
       ORDER BY student_id = $ref DESC LIMIT 1""",
)


def resolve_student(con: duckdb.DuckDBPyConnection, ref: str | None) -> str | None:
    """The student id a link refers to (an id or a meeting-mode token); None when unknown."""
    if not ref:
        return None
    token = ref[len(TOKEN_PREFIX):] if ref.startswith(TOKEN_PREFIX) else None
    df = queries.run(con, "profile_student_by_ref", ref=ref, token=token)
    return None if df.empty else str(df.iat[0, 0])


queries.define(
    "profile_student_options",
    """SELECT student_id, first_name, last_name, grade_level, school
       FROM students
       WHERE ($grade IS NULL OR grade_level = $grade)
         AND ($school IS NULL OR school = $school)
         AND ($search IS NULL OR student_id ILIKE '%' || $search || '%'
              OR (coalesce(first_name, '') || ' ' || coalesce(last_name, '')) ILIKE '%' || $search || '%'
              OR (coalesce(last_name, '') || ', ' || coalesce(first_name, '')) ILIKE '%' || $search || '%')
       ORDER BY last_name, first_name, student_id
       LIMIT $limit""",
)


def student_options(con: duckdb.DuckDBPyConnection, grade: str | None = None, school: str | None = None,
                    search: str | None = None, limit: int = 2000) -> pd.DataFrame:
    """Students to pick from (by grade, school, name or id search), at most `limit` of them."""
    return queries.run_text(con, "profile_student_options", grade=grade, school=school,
                            search=(search or None), limit=limit)


queries.define(
    "profile_student",
    """SELECT student_id, first_name, last_name, grade_level, school, ell, iep, frl, gender, ethnicity
       FROM students WHERE student_id = $sid""",
)

queries.define(
    "profile_teachers",
    """SELECT s.term, s.subject, s.course, s.teacher_id, s.starts_on, s.ends_on
       FROM enrollments e JOIN sections s ON s.section_id = e.section_id
       WHERE e.student_id = $sid
       ORDER BY s.starts_on DESC NULLS LAST, s.term DESC, s.subject""",
)


# The teachers of the student's current grade-level team (same grade, term and school as the student's
# latest sections): meeting-mode letters are assigned over this set so "Teacher B" is the same person here
# and on the team meeting page.
queries.define(
    "profile_team_teachers",
    # The student's sections once (one scan of the enrollments), then the latest term among them.
    """WITH mine AS MATERIALIZED (
           SELECT s.grade_level, s.term, s.school, s.starts_on
           FROM enrollments e JOIN sections s ON s.section_id = e.section_id
           WHERE e.student_id = $sid
       ),
       latest AS (SELECT term FROM mine ORDER BY starts_on DESC NULLS LAST, term DESC LIMIT 1)
       SELECT DISTINCT t.teacher_id
       FROM mine s
       JOIN sections t ON t.grade_level IS NOT DISTINCT FROM s.grade_level AND t.term IS NOT DISTINCT FROM s.term
                      AND t.school IS NOT DISTINCT FROM s.school
       WHERE t.teacher_id IS NOT NULL AND s.term IS NOT DISTINCT FROM (SELECT term FROM latest)
       ORDER BY t.teacher_id""",
)


def team_teachers(con: duckdb.DuckDBPyConnection, sid: str) -> list[str]:
    """Teacher ids of the student's current grade-level team (for consistent Teacher A/B letters)."""
    return [str(t) for t in queries.run(con, "profile_team_teachers", sid=sid)["teacher_id"]]


def student_info(con: duckdb.DuckDBPyConnection, sid: str) -> dict | None:
    """Name, grade, school and flags of one student (None if unknown)."""
    df = queries.run(con, "profile_student", sid=sid)
    return None if df.empty else df.iloc[0].to_dict()


def teachers(con: duckdb.DuckDBPyConnection, sid: str) -> pd.DataFrame:
    """The student's sections and teachers, most recent term first."""
    return queries.run(con, "profile_teachers", sid=sid)


queries.define(
    "profile_standard_history",
    f"""SELECT a.assessment_id, a.title, a.subject, coalesce(a.kind, 'formative') AS kind, a.administered_on,
              a.proficiency_cut AS cut, v.standard_code, std.description, v.earned, v.possible, v.score,
              v.n_items, v.score >= a.proficiency_cut AS proficient,
              {_level_sql('v.score', 'a.proficiency_cut')} AS level
       FROM v_standard_scores v JOIN assessments a ON a.assessment_id = v.assessment_id
       LEFT JOIN standards std ON std.code = v.standard_code
       WHERE v.student_id = $sid
         -- The student's assessments (the kept roster lists every one with a result): the scores are stored in
         -- assessment order, so the scan reads their row groups only (run_pruned).
         AND v.assessment_id IN (SELECT assessment_id FROM assessment_roster WHERE student_id = $sid)
       ORDER BY a.administered_on, a.assessment_id, v.standard_code""",
)

# The kept roster (store.refresh_roster) holds every assessment the student took or was expected to take,
# with the point score; scale-score results come from their view. One scan of the roster instead of the
# roster view plus the score views.
queries.define(
    "profile_assessments",
    f"""WITH r AS (SELECT assessment_id, earned, possible, score FROM assessment_roster WHERE student_id = $sid),
       s AS (SELECT assessment_id, earned, possible, score FROM v_scale_overall_scores WHERE student_id = $sid),
       o AS (SELECT r.assessment_id, coalesce(r.earned, s.earned) AS earned,
                    coalesce(r.possible, s.possible) AS possible, coalesce(r.score, s.score) AS score
             FROM r LEFT JOIN s USING (assessment_id))
       SELECT a.assessment_id, a.title, a.subject, coalesce(a.kind, 'formative') AS kind, a.administered_on,
              a.proficiency_cut AS cut, o.earned, o.possible, o.score,
              o.score >= a.proficiency_cut AS proficient,
              {_level_sql('o.score', 'a.proficiency_cut')} AS level,
              o.score IS NOT NULL AS assessed
       FROM o JOIN assessments a ON a.assessment_id = o.assessment_id
       ORDER BY a.administered_on, a.assessment_id""",
)


def standard_history(con: duckdb.DuckDBPyConnection, sid: str, gap: float = DEFAULT_GAP,
                     exceeds: float = DEFAULT_EXCEEDS) -> pd.DataFrame:
    """Every standard score the student has, by assessment, oldest first."""
    return queries.run_pruned(con, "profile_standard_history", sid=sid, gap=gap, exceeds=exceeds)


def assessments(con: duckdb.DuckDBPyConnection, sid: str, gap: float = DEFAULT_GAP,
                exceeds: float = DEFAULT_EXCEEDS) -> pd.DataFrame:
    """Every assessment the student took or was expected to take, with the overall score (None = missed)."""
    return queries.run(con, "profile_assessments", sid=sid, gap=gap, exceeds=exceeds)


def latest_by_standard(history: pd.DataFrame) -> pd.DataFrame:
    """Where the student stands on each standard: the most recent result, and how many times measured."""
    if history.empty:
        return history.assign(times=pd.Series(dtype="int64"))
    h = history.sort_values(["administered_on", "assessment_id"])
    times = h.groupby("standard_code").size().rename("times")
    last = h.groupby("standard_code").tail(1).set_index("standard_code")
    return last.join(times).reset_index().sort_values(["subject", "standard_code"]).reset_index(drop=True)


queries.define(
    "profile_attendance",
    """SELECT period_start, period_end, sum(days_enrolled) AS days_enrolled, sum(days_absent) AS days_absent,
              1 - sum(days_absent) / nullif(sum(days_enrolled), 0) AS attendance_rate,
              CASE WHEN month(period_start) >= 7 THEN year(period_start) ELSE year(period_start) - 1 END
                  AS school_year
       FROM attendance WHERE student_id = $sid
       GROUP BY period_start, period_end
       ORDER BY period_start""",
)


def attendance(con: duckdb.DuckDBPyConnection, sid: str) -> pd.DataFrame:
    """The student's attendance by period, with the rate and school year (starting calendar year)."""
    return queries.run(con, "profile_attendance", sid=sid)


def attendance_by_year(periods: pd.DataFrame) -> pd.DataFrame:
    """Days enrolled, absent, attendance rate and chronic-absence flag per school year."""
    if periods.empty:
        return pd.DataFrame(columns=["school_year", "days_enrolled", "days_absent", "attendance_rate", "chronic"])
    y = periods.groupby("school_year", as_index=False)[["days_enrolled", "days_absent"]].sum()
    y["attendance_rate"] = 1 - y["days_absent"] / y["days_enrolled"].where(y["days_enrolled"] > 0)
    # Compare the absent share itself: 1 - rate would turn exactly 10% into 9.999...%.
    y["chronic"] = (y["days_absent"] / y["days_enrolled"].where(y["days_enrolled"] > 0)) >= CHRONIC_ABSENCE
    y["school_year"] = y["school_year"].astype(int)
    return y.sort_values("school_year", ascending=False).reset_index(drop=True)


# What the Student page shows about one student, question by question.
RECORD = {"info": student_info, "history": standard_history, "taken": assessments, "periods": attendance,
          "classes": teachers, "team": team_teachers, "interventions": interventions.for_student}


def student_record(con: duckdb.DuckDBPyConnection, sid: str) -> dict:
    """Every RECORD question about one student (keyed like RECORD), asked at once on their own cursors."""
    # At district scale each question scans a large table for one student's rows (~10-40 ms each); asked
    # together, planning and scanning overlap (about two thirds of the time one after another takes).
    answers = queries.at_once([functools.partial(fn, con, sid) for fn in RECORD.values()])
    return dict(zip(RECORD, answers))
