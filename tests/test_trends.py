"""School trends: each figure against the hand-worked school (tests/trends_fixtures.py) and pandas on demo data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lib import store, trends
from tests import trends_fixtures as tf

BENCH = ("benchmark",)


@pytest.fixture
def tiny(con):
    """The hand-worked grade 3 Math school (see tests/trends_fixtures.py for every number)."""
    return tf.tiny_school(con)


def row(df: pd.DataFrame, **where) -> pd.Series:
    """The one row matching column=value pairs."""
    mask = np.ones(len(df), dtype=bool)
    for k, v in where.items():
        mask &= (df[k] == v).to_numpy() if v is not None else df[k].isna().to_numpy()
    hits = df[mask]
    assert len(hits) == 1, f"{len(hits)} rows match {where}"
    return hits.iloc[0]


# --- hand-worked ---------------------------------------------------------------------------------

@pytest.mark.parametrize("aid, assessed, not_assessed, proficient, pct, mean", [
    ("B1", 5, 1, 2, 0.4, 0.55),
    ("F1", 3, 2, 1, 1 / 3, 2 / 3),
    ("B2", 5, 0, 3, 0.6, 0.65),
])
def test_over_time_hand_worked(tiny, aid, assessed, not_assessed, proficient, pct, mean):
    df = trends.over_time(tiny, kinds=("benchmark", "formative"))
    r = row(df, assessment_id=aid)
    assert (r["assessed"], r["not_assessed"], r["proficient"]) == (assessed, not_assessed, proficient)
    assert r["pct_proficient"] == pytest.approx(pct)
    assert r["mean_score"] == pytest.approx(mean)
    assert r["school_year_label"] == "2025-26"


def test_over_time_filters(tiny):
    assert list(trends.over_time(tiny, kinds=BENCH)["assessment_id"]) == ["B1", "B2"]
    assert list(trends.over_time(tiny, kinds=("formative",))["assessment_id"]) == ["F1"]
    assert trends.over_time(tiny, subject="ELA").empty
    # School South holds only s6, who took B1 (not on a roster) and scored 50%.
    south = trends.over_time(tiny, school="South", kinds=BENCH)
    assert list(south["assessment_id"]) == ["B1"]
    assert (south["assessed"].iat[0], south["proficient"].iat[0]) == (1, 0)
    # Teacher t2 has s4 and s5: B1 s4 proficient, s5 not assessed; B2 s4 no, s5 yes.
    t2 = trends.over_time(tiny, teacher="t2", kinds=BENCH).set_index("assessment_id")
    assert t2.loc["B1", ["assessed", "not_assessed", "proficient"]].tolist() == [1, 1, 1]
    assert t2.loc["B2", ["assessed", "not_assessed", "proficient"]].tolist() == [2, 0, 1]
    only_b2 = trends.over_time(tiny, kinds=BENCH, date_from=dt.date(2026, 1, 1))
    assert list(only_b2["assessment_id"]) == ["B2"]


def test_changes_hand_worked(tiny):
    ch = trends.changes(tiny, kinds=BENCH)
    r = row(ch, kind="benchmark")
    assert r["assessment_id"] == "B2" and r["prev_title"] == "Gr 3 Math BOY Benchmark"
    assert r["change_in_year"] == pytest.approx(0.2)
    assert pd.isna(r["change_year_over_year"])


def test_changes_year_over_year(con):
    """Same window a year later: BOY 2025 (1 of 2 proficient) -> BOY 2026 (2 of 2)."""
    iid = tf.begin_import(con)
    tf.insert(con, "students", [dict(student_id=s, grade_level="3") for s in "abcd"], iid)
    tf.insert(con, "assessments", [
        dict(assessment_id="Y1", title="BOY 25", subject="Math", grade_level="3", kind="benchmark",
             administered_on=dt.date(2025, 9, 10), proficiency_cut=0.5),
        dict(assessment_id="Y2", title="BOY 26", subject="Math", grade_level="3", kind="benchmark",
             administered_on=dt.date(2026, 9, 9), proficiency_cut=0.5)], iid)
    tf.insert(con, "items", [dict(assessment_id=a, item="1", standard_code="X", points_possible=1.0)
                             for a in ("Y1", "Y2")], iid)
    tf.insert(con, "responses", [dict(assessment_id="Y1", student_id="a", item="1", points_earned=1.0),
                                 dict(assessment_id="Y1", student_id="b", item="1", points_earned=0.0),
                                 dict(assessment_id="Y2", student_id="c", item="1", points_earned=1.0),
                                 dict(assessment_id="Y2", student_id="d", item="1", points_earned=1.0)], iid)
    r = trends.changes(con, kinds=BENCH).iloc[0]
    assert r["assessment_id"] == "Y2" and r["year_ago_title"] == "BOY 25"
    assert r["change_year_over_year"] == pytest.approx(0.5)
    assert pd.isna(r["change_in_year"])


def test_growth_hand_worked(tiny):
    """B1 -> B2 over s1-s4 (s5 missed B1, s6 missed B2)."""
    g = trends.growth(tiny)
    assert len(g) == 1
    r = g.iloc[0]
    assert (r["from_id"], r["to_id"], r["matched"]) == ("B1", "B2", 4)
    assert r["mean_from"] == pytest.approx((1 + .5 + 0 + .75) / 4)
    assert r["mean_to"] == pytest.approx((.75 + 1 + .25 + .5) / 4)
    assert r["mean_growth"] == pytest.approx(0.0625)
    assert (r["pct_from"], r["pct_to"]) == (0.5, 0.5)
    assert (r["became_proficient"], r["fell_below"]) == (1, 1)  # s2 rose, s4 fell


def test_growth_needs_two_in_one_year(tiny):
    assert trends.growth(tiny, date_to=dt.date(2025, 12, 31)).empty
    assert trends.growth(tiny, kind="formative").empty


@pytest.mark.parametrize("kinds, code, students, proficient", [
    (("benchmark", "formative"), "3.OA.A.1", 6, 4),   # B2 for s1-s5 (s1 s2 s5), s6's B1 1.0
    (("benchmark", "formative"), "3.NF.A.1", 6, 1),   # B2 for s1-s5 (s2 only), s6's B1 0
    (("formative",), "3.NF.A.1", 3, 1),               # F1: s1 1.0 >= .8
])
def test_heatmap_hand_worked(tiny, kinds, code, students, proficient):
    hm = trends.heatmap(tiny, kinds=kinds)
    r = row(hm, standard_code=code)
    assert (r["grade_level"], r["students"], r["proficient"]) == ("3", students, proficient)
    assert r["pct_proficient"] == pytest.approx(proficient / students)
    assert r["standard_key"] == code.split(".", 1)[1]


@pytest.mark.parametrize("code, grade, key", [
    ("3.OA.A.1", "3", "OA.A.1"), ("RL.3.1", "3", "RL.1"), ("K.CC.A.1", "K", "CC.A.1"),
    ("MA-03-NF-2", "3", "MA-NF-2"), ("G3.NF.1", "3", "NF.1"), ("FRAC-1", "3", "FRAC-1"),
    ("RL.3.3", "3", "RL.3"), ("3", "3", "3"), ("OA.1", None, "OA.1"),
])
def test_standard_key(code, grade, key):
    assert trends.standard_key(code, grade) == key


# Latest benchmark per student: s1 .75 P, s2 1.0 P, s3 .25, s4 .5, s5 .75 P, s6 .5 (B1).
@pytest.mark.parametrize("flag, value, students, proficient, rest_n, rest_p", [
    ("ell", "true", 3, 1, 3, 2), ("ell", "false", 3, 2, 3, 1),
    ("iep", "true", 1, 0, 5, 3), ("frl", "true", 2, 2, 4, 1),
    ("gender", "F", 3, 2, 3, 1), ("gender", "M", 3, 1, 3, 2),
])
def test_subgroups_hand_worked(tiny, flag, value, students, proficient, rest_n, rest_p):
    sub = trends.subgroups(tiny, min_n=1, kinds=BENCH)
    r = row(sub, flag=flag, value=value)
    assert (r["students"], r["proficient"], r["rest_students"]) == (students, proficient, rest_n)
    assert r["pct_proficient"] == pytest.approx(proficient / students)
    assert r["rest_pct_proficient"] == pytest.approx(rest_p / rest_n)
    assert r["gap"] == pytest.approx(proficient / students - rest_p / rest_n)
    assert not r["suppressed"]


def test_subgroups_skip_flags_nobody_has(tiny):
    """Ethnicity is unknown for everyone, so it is not a subgroup."""
    assert "ethnicity" not in set(trends.subgroups(tiny, min_n=1, kinds=BENCH)["flag"])
    assert trends.subgroup_flags(tiny, kinds=BENCH) == ["ell", "iep", "frl", "gender"]


def test_subgroups_suppress_small_groups_and_their_complement(tiny):
    """IEP has 1 student: hidden, and so is the other IEP group (else the total would give it away)."""
    sub = trends.subgroups(tiny, min_n=2, kinds=BENCH)
    iep = sub[sub["flag"] == "iep"]
    assert iep["suppressed"].all()
    assert iep["pct_proficient"].isna().all() and iep["gap"].isna().all() and iep["proficient"].isna().all()
    assert not sub[sub["flag"] == "gender"]["suppressed"].any()
    # With the real threshold (10) a school of 6 shows no group at all, but keeps every row and its size.
    default = trends.subgroups(tiny, kinds=BENCH)
    assert default["suppressed"].all() and default["pct_proficient"].isna().all()
    assert default["students"].sum() == sub["students"].sum()


def test_complementary_suppression_with_three_groups():
    df = pd.DataFrame({"subject": "Math", "flag": "ethnicity", "value": ["a", "b", "c"], "students": [3, 20, 40]})
    hide = trends._complementary(df, 10)
    assert hide.tolist() == [True, True, False]


def test_subgroups_over_time(tiny):
    sot = trends.subgroups_over_time(tiny, "gender", min_n=1, kinds=BENCH)
    b1_f = row(sot, date=pd.Timestamp("2025-09-10"), value="F")
    assert (b1_f["students"], b1_f["proficient"]) == (2, 1)  # s1 P, s3
    hidden = trends.subgroups_over_time(tiny, "gender", kinds=BENCH)
    assert hidden["suppressed"].all()


@pytest.mark.parametrize("level, key, value, assessed, proficient", [
    ("school", "school", "North", 5, 3),
    ("school", "school", "South", 1, 0),
    ("grade", "grade_level", "3", 6, 3),
    ("teacher", "teacher_id", "t1", 3, 2),
    ("teacher", "teacher_id", "t2", 2, 1),
    ("teacher", "teacher_id", None, 1, 0),
])
def test_drilldown_hand_worked(tiny, level, key, value, assessed, proficient):
    df = trends.drilldown(tiny, level, min_n=1, kinds=BENCH)
    r = row(df, **{key: value})
    assert (r["assessed"], r["proficient"]) == (assessed, proficient)


def test_drilldown_counts_not_assessed_and_names_students(tiny):
    """B1 only: s5 is on t2's roster but has no result."""
    d = trends.drilldown(tiny, "school", kinds=BENCH, date_to=dt.date(2025, 12, 31))
    north = row(d, school="North")
    assert (north["assessed"], north["not_assessed"], north["proficient"]) == (4, 1, 2)
    st_ = trends.drilldown(tiny, "student", kinds=BENCH, teacher="t2", date_to=dt.date(2025, 12, 31))
    assert st_["student_id"].tolist() == ["s5", "s4"]  # not assessed first
    assert st_["assessed"].tolist() == [False, True]
    assert st_["first_name"].tolist() == ["Ed", "Di"]


