"""Team meeting numbers: hand-worked tiny stores, and an independent pandas computation on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import meeting, stats, store

AID = "A1"


def insert(con, table: str, rows: list[tuple]) -> None:
    """Insert literal rows into a table (columns in table order up to the tuple length)."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()][: len(rows[0])]
    marks = ", ".join("?" * len(cols))
    con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)
    if table in ("responses", "items", "sections", "enrollments", "assessments", "scores"):
        store.refresh_points(con)  # as every import does (stored scores and rosters)


def add_responses(con, aid: str, table: dict[str, list], letters: dict[str, list] | None = None) -> None:
    """Responses from {student: [points per item 1..n]} (None = no response row) with optional answers."""
    rows = []
    for sid, pts in table.items():
        for i, p in enumerate(pts, start=1):
            if p is not None:
                rows.append((aid, sid, str(i), float(p), (letters or {}).get(sid, [None] * len(pts))[i - 1], 1))
    insert(con, "responses", rows)


@pytest.fixture
def tiny(con):
    """A hand-worked grade 3 maths team.

    Assessment A1 (cut 0.8): items 1, 2, 5 -> standard X (1 point each), item 3 -> Y (2 points),
    item 4 -> no standard (1 point). Teacher T1 teaches s1-s4, T2 teaches s5 and s7 (s7 absent);
    s8 took it without being enrolled and belongs to another school.

        student  i1 i2 i3 i4 i5   overall      X         Y
        s1        1  1  2  1  1   6/6=1.00   3/3=1.00  2/2=1.0
        s2        1  0  1  1  0   3/6=0.50   1/3=0.33  1/2=0.5
        s3        1  1  1  0  1   4/6=0.67   3/3=1.00  1/2=0.5
        s4        0  1  2  1  1   5/6=0.83   2/3=0.67  2/2=1.0
        s5        1  1  2  0  0   4/6=0.67   2/3=0.67  2/2=1.0
        s8        0  0  0  0  0   0          0         0
    """
    insert(con, "students", [(f"s{i}", f"First{i}", f"Last{i}", "3", "North" if i != 8 else "South")
                             for i in range(1, 9)])
    insert(con, "teachers", [("T1", "Ms. One", None, False), ("T2", "Mr. Two", None, False)])
    insert(con, "sections", [("S1", "T1", "Math 3", "Math", "3", "2026-27", "2026-08-01", "2027-06-01", "North"),
                             ("S2", "T2", "Math 3", "Math", "3", "2026-27", "2026-08-01", "2027-06-01", "North")])
    insert(con, "enrollments", [("s1", "S1"), ("s2", "S1"), ("s3", "S1"), ("s4", "S1"), ("s5", "S2"),
                                ("s7", "S2"), ("s6", "S2")])
    # s6 and s7 are enrolled with T2 and were absent: two students not assessed.
    insert(con, "standards", [("X", "Math", "3", "Skill X"), ("Y", "Math", "3", "Skill Y")])
    insert(con, "assessments", [(AID, "CFA 1", "Math", "3", "formative", "2026-10-01", 0.8)])
    insert(con, "items", [(AID, "1", "X", 1.0, "A", 1), (AID, "2", "X", 1.0, "B", 2), (AID, "3", "Y", 2.0, None, 3),
                          (AID, "4", None, 1.0, "C", 4), (AID, "5", "X", 1.0, "D", 5)])
    add_responses(con, AID, {"s1": [1, 1, 2, 1, 1], "s2": [1, 0, 1, 1, 0], "s3": [1, 1, 1, 0, 1],
                             "s4": [0, 1, 2, 1, 1], "s5": [1, 1, 2, 0, 0], "s8": [0, 0, 0, 0, 0]},
                  letters={"s1": ["A", "B", None, "C", "D"], "s2": ["A", "C", None, "C", "A"],
                           "s3": ["A", "B", None, "A", "D"], "s4": ["B", "B", None, "C", "D"],
                           "s5": ["A", "B", None, "B", "C"], "s8": ["C", "D", None, "A", "B"]})
    return con


