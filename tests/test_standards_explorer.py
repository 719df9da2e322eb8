"""Standards explorer: search, results by assessment/grade/teacher, items and not-yet-proficient lists.

Checked against the hand-worked school in tests/trends_fixtures.py and against pandas on demo data.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lib import standards_explorer as se
from lib import store, trends
from tests import trends_fixtures as tf

NF = ("3.NF.A.1",)
OA = ("3.OA.A.1",)


@pytest.fixture
def tiny(con):
    """The hand-worked grade 3 Math school."""
    return tf.tiny_school(con)


@pytest.mark.parametrize("text, first, n", [
    ("3.nf.a.1", "3.NF.A.1", 1),          # exact code, any case
    ("3.", "3.NF.A.1", 2),                # code prefix: both (NF before OA by code)
    ("fractions", "3.NF.A.1", 1),         # a word of the description
    ("operations products", "3.OA.A.1", 1),  # every word must match
    ("math", "3.NF.A.1", 2),              # the subject counts too
    ("geometry", None, 0),
    ("", "3.NF.A.1", 2),
])
def test_search(tiny, text, first, n):
    df = se.search(tiny, text)
    assert len(df) == n
    if n:
        assert df["code"].iat[0] == first


def test_search_counts_and_filters(tiny):
    df = se.search(tiny, "").set_index("code")
    assert df.loc["3.NF.A.1", "assessments"] == 3 and df.loc["3.NF.A.1", "items"] == 4
    assert df.loc["3.OA.A.1", "assessments"] == 2
    assert se.search(tiny, "", subject="ELA").empty and len(se.search(tiny, "", grade="3")) == 2


def test_search_finds_codes_only_in_items(tiny):
    """A standard used on an item but missing from the standards list is still found."""
    tf.insert(tiny, "items", [dict(assessment_id="B2", item="9", standard_code="3.MD.X.9", points_possible=1.0)])
    df = se.search(tiny, "3.md")
    assert df["code"].tolist() == ["3.MD.X.9"] and df["subject"].iat[0] == "Math"


def test_search_text_is_never_sql(tiny):
    assert se.search(tiny, "'; DROP TABLE students; --").empty
    assert store.fetch_value(tiny, "SELECT count(*) FROM students") == 6


@pytest.mark.parametrize("aid, students, proficient", [
    ("B1", 5, 1),   # NF scores 1, .5, 0, .5, 0 (s6) at cut .7
    ("F1", 3, 1),   # 1, .5, .5 at cut .8
    ("B2", 5, 1),   # .5, 1, 0, .5, .5
])
def test_by_assessment_hand_worked(tiny, aid, students, proficient):
    df = se.by_assessment(tiny, NF)
    r = df[df["assessment_id"] == aid].iloc[0]
    assert (r["students"], r["proficient"]) == (students, proficient)
    assert r["pct_proficient"] == pytest.approx(proficient / students)
    assert df["assessment_id"].tolist() == ["B1", "F1", "B2"]  # in time order


def test_summary_and_by_grade_hand_worked(tiny):
    """Latest NF result per student: B2 for s1-s5 (only s2 proficient), B1 for s6 (0)."""
    s = se.summary(tiny, NF).iloc[0]
    assert (s["students"], s["proficient"], s["not_yet"], s["assessments"]) == (6, 1, 5, 3)
    assert s["not_yet"] == len(se.not_yet_proficient(tiny, NF))  # the count the page shows is the list's
    g = se.by_grade(tiny, NF).iloc[0]
    assert (g["grade_level"], g["students"], g["proficient"]) == ("3", 6, 1)
    both = se.summary(tiny, NF + OA).set_index("standard_code")
    assert both.loc["3.OA.A.1", "proficient"] == 4 and both.loc["3.OA.A.1", "students"] == 6
    assert both.loc["3.OA.A.1", "not_yet"] == 2


def test_by_teacher_hand_worked(tiny):
    df = se.by_teacher(tiny, NF, min_n=1)
    got = {t if isinstance(t, str) else None: (int(n), int(k))
           for t, n, k in zip(df["teacher_id"], df["students"], df["proficient"])}
    assert got == {"t1": (3, 1), "t2": (2, 0), None: (1, 0)}
    assert se.by_teacher(tiny, NF)["suppressed"].all()  # classes under 5 are hidden


def test_filters(tiny):
    assert se.summary(tiny, NF, school="South").iloc[0]["students"] == 1
    assert se.summary(tiny, NF, teacher="t2").iloc[0]["students"] == 2
    lo, hi = trends.school_year_bounds("2024-25")
    assert se.summary(tiny, NF, date_from=lo, date_to=hi).empty
    assert se.summary(tiny, NF, subject="ELA").empty


def test_not_yet_proficient_hand_worked(tiny):
    df = se.not_yet_proficient(tiny, NF).set_index("student_id")
    assert set(df.index) == {"s1", "s3", "s4", "s5", "s6"}
    s1 = df.loc["s1"]
    assert (s1["attempts"], s1["times_proficient"]) == (3, 2)  # B1 1.0 and F1 1.0 were proficient
    assert s1["latest_score"] == pytest.approx(0.5) and s1["best_score"] == pytest.approx(1.0)
    s3 = df.loc["s3"]
    assert (s3["attempts"], s3["times_proficient"], s3["latest_score"]) == (3, 0, 0.0)
    assert s3["best_score"] == pytest.approx(0.5) and s3["latest_assessment"] == "Gr 3 Math MOY Benchmark"
    assert df.loc["s6", "teacher_id"] is None or pd.isna(df.loc["s6", "teacher_id"])
    # Lowest first.
    scores = se.not_yet_proficient(tiny, NF)["latest_score"].tolist()
    assert scores == sorted(scores)


def test_items_hand_worked(tiny):
    it = se.items(tiny, NF)
    assert len(it) == 4
    b1 = it[(it["assessment_id"] == "B1") & (it["item"] == "3")].iloc[0]
    assert b1["students"] == 5
    assert b1["difficulty"] == pytest.approx((1 + .5 + 0 + .5 + 0) / 5)
    # Corrected item-total: item points vs the rest of the test (s1 s2 s3 s4 s6).
    expected = np.corrcoef([2, 1, 0, 1, 0], [2, 1, 0, 2, 2])[0, 1]
    assert b1["discrimination"] == pytest.approx(expected)
    f1 = it[(it["assessment_id"] == "F1") & (it["item"] == "1")].iloc[0]
    assert f1["difficulty"] == pytest.approx(2 / 3)
    assert f1["discrimination"] == pytest.approx(np.corrcoef([1, 1, 0], [1, 0, 1])[0, 1])
    assert f1["top_wrong"] == "C" and f1["top_wrong_share"] == pytest.approx(1 / 3)
    assert not it["synthetic"].any()


def test_items_school_filter(tiny):
    it = se.items(tiny, NF, school="North")
    b1 = it[(it["assessment_id"] == "B1") & (it["item"] == "3")].iloc[0]
    assert b1["students"] == 4 and b1["difficulty"] == pytest.approx(0.5)


@pytest.mark.parametrize("difficulty, discrimination, synthetic, flag", [
    (0.5, -0.2, False, "negative discrimination: check the key"),
    (0.5, 0.1, False, "weak discrimination"),
    (0.2, 0.4, False, "too hard"),
    (0.97, 0.4, False, "too easy"),
    (0.5, 0.4, False, None),
    (0.1, -0.5, True, None),
])
def test_item_flags(difficulty, discrimination, synthetic, flag):
    assert se._flag(difficulty, discrimination, synthetic) == flag


def test_items_per_standard_results_are_marked_synthetic(con):
    tf.sparse_store(con, synthetic_items=True)
    it = se.items(con, ("RL.4.1",))
    assert len(it) == 2 and it["synthetic"].all() and it["flag"].isna().all()


def test_unknown_standard_is_empty(tiny):
    for fn in (se.summary, se.by_assessment, se.by_grade, se.by_teacher, se.not_yet_proficient, se.items):
        assert fn(tiny, ("NOPE",)).empty


# --- against pandas on the demo school -----------------------------------------------------------

@pytest.fixture(scope="module")
def demo_scores(demo_db_file):
    """Per (assessment, student, standard) scores computed in pandas from the demo's raw tables."""
    c = store.connect(demo_db_file, read_only=True)
    try:
        a = store.fetch_df(c, "SELECT * FROM assessments")
        items = store.fetch_df(c, "SELECT * FROM items")
        resp = store.fetch_df(c, "SELECT * FROM responses WHERE assessment_id IN "
                                 "(SELECT assessment_id FROM items WHERE standard_code LIKE '3.NF%')")
    finally:
        c.close()
    r = resp.merge(items, on=["assessment_id", "item"])
    s = (r.groupby(["assessment_id", "student_id", "standard_code"])[["points_earned", "points_possible"]].sum()
         .reset_index())
    s["score"] = s["points_earned"] / s["points_possible"]
    s = s.merge(a, on="assessment_id")
    s["proficient"] = s["score"] >= s["proficiency_cut"]
    return {"scores": s, "responses": r}


