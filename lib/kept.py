"""Rows shared between the questions of one page, kept in memory while the data they come from is unchanged.

A page asks several questions of the same rows (the scores on a standard, a school's roster): those rows
are computed once per connection and scope, and every question then reads them. They are dropped when
the data fingerprint changes: the data version (bumped by every write through lib) plus row counts and the
assessments' hash, so most rows written around lib are noticed too.

The data version is read again (~1 ms) only after a write through lib in this process (store marks it
with `changed`) or once FRESH_S has passed; the whole fingerprint (~3 ms, most of it planning seven counts) only
when the version moved or FRESH_S passed since it was last taken. So a page's ten questions ask nothing
of the database to know their kept rows are current, and a write around lib is noticed within FRESH_S.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from lib import queries

queries.define(
    "kept_fingerprint",
    # One UNION ALL (numbered: its rows may come in any order) plans faster than seven scalar subqueries.
    """SELECT 1 AS k, max(value)::VARCHAR AS v FROM meta WHERE key = 'data_version'
       UNION ALL SELECT 2, count(*)::VARCHAR FROM points_overall
       UNION ALL SELECT 3, count(*)::VARCHAR FROM scores
       UNION ALL SELECT 4, count(*)::VARCHAR FROM enrollments
       UNION ALL SELECT 5, count(*)::VARCHAR FROM students
       UNION ALL SELECT 6, count(*)::VARCHAR FROM sections
       UNION ALL SELECT 7, sum(hash(t))::VARCHAR FROM assessments t""",
)

queries.define("kept_data_version", "SELECT max(value) FROM meta WHERE key = 'data_version'")

T = TypeVar("T")
MAX_TABLES = 12  # per connection and namespace, most recently used kept
FRESH_S = 1.0  # how long a taken fingerprint (or read data version) is trusted without a write through lib
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_VERSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # con -> (epoch, read at, data version)
_LOCK = threading.RLock()
# Moved on by every write through lib in this process (store.transaction, store.bump_data_version): until
# it moves, or FRESH_S passes, the data version read last is still the data version.
_EPOCH = [0]


def changed() -> None:
    """Note a write through lib (committed or rolled back): the data version is read again at its next use."""
    with _LOCK:
        _EPOCH[0] += 1


def fingerprint(con: duckdb.DuckDBPyConnection) -> tuple:
    """What the kept rows were computed from (~2 ms at district size)."""
    cur = con.cursor()
    try:
        return tuple(sorted(cur.execute(queries.QUERIES["kept_fingerprint"]).fetchall()))
    finally:
        cur.close()


def _data_version(con: duckdb.DuckDBPyConnection):
    cur = con.cursor()
    try:
        return cur.execute(queries.QUERIES["kept_data_version"]).fetchall()[0][0]
    finally:
        cur.close()


def data_version(con: duckdb.DuckDBPyConnection):
    """The data version (bumped by every write through lib), read again after such a write or FRESH_S."""
    with _LOCK:
        epoch = _EPOCH[0]
        hit = _VERSIONS.get(con)
        if hit is not None and hit[0] == epoch and time.monotonic() - hit[1] < FRESH_S:
            return hit[2]
    # The epoch was taken before the read: a write committing meanwhile moves it on, so this is read again.
    read_at = time.monotonic()
    version = _data_version(con)
    with _LOCK:
        _VERSIONS[con] = (epoch, read_at, version)
    return version


def current(con: duckdb.DuckDBPyConnection) -> dict:
    """This connection's kept rows, emptied when the data they were computed from changed."""
    version = data_version(con)
    with _LOCK:
        kept = _CACHE.get(con)
        if kept is not None and kept["version"] == version and time.monotonic() - kept["taken"] < FRESH_S:
            return kept
    fp = fingerprint(con)
    with _LOCK:
        kept = _CACHE.get(con)
        if kept is None or kept["fingerprint"] != fp:
            kept = {"fingerprint": fp}
            _CACHE[con] = kept
        # The version read with the fingerprint (its first part), not the one read before it.
        kept.update(version=dict(fp)[1], taken=time.monotonic())
        return kept


def arrow(con: duckdb.DuckDBPyConnection, name: str, params: dict, tables: dict | None = None) -> pa.Table:
    """A named query's rows as an Arrow table, with `tables` visible to it by name."""
    cur = con.cursor()
    try:
        for table_name, table in (tables or {}).items():
            cur.register(table_name, table)
        return cur.sql(queries.QUERIES[name], params=params).to_arrow_table()
    finally:
        cur.close()


def get(space: dict, key, compute: Callable[[], T]) -> T:
    """The rows kept in `space` (one namespace of `current(con)`) for `key`, computed when missing."""
    with _LOCK:
        if key in space:
            space[key] = space.pop(key)  # most recent last
            return space[key]
        result = compute()
        space[key] = result
        while len(space) > MAX_TABLES:
            space.pop(next(iter(space)))
        return result


def table(con: duckdb.DuckDBPyConnection, namespace: str, key, compute: Callable[[], T]) -> T:
    """The rows kept for `key` in `namespace` (an Arrow table, a frame...), computed (and kept) when missing."""
    with _LOCK:
        return get(current(con).setdefault(namespace, {}), key, compute)


# Catalogues: parameter-free questions whose answer depends only on the data (the sidebar's filter options,
# teacher names, school years...), over tables that every lib write to them marks by bumping the data
# version. Every page asks some of them; kept, they cost a dictionary lookup instead of a query.
LOOKUPS = frozenset({"filter_options", "teacher_names", "trends_school_years", "trends_kinds"})


def lookup(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """A catalogue's rows (one of LOOKUPS), kept while the data is unchanged; the caller gets its own copy."""
    if name not in LOOKUPS:
        raise ValueError(f"{name!r} is not a catalogue")
    return table(con, "lookups", name, lambda: queries.run(con, name)).copy()


def query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """A named query's rows: a catalogue from what is kept, any other question run afresh."""
    if not params and name in LOOKUPS:
        return lookup(con, name)
    return queries.run(con, name, **params)


def run(con: duckdb.DuckDBPyConnection, name: str, reads: dict[str, pa.Table], params: dict) -> pd.DataFrame:
    """Run a named question over kept tables (registered under their names) with its parameters."""
    cur = con.cursor()
    try:
        for table_name, t in reads.items():
            cur.register(table_name, t)
        sql = queries.QUERIES[name]
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}  # DuckDB refuses unused ones
        return cur.execute(sql, params).df() if params else cur.execute(sql).df()
    finally:
        cur.close()