# --- headline ----------------------------------------------------------------------------------

def test_headline_hand_worked(tiny):
    h = meeting.headline(tiny, AID)
    # Proficient: s1 (1.00) and s4 (0.83); s3/s5 at 0.67 are not. Not assessed: s6 and s7.
    assert (h["assessed"], h["proficient"], h["not_assessed"], h["on_roster"]) == (6, 2, 2, 8)
    assert h["pct"] == pytest.approx(2 / 6)
    assert (h["lo"], h["hi"]) == pytest.approx(stats.wilson_interval(2, 6))
    assert h["mean_score"] == pytest.approx((1 + 0.5 + 4 / 6 + 5 / 6 + 4 / 6 + 0) / 6)


def test_headline_school_filter_excludes_other_school(tiny):
    h = meeting.headline(tiny, AID, "North")
    assert (h["assessed"], h["proficient"], h["not_assessed"]) == (5, 2, 2)


def test_not_assessed_are_named_with_teacher(tiny):
    df = meeting.not_assessed(tiny, AID)
    assert list(df["student_id"]) == ["s6", "s7"]
    assert set(df["teacher_id"]) == {"T2"}
    assert list(df["last_name"]) == ["Last6", "Last7"]


@pytest.mark.parametrize(
    "earned, possible, cut, proficient",
    [
        ([4], [5], 0.8, True),             # exactly at the cut counts as proficient
        ([3.5], [5], 0.8, False),
        ([7], [10], 0.7, True),            # 0.7 exactly (benchmark cut)
        ([2, 2], [3, 2], 0.8, True),       # 4/5 over two items of different weight
        ([1, 1], [2, 1], 0.7, False),      # 2/3 = 0.667 < 0.7
        ([0.5, 1.5], [1, 1.5], 0.8, True), # fractional points: 2/2.5 = 0.8
    ],
)
def test_proficiency_at_the_cut(con, earned, possible, cut, proficient):
    insert(con, "students", [("p1", "A", "B", "3", "North")])
    insert(con, "assessments", [("P", "t", "Math", "3", "formative", "2026-10-01", cut)])
    insert(con, "items", [("P", str(i + 1), "Z", float(p), None, i + 1) for i, p in enumerate(possible)])
    add_responses(con, "P", {"p1": earned})
    h = meeting.headline(con, "P")
    assert h["assessed"] == 1
    assert h["proficient"] == int(proficient)
    assert meeting.by_standard(con, "P")["proficient"].iat[0] == int(proficient)


def test_nobody_assessed_gives_no_percentage(con):
    insert(con, "assessments", [("E", "empty", "Math", "3", "formative", "2026-10-01", 0.8)])
    insert(con, "items", [("E", "1", "X", 1.0, None, 1)])
    h = meeting.headline(con, "E")
    assert h["assessed"] == 0 and np.isnan(h["pct"])


# --- by standard -------------------------------------------------------------------------------

def test_by_standard_hand_worked(tiny):
    df = meeting.by_standard(tiny, AID).set_index("standard_code")
    assert list(df.index) == ["X", "Y"]   # in item order
    x, y = df.loc["X"], df.loc["Y"]
    # X: 1, 1/3, 1, 2/3, 2/3, 0 -> proficient s1, s3; levels: Exceeds 2, Approaching 2 (>= 0.6), Beginning 2.
    assert (x["n_items"], x["students"], x["proficient"], bool(x["thin"])) == (3, 6, 2, False)
    assert (x["n_beginning"], x["n_approaching"], x["n_meets"], x["n_exceeds"]) == (2, 2, 0, 2)
    assert x["pct"] == pytest.approx(2 / 6)
    assert x["mean_score"] == pytest.approx((1 + 1 / 3 + 1 + 2 / 3 + 2 / 3 + 0) / 6)
    # Y: one 2-point item -> thin evidence; 1, .5, .5, 1, 1, 0 -> 3 of 6.
    assert (y["n_items"], y["students"], y["proficient"], bool(y["thin"])) == (1, 6, 3, True)
    assert (y["n_beginning"], y["n_exceeds"]) == (3, 3)
    assert (y["lo"], y["hi"]) == pytest.approx(stats.wilson_interval(3, 6))


