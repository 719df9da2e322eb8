"""The Standards page under AppTest: on the demo school, in meeting mode, and on stores that lack parts."""

from __future__ import annotations

import re

import pytest
import streamlit as st

from lib import standards_explorer as se
from lib import store, trends
from tests import trends_fixtures as tf
from tests.conftest import app_pointed_at, demo_copy, every_tab, open_tab
from tests.test_page_school_trends import STORES, metrics, open_page, sparse_db, table_text

PAGE = "pages/5_Standards.py"


@pytest.fixture(scope="module")
def demo_app(demo_db_file, tmp_path_factory):
    """The app pointed at one copy of the demo store for this module (caches stay warm between tests)."""
    path = demo_copy(demo_db_file, tmp_path_factory.mktemp("standards_page"))
    with app_pointed_at(path):
        yield path


def expected_summary(demo_db_file, codes: tuple[str, ...]):
    con = store.connect(demo_db_file, read_only=True)
    try:
        lo, hi = trends.school_year_bounds(trends.school_years(con)[0])
        return (se.summary(con, codes, date_from=lo, date_to=hi).set_index("standard_code"),
                se.not_yet_proficient(con, codes, date_from=lo, date_to=hi))
    finally:
        con.close()


def test_a_standard_from_the_url(demo_app, demo_db_file):
    at = open_page(PAGE, standard="3.NF.A.1")
    summary, not_prof = expected_summary(demo_db_file, ("3.NF.A.1",))
    m = metrics(at)
    assert m["3.NF.A.1: proficient now"] == f"{summary.loc['3.NF.A.1', 'pct_proficient']:.0%}"
    assert m["Not yet proficient"] == f"{len(not_prof):,}"
    assert m["Students with a result"] == f"{int(summary.loc['3.NF.A.1', 'students']):,}"
    assert at.multiselect(key="standards_pick").value == ["3.NF.A.1"]
    assert len(at.tabs) == 5 and not at.error
    every_tab(at, "standards_tab")
    assert not at.error
    # Not-yet-proficient names are real outside meeting mode.
    open_tab(at, "standards_tab", "Not yet proficient")
    first = not_prof["first_name"].iat[0] + " " + not_prof["last_name"].iat[0]
    assert first in table_text(at)


def test_search_and_several_standards(demo_app, demo_db_file):
    at = open_page(PAGE, standard="3.NF.A.1")
    at.text_input(key="standards_search").input("fractions").run()
    options = at.multiselect(key="standards_pick").options
    assert len(options) >= 8
    at.multiselect(key="standards_pick").set_value(["3.NF.A.1", "3.NF.A.2"]).run()
    assert not at.exception
    summary, _ = expected_summary(demo_db_file, ("3.NF.A.1", "3.NF.A.2"))
    m = metrics(at)
    for code in ("3.NF.A.1", "3.NF.A.2"):
        assert m[f"{code}: proficient now"] == f"{summary.loc[code, 'pct_proficient']:.0%}"


def test_all_years_and_an_empty_year(demo_app):
    at = open_page(PAGE, standard="3.NF.A.1")
    at.selectbox(key="standards_year").set_value("All years").run()
    assert not at.exception and metrics(at)["Assessments"] != "2"
    at.selectbox(key="standards_year").set_value("2026-27").run()
    at.multiselect(key="standards_pick").set_value(["5.NF.A.1"]).run()
    assert not at.exception


def test_nothing_picked_lists_matches(demo_app):
    at = open_page(PAGE, standard="3.NF.A.1")
    at.multiselect(key="standards_pick").set_value([]).run()
    assert not at.exception
    assert any("standard(s) match" in md.value for md in at.markdown)


def test_meeting_mode_lists_pseudonyms(demo_app, demo_db_file):
    at = open_page(PAGE, standard="3.NF.A.1", meeting="1")
    _, not_prof = expected_summary(demo_db_file, ("3.NF.A.1",))
    open_tab(at, "standards_tab", "Not yet proficient")
    text = table_text(at)
    assert not [n for n in set(not_prof["last_name"]) if re.search(rf"\b{n}\b", text)]
    assert re.search(r"[A-Z][a-z]+ [A-Z][a-z]+ \d\d", text)


@pytest.mark.parametrize("kind", list(STORES))
def test_page_works_on_stores_that_lack_parts(kind, tmp_path, monkeypatch):
    builder = STORES[kind] or (lambda c: tf.imported_long_csv(c, tmp_path))
    path = sparse_db(tmp_path, builder)
    monkeypatch.setenv("PLC_LENS_DB", str(path))
    monkeypatch.setenv("PLC_LENS_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = open_page(PAGE)
        assert not at.error, [e.value for e in at.error]
        if kind == "empty":
            assert any("No standards yet" in i.value for i in at.info)
            return
        if not [m for m in metrics(at) if m.endswith("proficient now")]:
            # The newest year may hold nothing for the first standard: every year then shows it.
            at.selectbox(key="standards_year").set_value("All years").run()
            assert not at.exception
        assert [m for m in metrics(at) if m.endswith("proficient now")]
        every_tab(at, "standards_tab")
        assert not at.error, [e.value for e in at.error]
        if kind == "no items (results per standard)":
            open_tab(at, "standards_tab", "Items")
            assert any("loaded per standard" in i.value for i in at.info)
        if kind == "no teachers":
            open_tab(at, "standards_tab", "By teacher")
            assert any("No class rosters" in i.value for i in at.info)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


def test_a_vendor_goal_area_reads_in_levels(tmp_path):
    """A MAP goal area: the page shows the vendor's levels chart, and students not yet proficient carry their
    latest RIT and NWEA adjective, not '0%'."""
    from tests.formats_util import map_two_terms

    path = map_two_terms(tmp_path / "map.duckdb")
    con = store.connect(path, read_only=True)
    try:
        code = store.fetch_value(con, "SELECT DISTINCT standard_code FROM scores WHERE standard_code LIKE '%Geometry'")
        lv = se.levels(con, (code,))
    finally:
        con.close()
    # Winter Geometry adjectives (ROWS): S1 LoAvg, S2 Avg, S3 Avg -> one below, two at a proficient level.
    assert dict(zip(lv["level"], lv["students"])) == {"LoAvg": 1, "Avg": 2}
    assert lv["pct"].iat[0] == pytest.approx(2 / 3)
    with app_pointed_at(path):
        at = open_page("pages/5_Standards.py", standard=code, year="All years")
        assert any("vendor's levels" in m.value for m in at.markdown)
        open_tab(at, "standards_tab", "Not yet proficient")
        table = next(df.value for df in at.dataframe if "Latest level" in df.value.columns)
        assert list(table["Latest level"]) == ["210 · LoAvg"]      # S1: fall 201 + 9
