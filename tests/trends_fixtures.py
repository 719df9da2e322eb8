"""Small stores built by direct inserts (and one by importing a long CSV) for trends, standards and reports tests.

`tiny_school` is the hand-worked example every figure in tests/test_trends.py, test_standards_explorer.py
and test_reports.py is checked against; its numbers are worked out in the comments below.
The `sparse_*` builders make stores that lack parts (no items, one standard, no teachers, no attendance,
one assessment, a single student) for the robustness tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from lib import demo, store

D = dt.date


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], import_id: int = 1) -> None:
    """Insert rows (dicts) into a table by column name."""
    if rows:
        demo.insert_frame(con, table, pd.DataFrame(rows), import_id)


def begin_import(con: duckdb.DuckDBPyConnection, name: str = "fixture") -> int:
    """Log an import so inserted rows have an import to belong to."""
    import_id = store.new_import_id(con)
    con.execute("INSERT INTO imports (import_id, filename, kind, status) VALUES (?, ?, 'fixture', 'loaded')",
                [import_id, name])
    return import_id


# --- the hand-worked school ---------------------------------------------------------------------
#
# Grade 3 Math. Students s1-s5 at North (s1-s3 in t1's class, s4-s5 in t2's); s6 at South, no class.
# Flags: ell s1 s3 s4; iep s3; frl s1 s2; gender F s1 s3 s5, M s2 s4 s6; ethnicity unknown.
# Items on B1 and B2: i1, i2 -> 3.OA.A.1 (1 point each), i3 -> 3.NF.A.1 (2 points). F1: i1, i2 -> 3.NF.A.1.
#
#  B1 benchmark 2025-09-10 cut .7   earned (i1,i2,i3)  overall  OA   NF
#     s1 1,1,2  1.00 P   1.0  1.0      s2 1,0,1  .50      .5   .5
#     s3 0,0,0  .00       0    0       s4 1,1,1  .75 P    1.0  .5
#     s5 not assessed (on roster)      s6 1,1,0  .50      1.0  0
#     -> assessed 5, not assessed 1, proficient 2, 40%, mean .55
#  F1 formative 2025-10-01 cut .8 (NF only): s1 1,1 (1.0 P)  s2 1,0 (.5)  s3 0,1 (.5); s4 s5 not assessed
#     -> assessed 3, not assessed 2, proficient 1
#  B2 benchmark 2026-01-14 cut .7
#     s1 1,1,1  .75 P   OA 1   NF .5    s2 1,1,2  1.00 P  OA 1  NF 1
#     s3 1,0,0  .25     OA .5  NF 0     s4 0,1,1  .50     OA .5 NF .5
#     s5 1,1,1  .75 P   OA 1   NF .5    (s6 not on B2's roster, did not take it)
#     -> assessed 5, not assessed 0, proficient 3, 60%, mean .65

TINY_STUDENTS = [
    dict(student_id="s1", first_name="Ada", last_name="Quill", grade_level="3", school="North",
         ell=True, iep=False, frl=True, gender="F"),
    dict(student_id="s2", first_name="Ben", last_name="Rook", grade_level="3", school="North",
         ell=False, iep=False, frl=True, gender="M"),
    dict(student_id="s3", first_name="Cy", last_name="Sparrow", grade_level="3", school="North",
         ell=True, iep=True, frl=False, gender="F"),
    dict(student_id="s4", first_name="Di", last_name="Tern", grade_level="3", school="North",
         ell=True, iep=False, frl=False, gender="M"),
    dict(student_id="s5", first_name="Ed", last_name="Umber", grade_level="3", school="North",
         ell=False, iep=False, frl=False, gender="F"),
    dict(student_id="s6", first_name="Flo", last_name="Vane", grade_level="3", school="South",
         ell=False, iep=False, frl=False, gender="M"),
]
TINY_RESPONSES = {
    "B1": {"s1": (1, 1, 2), "s2": (1, 0, 1), "s3": (0, 0, 0), "s4": (1, 1, 1), "s6": (1, 1, 0)},
    "F1": {"s1": (1, 1), "s2": (1, 0), "s3": (0, 1)},
    "B2": {"s1": (1, 1, 1), "s2": (1, 1, 2), "s3": (1, 0, 0), "s4": (0, 1, 1), "s5": (1, 1, 1)},
}
# Answers to F1 item 1 (key A), for the most common wrong answer.
F1_I1_ANSWERS = {"s1": "A", "s2": "A", "s3": "C"}


def tiny_school(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Fill an empty store with the hand-worked school above; returns the connection."""
    iid = begin_import(con, "tiny school")
    with store.transaction(con):
        insert(con, "students", TINY_STUDENTS, iid)
        insert(con, "teachers", [dict(teacher_id="t1", name="Ms. One", show_name=False),
                                 dict(teacher_id="t2", name="Mr. Two", show_name=False)], iid)
        term = dict(subject="Math", grade_level="3", term="2025-26", starts_on=D(2025, 8, 1),
                    ends_on=D(2026, 6, 30), school="North")
        insert(con, "sections", [dict(section_id="sec1", teacher_id="t1", course="Gr 3 Math", **term),
                                 dict(section_id="sec2", teacher_id="t2", course="Gr 3 Math", **term)], iid)
        insert(con, "enrollments", [dict(student_id=s, section_id="sec1") for s in ("s1", "s2", "s3")]
               + [dict(student_id=s, section_id="sec2") for s in ("s4", "s5")], iid)
        insert(con, "standards", [
            dict(code="3.OA.A.1", subject="Math", grade_level="3",
                 description="Operations and algebraic thinking: interpret products"),
            dict(code="3.NF.A.1", subject="Math", grade_level="3",
                 description="Number and operations: fractions as numbers")], iid)
        insert(con, "assessments", [
            dict(assessment_id="B1", title="Gr 3 Math BOY Benchmark", subject="Math", grade_level="3",
                 kind="benchmark", administered_on=D(2025, 9, 10), proficiency_cut=0.7),
            dict(assessment_id="F1", title="Gr 3 Math CFA 1", subject="Math", grade_level="3",
                 kind="formative", administered_on=D(2025, 10, 1), proficiency_cut=0.8),
            dict(assessment_id="B2", title="Gr 3 Math MOY Benchmark", subject="Math", grade_level="3",
                 kind="benchmark", administered_on=D(2026, 1, 14), proficiency_cut=0.7)], iid)
        items = []
        for aid in ("B1", "B2"):
            items += [dict(assessment_id=aid, item="1", standard_code="3.OA.A.1", points_possible=1.0,
                           correct_response="A", position=1),
                      dict(assessment_id=aid, item="2", standard_code="3.OA.A.1", points_possible=1.0,
                           correct_response="B", position=2),
                      dict(assessment_id=aid, item="3", standard_code="3.NF.A.1", points_possible=2.0,
                           correct_response=None, position=3)]
        items += [dict(assessment_id="F1", item="1", standard_code="3.NF.A.1", points_possible=1.0,
                       correct_response="A", position=1),
                  dict(assessment_id="F1", item="2", standard_code="3.NF.A.1", points_possible=1.0,
                       correct_response="D", position=2)]
        insert(con, "items", items, iid)
        rows = []
        for aid, by_student in TINY_RESPONSES.items():
            for sid, pts in by_student.items():
                for k, p in enumerate(pts, start=1):
                    resp = F1_I1_ANSWERS[sid] if (aid, k) == ("F1", 1) else None
                    rows.append(dict(assessment_id=aid, student_id=sid, item=str(k), points_earned=float(p),
                                     response=resp))
        insert(con, "responses", rows, iid)
        store.bump_data_version(con)
    return con