def test_levels_follow_editable_cuts(tiny):
    # With "approaching" 0.4 below the cut, 1/3 (X for s2) becomes Beginning still, 0.67 Approaching;
    # with exceeds from 1.01 nobody exceeds.
    df = meeting.by_standard(tiny, AID, gap=0.5, exceeds=1.01).set_index("standard_code")
    assert (df.loc["X", "n_beginning"], df.loc["X", "n_approaching"], df.loc["X", "n_meets"]) == (1, 3, 2)
    assert df.loc["X", "n_exceeds"] == 0


def test_standard_axis_label_marks_thin_evidence():
    assert meeting.standard_axis_label("X", 3) == "X · 3 items"
    assert meeting.standard_axis_label("Y", 1) == "Y · 1 item ⚠ thin"


# --- teacher vs team ---------------------------------------------------------------------------

def test_teacher_vs_team_hand_worked(tiny):
    tv = meeting.teacher_vs_team(tiny, AID, min_n=1).set_index(["standard_code", "teacher_id"])
    # T1 on X: s1..s4 -> 1, 1/3, 1, 2/3 -> 2 of 4; rest of team = s5 (0.67) and s8 (0) -> 0 of 2.
    r = tv.loc[("X", "T1")]
    assert (r["n"], r["k"], r["rest_n"], r["rest_k"]) == (4, 2, 2, 0)
    assert (r["lo"], r["hi"]) == pytest.approx(stats.wilson_interval(2, 4))
    assert (r["rest_lo"], r["rest_hi"]) == pytest.approx(stats.wilson_interval(0, 2))
    assert pd.isna(r["difference"])          # (0.15, 0.85) overlaps (0, 0.66)
    # Overall: T1 proficient s1, s4 of 4; T2 has only s5 (not proficient).
    assert tuple(tv.loc[("All standards", "T1"), ["n", "k"]]) == (4, 2)
    assert tuple(tv.loc[("All standards", "T2"), ["n", "k", "rest_n", "rest_k"]]) == (1, 0, 5, 2)
    # The unenrolled s8 is in the rest of the team but never a class of their own.
    assert set(tv.index.get_level_values("teacher_id")) == {"T1", "T2"}
    assert list(tv.index.get_level_values("standard_code"))[:2] == ["All standards", "All standards"]


def test_teacher_vs_team_suppresses_small_groups(tiny):
    tv = meeting.teacher_vs_team(tiny, AID)   # min 5: every class here is smaller
    assert tv["suppressed"].all()
    assert tv[["pct", "lo", "hi", "rest_pct", "k", "rest_k"]].isna().all().all()
    assert tv["difference"].isna().all()
    assert (tv["n"] > 0).all()                # the size stays visible: never silently dropped


