"""The team meeting page on the demo school, run as the app runs it (AppTest from app.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lib import meeting, privacy, store
from tests.conftest import app_pointed_at, demo_copy, open_tab
from tests.test_meeting import demo_frames, pandas_roster, pandas_scores  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/2_Team_meeting.py"


@pytest.fixture(scope="module")
def demo_app(demo_db_file, tmp_path_factory):
    """The app pointed at one copy of the demo store for this module (caches stay warm between tests)."""
    path = demo_copy(demo_db_file, tmp_path_factory.mktemp("team_page"))
    with app_pointed_at(path):
        yield path


def open_page(**params):
    """Run the team meeting page with URL parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_is_the_teams_latest_and_matches_pandas(demo_app, demo_frames):  # noqa: F811
    at = open_page(grade="3", subject="Math")
    aid = "A2026-3-M-f07"
    assert at.selectbox(key="team_assessment").value == aid
    assert at.query_params["assessment"] == aid
    _, _, overall = pandas_scores(demo_frames, aid)
    roster = pandas_roster(demo_frames, aid)
    proficient = int((overall["score"] >= 0.8).sum())
    m = metrics(at)
    assert m["Proficient (≥ 80%)"] == f"{proficient / len(overall):.0%}"
    assert m["Students assessed"] == str(len(overall))
    assert m["Not assessed"] == str(len(set(roster.index) - set(overall.index)))
    items = demo_frames["items"][demo_frames["items"]["assessment_id"] == aid]
    assert m["Items · standards"] == f"{len(items)} · {items['standard_code'].nunique()}"
    text = " ".join(md.value for md in at.markdown)
    assert f"**{proficient} of {len(overall)}**" in text
    # The not-assessed students are named behind the expander.
    missing = len(set(roster.index) - set(overall.index))
    assert any(e.label.startswith(f"Not assessed: {missing} students") for e in at.expander)
    # Grid, groups, items and growth tabs are all there.
    assert [t.label for t in at.tabs] == ["Students × standards", "Who needs time and support", "Item analysis",
                                           "Growth"]
    open_tab(at, "team_tab", "Who needs time and support")
    downloads = [b.label for b in at.get("download_button")]
    assert "Download CSV" in downloads and "Download XLSX" in downloads and "Printable view (HTML)" in downloads


def test_grid_lists_every_assessed_student_with_real_names(demo_app, demo_frames):  # noqa: F811
    at = open_page(grade="3", subject="Math")
    _, std, overall = pandas_scores(demo_frames, "A2026-3-M-f07")
    grids = [df.value for df in at.dataframe if "Overall" in df.value.columns]
    assert grids, "no student grid"
    grid = grids[0]
    assert len(grid) == len(overall)
    first = demo_frames["students"].set_index("student_id").loc[overall.index[0]]
    assert f"{first['first_name']} {first['last_name']}" in set(grid["Student"])


def test_picking_an_assessment_with_a_wrong_key(demo_app):
    at = open_page(grade="3", subject="Math")
    at.selectbox(key="team_assessment").set_value("A2025-3-M-b02").run()
    assert not at.exception
    assert at.query_params["assessment"] == "A2025-3-M-b02"
    open_tab(at, "team_tab", "Item analysis")
    errors = [e.value for e in at.error]
    assert any(msg.startswith("Item 3 ") and "check the key" in msg for msg in errors)


def test_link_with_assessment_reproduces_the_view(demo_app):
    at = open_page(grade="3", subject="Math", assessment="A2025-3-M-b02")
    assert at.selectbox(key="team_assessment").value == "A2025-3-M-b02"


def test_a_link_from_another_page_wins_over_the_last_choice(demo_app):
    at = open_page(grade="3", subject="Math")
    at.selectbox(key="team_assessment").select_index(1).run()
    first = at.selectbox(key="team_assessment").value
    assert at.query_params["assessment"] == first
    at.query_params["assessment"] = "A2025-3-M-b02"      # e.g. the Standards page linking here
    at.switch_page(PAGE)
    at.run()
    assert at.selectbox(key="team_assessment").value == "A2025-3-M-b02"
    at.selectbox(key="team_assessment").set_value(first).run()
    assert at.selectbox(key="team_assessment").value == first


