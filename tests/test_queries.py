"""lib/queries: named queries, and the frame they return (through Arrow) being exactly DuckDB's own `.df()`."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from lib import queries

# One column per case: a value, and the same type as NULL (the second row replaces the value by NULL when
# `nulls` is asked for). Every plain type the app's queries return, and some that take DuckDB's own path.
TYPES = {
    "text": "'Zoë, \"=1+1\"'::VARCHAR",
    "int": "7::INTEGER",
    "bigint": "7::BIGINT",
    "smallint": "7::SMALLINT",
    "utinyint": "7::UTINYINT",
    "hugeint": "7::HUGEINT",
    "double": "0.125::DOUBLE",
    "float": "0.5::FLOAT",
    "decimal": "1.25::DECIMAL(5, 2)",
    "decimal38": "(range * 0.1)::DECIMAL(38, 10)",
    # A sum of hashes (the early-warning fingerprint): Arrow's own cast to float rounds it differently.
    "hugeint_big": "range::HUGEINT * 9223372036854775807 * 3 - 17",
    "bool": "TRUE",
    "date": "DATE '2026-09-15'",
    "timestamp": "TIMESTAMP '2026-09-15 08:30:00'",
    "timestamptz": "TIMESTAMPTZ '2026-09-15 08:30:00+00'",
    # DuckDB's own path (not plain): the result must still be identical.
    "interval": "INTERVAL 3 DAY",
    "list": "[1, 2]",
    "enum": "'x'::ENUM('x', 'y')",
    "time": "TIME '08:30'",
}


@pytest.fixture
def con():
    """An in-memory database with nothing in it."""
    c = duckdb.connect()
    yield c
    c.close()


def _sql(expr: str, nulls: str, rows: int) -> str:
    """`rows` rows of one expression; with nulls 'some' the first row is NULL, with 'all' every row."""
    if nulls == "all" and "range" in expr:
        value = f"CAST(NULL AS {_type_of(expr.replace('range', '1'))})"
    elif nulls == "all":
        value = f"CAST(NULL AS {_type_of(expr)})"
    elif nulls == "some":
        value = f"CASE WHEN range = 0 THEN NULL ELSE {expr} END"
    else:
        value = expr
    return f"SELECT {value} AS v, range AS n FROM range({rows})"


def _type_of(expr: str) -> str:
    return duckdb.sql(f"SELECT typeof({expr})").fetchall()[0][0]


@pytest.mark.parametrize("nulls", ["none", "some", "all"])
@pytest.mark.parametrize("rows", [0, 1, 3, 3000])  # 3000: more than one DuckDB vector
@pytest.mark.parametrize("kind", list(TYPES))
def test_frame_is_duckdbs_own(con, kind, nulls, rows):
    sql = _sql(TYPES[kind], nulls, rows)
    pd.testing.assert_frame_equal(queries.frame(con.sql(sql)), con.sql(sql).df(), check_exact=True)


@pytest.mark.parametrize("sql", [
    "SELECT 1 AS a, 2 AS a",                         # a repeated name: DuckDB renames it
    "SELECT NULL AS nothing",                        # a bare NULL
    "SELECT 'a' AS s, NULL::VARCHAR AS t UNION ALL SELECT NULL, 'b'",  # text NULLs in either column
    "SELECT sum(x) AS total, avg(x) AS mean, count(*) AS n FROM (VALUES (1), (2)) t(x)",  # HUGEINT sum
    "SELECT DATE '2026-01-01' + range::INTEGER AS d FROM range(5)",
])
def test_frame_odd_shapes(con, sql):
    pd.testing.assert_frame_equal(queries.frame(con.sql(sql)), con.sql(sql).df(), check_exact=True)


def test_text_stays_literal(con):
    odd = ["=HYPERLINK(\"x\")", "'; DROP TABLE t; --", "Zoë", "", " ", "\u200b", "a\nb"]
    con.execute("CREATE TABLE t (s VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[s] for s in odd])
    assert queries.frame(con.sql("SELECT s FROM t ORDER BY rowid"))["s"].tolist() == odd


def test_run_passes_parameters(con):
    queries.define("test_queries_echo", "SELECT $word AS word, $n + 1 AS n")
    df = queries.run(con, "test_queries_echo", word="'; DROP TABLE x; --", n=41)
    assert df.to_dict("records") == [{"word": "'; DROP TABLE x; --", "n": 42}]
    pd.testing.assert_frame_equal(queries.run_text(con, "test_queries_echo", word="'; DROP TABLE x; --", n=41), df)
    pd.testing.assert_frame_equal(queries.run_pruned(con, "test_queries_echo", word="x", n=1),
                                  queries.run(con, "test_queries_echo", word="x", n=1))
    queries.define("test_queries_plain", "SELECT 1 AS one")
    assert queries.scalar(con, "test_queries_plain") == 1


def test_define_refuses_a_second_sql_under_one_name():
    queries.define("test_queries_same", "SELECT 1")
    queries.define("test_queries_same", "SELECT 1")  # the same again is fine (modules imported twice)
    with pytest.raises(ValueError, match="defined twice"):
        queries.define("test_queries_same", "SELECT 2")


def test_at_once_keeps_the_order():
    assert queries.at_once([lambda k=k: k * k for k in range(10)]) == [k * k for k in range(10)]


def test_at_once_inside_at_once():
    """A question that itself asks several at once (on a pool worker) gets its answers, never a deadlock."""
    def inner(k):
        return sum(queries.at_once([lambda j=j: j for j in range(k)]))
    assert queries.at_once([lambda k=k: inner(k) for k in range(12)]) == [k * (k - 1) // 2 for k in range(12)]
