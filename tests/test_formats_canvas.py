"""Canvas: Learning Mastery Gradebook (outcomes at mastery points) and the Gradebook export (points)."""

from __future__ import annotations

import pytest

from lib import meeting, standards_explorer, store
from lib.formats import canvas, scale
from tests.formats_util import FIXTURES, assessments, data_files, independent_headline, load, pages_work

MASTERY = (FIXTURES / "Outcomes-Grade_3_Math.csv").read_bytes()
GRADEBOOK = (FIXTURES / "canvas_gradebook.csv").read_text()


@pytest.mark.parametrize("title,code", [
    ("3.OA.A.1 Interpret products", ("3.OA.A.1", "Interpret products")),
    ("MGSE3.NBT.2 Add and subtract", ("MGSE3.NBT.2", "Add and subtract")),
    ("7.50.a Main idea", ("7.50.a", "Main idea")),
    ("RL.3.1: Ask and answer questions", ("RL.3.1", "Ask and answer questions")),
    ("Perseveres in problem solving", ("Perseveres in problem solving", "Perseveres in problem solving")),
    ("Chapter 3 review", ("Chapter 3 review", "Chapter 3 review")),
])
def test_outcome_code_from_title(title, code):
    assert canvas.split_code(title) == code


def test_learning_mastery_export(con):
    r = load(con, ("Outcomes-Grade_3_Math.csv", MASTERY))[0]
    assert (r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == ("canvas_mastery", 3, 3, 0)
    a = assessments(con).iloc[0]
    assert (a["title"], a["subject"], a["grade_level"], bool(a["is_scale"])) == \
        ("Canvas outcomes: Grade 3 Math", "Math", "3", True)
    v = store.fetch_df(con, "SELECT student_id, standard_code, scale_score, vendor_level, proficient "
                            "FROM v_scale_scores ORDER BY 1, 2")
    assert v.values.tolist() == [
        ["S1", "3.OA.A.1", 4.0, "Exceeds Mastery", True], ["S1", "MGSE3.NBT.2", 3.0, "Mastery", True],
        ["S1", "Perseveres in problem solving", 2.0, "Near Mastery", False],
        ["S2", "3.OA.A.1", 2.5, "Near Mastery", False], ["S2", "Perseveres in problem solving", 3.0, "Mastery", True],
        ["canvas-103", "3.OA.A.1", 3.0, "Mastery", True], ["canvas-103", "MGSE3.NBT.2", 3.0, "Mastery", True],
        ["canvas-103", "Perseveres in problem solving", 3.0, "Mastery", True]]
    # Overall: proficient at 80% of the outcomes with a result (S1 2/3, S2 1/2, canvas-103 3/3).
    o = store.fetch_df(con, "SELECT student_id, score, n_items FROM v_overall_scores ORDER BY 1")
    assert o.values.tolist() == [["S1", 0.0, 3], ["S2", 0.0, 2], ["canvas-103", 1.0, 3]]
    scale.set_rule(con, "canvas", "overall", overall_share=0.6)
    assert store.fetch_df(con, "SELECT score FROM v_overall_scores ORDER BY student_id")["score"].tolist() == \
        [1.0, 0.0, 1.0]
    d = store.fetch_df(con, "SELECT code, description FROM standards ORDER BY 1")
    assert d.values.tolist() == [["3.OA.A.1", "Interpret products of whole numbers"],
                                 ["MGSE3.NBT.2", "Add and subtract within 1000"],
                                 ["Perseveres in problem solving", "Perseveres in problem solving"]]


def test_learning_mastery_in_the_team_meeting_and_explorer(con):
    load(con, ("Outcomes-Grade_3_Math.csv", MASTERY))
    aid = assessments(con)["assessment_id"].iat[0]
    out = pages_work(con, aid)
    assert (out["headline"]["assessed"], out["headline"]["proficient"]) == independent_headline(con, aid) == (3, 1)
    bs = out["by_standard"].set_index("standard_code")
    assert bs.loc["3.OA.A.1", ["students", "proficient"]].tolist() == [3, 2]
    hits = standards_explorer.search(con, "perseveres")
    assert hits["code"].tolist() == ["Perseveres in problem solving"]
    lv = out["levels"]
    assert set(lv["vendor_level"]) == {"Exceeds Mastery", "Mastery", "Near Mastery"}


def test_gradebook_export(con):
    r = load(con, ("gradebook.csv", GRADEBOOK))[0]
    assert (r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == ("canvas_gradebook", 4, 4, 0)
    a = assessments(con).set_index("title")
    assert sorted(a.index) == ["Fractions Quiz", "Unit 2 Test"]
    sc = store.fetch_df(con, "SELECT a.title, v.student_id, v.earned, v.possible FROM v_overall_scores v "
                             "JOIN assessments a USING (assessment_id) ORDER BY 1, 2")
    # EX and N/A are not assessed (not zero); a student without an SIS id is 'canvas-<id>'.
    assert sc.values.tolist() == [["Fractions Quiz", "S1", 9.0, 10.0], ["Fractions Quiz", "S2", 6.0, 10.0],
                                  ["Unit 2 Test", "S2", 15.0, 20.0], ["Unit 2 Test", "canvas-103", 18.0, 20.0]]
    st = store.fetch_df(con, "SELECT student_id, first_name, last_name FROM students ORDER BY 1")
    assert st.values.tolist() == [["S1", "Ana", "Lopez"], ["S2", "Ben", "Ode"], ["canvas-103", "Cho", "Park"]]
    aid = a.loc["Unit 2 Test", "assessment_id"]
    assert meeting.headline(con, aid)["assessed"] == 2


def test_samples_folder():
    if not data_files("canvas"):
        pytest.skip("../shared/samples/canvas has no data file (SOURCE.md: layout from Canvas's exporter code); "
                    "the layouts are tested with tests/fixtures/formats")