def big_team(con, strong: int, weak: int, n_each: int = 20) -> None:
    """Three classes of n_each on one 1-item standard: T1 `strong` proficient, T2 `weak`, T3 half."""
    insert(con, "teachers", [("T1", "A", None, False), ("T2", "B", None, False), ("T3", "C", None, False)])
    insert(con, "assessments", [("B", "CFA", "Math", "3", "formative", "2026-10-01", 0.8)])
    insert(con, "items", [("B", "1", "X", 1.0, None, 1)])
    students, enroll, sections, resp = [], [], [], {}
    for t, k in (("T1", strong), ("T2", weak), ("T3", n_each // 2)):
        sections.append((f"S{t}", t, "m", "Math", "3", "y", "2026-08-01", "2027-06-01", "N"))
        for i in range(n_each):
            sid = f"{t}-{i}"
            students.append((sid, "F", "L", "3", "N"))
            enroll.append((sid, f"S{t}"))
            resp[sid] = [1 if i < k else 0]
    insert(con, "students", students)
    insert(con, "sections", sections)
    insert(con, "enrollments", enroll)
    add_responses(con, "B", resp)


def test_notably_higher_and_lower_only_without_overlap(con):
    big_team(con, strong=19, weak=2)
    tv = meeting.teacher_vs_team(con, "B").set_index(["standard_code", "teacher_id"])
    # T1 19/20 = (0.764, 0.991) vs rest 12/40 = (0.181, 0.454): no overlap.
    assert tv.loc[("X", "T1"), "difference"] == "notably higher"
    assert tv.loc[("X", "T2"), "difference"] == "notably lower"
    assert pd.isna(tv.loc[("X", "T3"), "difference"])
    assert tv.loc[("X", "T1"), "rest_pct"] == pytest.approx(12 / 40)
    notable = meeting.notable_differences(tv.reset_index())
    assert list(notable["difference"]) == ["notably higher", "notably higher", "notably lower", "notably lower"]


def test_close_results_are_not_called_notable(con):
    big_team(con, strong=14, weak=8)
    tv = meeting.teacher_vs_team(con, "B")
    # 14/20 (0.48, 0.85) vs 18/40 (0.31, 0.60) overlap: a gap of 25 points is within the uncertainty.
    assert tv["difference"].isna().all()


def test_teacher_matrix_cells():
    tv = pd.DataFrame({"standard_code": ["X", "X"], "teacher_id": ["T1", "T2"], "n": [20, 3], "k": [19, None],
                       "pct": [0.95, np.nan], "suppressed": [False, True], "difference": ["notably higher", None]})
    m = meeting.teacher_matrix(tv, {"T1": "Teacher A", "T2": "Teacher B"}).set_index("Class")
    assert m.loc["Teacher A", "X"] == "95% of 20 ▲"
    assert m.loc["Teacher B", "X"].startswith("hidden")


def test_teacher_matrix_keeps_teachers_who_share_a_name_apart():
    """A district has two Ms Lees: the matrix keeps one row each (it used to fail to pivot)."""
    tv = pd.DataFrame({"standard_code": ["X", "X"], "teacher_id": ["T1", "T2"], "n": [20, 10], "k": [10, 5],
                       "pct": [0.5, 0.5], "suppressed": [False, False], "difference": [None, None]})
    m = meeting.teacher_matrix(tv, {"T1": "Ms Lee", "T2": "Ms Lee"})
    assert len(m) == 2 and list(m["X"]) == ["50% of 20", "50% of 10"]


# --- grid and groups ---------------------------------------------------------------------------

def test_student_scores_and_grid(tiny):
    sc = meeting.student_scores(tiny, AID)
    s4 = sc[sc["student_id"] == "s4"].set_index("standard_code")
    assert s4.loc["X", "score"] == pytest.approx(2 / 3) and s4.loc["X", "level"] == "Approaching"
    assert s4.loc["Y", "level"] == "Exceeds"
    assert s4.loc["X", "overall"] == pytest.approx(5 / 6) and s4.loc["X", "overall_level"] == "Meets"
    wide = meeting.grid_wide(sc, ["X", "Y"])
    assert list(wide["student_id"]) == ["s8", "s2", "s3", "s5", "s4", "s1"]   # lowest overall first
    assert wide.set_index("student_id").loc["s2", "X"] == pytest.approx(1 / 3)
    assert "s6" not in set(wide["student_id"])                               # not assessed: not in the grid


def test_groups_split_at_the_cut(tiny):
    g = meeting.groups(meeting.student_scores(tiny, AID))
    x = g[g["standard_code"] == "X"]
    assert set(x.loc[x["group"] == meeting.INTERVENTION, "student_id"]) == {"s2", "s4", "s5", "s8"}
    assert set(x.loc[x["group"] == meeting.EXTENSION, "student_id"]) == {"s1", "s3"}
    # Intervention group first, weakest first.
    assert list(x["student_id"])[:2] == ["s8", "s2"]


def test_groups_html_is_escaped_and_printable():
    table = pd.DataFrame({"standard_code": ["X", "X"], "group": [meeting.INTERVENTION, meeting.EXTENSION],
                          "student": ["<b>Ann</b>", "=cmd()"], "teacher": ["T", "T"], "score": [0.5, 1.0],
                          "level": ["Beginning", "Exceeds"]})
    out = meeting.groups_html(table, "Groups & more", "sub", descriptions={"X": "Add <fractions>"})
    assert "X: Add &lt;fractions&gt;" in out
    assert "&lt;b&gt;Ann&lt;/b&gt;" in out and "<b>Ann</b>" not in out
    assert "@media print" in out and "page-break-after" in out
    assert "Groups &amp; more" in out and "50%" in out


# --- item analysis -----------------------------------------------------------------------------

def test_item_analysis_hand_worked(tiny):
    items = meeting.item_analysis(tiny, AID).set_index("item")
    pts = pd.DataFrame({"s1": [1, 1, 2, 1, 1], "s2": [1, 0, 1, 1, 0], "s3": [1, 1, 1, 0, 1],
                        "s4": [0, 1, 2, 1, 1], "s5": [1, 1, 2, 0, 0], "s8": [0, 0, 0, 0, 0]},
                       index=["1", "2", "3", "4", "5"]).T
    possible = pd.Series([1, 1, 2, 1, 1], index=pts.columns)
    total = pts.sum(axis=1)
    for item in pts.columns:
        assert items.loc[item, "difficulty"] == pytest.approx((pts[item] / possible[item]).mean())
        expected = np.corrcoef(pts[item], total - pts[item])[0, 1]
        assert items.loc[item, "discrimination"] == pytest.approx(expected)
    assert items.loc["1", "difficulty"] == pytest.approx(4 / 6)
    assert items.loc["3", "difficulty"] == pytest.approx(4 / 6)     # 2,1,1,2,2,0 of 2 points


def test_distractors_hand_worked(tiny):
    d = meeting.distractors(tiny, AID)
    one = d[d["item"] == "1"].set_index("response")
    assert dict(one["students"]) == {"A": 4, "B": 1, "C": 1}
    assert one.loc["A", "share"] == pytest.approx(4 / 6) and bool(one.loc["A", "is_key"])
    # Rest-of-test score of those who chose B (s4: 5 of the other 5 points).
    assert one.loc["B", "rest_score"] == pytest.approx(5 / 5)
    assert set(d["item"]) == {"1", "2", "4", "5"}                  # item 3 has no recorded answers
    m = meeting.distractor_matrix(d).set_index("item")
    assert m.loc["1", "A"] == "✓ 67%" and m.loc["1", "B"] == "17%"


def test_wrong_key_is_flagged(con):
    """Strong students all answer B, the key says A: negative discrimination and 'check the key'."""
    insert(con, "assessments", [("K", "t", "Math", "3", "formative", "2026-10-01", 0.8)])
    insert(con, "items", [("K", str(i), "X", 1.0, "A" if i == 1 else "C", i) for i in range(1, 6)])
    strong = {f"h{i}": ([0, 1, 1, 1, 1], ["B", "C", "C", "C", "C"]) for i in range(6)}
    weak = {f"w{i}": ([1, 0, 0, 0, 1 if i % 2 else 0], ["A", "D", "D", "D", "C" if i % 2 else "B"])
            for i in range(6)}
    both = {**strong, **weak}
    insert(con, "students", [(s, "F", "L", "3", "N") for s in both])
    add_responses(con, "K", {s: v[0] for s, v in both.items()}, letters={s: v[1] for s, v in both.items()})
    items = meeting.item_analysis(con, "K").set_index("item")
    assert items.loc["1", "discrimination"] < 0
    assert "check the key" in items.loc["1", "flag"]
    assert items.loc["1", "likely_key"] == "B"
    assert "high scorers chose B" in items.loc["1", "flag"]
    assert pd.isna(items.loc["2", "flag"]) or "key" not in items.loc["2", "flag"]


@pytest.mark.parametrize("right, flag", [(0, "too hard"), (1, "too hard"), (20, "too easy"), (10, None)])
def test_difficulty_flags(con, right, flag):
    insert(con, "assessments", [("D", "t", "Math", "3", "formative", "2026-10-01", 0.8)])
    insert(con, "items", [("D", "1", "X", 1.0, None, 1), ("D", "2", "X", 1.0, None, 2)])
    students = {f"s{i}": [1 if i < right else 0, i % 2] for i in range(20)}
    insert(con, "students", [(s, "F", "L", "3", "N") for s in students])
    add_responses(con, "D", students)
    got = meeting.item_analysis(con, "D").set_index("item").loc["1", "flag"]
    if flag is None:
        assert pd.isna(got) or ("too" not in got)
    else:
        assert flag in got


# --- growth ------------------------------------------------------------------------------------

def test_growth_uses_most_recent_earlier_assessment(tiny):
    con = tiny
    insert(con, "assessments", [("OLD", "older", "Math", "3", "formative", "2026-08-20", 0.8),
                                ("PREV", "previous", "Math", "3", "benchmark", "2026-09-10", 0.7),
                                ("LATER", "later", "Math", "3", "formative", "2026-11-01", 0.8)])
    insert(con, "items", [("OLD", "1", "X", 1.0, None, 1), ("PREV", "1", "X", 1.0, None, 1),
                          ("PREV", "2", "Z", 1.0, None, 2), ("LATER", "1", "X", 1.0, None, 1)])
    add_responses(con, "OLD", {"s1": [1], "s2": [1]})
    add_responses(con, "PREV", {"s1": [0, 1], "s2": [1, 1], "s6": [1, 0], "s9": [1, 1]})
    add_responses(con, "LATER", {"s1": [1]})
    src = meeting.growth_sources(con, AID)
    assert list(src["standard_code"]) == ["X"]                 # Y was never measured before
    assert src["prev_assessment_id"].iat[0] == "PREV"
    rows = meeting.growth_students(con, AID).set_index("student_id")
    # s1: 0 -> 1.0 (became proficient); s2: 1 -> 1/3 (slipped); s6 absent now; s9 not on the team.
    assert rows.loc["s1", "before"] == 0 and rows.loc["s1", "now"] == 1.0
    assert bool(rows.loc["s2", "before_proficient"]) and not bool(rows.loc["s2", "now_proficient"])
    assert pd.isna(rows.loc["s6", "now"]) and rows.loc["s6", "before"] == 1
    assert "s9" not in rows.index
    summary = meeting.growth_summary(rows.reset_index(), src).iloc[0]
    assert (summary["matched"], summary["became_proficient"], summary["slipped"]) == (2, 1, 1)
    assert summary["before_n"] == 3 and summary["before_pct"] == pytest.approx(2 / 3)   # s1 0, s2 1, s6 1
    assert summary["now_n"] == 6 and summary["now_pct"] == pytest.approx(2 / 6)
    assert summary["mean_change"] == pytest.approx(((1 - 0) + (1 / 3 - 1)) / 2)


def test_no_growth_without_earlier_assessment(tiny):
    assert meeting.growth_sources(tiny, AID).empty
    assert meeting.growth_students(tiny, AID).empty
    assert meeting.growth_summary(meeting.growth_students(tiny, AID), meeting.growth_sources(tiny, AID)).empty


# --- assessments -------------------------------------------------------------------------------

def test_assessment_options_and_default(tiny):
    insert(tiny, "assessments", [("NEW", "not given yet", "Math", "3", "formative", "2026-12-01", 0.8),
                                 ("ELA", "ela", "ELA", "3", "formative", "2026-10-05", 0.8)])
    opts = meeting.assessment_options(tiny, grade="3", subject="math")
    assert list(opts["assessment_id"]) == ["NEW", AID]
    # The newest assessment nobody has taken is skipped for the default.
    assert meeting.default_assessment(opts) == AID
    assert list(meeting.assessment_options(tiny, standard="Y")["assessment_id"]) == [AID]
    assert meeting.assessment_options(tiny, grade="4").empty
    import datetime as dt
    assert list(meeting.assessment_options(tiny, date_from=dt.date(2026, 10, 2))["assessment_id"]) == ["NEW", "ELA"]
    info = meeting.assessment_info(tiny, AID)
    assert (info["n_items"], info["points"], info["n_standards"], info["cut"]) == (5, 6.0, 2, 0.8)


# --- the demo school against an independent pandas computation ------------------------------------

@pytest.fixture(scope="module")
def demo_frames(demo_db_file):
    """Raw demo tables in pandas (read once), for computing the meeting numbers another way."""
    import duckdb

    c = duckdb.connect(str(demo_db_file), read_only=True)
    try:
        names = ["students", "sections", "enrollments", "assessments", "items"]
        frames = {t: c.execute(f"SELECT * FROM {t}").df() for t in names}
        frames["responses"] = c.execute(
            "SELECT * FROM responses WHERE assessment_id IN ('A2026-3-M-f07', 'A2025-3-M-b02', 'A2026-3-M-b01')"
        ).df()
    finally:
        c.close()
    return frames


def pandas_scores(fr, aid):
    """Per student and standard scores, and overall scores, computed in pandas."""
    r = fr["responses"][fr["responses"]["assessment_id"] == aid].merge(
        fr["items"][fr["items"]["assessment_id"] == aid], on=["assessment_id", "item"])
    std = r.dropna(subset=["standard_code"]).groupby(["student_id", "standard_code"]).agg(
        earned=("points_earned", "sum"), possible=("points_possible", "sum")).reset_index()
    std["score"] = std["earned"] / std["possible"]
    overall = r.groupby("student_id").agg(earned=("points_earned", "sum"), possible=("points_possible", "sum"))
    overall["score"] = overall["earned"] / overall["possible"]
    return r, std, overall


def pandas_roster(fr, aid):
    """Expected students (enrolled in a matching section on the date) with their teacher."""
    a = fr["assessments"].set_index("assessment_id").loc[aid]
    s = fr["sections"]
    day = pd.Timestamp(a["administered_on"])
    ok = (s["subject"].str.lower() == a["subject"].lower()) & (s["grade_level"] == a["grade_level"]) \
        & (pd.to_datetime(s["starts_on"]) <= day) & (pd.to_datetime(s["ends_on"]) >= day)
    e = fr["enrollments"].merge(s[ok], on="section_id")
    return e.groupby("student_id")["teacher_id"].min()


@pytest.mark.parametrize("aid", ["A2026-3-M-f07", "A2025-3-M-b02"])
def test_demo_matches_pandas(demo_con, demo_frames, aid):
    fr = demo_frames
    cut = fr["assessments"].set_index("assessment_id").loc[aid, "proficiency_cut"]
    _, std, overall = pandas_scores(fr, aid)
    roster = pandas_roster(fr, aid)
    # Headline.
    h = meeting.headline(demo_con, aid)
    assert h["assessed"] == len(overall)
    assert h["proficient"] == int((overall["score"] >= cut).sum())
    assert h["not_assessed"] == len(set(roster.index) - set(overall.index))
    # By standard.
    bys = meeting.by_standard(demo_con, aid).set_index("standard_code")
    exp = std.groupby("standard_code").agg(students=("score", "size"),
                                           proficient=("score", lambda s: int((s >= cut).sum())),
                                           mean_score=("score", "mean"))
    n_items = fr["items"][fr["items"]["assessment_id"] == aid].groupby("standard_code").size()
    assert set(bys.index) == set(exp.index)
    for code, row in exp.iterrows():
        assert bys.loc[code, "students"] == row["students"]
        assert bys.loc[code, "proficient"] == row["proficient"]
        assert bys.loc[code, "mean_score"] == pytest.approx(row["mean_score"])
        assert bys.loc[code, "n_items"] == n_items[code]
    # Teacher vs rest of team.
    tv = meeting.teacher_vs_team(demo_con, aid, min_n=1).set_index(["standard_code", "teacher_id"])
    scored = std.merge(roster.rename("teacher_id"), left_on="student_id", right_index=True, how="left")
    for (code, tid), g in scored.dropna(subset=["teacher_id"]).groupby(["standard_code", "teacher_id"]):
        team = scored[scored["standard_code"] == code]
        rest = team[team["teacher_id"] != tid]
        row = tv.loc[(code, tid)]
        assert (row["n"], row["k"]) == (len(g), int((g["score"] >= cut).sum()))
        assert (row["rest_n"], row["rest_k"]) == (len(rest), int((rest["score"] >= cut).sum()))


def test_demo_items_match_pandas(demo_con, demo_frames):
    aid = "A2025-3-M-b02"
    r, _, _ = pandas_scores(demo_frames, aid)
    total = r.groupby("student_id")["points_earned"].sum()
    r = r.assign(total=r["student_id"].map(total))
    items = meeting.item_analysis(demo_con, aid).set_index("item")
    for item, g in r.groupby("item"):
        assert items.loc[item, "difficulty"] == pytest.approx((g["points_earned"] / g["points_possible"]).mean())
        expected = np.corrcoef(g["points_earned"], g["total"] - g["points_earned"])[0, 1]
        assert items.loc[item, "discrimination"] == pytest.approx(expected)
    # The demo's grade 3 MOY benchmark has a wrong key on item 3: the page must say so.
    assert "check the key" in items.loc["3", "flag"]
    flagged = items[items["flag"].fillna("").str.contains("check the key")]
    assert list(flagged.index) == ["3"]


def test_demo_growth_matches_pandas(demo_con, demo_frames):
    aid, prev = "A2026-3-M-f07", "A2026-3-M-b01"
    src = meeting.growth_sources(demo_con, aid)
    assert set(src["prev_assessment_id"]) == {prev}
    _, now, _ = pandas_scores(demo_frames, aid)
    _, before, _ = pandas_scores(demo_frames, prev)
    roster = set(pandas_roster(demo_frames, aid).index) | set(now["student_id"])
    both = now.merge(before, on=["student_id", "standard_code"], suffixes=("_now", "_before"))
    both = both[both["student_id"].isin(roster)]
    summary = meeting.growth_summary(meeting.growth_students(demo_con, aid), src).set_index("standard_code")
    for code, g in both.groupby("standard_code"):
        assert summary.loc[code, "matched"] == len(g)
        assert summary.loc[code, "mean_change"] == pytest.approx((g["score_now"] - g["score_before"]).mean())
        assert summary.loc[code, "matched_now_pct"] == pytest.approx((g["score_now"] >= 0.8).mean())
        assert summary.loc[code, "matched_before_pct"] == pytest.approx((g["score_before"] >= 0.7).mean())


def test_demo_default_is_the_teams_latest(demo_con):
    opts = meeting.assessment_options(demo_con, grade="3", subject="Math")
    assert meeting.default_assessment(opts) == "A2026-3-M-f07"
    latest = opts[opts["n_responses"] > 0]["administered_on"].max()
    assert meeting.assessment_info(demo_con, "A2026-3-M-f07")["administered_on"] == latest
