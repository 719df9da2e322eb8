"""Exact copies of stored data for tests that prove an operation changed nothing (or everything back)."""

from __future__ import annotations

from lib import store


def snapshot(con) -> dict[str, list[str]]:
    """Every row of every data table (store.data_snapshot's tables), read with fetchall.

    Unlike a DataFrame round trip, a missing value always reads as None here, whatever else the
    column holds (pandas shows a NULL grade as None or nan depending on the other rows), and it is
    fast enough for hundreds of hypothesis examples.
    """
    cur = con.cursor()
    try:
        return {t: sorted(map(repr, cur.execute(f"SELECT * FROM {t}").fetchall()))
                for t in store.DIMENSION_TABLES + store.FACT_TABLES + store.SNAPSHOT_EXTRA}
    finally:
        cur.close()