def test_drilldown_hides_small_classes(tiny):
    df = trends.drilldown(tiny, "teacher", kinds=BENCH)
    assert df["suppressed"].all() and df["pct_proficient"].isna().all()


def test_headline_hand_worked(tiny):
    h = trends.headline(tiny, kinds=BENCH).iloc[0]
    assert (h["assessed"], h["proficient"], h["not_assessed"]) == (6, 3, 0)
    assert h["pct_proficient"] == pytest.approx(0.5)


def test_school_years_kinds_and_bounds(tiny):
    assert trends.school_years(tiny) == ["2025-26"]
    assert trends.kinds(tiny) == ["benchmark", "formative"]
    assert trends.default_kinds(tiny) == ("benchmark",)
    assert trends.school_year_bounds("2025-26") == (dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    assert trends.school_year_bounds(None) == (None, None)


def test_empty_store_gives_empty_frames(con):
    assert trends.over_time(con).empty and trends.growth(con).empty and trends.heatmap(con).empty
    assert trends.subgroups(con).empty and trends.drilldown(con, "grade").empty
    assert trends.school_years(con) == [] and trends.default_kinds(con) == ()


def test_flag_label():
    assert trends.flag_label("ell", "true") == "ELL"
    assert trends.flag_label("frl", "false") == "Not FRL"
    assert trends.flag_label("gender", "F") == "F"
    assert trends.flag_label("home_language", "true") == "Home language"


def test_extra_roster_flag_is_a_subgroup(tiny):
    """Any flag column in the roster becomes a subgroup (here one added by a later migration)."""
    tiny.execute("ALTER TABLE students ADD COLUMN gifted BOOLEAN")
    tiny.execute("UPDATE students SET gifted = student_id IN ('s1', 's2')")
    sub = trends.subgroups(tiny, min_n=1, kinds=BENCH)
    r = row(sub, flag="gifted", value="true")
    assert (r["students"], r["proficient"]) == (2, 2)


# --- against pandas on the demo school -----------------------------------------------------------

@pytest.fixture(scope="module")
def demo_frames(demo_db_file):
    """The demo store's tables as DataFrames (read once)."""
    c = store.connect(demo_db_file, read_only=True)
    try:
        out = {t: store.fetch_df(c, f"SELECT * FROM {t}") for t in
               ("students", "sections", "enrollments", "assessments", "items", "responses")}
    finally:
        c.close()
    a = out["assessments"]
    a["administered_on"] = pd.to_datetime(a["administered_on"])
    a["sy"] = np.where(a["administered_on"].dt.month >= 7, a["administered_on"].dt.year,
                       a["administered_on"].dt.year - 1)
    r = out["responses"].merge(out["items"][["assessment_id", "item", "points_possible", "standard_code"]],
                               on=["assessment_id", "item"])
    out["overall"] = (r.groupby(["assessment_id", "student_id"])[["points_earned", "points_possible"]].sum()
                      .reset_index().assign(score=lambda d: d["points_earned"] / d["points_possible"])
                      .merge(a, on="assessment_id"))
    out["overall"]["proficient"] = out["overall"]["score"] >= out["overall"]["proficiency_cut"]
    out["by_std"] = (r.groupby(["assessment_id", "student_id", "standard_code"])[["points_earned", "points_possible"]]
                     .sum().reset_index().assign(score=lambda d: d["points_earned"] / d["points_possible"])
                     .merge(a, on="assessment_id"))
    # The roster: enrolled in a section of the assessment's subject and grade whose term covers the date.
    sec = out["sections"].merge(out["enrollments"], on="section_id")
    sec["starts_on"] = pd.to_datetime(sec["starts_on"])
    sec["ends_on"] = pd.to_datetime(sec["ends_on"])
    exp = a.merge(sec, on=["subject", "grade_level"], suffixes=("", "_sec"))
    exp = exp[(exp["administered_on"] >= exp["starts_on"]) & (exp["administered_on"] <= exp["ends_on"])]
    out["expected"] = exp.groupby(["assessment_id", "student_id"], as_index=False)["teacher_id"].min()
    return out


def test_over_time_matches_pandas_on_demo(demo_con, demo_frames):
    ours = trends.over_time(demo_con).set_index("assessment_id")
    ov = demo_frames["overall"]
    theirs = ov.groupby("assessment_id").agg(assessed=("score", "size"), proficient=("proficient", "sum"),
                                             mean_score=("score", "mean"))
    exp = demo_frames["expected"].merge(ov[["assessment_id", "student_id"]], how="left", indicator=True,
                                        on=["assessment_id", "student_id"])
    theirs["not_assessed"] = exp[exp["_merge"] == "left_only"].groupby("assessment_id").size()
    theirs["not_assessed"] = theirs["not_assessed"].fillna(0)
    joined = ours.join(theirs, suffixes=("", "_pd"), how="inner")
    assert len(joined) == len(theirs) == ours["assessed"].gt(0).sum()
    assert (joined["assessed"] == joined["assessed_pd"]).all()
    assert (joined["proficient"] == joined["proficient_pd"]).all()
    assert (joined["not_assessed"] == joined["not_assessed_pd"]).all()
    assert np.allclose(joined["mean_score"], joined["mean_score_pd"])
    assert np.allclose(joined["pct_proficient"], joined["proficient_pd"] / joined["assessed_pd"])


def pandas_growth(b: pd.DataFrame) -> pd.DataFrame:
    """Consecutive benchmark pairs per subject, grade and school year, computed in pandas from overall rows."""
    events = (b[["assessment_id", "subject", "grade_level", "sy", "administered_on"]].drop_duplicates()
              .sort_values(["administered_on", "assessment_id"]))
    rows = []
    for _, grp in events.groupby(["subject", "grade_level", "sy"]):
        ids = grp["assessment_id"].tolist()
        for a, c in zip(ids, ids[1:]):
            m = b[b["assessment_id"] == a].merge(b[b["assessment_id"] == c], on="student_id")
            rows.append({"from_id": a, "to_id": c, "matched": len(m),
                         "mean_growth": (m["score_y"] - m["score_x"]).mean(),
                         "pct_to": m["proficient_y"].mean(),
                         "became": int((~m["proficient_x"] & m["proficient_y"]).sum())})
    return pd.DataFrame(rows, columns=["from_id", "to_id", "matched", "mean_growth", "pct_to", "became"]
                        ).set_index(["from_id", "to_id"])


def test_growth_matches_pandas_on_demo(demo_con, demo_frames):
    ours = trends.growth(demo_con)
    ov = demo_frames["overall"]
    theirs = pandas_growth(ov[ov["kind"] == "benchmark"])
    joined = ours.set_index(["from_id", "to_id"]).join(theirs, suffixes=("", "_pd"), how="inner")
    assert len(joined) == len(theirs) == len(ours) > 10
    assert (joined["matched"] == joined["matched_pd"]).all()
    assert np.allclose(joined["mean_growth"], joined["mean_growth_pd"])
    assert np.allclose(joined["pct_to"], joined["pct_to_pd"])
    assert (joined["became_proficient"] == joined["became"]).all()


def latest(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Each key's most recent row (date, then assessment id, descending)."""
    return (frame.sort_values(["administered_on", "assessment_id"], ascending=False)
            .drop_duplicates(keys, keep="first"))


def test_heatmap_matches_pandas_on_demo(demo_con, demo_frames):
    lo, hi = trends.school_year_bounds("2025-26")
    ours = trends.heatmap(demo_con, subject="Math", date_from=lo, date_to=hi)
    s = demo_frames["by_std"]
    s = s[(s["subject"] == "Math") & (s["sy"] == 2025)]
    last = latest(s, ["student_id", "standard_code", "grade_level"])
    last = last.assign(p=last["score"] >= last["proficiency_cut"])
    theirs = last.groupby(["grade_level", "standard_code"]).agg(n=("p", "size"), k=("p", "sum"))
    joined = ours.set_index(["grade_level", "standard_code"]).join(theirs, how="inner")
    assert len(joined) == len(theirs) == len(ours) > 50
    assert (joined["students"] == joined["n"]).all() and (joined["proficient"] == joined["k"]).all()


@pytest.mark.parametrize("flag", ["ell", "iep", "frl", "gender", "ethnicity"])
def test_subgroups_match_pandas_on_demo(demo_con, demo_frames, flag):
    lo, hi = trends.school_year_bounds("2025-26")
    ours = trends.subgroups(demo_con, min_n=1, kinds=BENCH, date_from=lo, date_to=hi)
    ov = demo_frames["overall"]
    ov = ov[(ov["kind"] == "benchmark") & (ov["sy"] == 2025)]
    last = latest(ov, ["student_id", "subject"]).merge(demo_frames["students"], on="student_id")
    last["value"] = last[flag].map(lambda v: str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v))
    theirs = last.groupby(["subject", "value"]).agg(n=("proficient", "size"), k=("proficient", "sum"))
    mine = ours[ours["flag"] == flag].set_index(["subject", "value"]).join(theirs, how="inner")
    assert len(mine) == len(theirs) >= 4
    assert (mine["students"] == mine["n"]).all() and (mine["proficient"] == mine["k"]).all()
    for _subject, grp in mine.groupby(level=0):
        for value, r in grp.iterrows():
            rest = grp.drop(index=value)
            assert r["rest_pct_proficient"] == pytest.approx(rest["k"].sum() / rest["n"].sum())


def test_drilldown_teachers_match_pandas_on_demo(demo_con, demo_frames):
    """Grade 3 Math benchmarks in 2025-26: each student's latest result, in the class of that assessment."""
    lo, hi = trends.school_year_bounds("2025-26")
    ours = trends.drilldown(demo_con, "teacher", min_n=1, grade="3", subject="Math", kinds=BENCH,
                            date_from=lo, date_to=hi)
    ov = demo_frames["overall"]
    ov = ov[(ov["kind"] == "benchmark") & (ov["sy"] == 2025) & (ov["grade_level"] == "3") & (ov["subject"] == "Math")]
    last = latest(ov, ["student_id"]).merge(demo_frames["expected"], on=["assessment_id", "student_id"], how="left")
    theirs = last.groupby("teacher_id").agg(n=("proficient", "size"), k=("proficient", "sum"))
    joined = ours.set_index("teacher_id").join(theirs, how="inner")
    assert len(joined) == len(theirs) == 5
    assert (joined["assessed"] == joined["n"]).all() and (joined["proficient"] == joined["k"]).all()


# --- early-warning and goal summaries on the principal view ---------------------------------------

def test_goal_summary_counts_goals_by_status(demo_con):
    from lib import goals

    listed = goals.list_goals(demo_con)
    gs = trends.goal_summary(demo_con)
    assert int(gs["Goals"].sum()) == len(listed) > 0
    for status, n in zip(gs["Status"], gs["Goals"]):
        assert n == sum(1 for g in listed if (g["status"] or "not measured yet") == status)


def test_goal_summary_with_no_goals(con):
    assert trends.goal_summary(con).empty


class FakeResult:
    """What lib.risk.cached_build returns, reduced to the predictions this view counts."""

    def __init__(self, predictions):
        self.predictions = predictions


def test_early_warning_summary_counts_bands(con, monkeypatch):
    from lib import risk

    pred = pd.DataFrame({"student_id": list("abcdef"), "subject": ["Math"] * 4 + ["ELA"] * 2,
                         "band": ["high", "low", "low", "medium", "high", "high"],
                         "school": ["N", "N", "S", "N", "N", "N"], "grade_level": "3"})
    monkeypatch.setattr(risk, "cached_build", lambda c, *a, **k: FakeResult(pred))
    ew = trends.early_warning_summary(con).set_index("Subject")
    assert ew.loc["Math", ["High", "Medium", "Low", "Students"]].tolist() == [1, 1, 2, 4]
    assert ew.loc["ELA", ["High", "Medium", "Low", "Students"]].tolist() == [2, 0, 0, 2]
    north = trends.early_warning_summary(con, school="N").set_index("Subject")
    assert north.loc["Math", "Students"] == 3


def test_early_warning_ready_follows_the_risk_cache(con, monkeypatch):
    from lib import queries as q
    from lib import risk

    monkeypatch.setattr(risk, "_CACHE", {})
    assert trends.early_warning_ready(con) is False
    fingerprint = tuple(str(v) for v in q.run(con, "risk_inputs").iloc[0].tolist())
    risk._CACHE[(fingerprint, None, "summative")] = object()
    assert trends.early_warning_ready(con) is True


# --- scale-score results (vendor formats) and the core views ---------------------------------------

@pytest.fixture
def with_scale(tiny):
    """The tiny school plus a MAP-style scale assessment: results in `scores`, proficient as the file says."""
    iid = tf.begin_import(tiny, "map")
    tf.insert(tiny, "assessments", [dict(assessment_id="M1", title="MAP Math Winter", subject="Math",
                                         grade_level="3", kind="benchmark", administered_on=dt.date(2026, 1, 20),
                                         proficiency_cut=1.0)], iid)
    rows = [dict(assessment_id="M1", student_id=s, standard_code=code, proficient_given=p, vendor="nwea_map",
                 scale_score=200.0)
            for s, p in (("s1", True), ("s2", False), ("s3", True))
            for code in (None, "3.NF.A.1")]
    tf.insert(tiny, "scores", rows, iid)
    return tiny


def test_scale_results_count_like_points(with_scale):
    """M1: 3 scored (s1, s3 proficient); s4 s5 on the roster but not assessed."""
    r = row(trends.over_time(with_scale, kinds=BENCH), assessment_id="M1")
    assert (r["assessed"], r["proficient"], r["not_assessed"]) == (3, 2, 2)
    # M1 is now the latest NF result for s1-s3: s1 and s3 proficient, s2 not; s4 s5 keep B2 (.5), s6 B1 (0).
    nf = row(trends.heatmap(with_scale, kinds=BENCH), standard_code="3.NF.A.1")
    assert (nf["students"], nf["proficient"]) == (6, 2)


def test_over_time_agrees_with_the_core_views(with_scale):
    """The scope-first SQL gives what v_overall_scores and v_assessment_roster give."""
    ours = trends.over_time(with_scale).set_index("assessment_id")
    core = store.fetch_df(with_scale, """
        SELECT r.assessment_id, count(o.score) AS assessed,
               count(*) FILTER (WHERE o.score >= a.proficiency_cut) AS proficient,
               count(*) FILTER (WHERE o.score IS NULL) AS not_assessed
        FROM v_assessment_roster r JOIN assessments a USING (assessment_id)
        LEFT JOIN v_overall_scores o USING (assessment_id, student_id)
        GROUP BY ALL""").set_index("assessment_id")
    joined = ours.join(core, suffixes=("", "_core"))
    assert len(joined) == len(core) == 4
    for col in ("assessed", "proficient", "not_assessed"):
        assert (joined[col] == joined[f"{col}_core"]).all(), col


# --- rows shared between questions (district speed) must never change an answer ------------------

@pytest.mark.parametrize("lo, hi", [
    (dt.date(2025, 10, 15), dt.date(2026, 10, 15)),  # cuts 2025-26 after its BOY benchmark
    (dt.date(2026, 1, 1), None),
    (None, dt.date(2026, 1, 31)),
])
def test_growth_in_a_date_range_matches_pandas_on_demo(demo_con, demo_frames, lo, hi):
    """Pairs are consecutive benchmarks among those in the range (the app filters its all-dates pairs)."""
    ours = trends.growth(demo_con, date_from=lo, date_to=hi)
    ov = demo_frames["overall"]
    b = ov[(ov["kind"] == "benchmark")
           & (ov["administered_on"] >= pd.Timestamp(lo or dt.date(1900, 1, 1)))
           & (ov["administered_on"] <= pd.Timestamp(hi or dt.date(2100, 1, 1)))]
    theirs = pandas_growth(b)
    joined = ours.set_index(["from_id", "to_id"]).join(theirs, suffixes=("", "_pd"), how="inner")
    assert len(joined) == len(theirs) == len(ours) > 0
    assert (joined["matched"] == joined["matched_pd"]).all()
    assert np.allclose(joined["mean_growth"], joined["mean_growth_pd"])


def test_heatmap_without_the_base_join_gives_the_same_cells(demo_con):
    """With no school or teacher chosen the heatmap skips joining the base; both ways agree."""
    for lo, hi in [trends.school_year_bounds("2025-26"), (None, None)]:
        params = trends._params(kinds=("benchmark", "summative"), date_from=lo, date_to=hi)
        fast = trends._run(demo_con, "trends_heatmap_unfiltered_several", ("trends_base", "trends_status"), params)
        full = trends._run(demo_con, "trends_heatmap_several", ("trends_base", "trends_status"), params)
        assert len(fast) > 50
        pd.testing.assert_frame_equal(fast, full, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("kinds, several", [(("summative",), False), (("benchmark",), True)])
def test_heatmap_sums_directly_only_when_nobody_has_several_results(demo_con, kinds, several):
    """One summative per subject and year: nobody has two results, and the plain sums give the cells the
    per-student latest gives. Three benchmarks a year: the per-student form is the one used."""
    lo, hi = trends.school_year_bounds("2025-26")
    params = trends._params(kinds=kinds, date_from=lo, date_to=hi)
    assert bool(trends._run(demo_con, "trends_has_several", "trends_status", params).iloc[0, 0]) is several
    reads = ("trends_base", "trends_status")
    for name in ("trends_heatmap", "trends_heatmap_unfiltered"):
        latest = trends._run(demo_con, f"{name}_several", reads, params)
        summed = trends._run(demo_con, f"{name}_single", reads, params)
        assert len(latest) > 10
        if several:
            assert not latest[["students", "proficient"]].equals(summed[["students", "proficient"]])
        else:
            pd.testing.assert_frame_equal(latest, summed, check_exact=False, rtol=1e-12)
    chosen = trends.heatmap(demo_con, kinds=kinds, date_from=lo, date_to=hi).drop(columns="standard_key")
    pd.testing.assert_frame_equal(chosen, latest, check_exact=False, rtol=1e-12)


def test_narrower_scopes_reuse_one_base_and_match_a_fresh_connection(demo_con, demo_db_file):
    """Growth (benchmarks) and this year's questions read the base built for all years' benchmarks and
    summatives; the answers are those a fresh connection computes for each scope on its own."""
    lo, hi = trends.school_year_bounds("2025-26")
    wide = dict(kinds=("benchmark", "summative"))
    trends.over_time(demo_con, **wide)
    answers = {"growth": trends.growth(demo_con, date_from=lo, date_to=hi),
               "heatmap": trends.heatmap(demo_con, **wide, date_from=lo, date_to=hi),
               "drill": trends.drilldown(demo_con, "grade", **wide, date_from=lo, date_to=hi, grade="3")}
    assert len(trends._cache(demo_con)["bases"]) == 1
    fresh = store.connect(demo_db_file, read_only=True)
    try:
        expected = {"growth": trends.growth(fresh, date_from=lo, date_to=hi),
                    "heatmap": trends.heatmap(fresh, **wide, date_from=lo, date_to=hi),
                    "drill": trends.drilldown(fresh, "grade", **wide, date_from=lo, date_to=hi, grade="3")}
    finally:
        fresh.close()
    for name, df in answers.items():
        assert len(df) > 0, name
        pd.testing.assert_frame_equal(df, expected[name], check_exact=False, rtol=1e-12)


def test_shared_rows_follow_writes(tiny):
    """A new result (an import bumps the data version) is in the next answer, not a stale kept one."""
    before = row(trends.over_time(tiny, kinds=BENCH), assessment_id="B2")
    assert (before["assessed"], before["not_assessed"]) == (5, 0)
    iid = tf.begin_import(tiny, "late student")
    tf.insert(tiny, "students", [dict(student_id="s7", first_name="Gus", last_name="Wren", grade_level="3",
                                      school="North", ell=False, iep=False, frl=False, gender="M")], iid)
    tf.insert(tiny, "enrollments", [dict(student_id="s7", section_id="sec1")], iid)
    store.bump_data_version(tiny)
    after = row(trends.over_time(tiny, kinds=BENCH), assessment_id="B2")
    assert (after["assessed"], after["not_assessed"]) == (5, 1)  # s7 expected, not assessed
    tf.insert(tiny, "responses", [dict(assessment_id="B2", student_id="s7", item=str(k), points_earned=1.0)
                                  for k in (1, 2, 3)], iid)
    store.bump_data_version(tiny)
    last = row(trends.over_time(tiny, kinds=BENCH), assessment_id="B2")
    assert (last["assessed"], last["not_assessed"], last["proficient"]) == (6, 0, 4)
    assert trends.headline(tiny, kinds=BENCH).iloc[0]["assessed"] == 7
