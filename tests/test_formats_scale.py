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


# --- the on-screen editor of the mapping (Import page) ----------------------------------------------

IREADY_HEAD = ("Last Name,First Name,Student ID,Student Grade,Academic Year,School,Completion Date,"
               "Overall Scale Score,Overall Placement,Overall Relative Placement,Percentile,"
               "Number and Operations Scale Score,Number and Operations Placement,"
               "Number and Operations Relative Placement\n")
# (student, overall placement, overall relative placement, domain placement, domain relative placement)
IREADY_ROWS = [("S1", "Early 3", "Early On Grade Level", "Early 3", "Early On Grade Level"),
               ("S2", "Mid 3", "Mid or Above Grade Level", "Mid 3", "Mid or Above Grade Level"),
               ("S3", "Grade 2", "1 Grade Level Below", "Early 3", "Early On Grade Level"),
               ("S4", "Mid 3", "Mid or Above Grade Level", "Grade 2", "1 Grade Level Below"),
               ("S5", "Grade 1", "2 Grade Levels Below", "Grade 1", "2 Grade Levels Below")]


def iready_file(rows=IREADY_ROWS) -> str:
    """A small i-Ready diagnostic file: one grade-3 Math test with an overall and a domain placement."""
    return IREADY_HEAD + "".join(f"L{s},F{s},{s},3,2026-2027,Oak,9/10/2026,450,{op},{orel},50,440,{dp},{drel}\n"
                                 for s, op, orel, dp, drel in rows)


@pytest.fixture
def iready_con(con):
    """Five grade-3 students with i-Ready Math placements (overall and Number and Operations)."""
    load(con, ("diagnostic_results_math.csv", iready_file()))
    return con


def edit(frame: pd.DataFrame, scope: str, level: str, proficient: bool) -> pd.DataFrame:
    """The editor's table with one box changed (the row must be there)."""
    after = frame.copy()
    hit = (after["scope"] == scope) & (after["level"] == level)
    assert hit.sum() == 1, (scope, level)
    after.loc[hit, "proficient"] = proficient
    return after


def flipped_by_pandas(before: pd.DataFrame, after: pd.DataFrame) -> set[tuple[str, str]]:
    """(student, result) pairs whose proficient value differs between two scale_results reads."""
    m = before.merge(after, on=["student_id", "standard_code"], suffixes=("_was", "_now"))
    assert len(m) == len(before) == len(after)
    word = {True: "yes", False: "no"}
    diff = m["proficient_was"].map(word).fillna("undecided") != m["proficient_now"].map(word).fillna("undecided")
    return set(zip(m.loc[diff, "student_id"], m.loc[diff, "standard_code"]))


NBT = "i-Ready Math: Number and Operations"


@pytest.mark.parametrize("scope,level,proficient,expected", [
    ("overall", "Mid or Above Grade Level", False, {("S2", "Overall"), ("S4", "Overall")}),
    ("overall", "1 Grade Level Below", True, {("S3", "Overall")}),
    ("standard", "Early On Grade Level", False, {("S1", NBT), ("S3", NBT)}),
    ("standard", "1 Grade Level Below", True, {("S4", NBT)}),
    ("overall", "On Grade Level", False, set()),  # a known word no file uses: saved, nobody changes
])
def test_level_edit_changes_exactly_the_expected_results(iready_con, scope, level, proficient, expected):
    con = iready_con
    aid = assessments(con)["assessment_id"].iat[0]
    frame = scale.level_editor_frame(con, "iready", everything=True)
    rules = scale.rules(con)
    before = scale.scale_results(con, aid)
    done = scale.save_mapping(con, frame, edit(frame, scope, level, proficient), rules, rules)
    after = scale.scale_results(con, aid)
    assert flipped_by_pandas(before, after) == expected
    assert (done["words"], done["rules"], done["results"]) == (1, 0, len(expected))
    assert done["students"] == len({s for s, _ in expected})
    assert (done["now_proficient"], done["no_longer"]) == ((len(expected), 0) if proficient else (0, len(expected)))
    assert done["proficient_after"] - done["proficient_before"] == (1 if proficient else -1) * len(expected)
    assert done["proficient_after"] == int(after["proficient"].sum()) == scale.proficient_count(con)
    m = scale.level_mapping(con)
    assert m[(m["vendor"] == "iready") & (m["scope"] == scope) & (m["level"] == level)]["proficient"].tolist() == \
        [proficient]