def test_by_assessment_matches_pandas_on_demo(demo_con, demo_scores):
    codes = ("3.NF.A.1", "3.NF.A.2")
    ours = se.by_assessment(demo_con, codes).set_index(["assessment_id", "standard_code"])
    s = demo_scores["scores"]
    s = s[s["standard_code"].isin(codes)]
    theirs = s.groupby(["assessment_id", "standard_code"]).agg(n=("score", "size"), k=("proficient", "sum"),
                                                               m=("score", "mean"))
    joined = ours.join(theirs, how="inner")
    assert len(joined) == len(theirs) == len(ours) > 8
    assert (joined["students"] == joined["n"]).all() and (joined["proficient"] == joined["k"]).all()
    assert np.allclose(joined["mean_score"], joined["m"])


def test_not_yet_proficient_matches_pandas_on_demo(demo_con, demo_scores):
    ours = se.not_yet_proficient(demo_con, ("3.NF.A.1",))
    s = demo_scores["scores"]
    s = s[s["standard_code"] == "3.NF.A.1"]
    last = s.sort_values(["administered_on", "assessment_id"], ascending=False).drop_duplicates("student_id")
    theirs = set(last.loc[~last["proficient"], "student_id"])
    assert set(ours["student_id"]) == theirs and len(theirs) > 20
    attempts = s.groupby("student_id").size()
    assert (ours.set_index("student_id")["attempts"] == attempts.reindex(ours["student_id"]).to_numpy()).all()


