"""Scale-score results: the views' 1/0 representation, the roster, the mapping, replacement, undo, scale."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from lib import meeting, standards_explorer, store
from lib.formats import scale
from tests.formats_util import assessments, load, pages_work

HEAD = ("TermName,StudentID,SchoolName,Subject,Course,TestName,TestStartDate,TestRITScore,TestPercentile,"
        "Goal1Name,Goal1RitScore,Goal1Adjective,Goal2Name,Goal2RitScore,Goal2Adjective\n")


def map_file(rows: list[tuple]) -> str:
    """A MAP AssessmentResults file: (student, RIT, percentile, goal 1 adjective, goal 2 adjective) per row."""
    return HEAD + "".join(f"Fall 2026-2027,{s},Oak,Mathematics,Math K-12,Growth: Math 2-5,9/10/2026,{rit},{pct},"
                          f"Geometry,{rit},{a1},Number and Operations,{rit},{a2}\n" for s, rit, pct, a1, a2 in rows)


ROSTER = ("Student ID,First Name,Last Name,Grade,Teacher,Section,Subject\n"
          "S1,Ana,Lopez,3,Ms. Kim,K3,Math\nS2,Ben,Ode,3,Ms. Kim,K3,Math\nS3,Cho,Park,3,Mr. Fox,F3,Math\n"
          "S4,Dee,Ray,3,Mr. Fox,F3,Math\n")


@pytest.fixture
def mapped(con):
    """A roster of four grade-3 students in two Math sections and a MAP test taken by three of them."""
    load(con, ("roster.csv", ROSTER))
    load(con, ("map.csv", map_file([("S1", 205, 60, "Avg", "Low"), ("S2", 190, 35, "HiAvg", "LoAvg"),
                                    ("S3", 199, 50, "Lo", "Hi")])))
    return con


def test_views_give_1_or_0_of_1_and_the_cut_is_1(mapped):
    con = mapped
    a = assessments(con).iloc[0]
    assert (a["grade_level"], a["proficiency_cut"], a["kind"]) == ("3", 1.0, "benchmark")
    o = store.fetch_df(con, "SELECT student_id, earned, possible, score, n_items FROM v_overall_scores ORDER BY 1")
    assert o.values.tolist() == [["S1", 1.0, 1.0, 1.0, 1], ["S2", 0.0, 1.0, 0.0, 1], ["S3", 1.0, 1.0, 1.0, 1]]
    s = store.fetch_df(con, "SELECT student_id, standard_code, score FROM v_standard_scores ORDER BY 1, 2")
    assert s.values.tolist() == [["S1", "MAP Math: Geometry", 1.0], ["S1", "MAP Math: Number and Operations", 0.0],
                                 ["S2", "MAP Math: Geometry", 1.0], ["S2", "MAP Math: Number and Operations", 0.0],
                                 ["S3", "MAP Math: Geometry", 0.0], ["S3", "MAP Math: Number and Operations", 1.0]]
    r = store.fetch_df(con, "SELECT student_id, teacher_id, assessed FROM v_assessment_roster ORDER BY 1")
    assert r.values.tolist() == [["S1", "ms-kim", True], ["S2", "ms-kim", True], ["S3", "mr-fox", True],
                                 ["S4", "mr-fox", False]]


def test_team_meeting_on_a_scale_assessment(mapped):
    con = mapped
    aid = assessments(con)["assessment_id"].iat[0]
    out = pages_work(con, aid)
    h = out["headline"]
    assert (h["assessed"], h["proficient"], h["not_assessed"], h["on_roster"]) == (3, 2, 1, 4)
    assert meeting.not_assessed(con, aid)["student_id"].tolist() == ["S4"]
    bs = out["by_standard"].set_index("standard_code")
    assert bs.loc["MAP Math: Geometry", ["students", "proficient", "n_items"]].tolist() == [3, 2, 1]
    assert out["items"].empty  # no items to analyse: vendor scale results
    levels = out["levels"]
    overall = levels[levels["is_overall"]][["vendor_level", "students", "proficient"]]
    assert overall.values.tolist() == [["LoAvg", 1, False], ["Avg", 2, True]]  # ordered by the vendor's rank
    res = scale.scale_results(con, aid).set_index(["student_id", "standard_code"])
    assert res.loc[("S1", "Overall"), ["scale_score", "percentile", "vendor_level"]].tolist() == [205, 60, "Avg"]
    info = scale.assessment_scale(con, aid)
    assert (info["vendor"], info["vendor_label"], info["scale_name"], info["students"]) == \
        ("nwea_map", "NWEA MAP", "RIT", 3)
    assert scale.is_scale(con, aid) and not scale.is_scale(con, "nope")


def test_standards_explorer_on_scale_results(mapped):
    con = mapped
    s = standards_explorer.summary(con, ("MAP Math: Geometry",))
    assert s[["students", "proficient"]].values.tolist() == [[3, 2]]
    ny = standards_explorer.not_yet_proficient(con, ("MAP Math: Geometry",))
    assert ny["student_id"].tolist() == ["S3"]


def test_a_result_nothing_decides_is_not_counted_and_is_listed(con):
    load(con, ("map.csv", map_file([("S1", 205, 60, "Avg", "Sometimes"), ("S2", 190, 35, "Avg", "Avg")])))
    s = store.fetch_df(con, "SELECT student_id, standard_code FROM v_standard_scores ORDER BY 1, 2")
    assert ("S1", "MAP Math: Number and Operations") not in set(zip(s["student_id"], s["standard_code"]))
    u = scale.unmapped_levels(con)
    assert u[["vendor", "scope", "level", "undecided"]].values.tolist() == [["nwea_map", "standard", "Sometimes", 1]]
    scale.set_level(con, "nwea_map", "standard", "Sometimes", False, rank=2)
    assert scale.unmapped_levels(con).empty
    assert store.fetch_value(con, "SELECT count(*) FROM v_standard_scores") == 4


def test_corrected_file_replaces_and_undo_restores(con):
    first = load(con, ("map.csv", map_file([("S1", 205, 60, "Avg", "Low"), ("S2", 190, 35, "Avg", "Low")])))[0]
    second = load(con, ("map_fixed.csv", map_file([("S2", 201, 55, "Avg", "Low")])))[0]
    assert store.fetch_df(con, "SELECT student_id, scale_score FROM scores WHERE standard_code IS NULL "
                               "ORDER BY 1").values.tolist() == [["S1", 205.0], ["S2", 201.0]]
    store.undo_import(con, second.import_id)
    assert store.fetch_df(con, "SELECT student_id, scale_score FROM scores WHERE standard_code IS NULL "
                               "ORDER BY 1").values.tolist() == [["S1", 205.0], ["S2", 190.0]]
    store.undo_import(con, first.import_id)
    assert store.fetch_value(con, "SELECT count(*) FROM scores") == 0
    assert store.fetch_value(con, "SELECT count(*) FROM scores_replaced") == 0
    c = store.counts(con)
    assert (c["assessments"], c["items"], c["students"], c["standards"]) == (0, 0, 0, 0)


def test_undoing_the_first_of_two_imports_keeps_what_the_second_still_uses(con):
    first = load(con, ("a.csv", map_file([("S1", 205, 60, "Avg", "Low")])))[0]
    second = load(con, ("b.csv", map_file([("S2", 190, 35, "Avg", "Low")])))[0]
    assert len(assessments(con)) == 1
    store.undo_import(con, first.import_id)
    assert len(assessments(con)) == 1 and store.counts(con)["items"] == 2
    assert store.fetch_df(con, "SELECT student_id FROM students")["student_id"].tolist() == ["S2"]
    assert store.fetch_df(con, "SELECT DISTINCT student_id FROM v_overall_scores")["student_id"].tolist() == ["S2"]
    store.undo_import(con, second.import_id)
    c = store.counts(con)
    assert (c["assessments"], c["items"], c["students"]) == (0, 0, 0)
    assert store.fetch_value(con, "SELECT count(*) FROM scale_assessments") == 0


def test_scale_results_on_the_demo_school_roster(demo_con):
    con = demo_con
    kids = store.fetch_df(con, """SELECT s.student_id FROM students s WHERE s.grade_level = '3'
                                  ORDER BY s.student_id LIMIT 30""")["student_id"].tolist()
    rows = [(k, 180 + i, (i * 7) % 100, "Avg" if i % 2 else "LoAvg", "HiAvg") for i, k in enumerate(kids)]
    r = load(con, ("map_demo.csv", map_file(rows)))[0]
    assert (r.status, r.rows_loaded) == ("loaded", 30)
    a = assessments(con)
    aid = a[a["is_scale"]]["assessment_id"].iat[0]
    assert a[a["is_scale"]]["grade_level"].iat[0] == "3"  # the grade on file (no grade column)
    out = pages_work(con, aid)
    expected_prof = sum(1 for _, _, p, _, _ in rows if p >= 50)
    grade3_math = store.fetch_value(con, """SELECT count(DISTINCT e.student_id) FROM enrollments e
                                            JOIN sections s USING (section_id)
                                            WHERE s.subject = 'Math' AND s.grade_level = '3'
                                              AND coalesce(s.starts_on, DATE '2026-09-10') <= DATE '2026-09-10'
                                              AND coalesce(s.ends_on, DATE '2026-09-10') >= DATE '2026-09-10'""")
    h = out["headline"]
    assert (h["assessed"], h["proficient"]) == (30, expected_prof)
    assert h["on_roster"] == grade3_math and h["not_assessed"] == grade3_math - 30
    tvt = out["teacher_vs_team"]
    assert set(tvt["standard_code"]) == {meeting.ALL_STANDARDS, "MAP Math: Geometry", "MAP Math: Number and Operations"}
    # The demo's own assessments are untouched by the new views.
    other = a[~a["is_scale"]]["assessment_id"].iat[0]
    n = store.fetch_value(con, "SELECT count(*) FROM v_overall_scores WHERE assessment_id = ?", [other])
    m = store.fetch_value(con, "SELECT count(DISTINCT student_id) FROM responses WHERE assessment_id = ?", [other])
    assert n == m


def test_views_stay_fast_with_a_district_of_scale_results(con):
    """200,000 scale results (40,000 students, overall + 4 domains): one assessment's scores in well under a second."""
    n = 40_000
    rng = np.random.default_rng(1)
    ids = [f"S{i}" for i in range(n)]
    grade = [str(3 + i % 3) for i in range(n)]
    aid = {g: f"a_{g}" for g in "345"}
    rows = []
    for code in [None, "D1", "D2", "D3", "D4"]:
        rows.append(pd.DataFrame({"assessment_id": [aid[g] for g in grade], "student_id": ids, "standard_code": code,
                                  "scale_score": rng.integers(150, 250, n).astype(float),
                                  "percentile": rng.integers(1, 99, n).astype(float),
                                  "vendor_level": rng.choice(["Low", "Avg", "High"], n), "vendor": "nwea_map",
                                  "import_id": 1}))
    df = pd.concat(rows)
    con.register("_big", df)
    con.execute("""INSERT INTO scores (assessment_id, student_id, standard_code, scale_score, percentile, vendor_level,
                   vendor, import_id) SELECT * FROM _big""")
    con.unregister("_big")
    t = time.perf_counter()
    o = store.fetch_df(con, "SELECT count(*) AS n, sum(score) AS k FROM v_overall_scores WHERE assessment_id = 'a_3'")
    s = store.fetch_df(con, "SELECT count(*) AS n FROM v_standard_scores WHERE assessment_id = 'a_3'")
    elapsed = time.perf_counter() - t
    assert o["n"].iat[0] == len([g for g in grade if g == "3"]) and s["n"].iat[0] == 4 * o["n"].iat[0]
    assert elapsed < 2.0