# --- stores that lack parts -----------------------------------------------------------------------


def _students(n: int, school: str = "Solo School", grade: str = "4") -> list[dict]:
    return [dict(student_id=f"p{i}", first_name=f"Pat{i}", last_name=f"Lone{i}", grade_level=grade, school=school)
            for i in range(1, n + 1)]


def sparse_store(con: duckdb.DuckDBPyConnection, *, students: int = 12, standards: int = 2, assessments: int = 2,
                 items_per_standard: int = 2, teachers: bool = True, attendance: bool = True,
                 synthetic_items: bool = False) -> duckdb.DuckDBPyConnection:
    """A grade 4 ELA store with the given parts; `synthetic_items` = results per standard (one item each)."""
    iid = begin_import(con, "sparse")
    codes = [f"RL.4.{k}" for k in range(1, standards + 1)]
    with store.transaction(con):
        insert(con, "students", _students(students), iid)
        if teachers:
            insert(con, "teachers", [dict(teacher_id="tA", name="Ms. Alpha", show_name=False)], iid)
            insert(con, "sections", [dict(section_id="secA", teacher_id="tA", course="Gr 4 ELA", subject="ELA",
                                          grade_level="4", term="2025-26", starts_on=D(2025, 8, 1),
                                          ends_on=D(2026, 6, 30), school="Solo School")], iid)
            insert(con, "enrollments", [dict(student_id=f"p{i}", section_id="secA")
                                        for i in range(1, students + 1)], iid)
        insert(con, "standards", [dict(code=c, subject="ELA", grade_level="4", description=f"Reading skill {c}")
                                  for c in codes], iid)
        assess, items, resp = [], [], []
        for a in range(assessments):
            aid = f"E{a + 1}"
            assess.append(dict(assessment_id=aid, title=f"Gr 4 ELA Benchmark {a + 1}", subject="ELA",
                               grade_level="4", kind="benchmark", administered_on=D(2025, 9, 15) +
                               dt.timedelta(days=60 * a), proficiency_cut=0.7))
            for c in codes:
                names = [c] if synthetic_items else [f"{c}-{k}" for k in range(1, items_per_standard + 1)]
                for name in names:
                    pts = 4.0 if synthetic_items else 1.0
                    items.append(dict(assessment_id=aid, item=name, standard_code=c, points_possible=pts))
                    for i in range(1, students + 1):
                        earned = float((i + a + len(name)) % (5 if synthetic_items else 2))
                        resp.append(dict(assessment_id=aid, student_id=f"p{i}", item=name,
                                         points_earned=min(earned, pts)))
        insert(con, "assessments", assess, iid)
        insert(con, "items", items, iid)
        insert(con, "responses", resp, iid)
        if attendance:
            insert(con, "attendance", [dict(student_id=f"p{i}", period_start=D(2025, 9, 1),
                                            period_end=D(2025, 9, 30), days_enrolled=20.0,
                                            days_absent=float(i % 4)) for i in range(1, students + 1)], iid)
        store.bump_data_version(con)
    return con