def test_item_statistics_match_pandas_on_demo(demo_con, demo_scores):
    ours = se.items(demo_con, ("3.NF.A.1",)).set_index(["assessment_id", "item"])
    r = demo_scores["responses"]
    total = r.groupby(["assessment_id", "student_id"])["points_earned"].sum().rename("total")
    r = r.join(total, on=["assessment_id", "student_id"])
    r = r[r["standard_code"] == "3.NF.A.1"]
    r = r.assign(p=r["points_earned"] / r["points_possible"], rest=r["total"] - r["points_earned"])
    for (aid, item), g in r.groupby(["assessment_id", "item"]):
        mine = ours.loc[(aid, item)]
        assert mine["students"] == len(g)
        assert mine["difficulty"] == pytest.approx(g["p"].mean())
        if g["points_earned"].std() > 0 and g["rest"].std() > 0:
            assert mine["discrimination"] == pytest.approx(np.corrcoef(g["points_earned"], g["rest"])[0, 1])
    assert len(ours) == r.groupby(["assessment_id", "item"]).ngroups > 10


def test_scale_results_are_found_and_counted(tiny):
    """A vendor scale result on a standard (no items) counts like a 1-of-1 result: proficient or not."""
    iid = tf.begin_import(tiny, "map")
    tf.insert(tiny, "assessments", [dict(assessment_id="M1", title="MAP Math Winter", subject="Math",
                                         grade_level="3", kind="benchmark", administered_on=tf.D(2026, 1, 20),
                                         proficiency_cut=1.0)], iid)
    tf.insert(tiny, "scores", [dict(assessment_id="M1", student_id=s, standard_code="MAP Math: Geometry",
                                    proficient_given=p, vendor="nwea_map")
                               for s, p in (("s1", True), ("s2", False))], iid)
    found = se.search(tiny, "geometry")
    assert found["code"].tolist() == ["MAP Math: Geometry"] and found["items"].iat[0] == 0
    s = se.summary(tiny, ("MAP Math: Geometry",)).iloc[0]
    assert (s["students"], s["proficient"]) == (2, 1)
    assert se.not_yet_proficient(tiny, ("MAP Math: Geometry",))["student_id"].tolist() == ["s2"]
    assert se.items(tiny, ("MAP Math: Geometry",)).empty


def test_scale_questions_are_skipped_when_the_scope_has_no_scale_results(demo_con, monkeypatch):
    """The vendor-level questions are not asked of points-only results; what they answer is what asking gives."""
    code = se.search(demo_con, "")["code"].iat[0]
    quick = (se.levels(demo_con, (code,)), se.latest_levels(demo_con, (code,)))
    monkeypatch.setattr(se, "SCALE_ONLY", set())  # ask them anyway
    asked = (se.levels(demo_con, (code,)), se.latest_levels(demo_con, (code,)))
    for q, a in zip(quick, asked):
        assert q.empty and a.empty
        assert list(q.columns) == list(a.columns)
    assert len(se.summary(demo_con, (code,))) == 1  # the scope has points results


def test_the_search_catalogue_follows_an_import(tiny):
    """The kept catalogue of standards is computed again after a write that bumps the data version."""
    assert se.search(tiny, "3.md").empty
    tf.insert(tiny, "items", [dict(assessment_id="B2", item="9", standard_code="3.MD.X.9", points_possible=1.0)])
    store.bump_data_version(tiny)
    assert se.search(tiny, "3.md")["code"].tolist() == ["3.MD.X.9"]


@pytest.mark.parametrize("year", ["2025-26", "2026-27", None])
def test_a_years_assessments_are_the_rows_of_every_year(demo_con, year):
    """within_dates(all years) is what by_assessment answers for the year (the page asks once)."""
    lo, hi = trends.school_year_bounds(year)
    codes = tuple(se.search(demo_con, "")["code"].head(3))
    every = se.by_assessment(demo_con, codes)
    dated = se.by_assessment(demo_con, codes, date_from=lo, date_to=hi)
    assert len(every) > len(dated) > 0 or year is None
    pd.testing.assert_frame_equal(se.within_dates(every, lo, hi), dated)
    assert se.within_dates(every, dt.date(1990, 1, 1), dt.date(1990, 12, 31)).empty
