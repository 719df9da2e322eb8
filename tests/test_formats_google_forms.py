"""Google Forms quiz responses scored per question: key submission row, key file, checkboxes, resubmissions."""

from __future__ import annotations

import pytest

from lib import meeting, store
from lib.formats import google_forms
from tests.formats_util import assessments, data_files, load, pages_work, plan

Q1, Q2, Q3 = "[3.OA.A.1] What is 3 x 4?", "[3.NF.A.1] Which is 1/2?", "Which are even? (check all)"
FORM = (f'Timestamp,Email Address,Score,Name,"{Q1}","{Q2}","{Q3}"\n'
        '2026/10/01 8:00:00 AM GMT-4,answerkey@oak.org,3 / 3,KEY,12,B,"2;4"\n'
        '2026/10/01 9:00:00 AM GMT-4,Ana@oak.org,3 / 3,Ana Lopez,12, b ,"4;2"\n'
        '2026/10/01 9:05:00 AM GMT-4,ben@oak.org,1 / 3,Ben Ode,11,A,2\n'
        '2026/10/01 9:30:00 AM GMT-4,ben@oak.org,2 / 3,Ben Ode,12,A,2\n'
        '2026/10/01 9:10:00 AM GMT-4,cho@oak.org,0 / 3,Cho Park,,C,\n')


def test_key_submission_scores_each_question(con):
    p = plan(con, ("Fractions check (Responses).csv", FORM)).files[0]
    assert (p.layout, p.label) == ("google_forms", "Google Forms quiz export (scored with an answer key)")
    assert (p.rows_total, p.rows_ok, p.rows_rejected) == (5, 4, 1)
    assert p.rejects[["row", "reason"]].values.tolist() == [[4, "earlier submission; the later one on row 5 counts"]]
    assert any("row 2: answer key submission" in n.lower() for n in p.notes)
    load(con, ("Fractions check (Responses).csv", FORM))
    a = assessments(con).iloc[0]
    assert a["title"] == "Fractions check"
    items = store.fetch_df(con, "SELECT item, coalesce(standard_code, '-'), correct_response FROM items "
                                "ORDER BY position")
    assert items.values.tolist() == [[Q1, "3.OA.A.1", "12"], [Q2, "3.NF.A.1", "B"], [Q3, "-", "2;4"]]
    got = store.fetch_df(con, "SELECT student_id, item, points_earned FROM responses ORDER BY 1, 2")
    earned = {(s, i): e for s, i, e in got.values.tolist()}
    assert earned[("ana@oak.org", Q1)] == 1 and earned[("ana@oak.org", Q2)] == 1  # ' b ' is B
    assert earned[("ana@oak.org", Q3)] == 1  # '4;2' is the set {2, 4}
    assert earned[("ben@oak.org", Q1)] == 1 and earned[("ben@oak.org", Q3)] == 0  # the later submission
    assert earned[("cho@oak.org", Q1)] == 0  # blank answers score 0
    assert len(got) == 3 * 3  # the key row is not a student


def test_key_file_pairs_by_question_text(con):
    key = ("Question,Correct Answer,Points,Standard,Assessment\n"
           f'"{Q1}",12,2,3.OA.A.1,Fractions check\n'
           f'"{Q2}",B,1,3.NF.A.1,Fractions check\n')
    form = "\n".join(line for i, line in enumerate(FORM.splitlines()) if i != 1) + "\n"  # no key row
    res = load(con, ("Fractions check (Responses).csv", form), ("key.csv", key))
    assert [(r.status, r.rows_rejected) for r in res] == [("loaded", 1), ("loaded", 0)]
    it = store.fetch_df(con, "SELECT item, points_possible FROM items ORDER BY position")
    assert it.values.tolist() == [[Q1, 2.0], [Q2, 1.0]]  # Q3 is not in the key: not scored
    aid = assessments(con)["assessment_id"].iat[0]
    out = pages_work(con, aid)
    assert out["headline"]["assessed"] == 3
    d = meeting.distractors(con, aid)
    assert set(d[d["item"] == Q2]["response"]) == {"A", "b", "C"}


def test_without_a_key_the_total_score_loads():
    from lib import store as s
    con = s.connect(":memory:")
    form = "\n".join(line for i, line in enumerate(FORM.splitlines()) if i != 1) + "\n"
    r = load(con, ("quiz.csv", form))[0]
    assert (r.status, r.rows_loaded, r.rows_rejected) == ("loaded", 3, 1)  # Ben's earlier submission
    assert store.fetch_df(con, "SELECT DISTINCT item FROM responses")["item"].tolist() == ["Total"]


@pytest.mark.parametrize("a,b,same", [("A", "a", True), (" 2;4", "4; 2", True), ("B, D", "D;B", True),
                                      ("12", "12.0", False), ("New York", "new  york", True)])
def test_answer_comparison(a, b, same):
    assert (google_forms.norm_answer(a) == google_forms.norm_answer(b)) is same


def test_samples_folder():
    if not data_files("google_forms_classroom"):
        pytest.skip("../shared/samples/google_forms_classroom has no data file (SOURCE.md: none found); "
                    "the layout is tested with files written here")
