"""Renaissance Star: the v2 extract, the Enterprise report and legacy layouts, standards and skill areas."""

from __future__ import annotations

import pytest

from lib import store
from lib.formats import scale
from tests.formats_util import (
    FIXTURES,
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

# "Historical Star ... Enterprise" report export: spaced title-case headers, school benchmark category.
ENTERPRISE = (FIXTURES / "star_enterprise_report.csv").read_text()
# Legacy "Assessment Detail" export (2018-19): no benchmark category at all.
LEGACY = (FIXTURES / "star_assessment_detail_legacy.csv").read_text()


def test_enterprise_report_layout(con):
    r = load(con, ("scrub_Historical_Star_CAT_Reading.csv", ENTERPRISE))[0]
    assert (r.layout, r.rows_loaded, r.rows_rejected) == ("star", 3, 0)
    a = assessments(con).iloc[0]
    assert (a["title"], a["subject"], a["grade_level"]) == ("Star Reading · Fall 2026-2027 · Grade 4", "ELA", "4")
    v = store.fetch_df(con, "SELECT student_id, scale_score, percentile, vendor_level, proficient FROM v_scale_scores "
                            "ORDER BY 1")
    assert v.values.tolist() == [["S1", 512.0, 55.0, "At/Above Benchmark", True],
                                 ["S2", 402.0, 30.0, "On Watch", False],
                                 ["S3", 350.0, 8.0, "Urgent Intervention", False]]
    assert store.fetch_df(con, "SELECT DISTINCT teacher_id FROM v_assessment_roster")["teacher_id"].tolist() == \
        ["sue-kim"]


def test_legacy_export_takes_the_category_from_the_percentile(con):
    fp = plan(con, ("Master_ELEM_STAR_Math_Assessment_Detail.csv", LEGACY)).files[0]
    assert (fp.layout, fp.rows_ok, fp.rows_rejected) == ("star", 2, 0)
    assert any("percentile rank" in n for n in fp.notes)
    sc = fp.parsed.extra["scores"]
    assert sc[["student_id", "product", "vendor_level"]].values.tolist() == [
        ["S1", "Star Math", "At/Above Benchmark"], ["S2", "Star Math", "Intervention"]]


def test_benchmark_mapping_edit_changes_proficiency(con):
    load(con, ("star.csv", ENTERPRISE))
    aid = assessments(con)["assessment_id"].iat[0]
    assert scale.level_counts(con, aid)["proficient"].sum() == 1
    scale.set_level(con, "star", "overall", "On Watch", True)
    o = store.fetch_df(con, "SELECT student_id FROM v_overall_scores WHERE score = 1 ORDER BY 1")
    assert o["student_id"].tolist() == ["S1", "S2"]


# --- the real samples -------------------------------------------------------------------------------

STAR = ("renaissance_star", "edanalytics_earthmover")


@pytest.mark.parametrize("name,layout", [("SR_sample_anonymized_file.csv", "star"),
                                         ("SR_Dashboard_Standards_v2_sample_anonymized_file.csv", "star_standards"),
                                         ("SR_SkillArea_v1_sample_anonymized_file.csv", "star_skills")])
def test_sample_imports_with_exact_counts(con, name, layout):
    p = sample(*STAR, name)
    recs = csv_records(p)
    r = load_paths(con, p)[0]
    assert (r.status, r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == \
        ("loaded", layout, len(recs), len(recs), 0)
    ids = distinct(recs, "StudentIdentifier")
    assert store.counts(con)["students"] == len(ids)
    assert store.fetch_value(con, "SELECT count(DISTINCT student_id) FROM scores") == len(ids)
    for aid in assessments(con)["assessment_id"][:3]:  # each layout; three are enough
        out = pages_work(con, aid)
        assert (out["headline"]["assessed"], out["headline"]["proficient"]) == independent_headline(con, aid)
        assert not out["by_standard"].empty or layout == "star"


def test_sample_standards_join_their_tests(con):
    tests = sample(*STAR, "SR_sample_anonymized_file.csv")
    stds = sample(*STAR, "SR_Dashboard_Standards_v2_sample_anonymized_file.csv")
    load_paths(con, tests)
    load_paths(con, stds)  # a later, separate upload
    by_test = {r["AssessmentID"]: r["StudentIdentifier"] for r in csv_records(tests)}
    got = store.fetch_df(con, """SELECT s.student_id, s.standard_code, t.vendor_test_id FROM scores s
                                 JOIN scores t ON t.assessment_id = s.assessment_id AND t.student_id = s.student_id
                                  AND t.standard_code IS NULL
                                 WHERE s.standard_code IS NOT NULL""")
    expected = {(r["StudentIdentifier"], r["StandardName"]) for r in csv_records(stds)
                if r["AssessmentID"] in by_test}
    assert set(zip(got["student_id"], got["standard_code"])) == expected
    assert len(assessments(con)) == len({r["CurrentGrade"] for r in csv_records(tests)})  # one test per grade


def test_sample_folder_loads_tests_with_standards_and_skills(con):
    folder = sample(*STAR)
    res = load_paths(con, folder)
    data = [r for r in res if "column_dictionary" not in r.file]
    assert all((r.status, r.rows_rejected) == ("loaded", 0) for r in data)
    assert {r.layout for r in data} == {"star_bundle"}
    assert store.fetch_value(con, "SELECT count(*) FROM scores WHERE standard_code IS NOT NULL") == 10
    assert store.fetch_value(con, "SELECT count(DISTINCT assessment_id) FROM scores") == \
        store.fetch_value(con, "SELECT count(DISTINCT assessment_id) FROM scores WHERE standard_code IS NULL")
