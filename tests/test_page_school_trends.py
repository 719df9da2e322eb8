"""The School trends page under AppTest: on the demo school, in meeting mode, and on stores that lack parts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st

from lib import store, trends
from tests import trends_fixtures as tf
from tests.conftest import app_pointed_at, demo_copy, every_tab, open_tab

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/4_School_trends.py"


@pytest.fixture(scope="module")
def demo_app(demo_db_file, tmp_path_factory):
    """The app pointed at one copy of the demo store for this module (caches stay warm between tests)."""
    path = demo_copy(demo_db_file, tmp_path_factory.mktemp("trends_page"))
    with app_pointed_at(path):
        yield path


def open_page(script: str = PAGE, **params):
    """Run a page as the app runs it (app.py is the entry point, so page links resolve)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    for k, v in params.items():
        at.query_params[k] = v
    if script != "app.py":
        at.switch_page(script)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_text(at) -> str:
    """Every table and dataframe on the page as CSV text."""
    parts = []
    for kind in ("dataframe", "table"):
        for el in getattr(at, kind, []):
            try:
                parts.append(el.value.to_csv())
            except Exception:  # noqa: BLE001 - a styled table exposes its data differently
                parts.append(str(el.value))
    return "\n".join(parts)


def test_first_screen_answers_with_the_right_numbers(demo_app, demo_db_file):
    at = open_page()
    con = store.connect(demo_db_file, read_only=True)
    try:
        lo, hi = trends.school_year_bounds(trends.school_years(con)[0])
        head = trends.headline(con, kinds=trends.default_kinds(con), date_from=lo, date_to=hi).set_index("subject")
    finally:
        con.close()
    m = metrics(at)
    for subject, r in head.iterrows():
        assert m[f"{subject}: proficient now"] == f"{r['pct_proficient']:.0%}"
    assert "Biggest rise" in m and "Biggest drop" in m
    assert len(at.tabs) == 6
    assert not at.error
    assert every_tab(at, "trends_tab")[-1] == "Early warning & goals"
    assert not at.error


def test_all_years_shows_growth_and_drill_down_reaches_named_students(demo_app, demo_db_file):
    at = open_page()
    at.selectbox(key="trends_year").set_value("2025-26").run()
    assert not at.exception
    open_tab(at, "trends_tab", "Growth")
    assert not [i for i in at.info if "Growth needs" in i.value]
    assert "Students with both" in table_text(at)
    open_tab(at, "trends_tab", "Drill down")
    at.selectbox(key="trends_drill_grade").set_value("3").run()
    teachers = at.selectbox(key="trends_drill_teacher").options
    assert len(teachers) == 6  # All classes + 5 teachers
    at.selectbox(key="trends_drill_teacher").set_value(at.selectbox(key="trends_drill_teacher").options[1]).run()
    assert not at.exception
    assert any("students" in h.value for h in at.markdown if h.value.startswith("####"))
    con = store.connect(demo_db_file, read_only=True)
    try:
        names = store.fetch_df(con, "SELECT first_name || ' ' || last_name AS n FROM students")["n"]
    finally:
        con.close()
    text = table_text(at)
    assert sum(n in text for n in names) >= 5


def test_meeting_mode_drill_down_shows_pseudonyms(demo_app, demo_db_file):
    at = open_page(meeting="1")
    at.selectbox(key="trends_year").set_value("2025-26").run()
    open_tab(at, "trends_tab", "Drill down")
    at.selectbox(key="trends_drill_grade").set_value("3").run()
    options = at.selectbox(key="trends_drill_teacher").options
    assert any(re.fullmatch(r"Teacher [A-E]", o) for o in options)
    at.selectbox(key="trends_drill_teacher").set_value(at.selectbox(key="trends_drill_teacher").options[1]).run()
    assert not at.exception
    con = store.connect(demo_db_file, read_only=True)
    try:
        last = store.fetch_df(con, "SELECT DISTINCT last_name FROM students")["last_name"]
    finally:
        con.close()
    text = table_text(at)
    assert not [n for n in last if re.search(rf"\b{n}\b", text)]
    assert re.search(r"[A-Z][a-z]+ [A-Z][a-z]+ \d\d", text)  # "Swift Otter 42"


def test_kinds_and_filters_narrow_the_page(demo_app):
    at = open_page(subject="Math", grade="4")
    at.multiselect(key="trends_kinds").set_value(["formative"]).run()
    assert not at.exception
    assert list(metrics(at))[0] == "Math: proficient now"


def sparse_db(tmp_path: Path, builder) -> Path:
    path = tmp_path / "sparse.duckdb"
    con = store.connect(path)
    builder(con)
    con.close()
    return path


# Page runs are the slow part of the suite: the stores that exercise different page branches. (One
# standard and no attendance change nothing on these pages; the lib tests cover them.)
PAGE_KINDS = ("no items (results per standard)", "no teachers", "one assessment", "a single student")
STORES = {**{k: (lambda c, kw=tf.SPARSE_KINDS[k]: tf.sparse_store(c, **kw)) for k in PAGE_KINDS},
          "imported long CSV (one standard per subject, no items, no sections)": None,
          "empty": lambda c: c}


@pytest.mark.parametrize("kind", list(STORES))
def test_page_works_on_stores_that_lack_parts(kind, tmp_path, monkeypatch):
    builder = STORES[kind] or (lambda c: tf.imported_long_csv(c, tmp_path))
    path = sparse_db(tmp_path, builder)
    monkeypatch.setenv("PLC_LENS_DB", str(path))
    monkeypatch.setenv("PLC_LENS_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        for script in ("app.py", PAGE):
            at = open_page(script)
            assert not at.error, [e.value for e in at.error]
        every_tab(at, "trends_tab")
        assert not at.error, [e.value for e in at.error]
        open_tab(at, "trends_tab", "What changed")
        if kind == "empty":
            assert any("No assessment results" in i.value for i in at.info)
        else:
            assert [m for m in metrics(at) if m.endswith("proficient now")]
        if kind in ("one assessment",):
            assert any("no trend yet" in i.value for i in at.info)
        if kind == "no teachers":
            open_tab(at, "trends_tab", "Drill down")
            at.selectbox(key="trends_drill_grade").set_value("4").run()
            assert not at.exception
            assert any("No class rosters" in i.value for i in at.info)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_early_warning_and_goal_summaries(demo_app, monkeypatch):
    """Goals by status show at once; risk bands after one click (the model trains once), from lib.risk."""
    import pandas as pd

    from lib import risk

    pred = pd.DataFrame({"student_id": ["a", "b", "c"], "subject": "Math", "band": ["high", "low", "low"],
                         "school": "x", "grade_level": "3"})

    class Result:
        predictions = pred

    monkeypatch.setattr(risk, "_CACHE", {})
    monkeypatch.setattr(risk, "cached_build", lambda con, *a, **k: Result())
    at = open_page()
    assert not any(b.label == "Count students by risk band" for b in at.button)  # a closed tab: not drawn
    open_tab(at, "trends_tab", "Early warning & goals")
    assert any(b.label == "Count students by risk band" for b in at.button)
    goal_tables = [t for t in at.table if "Status" in str(t.value)] + \
        [d for d in at.dataframe if "Status" in d.value.columns]
    assert goal_tables
    at.button(key="trends_ew_go").click().run()
    assert not at.exception
    ew = [d.value for d in at.dataframe if "High" in d.value.columns]
    assert ew and ew[0].set_index("Subject").loc["Math", "High"] == 1