def test_notable_differences_are_framed_as_learning(demo_app, demo_db_file):
    # Find a recent CFA where some class differs notably (the demo gives teachers strengths and gaps).
    con = store.connect(demo_db_file, read_only=True)
    try:
        found = None
        for aid in meeting.assessment_options(con, date_from=dt.date(2026, 8, 1))["assessment_id"]:
            notable = meeting.notable_differences(meeting.teacher_vs_team(con, aid))
            if set(notable["difference"]) == {"notably higher", "notably lower"}:
                found = aid
                break
    finally:
        con.close()
    assert found, "the demo should have a CFA with a notably higher and a notably lower class"
    at = open_page(assessment=found)
    assert at.selectbox(key="team_assessment").value == found
    ideas = [s.value for s in at.success]
    assert any("What did they try" in s for s in ideas)
    asks = [w.value for w in at.warning]
    assert any("Which of the team's strategies could help" in w for w in asks)
    assert at.radio(key="team_compare_standard").value == "All standards"


def test_meeting_mode_uses_pseudonyms_and_teacher_letters(demo_app):
    at = open_page(grade="3", subject="Math", meeting="1")
    # On a projector the grid is a large static table.
    grid = [t.value for t in at.table if "Overall" in t.value.columns][0]
    assert all(name.split()[0] in privacy.ADJECTIVES for name in grid["Student"])
    assert set(grid["Class"]) <= {f"Teacher {c}" for c in "ABCDE"}
    # Opening a profile from the grid: the link carries an opaque token, never the id.
    picker = at.selectbox(key="team_grid_open")
    picker.select_index(0).run()
    assert not at.exception
    links = [pl.proto for pl in at.get("page_link") if "profile" in pl.proto.label]
    assert links and "Student" in links[0].page
    assert "student=t-" in links[0].query_string and "S1" not in links[0].query_string


def test_teacher_filter_narrows_student_views(demo_app):
    at = open_page(grade="3", subject="Math", teacher="T0030")
    assert at.toggle(key="team_only_class").value is True
    grid = [df.value for df in at.dataframe if "Overall" in df.value.columns][0]
    assert set(grid["Class"]) == {"Ms. Patel"} or len(set(grid["Class"])) == 1
    at.toggle(key="team_only_class").set_value(False).run()
    grid = [df.value for df in at.dataframe if "Overall" in df.value.columns][0]
    assert len(set(grid["Class"])) > 1


def test_growth_and_items_tabs_have_content(demo_app):
    at = open_page(grade="3", subject="Math")
    open_tab(at, "team_tab", "Growth")
    assert at.selectbox(key="team_growth_standard").options == ["3.MD.B.3", "3.MD.B.4"]
    assert "most recent earlier assessment" in " ".join(c.value for c in at.caption)
    open_tab(at, "team_tab", "Item analysis")
    assert "Discrimination" in " ".join(c.value for c in at.caption)


