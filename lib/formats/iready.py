"""Curriculum Associates i-Ready Diagnostic results (ELA/Reading and Math), every yearly layout.

One row per completed diagnostic: the overall scale score, placement ("Early 3", "Grade 1", "Level 6")
and relative placement ("Early On Grade Level", "2 Grade Levels Below"), percentile, and the same
for each domain (Phonics, Vocabulary, Number and Operations...), stored as per-standard results.
Proficient = placed on grade level (see lib/formats/scale.py). Older exports without a relative
placement get it computed from the placement and the student's grade. Column names changed almost
every year ("Reading Comprehension: Literature" -> "Comprehension: Literature", UPPER_SNAKE_CASE
district feeds with OVERALL_PLACE / NUMBER_OPER_REL_PLACE); blocks are found by pattern. The wide
"diagnostic 1..5" district layout is unpivoted into one test per diagnostic.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

ID_NAMES = ("Student ID", "STUDENT_ID", "StudentID", "Student Number")

DOMAINS = {
    "overall": "Overall",
    "numberandoperations": "Number and Operations", "numberoper": "Number and Operations",
    "algebraandalgebraicthinking": "Algebra and Algebraic Thinking", "algalgthink": "Algebra and Algebraic Thinking",
    "measurementanddata": "Measurement and Data", "measanddata": "Measurement and Data",
    "geometry": "Geometry",
    "phonologicalawareness": "Phonological Awareness", "phonics": "Phonics",
    "highfrequencywords": "High-Frequency Words", "vocabulary": "Vocabulary",
    "comprehensionoverall": "Comprehension: Overall", "readingcomprehensionoverall": "Comprehension: Overall",
    "comprehensionliterature": "Comprehension: Literature",
    "readingcomprehensionliterature": "Comprehension: Literature",
    "comprehensioninformationaltext": "Comprehension: Informational Text",
    "readingcomprehensioninformationaltext": "Comprehension: Informational Text",
}
MATH_DOMAINS = {"Number and Operations", "Algebra and Algebraic Thinking", "Measurement and Data", "Geometry"}
_BLOCK = re.compile(r"(?:diagnostic)?(.+?)scalescore(\d+|mostrecent)?")


def _blocks(h: c.Header) -> dict[str, dict[str, dict[str, int]]]:
    """suffix -> domain key -> {'score', 'placement', 'relative'} column positions (placement required)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for pos, m in h.matching(_BLOCK.pattern):
        prefix, suffix = m.group(1), m.group(2) or ""
        diag = "diagnostic" if c.key(h.table.header[pos]).startswith("diagnostic") else ""
        place = h.find(f"{diag}{prefix}placement{suffix}", f"{diag}{prefix}place{suffix}")
        if place is None:
            continue  # e.g. "Mid On Grade Level Scale Score": a reference point, not a result
        rel = h.find(f"{diag}{prefix}relativeplacement{suffix}", f"{diag}{prefix}relplace{suffix}")
        out.setdefault(suffix, {})[prefix] = {"score": pos, "placement": place, "relative": rel}
    numbered = {s: b for s, b in out.items() if s.isdigit()}
    return numbered or out


def _is_iready(table: Table) -> bool:
    h = c.Header.of(table)
    if not h.has(*ID_NAMES):
        return False
    blocks = _blocks(h)
    return any("overall" in b for b in blocks.values())


def _placement_grade(text: str) -> tuple[float | None, str | None]:
    """'Early 3' -> (3, 'early'); 'Level K' -> (0, None); 'Below K' -> (-1, None); 'Max Score' -> (99, None)."""
    t = text.strip().lower()
    if not t:
        return None, None
    if t in ("max score", "surpassed level", "tested out"):
        return 99, None
    if t.startswith("below k"):
        return -1, None
    m = re.fullmatch(r"(early|mid|late)?\s*(?:level|grade)?\s*(k|\d{1,2})", t)
    if not m:
        return None, None
    g = 0 if m.group(2) == "k" else int(m.group(2))
    return g, m.group(1)


