"""NWEA MAP: AssessmentResults in every layout, StudentsBySchool, the data-file zip, Reading Fluency, samples."""

from __future__ import annotations

import csv
import io

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
    zip_bytes,
)

GOALS = ["Operations and Algebraic Thinking", "Number and Operations", "Geometry"]


def results_csv(rows: list[dict], style: str = "2021", delimiter: str = ",", quote_all: bool = False) -> str:
    """An AssessmentResults file in one of NWEA's layouts (pre-2015, 2021 on, the lower-case district rework)."""
    if style == "pre2015":
        head = ["TermName", "StudentID", "SchoolName", "MeasurementScale", "Discipline", "GrowthMeasureYN",
                "TestType", "TestName", "TestID", "TestStartDate", "TestRITScore", "TestPercentile"]
    else:
        head = ["TermName", "DistrictName", "SchoolName", "StudentID", "Subject", "Course", "GrowthMeasureYN",
                "TestType", "TestName", "TestID", "TestStartDate", "TestRITScore", "TestPercentile",
                "AchievementQuintile", "ProjectedProficiencyStudy1", "ProjectedProficiencyLevel1"]
    for g in range(1, 4):
        head += [f"Goal{g}Name", f"Goal{g}RitScore", f"Goal{g}Adjective"]
    if style == "teacher":
        head += ["StudentLastName", "StudentFirstName", "Grade", "Teacher Name", "Teacher UID"]
    if style == "lower":
        head = ["blank"] + [h.lower() for h in head]
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL if quote_all else 0)
    w.writerow(head)
    for r in rows:
        rec = {"TermName": "Fall 2026-2027", "DistrictName": "D", "SchoolName": "Oak Elementary",
               "MeasurementScale": "Mathematics", "Discipline": "Mathematics", "Subject": "Mathematics",
               "Course": "Math K-12", "GrowthMeasureYN": "TRUE", "TestType": "Survey With Goals",
               "TestName": "Growth: Math 2-5 CCSS 2010 V2", "TestID": r["id"] + "-t", "TestStartDate": "9/10/2026",
               "AchievementQuintile": "", "ProjectedProficiencyStudy1": "State Test",
               "ProjectedProficiencyLevel1": r.get("proj", ""), "StudentLastName": "L" + r["id"],
               "StudentFirstName": "F" + r["id"], "Grade": r.get("grade", "3"), "Teacher Name": r.get("teacher", ""),
               "Teacher UID": "", "blank": "", **r}
        rec["StudentID"], rec["TestRITScore"], rec["TestPercentile"] = r["id"], r["rit"], r["pct"]
        for g, name in enumerate(GOALS, 1):
            rec[f"Goal{g}Name"], rec[f"Goal{g}RitScore"], rec[f"Goal{g}Adjective"] = name, r["rit"], r["adj"][g - 1]
        w.writerow([rec.get(h, rec.get(next((k for k in rec if k.lower() == h), h), "")) for h in head])
    return out.getvalue()


STUDENTS_BY_SCHOOL = (FIXTURES / "map_students_by_school.csv").read_text()
ROWS = [{"id": "S1", "rit": "201", "pct": "50", "adj": ["Avg", "HiAvg", "LoAvg"], "proj": "Level 3"},
        {"id": "S2", "rit": "188", "pct": "49", "adj": ["Low", "LoAvg", "Avg"], "proj": "Level 3"},
        {"id": "S3", "rit": "215", "pct": "72", "adj": ["Hi", "Avg", "Avg"], "proj": "Level 2"}]


