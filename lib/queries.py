"""Named, parameterised queries: every number on screen comes from one of these.

A feature module defines its SQL with `define(name, sql)` at import time and runs it with
`run(con, name, **params)`. SQL text is fixed at definition; user input only ever arrives as
named parameters (`$name`), never formatted into the text.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import duckdb
import pandas as pd

QUERIES: dict[str, str] = {}
T = TypeVar("T")
# Shared by every caller of at_once; a question asked through it must not itself call at_once.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="plc-lens-query")


def define(name: str, sql: str) -> str:
    """Register one named query and return its name."""
    if name in QUERIES and QUERIES[name] != sql:
        raise ValueError(f"query {name!r} is defined twice with different SQL")
    QUERIES[name] = sql
    return name


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run a named query on its own cursor with named parameters and return a DataFrame."""
    sql = QUERIES[name]
    cur = con.cursor()
    try:
        return cur.execute(sql, params).df() if params else cur.execute(sql).df()
    finally:
        cur.close()


def at_once(questions: list[Callable[[], T]]) -> list[T]:
    """The answers of several questions (each on its own cursor), asked together; in the order given."""
    # At district scale planning and scanning of separate statements overlap on the two cores.
    return [future.result() for future in [_POOL.submit(q) for q in questions]]


def scalar(con: duckdb.DuckDBPyConnection, name: str, **params):
    """Run a named query and return its first cell (None when it returns no row)."""
    df = run(con, name, **params)
    return None if df.empty else df.iat[0, 0]


# --- home page / data status -------------------------------------------------------------------

define(
    "status_overview",
    """SELECT
        (SELECT count(*) FROM students) AS students,
        (SELECT count(DISTINCT school) FROM students WHERE school IS NOT NULL) AS schools,
        (SELECT count(DISTINCT grade_level) FROM students WHERE grade_level IS NOT NULL) AS grades,
        (SELECT count(*) FROM teachers) AS teachers,
        (SELECT count(*) FROM assessments) AS assessments,
        (SELECT count(*) FROM items) AS items,
        (SELECT count(*) FROM responses) AS responses,
        (SELECT count(*) FROM standards) AS standards,
        (SELECT min(administered_on) FROM assessments) AS first_date,
        (SELECT max(administered_on) FROM assessments) AS last_date""",
)

define(
    "assessments_by_kind",
    """SELECT coalesce(kind, 'formative') AS kind, count(*) AS assessments,
              min(administered_on) AS first_date, max(administered_on) AS last_date
       FROM assessments GROUP BY ALL ORDER BY kind""",
)

define(
    "students_by_grade",
    """SELECT grade_level, count(*) AS students FROM students GROUP BY grade_level
       ORDER BY grade_order(grade_level), grade_level""",
)

define(
    "recent_imports",
    """SELECT import_id, filename, layout, kind, status, rows_total, rows_loaded, rows_rejected,
              rows_duplicate, started_at, message
       FROM imports ORDER BY import_id DESC LIMIT $limit""",
)

define(
    "import_rejects",
    """SELECT row_number AS "row", column_name AS "column", reason, raw
       FROM import_rejects WHERE import_id = $import_id ORDER BY row_number NULLS FIRST LIMIT $limit""",
)

define(
    "demo_import",
    """SELECT max(import_id) FROM imports WHERE kind = 'demo' AND status = 'loaded'""",
)

define(
    "assessment_list",
    """SELECT a.assessment_id, a.title, a.subject, a.grade_level, a.kind, a.administered_on,
              a.proficiency_cut,
              (SELECT count(DISTINCT student_id) FROM responses r WHERE r.assessment_id = a.assessment_id)
                  AS students_assessed
       FROM assessments a
       ORDER BY a.administered_on DESC NULLS LAST, a.title""",
)

define(
    "filter_options",
    """SELECT 'school' AS field, school AS value FROM students WHERE school IS NOT NULL
       UNION SELECT 'grade', grade_level FROM assessments WHERE grade_level IS NOT NULL
       UNION SELECT 'subject', subject FROM assessments WHERE subject IS NOT NULL
       UNION SELECT 'teacher', teacher_id FROM teachers
       UNION SELECT 'standard', code FROM standards""",
)

define(
    "teacher_names",
    """SELECT teacher_id, coalesce(name, teacher_id) AS name, coalesce(show_name, FALSE) AS show_name
       FROM teachers ORDER BY name""",
)

define(
    "student_names",
    """SELECT student_id, first_name, last_name FROM students""",
)