def relative_placement(placement: str, student_grade: str | None) -> str | None:
    """i-Ready's relative placement from a placement and the student's grade (for exports without it)."""
    if student_grade is None:
        return None
    sg = 0 if student_grade == "K" else (int(student_grade) if str(student_grade).isdigit() else None)
    pg, stage = _placement_grade(placement or "")
    if sg is None or pg is None:
        return None
    diff = sg - pg
    if diff < 0:
        return "Mid or Above Grade Level"
    if diff == 0:
        return {"early": "Early On Grade Level", None: "On Grade Level"}.get(stage, "Mid or Above Grade Level")
    return {1: "1 Grade Level Below", 2: "2 Grade Levels Below"}.get(diff, "3 or More Grade Levels Below")


def parse(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """i-Ready diagnostic results -> scale results (overall and per domain), students, classes."""
    h = c.Header.of(table)
    sid = h.col(*ID_NAMES)
    id_col = h.name(*ID_NAMES)
    grade = c.grades(h.col("Student Grade", "STUDENT_GRADE", "Grade"))
    blocks = _blocks(h)
    domain_names = {DOMAINS.get(p, p) for b in blocks.values() for p in b}
    subj_col = h.col("Subject")
    subject = [c.canonical_subject(s) if s else ("Math" if domain_names & MATH_DOMAINS else "ELA") for s in subj_col]
    product = ["i-Ready Diagnostic " + ("Math" if s == "Math" else "Reading") for s in subject]
    year = h.col("Academic Year", "ACADEMIC_YEAR", "School Year")
    problems = [p for p in [c.blank_ids(table.rows, sid, id_col)] if p is not None]
    parts = []
    for suffix, block in blocks.items():
        sfx = f"_{suffix}" if suffix.isdigit() else ("_MOST_RECENT" if suffix == "mostrecent" else "")
        diag = "DIAGNOSTIC_" if suffix else ""
        tested_on = c.dates(h.col(f"{diag}COMPLETION_DATE{sfx}", "Completion Date", "COMPLETION_DATE",
                                  f"{diag}START_DATE{sfx}", "Start Date"))
        window_word = h.col("Norming Window", "NORMING_WINDOW").map(c.season_word)
        window = [" ".join(x for x in ((w or c.window_of(d)), (y or c.school_year_of(d))) if x) or None
                  for w, d, y in zip(window_word, tested_on, year)]
        pct = c.number(h.col(f"{diag}PERCENTILE{sfx}", "Percentile", "PERCENTILE"))
        projected = h.col("Proficiency if Student Shows No Additional Growth", "PROF_STD_SHOWS_NO_ADD_GROWTH")
        for prefix, cols in block.items():
            domain = DOMAINS.get(prefix, table.header[cols["score"]].rsplit(" Scale Score", 1)[0].strip().title())
            score_text = table.data[cols["score"]].astype(object).fillna("").map(lambda v: str(v).strip())
            placement = table.data[cols["placement"]].astype(object).fillna("").map(lambda v: str(v).strip())
            if cols["relative"] is not None:
                rel = table.data[cols["relative"]].astype(object).fillna("").map(lambda v: str(v).strip())
            else:
                # Uncomputable ("Late" with no grade): the placement itself, left for the level mapping.
                rel = pd.Series([relative_placement(p, g) or p for p, g in zip(placement, grade)], dtype=object)
            overall = prefix == "overall"
            part = c.score_frame(
                _row=table.rows, student_id=sid, vendor="iready", product=product, subject=subject,
                grade_level=grade, window=window, tested_on=tested_on,
                standard_code=None if overall else [f"i-Ready {'Math' if s == 'Math' else 'Reading'}: {domain}"
                                                   for s in subject],
                standard_label=None if overall else domain, scale_score=c.number(score_text.reset_index(drop=True)),
                percentile=pct if overall else None, vendor_level=rel.reset_index(drop=True),
                projected_level=projected if overall else None,
                vendor_test_id=h.col("Activity Id", "ACTIVITY_ID"), scale_name="i-Ready scale score")
            part["_placement"] = placement.to_numpy()
            # "Not Assessed" domains (and blank diagnostic slots of the wide layout) are no result.
            measured = (score_text.to_numpy() != "") & ~placement.str.lower().isin(["not assessed", ""]).to_numpy()
            parts.append(part[measured])
    scores = pd.concat(parts, ignore_index=True) if parts else c.score_frame()
    bad = set().union(*(set(p["_row"]) for p in problems)) if problems else set()
    scores = scores[~scores["_row"].isin(bad)]
    bad_score = scores["scale_score"].isna() & scores["standard_code"].isna()
    if bad_score.any():
        problems.append(c.problem(scores.loc[bad_score, "_row"], h.name("Overall Scale Score", "OVERALL_SCALE_SCORE"),
                                  "overall scale score is not a number"))
        scores = scores[~scores["_row"].isin(set(scores.loc[bad_score, "_row"]))]
    # A retake in the same window: the latest diagnostic counts (the same diagnostic twice loads once).
    scores, superseded, n_dup = c.keep_latest(scores.assign(_w=scores["window"].astype(str)),
                                              ["student_id", "product", "_w"],
                                              h.name("Completion Date", "COMPLETION_DATE"), "diagnostic")
    scores = scores.drop(columns="_w")
    if superseded is not None:
        problems.append(superseded)
    scores = scores.drop(columns="_placement")
    hisp = h.col("Hispanic or Latino", "HISPANIC_OR_LATINO").str.upper().isin(["Y", "YES", "TRUE"])
    race = h.col("Race", "RACE")
    ethnicity = pd.Series(np.where(hisp, "Hispanic or Latino", race), dtype=object)
    students = c.student_frame(
        table.rows, sid, first_name=h.col("First Name", "FIRST_NAME"), last_name=h.col("Last Name", "LAST_NAME"),
        grade_level=grade, school=h.col("School", "SCHOOL"), gender=h.col("Sex", "SEX", "Gender", "GENDER"),
        ethnicity=ethnicity,
        ell=ingest.parse_bool(h.col("English Language Learner", "ENGLISH_LANGUAGE_LEARNER")),
        iep=ingest.parse_bool(h.col("Special Education", "SPECIAL_EDUCATION", "STUDENT_WITH_DISABILITIES")),
        frl=ingest.parse_bool(h.col("Economically Disadvantaged", "ECONOMICALLY_DISADVANTAGED")))
    parsed = ingest.Parsed(students=students, problems=problems, extra={"scores": scores}, duplicates=n_dup)
    teacher = h.col("Class Teacher(s)", "CLASS_TEACHERS").map(lambda v: v.split(";")[0].strip())
    klass = h.col("Class(es)", "CLASSES").map(lambda v: v.split(";")[0].strip())
    if (teacher != "").any():
        parsed.enrollments = c.enrollment_frame(
            table.rows, sid, teacher_name=teacher,
            section_id=[ingest.slug(f"{t}-{k}") if t and k else None for t, k in zip(teacher, klass)],
            course=klass, subject=subject, grade_level=grade, school=h.col("School", "SCHOOL"))
    n_dom = int(scores["standard_code"].notna().sum())
    parsed.notes.append(
        f"i-Ready diagnostic: {int(scores['standard_code'].isna().sum())} diagnostics "
        f"({scores['student_id'].nunique()} students), {n_dom} domain results; proficient = placed on grade level "
        "(Early On or Mid or Above; editable level mapping)."
        + ("" if any(b["relative"] is not None for bl in blocks.values() for b in bl.values())
           else " This export has no relative placement: it is computed from the placement and the student's grade."))
    return parsed


def _detect(table: Table, fields: dict[str, int]) -> int:
    return 95 if _is_iready(table) else 0


ingest.register(ingest.Layout("iready", "i-Ready Diagnostic results (scale score, placement per domain)",
                              _detect, parse), first=True)