def test_editor_shows_the_words_on_file_with_their_counts(iready_con):
    f = scale.level_editor_frame(iready_con, "iready")
    assert f[["scope", "level", "results", "proficient", "mapped"]].values.tolist() == [
        ["overall", "2 Grade Levels Below", 1, False, True], ["overall", "1 Grade Level Below", 1, False, True],
        ["overall", "Early On Grade Level", 1, True, True], ["overall", "Mid or Above Grade Level", 2, True, True],
        ["standard", "2 Grade Levels Below", 1, False, True], ["standard", "1 Grade Level Below", 1, False, True],
        ["standard", "Early On Grade Level", 2, True, True], ["standard", "Mid or Above Grade Level", 1, True, True]]
    assert set(f["applies_to"]) == {"Whole test", "Domain, goal area or standard"}
    everything = scale.level_editor_frame(iready_con, "iready", everything=True)
    assert len(everything) > len(f) and "Tested Out" in set(everything["level"])
    assert scale.vendors_on_file(iready_con) == ["iready"]
    assert scale.scopes_on_file(iready_con, "iready") == ["overall", "standard"]
    assert scale.scopes_on_file(iready_con, "star") == []


def test_nothing_edited_saves_nothing(iready_con):
    con = iready_con
    frame, rules = scale.level_editor_frame(con, "iready"), scale.rules(con)
    version = store.data_version(con)
    done = scale.save_mapping(con, frame, frame.copy(), rules, rules.copy())
    assert (done["words"], done["rules"], done["results"]) == (0, 0, 0)
    assert store.data_version(con) == version


def test_an_undecided_word_is_listed_and_saved_as_shown(con):
    load(con, ("map.csv", map_file([("S1", 205, 60, "Avg", "Sometimes"), ("S2", 190, 35, "Avg", "Sometimes"),
                                    ("S3", 199, 50, "Lo", "Hi")])))
    f = scale.level_editor_frame(con, "nwea_map")
    new = f[~f["mapped"]]
    assert new[["scope", "level", "results", "proficient", "note"]].values.tolist() == [
        ["standard", "Sometimes", 2, False, "not decided yet"]]
    rules = scale.rules(con)
    done = scale.save_mapping(con, f, f.copy(), rules, rules)  # untouched: recorded as not proficient
    assert (done["words"], done["results"], done["students"], done["now_not_proficient"]) == (1, 2, 2, 2)
    assert (done["now_proficient"], done["no_longer"]) == (0, 0)
    assert scale.unmapped_levels(con).empty
    f2 = scale.level_editor_frame(con, "nwea_map")
    assert f2[f2["level"] == "Sometimes"][["mapped", "proficient"]].values.tolist() == [[True, False]]
    done = scale.save_mapping(con, f2, edit(f2, "standard", "Sometimes", True), rules, rules)
    assert (done["results"], done["now_proficient"]) == (2, 2)


def test_rule_edits_percentile_cut_and_a_blank_cut(mapped):
    con = mapped  # MAP overall: percentiles 60, 35, 50 with a cut of 50
    aid = assessments(con)["assessment_id"].iat[0]
    levels, rules = scale.level_editor_frame(con, "nwea_map"), scale.rules(con)
    overall = (rules["vendor"] == "nwea_map") & (rules["scope"] == "overall")
    lower = rules.copy()
    lower.loc[overall, "percentile_cut"] = 35.0
    done = scale.save_mapping(con, levels, levels, rules, lower)
    assert (done["rules"], done["results"], done["now_proficient"]) == (1, 1, 1)
    assert meeting.headline(con, aid)["proficient"] == 3
    cleared = lower.copy()
    cleared.loc[overall, "percentile_cut"] = None
    done = scale.save_mapping(con, levels, levels, lower, cleared)
    # No cut and no overall MAP level word: nothing decides the three tests any more.
    assert (done["results"], done["no_longer"], done["now_undecided"]) == (3, 3, 0)  # all three were proficient
    assert pd.isna(scale.rules(con).loc[overall, "percentile_cut"].iat[0])
    assert meeting.headline(con, aid)["assessed"] == 0
    assert set(scale.unmapped_levels(con)["scope"]) == {"overall"}


def test_a_blank_overall_share_is_the_default_not_a_change(con):
    rules = scale.rules(con)
    shown = rules.copy()
    shown["overall_share"] = shown["overall_share"].fillna(scale.DEFAULT_OVERALL_SHARE)
    assert scale.apply_rule_edits(con, rules, shown) == 0
    shown.loc[shown["vendor"] == "canvas", "overall_share"] = 0.5
    assert scale.apply_rule_edits(con, rules, shown) == 1
    assert scale.rules(con).set_index("vendor").at["canvas", "overall_share"] == 0.5


@pytest.mark.parametrize("vendor,scope,fields", [
    ("nwea_map", "overall", ("percentile_cut", "score_cut", "prefer_projected")),
    ("star", "overall", ("percentile_cut", "score_cut")), ("star", "standard", ("percentile_cut", "score_cut")),
    ("canvas", "overall", ("overall_share",)), ("canvas", "standard", ()),
])
def test_rule_fields(vendor, scope, fields):
    assert scale.rule_fields(vendor, scope) == fields
