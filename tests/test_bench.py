"""bench/: the recording of each page's data calls and the pandas baseline, on the demo school.

The district run takes ~20 minutes and is not part of the suite (its figures are in bench/RESULTS.md);
this checks on the demo that every page and tab is recorded without an exception, that the recorded calls
name what each page's baseline needs, and that the baseline and the app compute the same numbers.
"""

from __future__ import annotations

import os
import pickle
import shutil

import pytest
import streamlit as st

from bench import pandas_baseline as pb
from bench import run
from lib import store, ui


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, demo_db_file):
    """The demo's recorded calls per view (as `bench/run.py --phase record` makes them) and a database copy."""
    folder = tmp_path_factory.mktemp("bench")
    db = folder / "demo.duckdb"
    shutil.copy(demo_db_file, db)
    saved_env = os.environ.get("PLC_LENS_DB")
    saved = ui._cached_call, ui._cached_query, ui._shared_call
    try:
        result = run.phase_record(db, folder / "calls.pkl")
    finally:
        ui._cached_call, ui._cached_query, ui._shared_call = saved
        if saved_env is None:
            os.environ.pop("PLC_LENS_DB", None)
        else:
            os.environ["PLC_LENS_DB"] = saved_env
        st.cache_data.clear()
        st.cache_resource.clear()
    # The app's connection held the file: the checks read a copy.
    check_db = folder / "check.duckdb"
    shutil.copy(demo_db_file, check_db)
    return result, pickle.loads((folder / "calls.pkl").read_bytes()), check_db, folder


def test_every_page_and_tab_is_recorded_without_an_exception(recorded):
    result, calls, _, _ = recorded
    assert result["errors"] == {}
    for page in run.page_files():
        assert page in calls
    for page in run.TAB_KEYS:
        tabs = [v for v in calls if v.startswith(page + " · ")]
        assert len(tabs) >= 3, page
        assert page + run.ALL_TABS in calls


@pytest.mark.parametrize("stem", sorted(pb.PAGES))
def test_the_baseline_computes_the_numbers_the_app_shows(recorded, stem):
    """Each page's pandas baseline runs on what its recorded calls looked at and, where the benchmark checks
    numbers, gives the app's own."""
    _, calls, check_db, folder = recorded
    parquet = folder / "parquet"
    if not parquet.exists():
        pb.export_parquet(check_db, parquet)
    page = next(p for p in run.page_files() if p.endswith(stem + ".py"))
    params = pb.params_from_calls(calls[page])  # as phase_pandas and phase_check read them
    result = pb.PAGES[stem](pb.load(parquet, pb.TABLES_NEEDED[stem]), params)
    if stem in pb.CHECKED:
        con = store.connect(check_db, read_only=True)
        try:
            assert pb.summary(result, stem) == pb.app_summary(con, stem, params)
        finally:
            con.close()
