"""i-Ready Diagnostic: every yearly layout, relative placement, proficiency by placement, the real samples."""

from __future__ import annotations

import pytest

from lib import store
from lib.formats import iready, scale
from tests.formats_util import (
    assessments,
    csv_records,
    distinct,
    independent_headline,
    load,
    load_paths,
    pages_work,
    plan,
    sample,
)

# The 2023-24 diagnostic_results_math layout, cut down (BOM and CRLF as Curriculum Associates writes them).
MATH = ("\ufeffLast Name,First Name,Student ID,Student Grade,Academic Year,School,Sex,Hispanic or Latino,Race,"
        "English Language Learner,Special Education,Economically Disadvantaged,Class(es),Class Teacher(s),"
        "Start Date,Completion Date,Overall Scale Score,Overall Placement,Overall Relative Placement,Percentile,"
        "Number and Operations Scale Score,Number and Operations Placement,Number and Operations Relative Placement,"
        "Geometry Scale Score,Geometry Placement,Geometry Relative Placement,Mid On Grade Level Scale Score,"
        "Proficiency if Student Shows No Additional Growth\r\n"
        "Lopez,Ana,S1,3,2026-2027,Oak,F,Y,White,Y,N,Y,Math 3A,\"Kim, Sue\",9/10/2026,9/10/2026,455,Early 3,"
        "Early On Grade Level,52,450,Early 3,Early On Grade Level,401,Grade 1,2 Grade Levels Below,464,Level 3\r\n"
        "Ode,Ben,S2,3,2026-2027,Oak,M,N,Black,N,Y,N,Math 3A,\"Kim, Sue\",9/11/2026,9/11/2026,402,Grade 1,"
        "2 Grade Levels Below,12,410,Grade 1,2 Grade Levels Below,,Not Assessed,Not Assessed,464,Level 1\r\n")


@pytest.mark.parametrize("placement,grade,expected", [
    ("Early 3", "3", "Early On Grade Level"), ("Mid 3", "3", "Mid or Above Grade Level"),
    ("Late 3", "3", "Mid or Above Grade Level"), ("Level 3", "3", "On Grade Level"),
    ("Grade 1", "3", "2 Grade Levels Below"), ("Level 2", "3", "1 Grade Level Below"),
    ("Early K", "4", "3 or More Grade Levels Below"), ("Below K", "K", "1 Grade Level Below"),
    ("Mid 7", "6", "Mid or Above Grade Level"), ("Max Score", "2", "Mid or Above Grade Level"),
    ("Not Assessed", "3", None), ("Late", "3", None), ("Early 3", None, None),
])
def test_relative_placement_from_placement_and_grade(placement, grade, expected):
    assert iready.relative_placement(placement, grade) == expected


def test_on_grade_level_is_proficient_domains_are_standards(con):
    r = load(con, ("diagnostic_results_math.csv", MATH))[0]
    assert (r.layout, r.rows_loaded, r.rows_rejected) == ("iready", 2, 0)
    a = assessments(con).iloc[0]
    assert (a["title"], a["subject"], a["grade_level"]) == ("i-Ready Diagnostic Math · Fall 2026-2027 · Grade 3",
                                                            "Math", "3")
    sc = store.fetch_df(con, "SELECT student_id, coalesce(standard_code, '-') AS s, scale_score, vendor_level, "
                             "proficient FROM v_scale_scores ORDER BY 1, 2")
    assert sc.values.tolist() == [
        ["S1", "-", 455.0, "Early On Grade Level", True],
        ["S1", "i-Ready Math: Geometry", 401.0, "2 Grade Levels Below", False],
        ["S1", "i-Ready Math: Number and Operations", 450.0, "Early On Grade Level", True],
        ["S2", "-", 402.0, "2 Grade Levels Below", False],
        ["S2", "i-Ready Math: Number and Operations", 410.0, "2 Grade Levels Below", False]]  # Geometry not assessed
    st = store.fetch_df(con, "SELECT student_id, ethnicity, ell, iep, frl FROM students ORDER BY 1")
    assert st.values.tolist() == [["S1", "Hispanic or Latino", True, False, True], ["S2", "Black", False, True, False]]
    roster = store.fetch_df(con, "SELECT DISTINCT teacher_id FROM v_assessment_roster")
    assert roster["teacher_id"].tolist() == ["kim-sue"]
    proj = store.fetch_df(con, "SELECT projected_level FROM scores WHERE standard_code IS NULL ORDER BY student_id")
    assert proj["projected_level"].tolist() == ["Level 3", "Level 1"]