def test_percentile_50_is_proficient_and_goals_are_standards(con):
    load(con, ("STUDENTS.csv", STUDENTS_BY_SCHOOL))
    r = load(con, ("AssessmentResults.csv", results_csv(ROWS)))[0]
    assert (r.layout, r.rows_loaded, r.rows_rejected) == ("nwea_map_results", 3, 0)
    a = assessments(con).set_index("grade_level")
    assert a.loc["3", "title"] == "MAP Growth Math · Fall 2026-2027 · Grade 3"
    assert (a.loc["3", "kind"], a.loc["3", "proficiency_cut"], bool(a.loc["3", "is_scale"])) == ("benchmark", 1.0, True)
    o = store.fetch_df(con, "SELECT student_id, earned, possible, score FROM v_overall_scores ORDER BY 1")
    assert o.values.tolist() == [["S1", 1.0, 1.0, 1.0], ["S2", 0.0, 1.0, 0.0], ["S3", 1.0, 1.0, 1.0]]
    g = store.fetch_df(con, "SELECT student_id, standard_code, score FROM v_standard_scores "
                            "WHERE student_id = 'S2' ORDER BY 2")
    assert g.values.tolist() == [["S2", "MAP Math: Geometry", 1.0], ["S2", "MAP Math: Number and Operations", 0.0],
                                 ["S2", "MAP Math: Operations and Algebraic Thinking", 0.0]]
    lv = scale.scale_results(con, a.loc["3", "assessment_id"])
    overall = lv[lv["standard_code"] == "Overall"].set_index("student_id")
    assert overall.loc["S1", "scale_score"] == 201 and overall.loc["S1", "vendor_level"] == "Avg"  # quintile of 50


def test_mapping_is_editable(con):
    load(con, ("AssessmentResults.csv", results_csv(ROWS)))
    proficient = lambda: store.fetch_df(con, "SELECT student_id FROM v_overall_scores WHERE score = 1 "  # noqa: E731
                                             "ORDER BY 1")["student_id"].tolist()
    assert proficient() == ["S1", "S3"]
    scale.set_rule(con, "nwea_map", "overall", percentile_cut=49)
    assert proficient() == ["S1", "S2", "S3"]
    scale.set_rule(con, "nwea_map", "overall", percentile_cut=50, prefer_projected=True)  # projected level decides
    assert proficient() == ["S1", "S2"]
    scale.set_level(con, "nwea_map", "projected", "Level 2", True)
    assert proficient() == ["S1", "S2", "S3"]
    m = scale.level_mapping(con)
    assert bool(m[(m["vendor"] == "nwea_map") & (m["level"] == "Level 2")]["proficient"].iat[0]) is True


@pytest.mark.parametrize("style,delimiter,quote_all", [("pre2015", ",", False), ("2021", ",", True),
                                                       ("lower", ",", False), ("teacher", "\t", False)])
def test_every_layout_is_recognised(con, style, delimiter, quote_all):
    fp = plan(con, ("results.txt", results_csv(ROWS, style, delimiter, quote_all))).files[0]
    assert (fp.layout, fp.rows_ok, fp.rows_rejected) == ("nwea_map_results", 3, 0)
    assert fp.label.startswith("NWEA MAP Growth AssessmentResults")
    sc = fp.parsed.extra["scores"]
    assert len(sc) == 3 + 9 and set(sc["student_id"]) == {"S1", "S2", "S3"}


def test_combined_file_with_teacher_links_students_to_teachers(con):
    rows = [dict(r, teacher="Martinez, Keyda") for r in ROWS]
    load(con, ("Combo.txt", results_csv(rows, "teacher", "\t")))
    t = store.fetch_df(con, "SELECT DISTINCT teacher_id FROM v_assessment_roster WHERE teacher_id IS NOT NULL")
    assert t["teacher_id"].tolist() == ["martinez-keyda"]
    st = store.fetch_df(con, "SELECT student_id, first_name, grade_level FROM students ORDER BY 1")
    assert st.values.tolist() == [["S1", "FS1", "3"], ["S2", "FS2", "3"], ["S3", "FS3", "3"]]


def test_retest_growth_measure_counts_and_the_other_is_set_aside(con):
    rows = [dict(ROWS[0], GrowthMeasureYN="TRUE", TestStartDate="9/10/2026"),
            dict(ROWS[0], rit="190", pct="30", GrowthMeasureYN="FALSE", TestStartDate="9/20/2026")]
    fp = plan(con, ("ar.csv", results_csv(rows))).files[0]
    assert (fp.rows_ok, fp.rows_rejected) == (1, 1)
    assert fp.rejects["reason"].iat[0] == "earlier test of the same student; the one on row 2 counts"
    # The very same test exported twice loads once (a duplicate, not a reject).
    fp = plan(con, ("ar.csv", results_csv([ROWS[0], ROWS[0]]))).files[0]
    assert (fp.rows_ok, fp.rows_rejected, fp.rows_duplicate) == (2, 0, 1)


def test_blank_rit_is_rejected_with_its_row(con):
    fp = plan(con, ("ar.csv", results_csv([ROWS[0], dict(ROWS[1], rit="")]))).files[0]
    assert fp.rejects[["row", "column", "reason"]].values.tolist() == [[3, "TestRITScore", "RIT score is blank"]]


