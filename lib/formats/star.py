"""Renaissance Star (Reading, Math, Early Literacy): the scheduled data extract (SR/SM/SEL v2),
the "Historical ... Enterprise" report export, the legacy "Assessment Detail" export, and the
per-standard files (Dashboard Standards: mastery per state standard; SkillArea: mastery score per
skill area).

A test is a scaled score with a benchmark category ("At/Above Benchmark", "On Watch",
"Intervention", "Urgent Intervention"); proficient = At/Above Benchmark (editable, see
lib/formats/scale.py). Exports without a category get Renaissance's default category from the
percentile rank (40+ At/Above, 25-39 On Watch, 10-24 Intervention, under 10 Urgent Intervention).
Standards rows join the stored test with the same AssessmentID; without it they form their own
assessment ("Star Reading standards").
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

ID_NAMES = ("StudentIdentifier", "Student Identifier", "StudentId", "StudentSourcedID", "StudentDisplayID",
            "Student ID", "StudentStateID", "Student State ID")
SCORE_NAMES = ("ScaledScore", "Scaled Score", "SS")
DATE_NAMES = ("CompletedDateLocal", "CompletedDate", "Activity Completed Date", "DateTaken", "LaunchDate")
CATEGORY_NAMES = (("RenaissanceBenchmarkCategoryName", None),
                  ("SchoolBenchmarkCategoryName", "SchoolBenchmarkProficient"),
                  ("School Benchmark Category", None),
                  ("DistrictBenchmarkCategoryName", "DistrictBenchmarkProficient"),
                  ("District Benchmark Category", None),
                  ("StateBenchmarkCategoryName", "StateBenchmarkProficient"),
                  ("State Benchmark Category", None))


def _is_star_test(table: Table) -> bool:
    h = c.Header.of(table)
    if not (h.has(*SCORE_NAMES) and h.has(*ID_NAMES) and h.has(*DATE_NAMES)):
        return False
    # The legacy export says little: require its Star-specific columns (GE, PR, NCE or ZPD).
    return h.has("RenaissanceClientID", "Renaissance Client ID", "StudentRenaissanceID") or \
        h.count("GP", "GE", "PR", "NCE", "StudentGUID") >= 3


def _is_standards(table: Table) -> bool:
    h = c.Header.of(table)
    return h.has(*ID_NAMES) and h.has("StandardName") and h.has("StandardMasteryLevel", "StandardPercentMastery") \
        and h.has("AssessmentID")


def _is_skills(table: Table) -> bool:
    h = c.Header.of(table)
    return h.has(*ID_NAMES) and h.has("SkillAreaName") and h.has("SkillAreaMasteryScore") and h.has("AssessmentID")


def _product(table: Table, h: c.Header, stem: str) -> list[str]:
    """Star Reading / Math / Early Literacy, from an activity column, the file name or the columns present."""
    activity = h.col("Activity Type", "AssessmentType", "CourseName")
    low = stem.lower()
    if re.search(r"(^|[^a-z])(sel|early[ _-]?lit)", low):
        guess = "Star Early Literacy"
    elif re.search(r"(^|[^a-z])(sm|math)([^a-z]|$)", low) or h.has("Quantile", "Quantile Measure") and \
            not h.has("Lexile", "InstructionalReadingLevel", "IRL"):
        guess = "Star Math"
    else:
        guess = "Star Reading"
    out = []
    for a in activity:
        al = a.lower()
        out.append("Star Early Literacy" if "early" in al else "Star Math" if "math" in al
                   else "Star Reading" if "reading" in al else guess)
    return out


def _category_from_percentile(p: float) -> str | None:
    if p is None or np.isnan(p):
        return None
    return ("At/Above Benchmark" if p >= 40 else "On Watch" if p >= 25 else "Intervention" if p >= 10
            else "Urgent Intervention")


def _window(h: c.Header, tested_on: pd.Series) -> list[str | None]:
    name = h.col("ScreeningPeriodWindowName", "Screening Window Name").map(c.season_word)
    year = h.col("SchoolYear", "School Year")
    return [" ".join(x for x in ((w or c.window_of(d)), (y or c.school_year_of(d))) if x) or None
            for w, y, d in zip(name, year, tested_on)]


def parse_tests(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Star test rows -> one scale result per test (scaled score, percentile rank, benchmark category)."""
    h = c.Header.of(table)
    sid = h.col(*ID_NAMES)
    id_col = h.name(*ID_NAMES)
    tested_on = c.dates(h.col(*DATE_NAMES))
    product = _product(table, h, ctx.stem)
    subject = ["Math" if p == "Star Math" else "ELA" for p in product]
    grade = c.grades(h.col("CurrentGrade", "Current Grade", "ExportGrade", "Grade", "AssessmentGrade"))
    ss_text = h.col(*SCORE_NAMES)
    pr = c.number(h.col("PercentileRank", "Percentile Rank", "PR"))
    level = pd.Series([""] * len(sid), dtype=object)
    given = pd.Series([None] * len(sid), dtype=object)
    for cat_col, prof_col in CATEGORY_NAMES:
        if not h.has(cat_col):
            continue
        cat = h.col(cat_col)
        take = (level == "") & (cat != "")
        # A district/state category decides with its own Yes/No column (those words are theirs, not Star's).
        if prof_col and h.has(prof_col) and cat_col != "RenaissanceBenchmarkCategoryName":
            given = given.where(~take, ingest.parse_bool(h.col(prof_col)))
        level = level.where(~take, cat)
    derived = level == ""
    level = level.where(~derived, pr.map(_category_from_percentile))
    status = h.col("AssessmentStatus")
    problems = [p for p in [c.blank_ids(table.rows, sid, id_col)] if p is not None]
    ss = c.number(ss_text)
    bad = ss.isna() & (sid != "")
    if bad.any():
        problems.append(c.problem(np.asarray(table.rows)[bad.to_numpy()], h.name(*SCORE_NAMES),
                                  [f"scaled score '{v}' is not a number" if v else "scaled score is blank"
                                   for v in ss_text[bad]]))
    inactive = status.str.lower().isin(["deactivated", "inactive", "deleted"])
    if inactive.any():
        reason = h.col("DeactivationReason")
        problems.append(c.problem(np.asarray(table.rows)[inactive.to_numpy()], h.name("AssessmentStatus"),
                                  [f"test deactivated in Star{': ' + r if r else ''}" for r in reason[inactive]]))
    scores = c.score_frame(
        _row=table.rows, student_id=sid, vendor="star", product=product, subject=subject, grade_level=grade,
        window=_window(h, tested_on), tested_on=tested_on, scale_score=ss, percentile=pr, vendor_level=level,
        proficient_given=given,
        vendor_test_id=h.col("AssessmentID", "Renaissance Activity ID", "RenaissanceActivityID"),
        scale_name="Star scaled score")
    bad_rows = set().union(*(set(p["_row"]) for p in problems)) if problems else set()
    scores = scores[~scores["_row"].isin(bad_rows)]
    scores, superseded, n_dup = c.keep_latest(scores.assign(_w=scores["window"].astype(str)),
                                              ["student_id", "product", "_w"], h.name(*DATE_NAMES))
    scores = scores.drop(columns="_w")
    if superseded is not None:
        problems.append(superseded)
    hisp = h.col("HispanicOrLatino").str.lower().isin(["yes", "y", "true"])
    multi = h.col("MultiRace").str.lower().isin(["yes", "y", "true"])
    race = pd.Series([""] * len(sid), dtype=object)
    for col, label in (("AmericanIndianOrAlaskaNative", "American Indian or Alaska Native"), ("Asian", "Asian"),
                       ("BlackOrAfricanAmerican", "Black or African American"),
                       ("NativeHawaiianOrOtherPacificIslander", "Native Hawaiian or Other Pacific Islander"),
                       ("White", "White")):
        yes = h.col(col).str.lower().isin(["yes", "y", "true"])
        race = race.where(~(yes & (race == "")), label)
    ethnicity = pd.Series(np.where(hisp, "Hispanic or Latino", np.where(multi, "Two or more races", race)),
                          dtype=object)
    ethnicity = ethnicity.where(ethnicity != "", h.col("Ethnicity"))
    students = c.student_frame(
        table.rows, sid, first_name=h.col("StudentFirstName", "Student First Name", "FirstName"),
        last_name=h.col("StudentLastName", "Student Last Name", "LastName"), grade_level=grade,
        school=h.col("SchoolName", "School Name"), gender=h.col("Gender"), ethnicity=ethnicity)
    parsed = ingest.Parsed(students=students, problems=problems, extra={"scores": scores}, duplicates=n_dup)
    first = h.col("TeacherFirstName", "Teacher First Name")
    last = h.col("TeacherLastName", "Teacher Last Name")
    teacher = (first + " " + last).str.strip()
    klass = h.col("GroupOrClassName", "Class Name", "ClassName")
    if (teacher != "").any():
        parsed.enrollments = c.enrollment_frame(
            table.rows, sid, teacher_name=teacher,
            teacher_id=h.col("TeacherIdentifier", "Teacher Identifier"),
            section_id=[ingest.slug(f"{t}-{k}") if t and k else None for t, k in zip(teacher, klass)],
            course=klass, subject=subject, grade_level=grade, school=h.col("SchoolName", "School Name"))
    parsed.notes.append(f"Renaissance Star: {len(scores)} tests ({scores['student_id'].nunique()} students); "
                        "proficient = At/Above Benchmark (editable level mapping)."
                        + (f" {int(derived.sum())} tests had no benchmark category: Renaissance's default "
                           "category was taken from the percentile rank." if derived.any() else ""))
    return parsed