def test_empty_store_says_what_to_do(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("No common assessment" in i.value for i in at.info)


# --- a vendor scale-score test (NWEA MAP): levels, not points -----------------------------------------

@pytest.fixture
def map_app(tmp_path):
    """A store holding two MAP Growth terms (fall and winter) for three grade-3 students with a teacher."""
    from tests.formats_util import map_two_terms

    path = map_two_terms(tmp_path / "map.duckdb")
    with app_pointed_at(path):
        yield path


def test_scale_score_test_shows_vendor_levels_not_points(map_app):
    """The MAP winter test reads in RIT, percentiles and NWEA's words: no 'cut 100%' anywhere, the levels
    chart instead of points, the grid in '210 · 55th pct · Avg' cells and growth in RIT."""
    at = open_page()
    title = at.selectbox(key="team_assessment").format_func(at.selectbox(key="team_assessment").value)
    assert "Winter" in title  # the newest test someone took (scale results count as taken)
    m = metrics(at)
    # Winter percentiles 55, 54, 77: all three at or above 50.
    assert m["Proficient (vendor level)"] == "100%" and m["Students assessed"] == "3"
    text = " ".join(x.value for x in at.markdown) + " ".join(x.value for x in at.caption)
    assert "100%" not in " ".join(x.value for x in at.caption) and "≥" not in " ".join(m)
    assert "vendor's levels" in text
    grid = [df.value for df in at.dataframe if "Overall" in df.value.columns][0]
    assert len(grid) == 3
    assert grid["Overall"].iloc[0] == "197 · 54th pct · Avg"       # lowest RIT first (188 + 9)
    goal = [c for c in grid.columns if "Operations and Algebraic" in c][0]
    assert set(grid[goal]) == {"210 · Avg", "197 · Low", "224 · Hi"}
    open_tab(at, "team_tab", "Growth")
    growth = [df.value for df in at.dataframe if "Average change" in df.value.columns]
    assert growth and set(growth[0]["Average change"]) == {"+9 RIT"}
    open_tab(at, "team_tab", "Item analysis")
    assert any("no item analysis" in i.value for i in at.info)


def test_scale_levels_hand_worked(map_app):
    """Students per NWEA goal adjective on the fall test: Avg and above count as proficient."""
    con = store.connect(map_app, read_only=True)
    try:
        aid = store.fetch_value(con, "SELECT assessment_id FROM assessments WHERE title LIKE '%Fall%'")
        lv = meeting.scale_levels(con, aid)
    finally:
        con.close()
    overall = lv[lv["standard_code"] == meeting.OVERALL]
    # Fall percentiles 50, 49, 72 (quintiles Avg, Avg, HiAvg): the cut of 50 splits 'Avg', so it says which part.
    assert dict(zip(overall["level"], overall["proficient"])) == {
        "Avg (below the cut)": False, "Avg (at or above the cut)": True, "HiAvg": True}
    assert list(overall["students"]) == [1, 1, 1]
    assert overall["pct"].iat[0] == pytest.approx(2 / 3)
    oat = lv[lv["standard_code"].str.contains("Operations and Algebraic")]
    assert list(oat["level"]) == ["Low", "Avg", "Hi"]            # below first, then the vendor's order
    assert list(oat["proficient"]) == [False, True, True] and oat["pct"].iat[0] == pytest.approx(2 / 3)
    geo = lv[lv["standard_code"].str.contains("Geometry")]
    assert dict(zip(geo["level"], geo["proficient"])) == {"LoAvg": False, "Avg": True}
    assert dict(zip(geo["level"], geo["students"])) == {"LoAvg": 1, "Avg": 2}


@pytest.fixture(scope="module")
def two_schools(tmp_path_factory):
    """A generated store with two schools (a small district)."""
    from lib import demo

    path = tmp_path_factory.mktemp("two_schools") / "two.duckdb"
    con = store.connect(path)
    demo.load(con, demo.DemoConfig(students=800, seed=11, years=(2026,)))
    schools = sorted(store.fetch_df(con, "SELECT DISTINCT school FROM students")["school"])
    aid = meeting.default_assessment(meeting.assessment_options(con))
    first = meeting.headline(con, aid, schools[0])
    everyone = meeting.headline(con, aid)
    con.close()
    assert len(schools) == 2 and 0 < first["assessed"] < everyone["assessed"]
    with app_pointed_at(path):
        yield schools, aid, first, everyone


def test_several_schools_open_on_one_schools_team(two_schools):
    """A team meeting is one school's team: with several schools it opens on the first, says so, and
    keeps "All" (the whole district's grade) as a choice that then sticks."""
    schools, aid, first, everyone = two_schools
    at = open_page()
    assert at.selectbox(key="filter_school").value == schools[0]
    assert at.query_params["school"] == schools[0]
    assert any(f"Showing the team at {schools[0]}" in c.value for c in at.caption)
    assert at.selectbox(key="team_assessment").value == aid
    assert metrics(at)["Students assessed"] == str(first["assessed"])
    at.selectbox(key="filter_school").set_value("All").run()
    assert not at.exception
    assert at.selectbox(key="filter_school").value == "All"
    assert not any("Showing the team at" in c.value for c in at.caption)
    assert metrics(at)["Students assessed"] == str(everyone["assessed"])
    at.switch_page(PAGE).run()
    assert at.selectbox(key="filter_school").value == "All"