SPARSE_KINDS = {
    "no items (results per standard)": dict(synthetic_items=True),
    "one standard": dict(standards=1),
    "no teachers": dict(teachers=False),
    "no attendance": dict(attendance=False),
    "one assessment": dict(assessments=1),
    "a single student": dict(students=1),
}

LONG_CSV = """student_id,student_name,grade_level,assessment,subject,date,standard,points_earned,points_possible
L1,Ann Long,3,Unit 1 Check,Math,2025-10-01,3.OA.A.1,3,4
L2,Bob Long,3,Unit 1 Check,Math,2025-10-01,3.OA.A.1,4,4
L3,Cat Long,3,Unit 1 Check,Math,2025-10-01,3.OA.A.1,1,4
L1,Ann Long,3,Reading Check,ELA,2025-10-02,RL.3.1,2,5
L2,Bob Long,3,Reading Check,ELA,2025-10-02,RL.3.1,5,5
L3,Cat Long,3,Reading Check,ELA,2025-10-02,RL.3.1,4,5
L1,Ann Long,3,Unit 2 Check,Math,2025-11-05,3.OA.A.1,4,4
L2,Bob Long,3,Unit 2 Check,Math,2025-11-05,3.OA.A.1,2,4
L3,Cat Long,3,Unit 2 Check,Math,2025-11-05,3.OA.A.1,4,4
"""


def imported_long_csv(con: duckdb.DuckDBPyConnection, tmp_dir: Path) -> duckdb.DuckDBPyConnection:
    """Import a small long CSV: one standard per subject, no items, no sections (as a data lead would)."""
    from lib import ingest

    path = Path(tmp_dir) / "results_long.csv"
    path.write_text(LONG_CSV)
    results = ingest.import_paths(con, [path])
    assert all(r.status == "loaded" for r in results), [(r.status, r.errors) for r in results]
    return con