def _per_standard(table: Table, ctx: ingest.Context, code: pd.Series, desc: pd.Series, score: pd.Series,
                  level: pd.Series | None, family: pd.Series, what: str, label: str) -> ingest.Parsed:
    h = c.Header.of(table)
    sid = h.col(*ID_NAMES)
    tested_on = c.dates(h.col(*DATE_NAMES))
    subject = family.map(lambda v: c.guess_subject(v) or "ELA")
    product = ["Star Math" if s == "Math" else "Star Reading" for s in subject]
    problems = [p for p in [c.blank_ids(table.rows, sid, h.name(*ID_NAMES))] if p is not None]
    blank = (code == "") & (sid != "")
    if blank.any():
        problems.append(c.problem(np.asarray(table.rows)[blank.to_numpy()], what, f"{what} is blank"))
    scores = c.score_frame(
        _row=table.rows, student_id=sid, vendor="star", product=[f"{p} standards" for p in product], subject=subject,
        window=_window(h, tested_on), tested_on=tested_on, standard_code=code, standard_label=desc,
        scale_score=score, vendor_level=level, vendor_test_id=h.col("AssessmentID"), attach_to_test=True,
        scale_name="Star mastery")
    bad = set().union(*(set(p["_row"]) for p in problems)) if problems else set()
    scores = scores[~scores["_row"].isin(bad)]
    return ingest.Parsed(students=c.student_frame(table.rows, sid), problems=problems, extra={"scores": scores},
                         notes=[f"Star {label}: {len(scores)} results for {scores['student_id'].nunique()} students; "
                                "each joins the Star test with the same AssessmentID when it is stored, else "
                                "they form a 'Star ... standards' assessment."])