def test_snake_case_district_feed(con):
    text = ("LAST_NAME,FIRST_NAME,STUDENT_ID,STUDENT_GRADE,ACADEMIC_YEAR,SCHOOL,COMPLETION_DATE,OVERALL_SCALE_SCORE,"
            "OVERALL_PLACE,OVERALL_REL_PLACE,PERCENTILE,NUMBER_OPER_SCALE_SCORE,NUMBER_OPER_PLACE,NUMBER_OPER_REL_PLACE,"
            "MID_GRADE_LEVEL_SCALE_SCORE\n"
            "Lopez,Ana,S1,3,2026-2027,Oak,01/20/2027,470,Mid 3,Mid or Above Grade Level,60,460,Early 3,"
            "Early On Grade Level,464\n")
    fp = plan(con, ("LAUSD_DIAGNOSTIC_MATH.csv", text)).files[0]
    assert (fp.layout, fp.rows_ok) == ("iready", 1)
    sc = fp.parsed.extra["scores"]
    assert sorted(sc["standard_code"].fillna("-")) == ["-", "i-Ready Math: Number and Operations"]
    assert set(sc["window"]) == {"Winter 2026-2027"}


def test_wide_district_layout_is_one_test_per_diagnostic(con):
    head = ["STUDENT_ID", "STUDENT_GRADE", "ACADEMIC_YEAR", "SUBJECT"]
    for n in ("MOST_RECENT", "1", "2"):
        head += [f"DIAGNOSTIC_COMPLETION_DATE_{n}", f"DIAGNOSTIC_OVERALL_SCALE_SCORE_{n}",
                 f"DIAGNOSTIC_OVERALL_PLACEMENT_{n}", f"DIAGNOSTIC_OVERALL_RELATIVE_PLACEMENT_{n}",
                 f"DIAGNOSTIC_PERCENTILE_{n}", f"DIAGNOSTIC_PHONICS_SCALE_SCORE_{n}",
                 f"DIAGNOSTIC_PHONICS_PLACEMENT_{n}", f"DIAGNOSTIC_PHONICS_RELATIVE_PLACEMENT_{n}"]
    row = ["S1", "2", "2026-2027", "ELA",
           "01/15/2027", "480", "Mid 2", "Mid or Above Grade Level", "55", "470", "Early 2", "Early On Grade Level",
           "09/10/2026", "440", "Grade 1", "1 Grade Level Below", "30", "430", "Grade 1", "1 Grade Level Below",
           "01/15/2027", "480", "Mid 2", "Mid or Above Grade Level", "55", "470", "Early 2", "Early On Grade Level"]
    load(con, ("ga_iready_ela.csv", ",".join(head) + "\n" + ",".join(row) + "\n"))
    a = assessments(con).sort_values("administered_on")
    assert a["title"].tolist() == ["i-Ready Diagnostic Reading · Fall 2026-2027 · Grade 2",
                                   "i-Ready Diagnostic Reading · Winter 2026-2027 · Grade 2"]
    o = store.fetch_df(con, "SELECT a.title, v.score FROM v_overall_scores v JOIN assessments a USING (assessment_id) "
                            "ORDER BY a.administered_on")
    assert o["score"].tolist() == [0.0, 1.0]


def test_level_counts_show_placements_not_points(con):
    load(con, ("diagnostic_results_math.csv", MATH))
    aid = assessments(con)["assessment_id"].iat[0]
    lv = scale.level_counts(con, aid)
    overall = lv[lv["is_overall"]]
    assert overall[["vendor_level", "students", "proficient"]].values.tolist() == [
        ["2 Grade Levels Below", 1, False], ["Early On Grade Level", 1, True]]


# --- the real samples -------------------------------------------------------------------------------

SAMPLES = [("iready", "edanalytics_earthmover", "sample_anonymized_file_ela.csv"),
           ("iready", "edanalytics_earthmover", "sample_anonymized_file_math.csv"),
           ("iready", "edfi_starter_kit", "new_comprehensive_student_diagnostic_activity_ela.csv"),
           ("iready", "edfi_starter_kit", "new_comprehensive_student_diagnostic_activity_math.csv")]


@pytest.mark.parametrize("path", SAMPLES, ids=[p[-1] for p in SAMPLES])
def test_sample_imports_with_exact_counts(con, path):
    p = sample(*path)
    recs = csv_records(p)
    r = load_paths(con, p)[0]
    assert (r.status, r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == \
        ("loaded", "iready", len(recs), len(recs), 0)
    ids = distinct(recs, "Student ID")
    assert store.counts(con)["students"] == len(ids)
    assert store.fetch_value(con, "SELECT count(DISTINCT student_id) FROM scores") == len(ids)
    # One overall result per diagnostic (the edfi math file repeats one diagnostic: loaded once).
    tests = {(x["Student ID"], x["Completion Date"], x["Overall Scale Score"]) for x in recs}
    assert store.fetch_value(con, "SELECT count(*) FROM scores WHERE standard_code IS NULL") == len(tests)
    assert r.rows_duplicate == len(recs) - len(tests)
    for aid in assessments(con)["assessment_id"][:3]:  # each layout; three are enough
        out = pages_work(con, aid)
        assert (out["headline"]["assessed"], out["headline"]["proficient"]) == independent_headline(con, aid)
        overall = out["levels"][out["levels"]["is_overall"]]
        assert set(overall["vendor_level"]) <= {
            "Early On Grade Level", "Mid or Above Grade Level", "On Grade Level", "1 Grade Level Below",
            "2 Grade Levels Below", "3 or More Grade Levels Below"}
        assert "(no level)" not in set(out["levels"]["vendor_level"])
