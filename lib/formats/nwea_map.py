"""NWEA MAP Growth data files: AssessmentResults (and the combined / ComboStudentAssessment file),
StudentsBySchool, and MAP Reading Fluency.

One row per test event: the RIT scale score, the achievement percentile (proficient at >= 50 by
default, see lib/formats/scale.py), Goal1..Goal8 blocks (RIT and adjective per goal area) as
per-standard results, and projected proficiency levels. Layout changes across years are absorbed
by accepting every known column name: Subject/Course (2020 on) or MeasurementScale/Discipline,
StudentID or Student_Number / Student_StateID, lower-case headers, a junk leading column.
AssessmentResults has no grade: with StudentsBySchool in the same upload (zip or folder) the grade
of that term is joined; otherwise the student's grade on file is used when writing.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

ID_NAMES = ("StudentID", "Student ID", "Student_Number", "StudentNumber", "Student_StateID", "StudentStateID")


def _is_results(table: Table) -> bool:
    h = c.Header.of(table)
    return h.has("TestRITScore") and h.has(*ID_NAMES) and h.has("TermName", "TestStartDate")


def _is_students_by_school(table: Table) -> bool:
    h = c.Header.of(table)
    return (not h.has("TestRITScore") and h.has("TermName") and h.has(*ID_NAMES)
            and h.has("StudentLastName", "StudentFirstName") and h.has("Grade"))


def _is_fluency(table: Table) -> bool:
    h = c.Header.of(table)
    return (h.has("TermName") and h.has(*ID_NAMES) and h.has("AssignedTestType", "ResultType")
            and len(h.matching(r"[a-z]+performancelevel")) >= 2)


def _family(course: str) -> str:
    """'Reading K-2' -> 'Reading', 'Math 6+' -> 'Math', 'Science - General Science' -> 'Science'."""
    t = re.sub(r"\s+(K|\d+)\s*(-\s*\d+|\+)\s*$", "", course.strip())
    t = re.sub(r"\s+-\s+.*$", "", t)
    return {"Mathematics": "Math", "Language Arts": "Reading"}.get(t, t) or "Test"


def _quintile(p: float) -> str | None:
    """NWEA achievement quintile of a percentile (Low < 21, LoAvg 21-40, Avg 41-60, HiAvg 61-80, High > 80)."""
    if p is None or np.isnan(p):
        return None
    return "Low" if p < 21 else "LoAvg" if p < 41 else "Avg" if p < 61 else "HiAvg" if p < 81 else "High"


def _students(table: Table, h: c.Header, sid: pd.Series, grade: pd.Series | None = None) -> pd.DataFrame:
    return c.student_frame(
        table.rows, sid, first_name=h.col("StudentFirstName", "Student First Name"),
        last_name=h.col("StudentLastName", "Student Last Name"),
        grade_level=grade if grade is not None else c.grades(h.col("Grade", "StudentGrade", "NWEAStandard_Grade")),
        school=h.col("SchoolName", "School Name"), gender=h.col("StudentGender", "Gender"),
        ethnicity=h.col("StudentEthnicGroup", "NWEAStandard_EthnicGroup", "Ethnicity"))


def parse_results(table: Table, fields: dict[str, int], ctx: ingest.Context,
                  term_grades: dict[tuple[str, str], str] | None = None) -> ingest.Parsed:
    """AssessmentResults / combined files -> scale results per test (overall) and per goal area."""
    h = c.Header.of(table)
    sid = h.col(*ID_NAMES)
    id_col = h.name(*ID_NAMES)
    term = h.col("TermName")
    tested_on = c.dates(h.col("TestStartDate"))
    subject_raw = h.col("Subject", "MeasurementScale", "Discipline", "Course")
    course = h.col("Course", "MeasurementScale", "Discipline", "Subject")
    family = course.map(lambda v: _family(v) if v else "")
    test_name = h.col("TestName")
    kind = test_name.map(lambda v: v.split(":", 1)[0].strip() if ":" in v else "Growth")
    product = ["MAP " + " ".join(x for x in (k, f) if x) for k, f in zip(kind, family)]
    window = [t or " ".join(x for x in (c.window_of(d), c.school_year_of(d)) if x) or None
              for t, d in zip(term, tested_on)]
    grade = c.grades(h.col("Grade", "StudentGrade", "NWEAStandard_Grade"))
    if term_grades:
        grade = pd.Series([g or term_grades.get((t, s)) for g, t, s in zip(grade, term, sid)], dtype=object)
    rit_text = h.col("TestRITScore")
    rit = c.number(rit_text)
    pct = c.number(h.col("TestPercentile"))
    quint = h.col("AchievementQuintile")
    level = [q or _quintile(p) for q, p in zip(quint, pct)]
    proj_cols = sorted(h.matching(r"projectedproficiencylevel(\d+)"), key=lambda x: int(x[1].group(1)))
    projected = pd.Series([""] * len(sid), dtype=object)
    for pos, _ in proj_cols:
        v = table.data[pos].astype(object).fillna("").map(lambda x: str(x).strip()).reset_index(drop=True)
        projected = projected.where(projected != "", v)
    growth = h.col("GrowthMeasureYN").str.upper().isin(["TRUE", "Y", "YES", "1"])
    subject = subject_raw.map(c.canonical_subject)
    problems = []
    p = c.blank_ids(table.rows, sid, id_col)
    if p is not None:
        problems.append(p)
    bad = (rit.isna() | (rit < 0)) & (sid != "")
    if bad.any():
        problems.append(c.problem(np.asarray(table.rows)[bad.to_numpy()], h.name("TestRITScore"),
                                  [f"RIT score '{v}' is not a number" if v else "RIT score is blank"
                                   for v in rit_text[bad]]))
    overall = c.score_frame(
        _row=table.rows, student_id=sid, vendor="nwea_map", product=product, subject=subject, grade_level=grade,
        window=window, tested_on=tested_on, scale_score=rit, percentile=pct, vendor_level=level,
        projected_level=projected, vendor_test_id=h.col("TestID"), scale_name="RIT")
    overall["_growth"] = growth.to_numpy()
    bad_rows = set().union(*(set(x["_row"]) for x in problems)) if problems else set()
    overall = overall[~overall["_row"].isin(bad_rows)]
    # Goal areas (Goal1..Goal8): the skill level of MAP, stored as per-standard results.
    goals = []
    for pos, m in h.matching(r"goal(\d+)name"):
        n = m.group(1)
        names = table.data[pos].astype(object).fillna("").map(lambda x: str(x).strip()).reset_index(drop=True)
        g = c.score_frame(
            _row=table.rows, student_id=sid, vendor="nwea_map", product=product, subject=subject, grade_level=grade,
            window=window, tested_on=tested_on,
            standard_code=[f"MAP {f}: {nm}" if nm else None for f, nm in zip(family, names)],
            standard_label=names, scale_score=c.number(h.col(f"Goal{n}RitScore")),
            vendor_level=h.col(f"Goal{n}Adjective"), scale_name="RIT")
        goals.append(g[g["standard_code"].notna() & g["_row"].isin(overall["_row"])])
    scores = pd.concat([overall, *goals], ignore_index=True)
    # Retests: the growth-measure test counts (NWEA's own choice), else the latest.
    scores["_growth"] = scores["_growth"].fillna(False).astype(bool)
    scores, superseded, n_dup = c.keep_latest(scores.assign(_w=scores["window"].astype(str)),
                                              ["student_id", "product", "_w"], h.name("TestStartDate", "TermName"),
                                              prefer="_growth")
    scores = scores.drop(columns=["_growth", "_w"])
    overall = scores[scores["standard_code"].isna()]
    goals = [scores[scores["standard_code"].notna()]]
    if superseded is not None:
        problems.append(superseded)
    students = _students(table, h, sid, grade)
    teacher = h.col("Teacher Name", "TeacherName", "Teacher")
    parsed = ingest.Parsed(students=students, problems=problems, extra={"scores": scores}, duplicates=n_dup)
    if (teacher != "").any():
        parsed.enrollments = c.enrollment_frame(
            table.rows, sid, teacher_name=teacher, teacher_id=h.col("Teacher UID", "TeacherUID", "TeacherID"),
            subject=subject, grade_level=grade, school=h.col("SchoolName"))
    n_tests = len(overall)
    parsed.notes.append(f"NWEA MAP: {n_tests} test events ({overall['student_id'].nunique()} students), "
                        f"{sum(len(g) for g in goals)} goal-area results; proficient = achievement percentile "
                        "50 or more (editable level mapping)."
                        + ("" if (grade.notna()).any() else " No grade column: each student's grade on file "
                           "is used (upload StudentsBySchool with this file to use the grade of that term)."))
    return parsed


def parse_students_by_school(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """StudentsBySchool -> students (names, grade, school, gender, ethnic group)."""
    h = c.Header.of(table)
    sid = h.col(*ID_NAMES)
    students = _students(table, h, sid)
    problems = [p for p in [c.blank_ids(table.rows, sid, h.name(*ID_NAMES))] if p is not None]
    # Several terms in one file: the latest term's row describes the student now.
    students["_term"] = h.col("TermName").map(_term_order).to_numpy()
    students = students.sort_values(["_term", "_row"]).drop(columns="_term")
    return ingest.Parsed(students=students, problems=problems,
                         notes=[f"NWEA StudentsBySchool: {sid[sid != ''].nunique()} students."])


def _term_order(term: str) -> tuple:
    m = re.search(r"(\d{4})", term or "")
    season = {"Fall": 0, "Winter": 1, "Spring": 2, "Summer": 3}.get(c.season_word(term) or "", 0)
    if not m:
        return (0, 0)
    year = int(m.group(1))
    return (year, season)


def parse_fluency(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """MAP Reading Fluency -> one result per domain (performance level), no overall scale score."""
    h = c.Header.of(table)
    sid = h.col(*ID_NAMES)
    tested_on = c.dates(h.col("TestCompletionDate", "TestStartDate"))
    term = h.col("TermName")
    window = [t or " ".join(x for x in (c.window_of(d), c.school_year_of(d)) if x) or None
              for t, d in zip(term, tested_on)]
    grade = c.grades(h.col("Grade"))
    problems = [p for p in [c.blank_ids(table.rows, sid, h.name(*ID_NAMES))] if p is not None]
    parts = []
    for pos, _ in h.matching(r"([a-z]+)performancelevel"):
        header = table.header[pos]
        prefix = re.sub(r"(?i)performancelevel$", "", re.sub(r"[^A-Za-z]", "", header))
        if prefix.lower().startswith("progressmonitoring"):
            continue
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", prefix).strip()
        levels = table.data[pos].astype(object).fillna("").map(lambda x: str(x).strip()).reset_index(drop=True)
        score = c.number(h.col(f"{prefix}DomainScore", f"{prefix}Correct", f"{prefix}WCPMScaled", f"{prefix}Score"))
        part = c.score_frame(
            _row=table.rows, student_id=sid, vendor="nwea_map", product="MAP Reading Fluency", subject="ELA",
            grade_level=grade, window=window, tested_on=tested_on, standard_code=f"MAP Fluency: {words}",
            standard_label=words, scale_score=score, percentile=c.number(h.col(f"{prefix}TestPercentile")),
            vendor_level=levels, scale_name="MAP Reading Fluency")
        # "No Score" / blank: the domain was not measured for this student.
        keep = ~levels.str.lower().isin(["", "no score", "n/a", "not assessed"])
        parts.append(part[keep.to_numpy()])
    scores = pd.concat(parts, ignore_index=True) if parts else c.score_frame()
    bad = set().union(*(set(x["_row"]) for x in problems)) if problems else set()
    scores = scores[~scores["_row"].isin(bad) & (scores["student_id"] != "")]
    students = c.student_frame(table.rows, sid, grade_level=grade, school=h.col("SchoolName"))
    return ingest.Parsed(students=students, problems=problems, extra={"scores": scores},
                         notes=[f"MAP Reading Fluency: {len(scores)} domain results for "
                                f"{scores['student_id'].nunique()} students; a domain counts as proficient at "
                                "Meets or Exceeds Expectation, the test when 80% of its domains do."])


# --- detection ----------------------------------------------------------------------------------

def _detect_results(table: Table, fields: dict[str, int]) -> int:
    return 95 if _is_results(table) else 0


def _detect_students(table: Table, fields: dict[str, int]) -> int:
    return 90 if _is_students_by_school(table) else 0


def _detect_fluency(table: Table, fields: dict[str, int]) -> int:
    return 95 if _is_fluency(table) else 0


# --- the data-file bundle (AssessmentResults + StudentsBySchool in one zip or folder) ---------------

def _claim(tables: list[Table]) -> list[Table]:
    results = [t for t in tables if _is_results(t)]
    sbs = [t for t in tables if _is_students_by_school(t)]
    return results + sbs if results and sbs else []


def _parse_bundle(pairs: list[tuple[Table, dict[str, int]]], ctx: ingest.Context) -> ingest.Parsed:
    out = ingest.Parsed()
    term_grades: dict[tuple[str, str], str] = {}
    sbs = [(t, f) for t, f in pairs if _is_students_by_school(t)]
    for t, _ in sbs:
        h = c.Header.of(t)
        for term, sid, g in zip(h.col("TermName"), h.col(*ID_NAMES), c.grades(h.col("Grade"))):
            if g:
                term_grades[(term, sid)] = g
    # Results first: StudentsBySchool's names and grades are written last, so they win.
    for t, f in [(t, f) for t, f in pairs if _is_results(t)] + sbs:
        part = (parse_students_by_school(t, f, ctx) if _is_students_by_school(t)
                else parse_results(t, f, ctx, term_grades))
        c.drop_problem_rows(part)
        for p in part.problems:
            p["_table"] = t.name
        out = _merge(out, part)
    out.notes.insert(0, "NWEA MAP data files: the grade of each term comes from StudentsBySchool.")
    return out


def _merge(a: ingest.Parsed, b: ingest.Parsed) -> ingest.Parsed:
    m = ingest._merge_parsed(a, b)
    m.problems = a.problems + b.problems
    return m


ingest.register(ingest.Layout("nwea_map_results", "NWEA MAP Growth AssessmentResults (RIT, percentile, goals)",
                              _detect_results, parse_results), first=True)
ingest.register(ingest.Layout("nwea_map_students", "NWEA MAP StudentsBySchool (students, grade per term)",
                              _detect_students, parse_students_by_school, kind="roster"), first=True)
ingest.register(ingest.Layout("nwea_map_fluency", "NWEA MAP Reading Fluency (performance level per domain)",
                              _detect_fluency, parse_fluency), first=True)
ingest.BUNDLES.append(ingest.Bundle("nwea_map_cdf", "NWEA MAP data files (AssessmentResults + StudentsBySchool)",
                                    _claim, _parse_bundle))