def parse_standards(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Dashboard Standards: mastery level and percent mastery per state standard."""
    h = c.Header.of(table)
    return _per_standard(table, ctx, h.col("StandardName"), h.col("StandardDescription"),
                         c.number(h.col("StandardPercentMastery")), h.col("StandardMasteryLevel"),
                         h.col("DomainGroup", "FamilyName", "DomainName"), "StandardName", "standards mastery")


def parse_skills(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """SkillArea: mastery score (0-100) per skill area, proficient at 70 or more by default."""
    h = c.Header.of(table)
    family = h.col("FamilyName", "DomainName")
    subject = family.map(lambda v: c.guess_subject(v) or "ELA")
    name = h.col("SkillAreaName")
    code = pd.Series([f"Star {'Math' if s == 'Math' else 'Reading'}: {n}" if n else "" for s, n in zip(subject, name)],
                     dtype=object)
    return _per_standard(table, ctx, code, name, c.number(h.col("SkillAreaMasteryScore")), None, family,
                         "SkillAreaName", "skill areas")


def _detect_tests(table: Table, fields: dict[str, int]) -> int:
    return 92 if _is_star_test(table) else 0


def _detect_standards(table: Table, fields: dict[str, int]) -> int:
    return 92 if _is_standards(table) else 0


def _detect_skills(table: Table, fields: dict[str, int]) -> int:
    return 92 if _is_skills(table) else 0


ingest.register(ingest.Layout("star", "Renaissance Star tests (scaled score, benchmark category)",
                              _detect_tests, parse_tests), first=True)
ingest.register(ingest.Layout("star_standards", "Renaissance Star standards mastery (per state standard)",
                              _detect_standards, parse_standards), first=True)
ingest.register(ingest.Layout("star_skills", "Renaissance Star skill areas (mastery score per skill area)",
                              _detect_skills, parse_skills), first=True)


# A test file and its standards / skill-area files in one upload (zip or folder) load together,
# so the standards join their tests whatever the order of the files.
def _claim(tables: list[Table]) -> list[Table]:
    tests = [t for t in tables if _is_star_test(t)]
    per_std = [t for t in tables if _is_standards(t) or _is_skills(t)]
    return tests + per_std if tests and per_std else []


def _parse_bundle(pairs: list[tuple[Table, dict[str, int]]], ctx: ingest.Context) -> ingest.Parsed:
    out = ingest.Parsed()
    for t, f in pairs:
        part = (parse_tests if _is_star_test(t) else parse_standards if _is_standards(t) else parse_skills)(
            t, f, ingest.Context(stem=t.sheet or t.source))
        c.drop_problem_rows(part)
        for p in part.problems:
            p["_table"] = t.name
        merged = ingest._merge_parsed(out, part)
        merged.problems = out.problems + part.problems
        out = merged
    return out


ingest.BUNDLES.append(ingest.Bundle("star_bundle", "Renaissance Star tests with their standards files",
                                    _claim, _parse_bundle))