def test_data_file_zip_takes_the_grade_of_the_term_from_students_by_school(con):
    z = zip_bytes({"AssessmentResults.csv": results_csv(ROWS), "StudentsBySchool.csv": STUDENTS_BY_SCHOOL})
    r = load(con, ("MAP_CDF.zip", z))[0]
    assert (r.status, r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == ("loaded", "nwea_map_cdf", 6, 6, 0)
    a = assessments(con)
    assert sorted(a["grade_level"]) == ["3", "4"]
    assert store.fetch_df(con, "SELECT first_name FROM students ORDER BY 1")["first_name"].tolist() == \
        ["Ana", "Ben", "Cho"]


def test_undo_removes_scale_results(con):
    r = load(con, ("AssessmentResults.csv", results_csv(ROWS)))[0]
    before = store.counts(con)
    assert before["assessments"] == 1
    assert before["scale_scores"] == store.fetch_value(con, "SELECT count(*) FROM scores") > 0
    store.undo_import(con, r.import_id)
    after = store.counts(con)
    assert (after["students"], after["assessments"], after["items"], after["standards"]) == (0, 0, 0, 0)
    assert after["scale_scores"] == 0
    assert store.fetch_value(con, "SELECT count(*) FROM scale_assessments") == 0


# --- the real samples -------------------------------------------------------------------------------

@pytest.mark.parametrize("path,id_col", [
    (("nwea_map", "edanalytics_earthmover", "MAP_Growth_sample_anonymized_file.csv"), "StudentID"),
    (("nwea_map", "edfi_assessment_loaders", "MAP_AssessmentResultsFile1.csv"), "StudentID"),
    (("nwea_map", "edfi_assessment_loaders", "MAP_StudentBySchool.csv"), "StudentID"),
    (("nwea_map", "edanalytics_earthmover", "MAP_Fluency_sample_anonymized_file.csv"), "StudentID"),
])
def test_sample_imports_with_exact_counts(con, path, id_col):
    p = sample(*path)
    recs = csv_records(p)
    r = load_paths(con, p)[0]
    assert (r.status, r.rows_total, r.rows_loaded, r.rows_rejected) == ("loaded", len(recs), len(recs), 0)
    assert store.counts(con)["students"] == len(distinct(recs, id_col))
    if "StudentBySchool" not in p.name:
        tested = store.fetch_value(con, "SELECT count(DISTINCT student_id) FROM scores")
        assert tested == len(distinct(recs, id_col))
        for aid in assessments(con)["assessment_id"][:3]:  # each layout; three are enough
            out = pages_work(con, aid)
            assert (out["headline"]["assessed"], out["headline"]["proficient"]) == independent_headline(con, aid)
            assert not out["levels"].empty


def test_sample_results_with_students_by_school_as_a_folder(con, tmp_path):
    ar = sample("nwea_map", "edfi_assessment_loaders", "MAP_AssessmentResultsFile1.csv")
    sbs = sample("nwea_map", "edfi_assessment_loaders", "MAP_StudentBySchool.csv")
    res = load_paths(con, ar.parent)
    assert [(r.status, r.rows_rejected) for r in res] == [("loaded", 0), ("loaded", 0)]
    grades = {r["StudentID"]: r["Grade"] for r in csv_records(sbs)}
    got = store.fetch_df(con, """SELECT s.student_id, a.grade_level FROM scores s JOIN assessments a
                                 USING (assessment_id) WHERE s.standard_code IS NULL""")
    assert dict(zip(got["student_id"], got["grade_level"])) == grades
    assert len(got) == len(distinct(csv_records(ar), "StudentID"))


def test_sample_ragged_row_is_read(con):
    p = sample("nwea_map", "edanalytics_earthmover", "MAP_Growth_sample_anonymized_file.csv")
    recs = csv_records(p)
    last = recs[-1]
    load_paths(con, p)
    got = store.fetch_df(con, "SELECT scale_score, percentile FROM scores WHERE student_id = ? AND standard_code "
                              "IS NULL AND tested_on = ?", [last["StudentID"], "2021-09-20"])
    assert got.values.tolist() == [[float(last["TestRITScore"]), float(last["TestPercentile"])]]
