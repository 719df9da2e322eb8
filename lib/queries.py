"""Named, parameterised queries: every number on screen comes from one of these.

A feature module defines its SQL with `define(name, sql)` at import time and runs it with
`run(con, name, **params)`. SQL text is fixed at definition; user input only ever arrives as
named parameters (`$name`), never formatted into the text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

QUERIES: dict[str, str] = {}
T = TypeVar("T")
# Shared by every caller of at_once.
_POOL_NAME = "plc-lens-query"
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix=_POOL_NAME)
# Arrow's conversion to pandas imports its helpers (and compiles their patterns) on first use, ~10 ms: at
# start-up, not inside the first question a page asks.
pa.table({"text": ["start-up"]}).to_pandas()


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


def run_text(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """`run` for a question that returns thousands of rows of text (lists of students): the same frame, through
    Arrow (see `frame`); for a few rows `run` is quicker."""
    cur = con.cursor()
    try:
        return frame(cur.sql(QUERIES[name], params=params or None))
    finally:
        cur.close()


def run_pruned(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run a named query whose joins pick up to 1,000 ids (`x IN (SELECT ...)`), so that the scans of tables
    stored in that id's order skip every row group of other ids; otherwise as `run`."""
    cur = con.cursor()
    try:
        # DuckDB passes a join's ids to the scan on the other side as a list only up to 50 of them (beyond:
        # their min and max). This cursor only.
        cur.execute(f"SET dynamic_or_filter_threshold = {PRUNE_IDS}")
        return cur.execute(QUERIES[name], params).df()
    finally:
        cur.close()


PRUNE_IDS = 1000

# DuckDB's own frame (`.df()`) has pandas build a Python string per text cell: most of the time of a
# district's lists of students. Through Arrow the text stays in Arrow's buffers (but each column costs a
# little more to set up: for a few rows `.df()` is quicker). The plain types below are given exactly the
# dtypes `.df()` gives (tests/test_queries.py compares the two), so callers cannot tell.
_PLAIN = frozenset({"varchar", "boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint",
                    "uinteger", "ubigint", "float", "double", "date", "timestamp", "timestamp with time zone"})
# `.df()` gives these as float64: DuckDB's own cast to DOUBLE rounds them the same way (Arrow's may not).
_AS_DOUBLE = frozenset({"hugeint", "uhugeint", "decimal"})
_NULLABLE_INT = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
                 pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
                 pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype()}


def _column(col: pa.ChunkedArray, rows: int) -> pd.Series:
    """One Arrow column of a plain type as the Series DuckDB's `.df()` gives."""
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        if rows == 0 or col.null_count == rows:
            return pd.Series([None] * rows, dtype=object)
        return col.to_pandas()
    if pa.types.is_date32(t):
        return col.cast(pa.timestamp("us")).to_pandas()
    if pa.types.is_integer(t) and col.null_count:
        return col.to_pandas(types_mapper=_NULLABLE_INT.get)
    if pa.types.is_boolean(t) and col.null_count:
        return col.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    return col.to_pandas()


def frame(rel: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """A query's rows as the DataFrame DuckDB's `.df()` gives (same columns, dtypes and values), faster."""
    names, types = rel.columns, rel.types
    if len(set(names)) < len(names) or any(t.id not in _PLAIN and t.id not in _AS_DOUBLE for t in types):
        # Repeated names (which `.df()` renames) and other types (intervals, enums, lists...) are rare here.
        return rel.df()
    if any(t.id in _AS_DOUBLE for t in types):
        quoted = ['"' + n.replace('"', '""') + '"' for n in names]
        rel = rel.project(", ".join(f"CAST({q} AS DOUBLE) AS {q}" if t.id in _AS_DOUBLE else q
                                    for q, t in zip(quoted, types)))
    table = rel.to_arrow_table()
    out = pd.DataFrame({i: _column(c, table.num_rows) for i, c in enumerate(table.columns)})
    out.columns = names
    return out


def at_once(questions: list[Callable[[], T]]) -> list[T]:
    """The answers of several questions (each on its own cursor), asked together; in the order given."""
    # At district scale planning and scanning of separate statements overlap on the two cores. A question
    # that itself asks several at once (from a worker of the pool) asks them one after another, so the
    # pool's workers never all wait on questions queued behind them.
    if threading.current_thread().name.startswith(_POOL_NAME):
        return [q() for q in questions]
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
