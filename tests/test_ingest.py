"""Import: every validation rule with its exact message, exact counts per layout, idempotency, replacement, undo."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from lib import ingest, store

HEADER = "Student ID,Student Name,Grade,Teacher,Assessment,Date,Item,Standard,Points Earned,Points Possible\n"


def upload(name: str, text: str | bytes) -> ingest.Upload:
    """An in-memory upload."""
    return ingest.Upload(name, text.encode() if isinstance(text, str) else text)


def plan_one(con, name: str, text: str | bytes, **kw) -> ingest.FilePlan:
    """Prepare one file and return its plan."""
    return ingest.prepare(con, [upload(name, text)], **kw).files[0]


def load(con, name: str, text: str | bytes, strict: bool = False) -> ingest.FileResult:
    """Prepare and commit one file."""
    return ingest.commit(con, ingest.prepare(con, [upload(name, text)]), strict=strict)[0]


GOOD_ROWS = (
    "S1,\"Lopez, Ana\",3,Ms. Kim,Fractions CFA 1,2026-10-02,1,3.NF.A.1,1,1\n"
    "S1,\"Lopez, Ana\",3,Ms. Kim,Fractions CFA 1,2026-10-02,2,3.NF.A.2,0,1\n"
    "S2,Ben Ode,3,Mr. Fox,Fractions CFA 1,2026-10-02,1,3.NF.A.1,1,1\n"
    "S2,Ben Ode,3,Mr. Fox,Fractions CFA 1,2026-10-02,2,3.NF.A.2,1,1\n"
)


def test_long_csv_loads_with_exact_counts(con):
    r = load(con, "cfa.csv", HEADER + GOOD_ROWS)
    assert (r.status, r.rows_total, r.rows_loaded, r.rows_rejected) == ("loaded", 4, 4, 0)
    c = store.counts(con)
    assert (c["students"], c["teachers"], c["assessments"], c["items"], c["responses"], c["standards"]) == \
        (2, 2, 1, 2, 4, 2)
    names = store.fetch_df(con, "SELECT student_id, first_name, last_name, grade_level FROM students ORDER BY 1")
    assert names.values.tolist() == [["S1", "Ana", "Lopez", "3"], ["S2", "Ben", "Ode", "3"]]
    roster = store.fetch_df(con, "SELECT student_id, teacher_id FROM v_assessment_roster ORDER BY 1")
    assert roster.values.tolist() == [["S1", "ms-kim"], ["S2", "mr-fox"]]


BAD_CASES = [
    # (rows after the header, expected row number, column, message)
    (",Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,1,1\n", 2, "Student ID", "student id is blank"),
    ("S1,Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,abc,1\n", 2, "Points Earned", "points earned 'abc' is not a number"),
    ("S1,Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,,1\n", 2, "Points Earned", "points earned is blank"),
    ("S1,Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,-1,1\n", 2, "Points Earned", "points earned -1 is negative"),
    ("S1,Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,3,2\n", 2, "Points Earned",
     "points earned 3 is more than points possible 2"),
    ("S1,Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,1,0\n", 2, "Points Possible",
     "points possible '0' is not a positive number"),
    ("S1,Ann,3,Ms. Kim,CFA,31/31/2026,1,3.NF.A.1,1,1\n", 2, "Date",
     "date '31/31/2026' is not a date (use YYYY-MM-DD or M/D/YYYY)"),
    ("S1,Ann,3,Ms. Kim,,2026-10-02,1,3.NF.A.1,1,1\n", 2, "Assessment", "assessment is blank"),
]


@pytest.mark.parametrize("rows,row,column,message", BAD_CASES)
def test_each_bad_row_is_rejected_with_its_message(con, rows, row, column, message):
    fp = plan_one(con, "bad.csv", HEADER + GOOD_ROWS + rows.replace("\n", "") + "\n")
    rejected = fp.rejects.iloc[0]
    assert (int(rejected["row"]), rejected["column"], rejected["reason"]) == (row + 4, column, message)
    assert fp.rows_total == 5 and fp.rows_ok == 4 and fp.rows_rejected == 1
    assert rejected["raw"].startswith(rows.split(",")[0])


def test_conflicting_duplicates_reject_every_copy(con):
    rows = GOOD_ROWS + "S2,Ben Ode,3,Mr. Fox,Fractions CFA 1,2026-10-02,2,3.NF.A.2,0,1\n"
    fp = plan_one(con, "dup.csv", HEADER + rows)
    assert fp.rows_rejected == 2
    assert set(fp.rejects["row"]) == {5, 6}
    assert fp.rejects["reason"].iloc[0] == ("conflicting duplicate: student S2, assessment 'Fractions CFA 1', "
                                            "item '2' appears on rows 5, 6 with different points")


def test_exact_duplicates_load_once_and_are_counted(con):
    rows = GOOD_ROWS + GOOD_ROWS.splitlines()[0] + "\n"
    r = load(con, "dup.csv", HEADER + rows)
    assert (r.rows_total, r.rows_loaded, r.rows_rejected, r.rows_duplicate) == (5, 5, 0, 1)
    assert store.counts(con)["responses"] == 4


@pytest.mark.parametrize("text,message", [
    ("", "empty.csv: the file is empty"),
    ("\n\n  \n", "empty.csv: the file is empty"),
    (HEADER, "empty.csv: the file has a header row but no data rows"),
])
def test_empty_and_header_only_files_are_refused(con, text, message):
    before = store.data_snapshot(con)
    r = load(con, "empty.csv", text)
    assert r.status == "rejected"
    assert r.errors[0]["message"] == message
    assert store.data_snapshot(con) == before


def test_missing_required_column_names_the_column(con, demo_con):
    before = store.data_snapshot(demo_con)
    text = "Student ID,Assessment,Points Earned\nS1,CFA,1\nS2,CFA,0\n"
    r = load(demo_con, "nopossible.csv", text)
    assert r.status == "rejected"
    assert r.errors[0]["column"] == "points_possible"
    assert r.errors[0]["message"].startswith("nopossible.csv: missing required column 'points_possible'")
    assert store.data_snapshot(demo_con) == before
    kept = store.fetch_df(demo_con, "SELECT count(*) AS n FROM import_rejects WHERE import_id = ?", [r.import_id])
    assert kept["n"].iat[0] == 2  # every input row is kept with the reason


@pytest.mark.parametrize("data,message", [
    (b"\x00\x01\x02\x03binary\x00", "bin.csv: this is not a CSV or XLSX file (it contains binary data)"),
    (b"PK\x03\x04not really a zip", "bin.csv: cannot open this workbook"),
])
def test_unreadable_files(con, data, message):
    r = load(con, "bin.csv", data)
    assert r.status == "rejected" and r.unreadable
    assert r.errors[0]["message"].startswith(message)


def test_file_over_the_size_limit(con):
    fp = ingest.prepare(con, [upload("big.csv", HEADER + GOOD_ROWS)], max_mb=0.0001).files[0]
    assert fp.fatal.startswith("big.csv: the file is 0.0 MB, over the limit of 0.0001 MB")
    r = ingest.commit(con, ingest.Plan([fp]))[0]
    assert r.status == "rejected" and store.counts(con)["responses"] == 0


def test_strict_refuses_the_whole_file(con):
    rows = GOOD_ROWS + "S3,Cy,3,Mr. Fox,Fractions CFA 1,2026-10-02,1,3.NF.A.1,x,1\n"
    before = store.data_snapshot(con)
    r = load(con, "strict.csv", HEADER + rows, strict=True)
    assert r.status == "rejected" and r.rows_loaded == 0
    assert "refused by strict mode: 1 rows would be rejected" in r.errors[0]["message"]
    assert store.data_snapshot(con) == before


def test_identical_file_again_changes_nothing(con):
    load(con, "cfa.csv", HEADER + GOOD_ROWS)
    before = store.data_snapshot(con)
    r = load(con, "cfa-copy.csv", HEADER + GOOD_ROWS)
    assert r.status == "unchanged"
    assert store.data_snapshot(con) == before
    assert store.counts(con)["imports"] == 1


def test_corrected_version_replaces_and_undo_restores(con):
    first = load(con, "cfa.csv", HEADER + GOOD_ROWS)
    corrected = GOOD_ROWS.replace("S1,\"Lopez, Ana\",3,Ms. Kim,Fractions CFA 1,2026-10-02,2,3.NF.A.2,0,1",
                                  "S1,\"Lopez, Ana\",3,Ms. Kim,Fractions CFA 1,2026-10-02,2,3.NF.A.2,1,1")
    second = load(con, "cfa-fixed.csv", HEADER + corrected)
    assert second.status == "loaded"
    resp = store.fetch_df(con, "SELECT student_id, item, points_earned, import_id FROM responses ORDER BY 1, 2")
    assert len(resp) == 4 and set(resp["import_id"]) == {second.import_id}
    assert resp.loc[(resp.student_id == "S1") & (resp["item"] == "2"), "points_earned"].iat[0] == 1
    store.undo_import(con, second.import_id)
    resp = store.fetch_df(con, "SELECT student_id, item, points_earned, import_id FROM responses ORDER BY 1, 2")
    assert len(resp) == 4 and set(resp["import_id"]) == {first.import_id}
    assert resp.loc[(resp.student_id == "S1") & (resp["item"] == "2"), "points_earned"].iat[0] == 0


def test_undo_removes_exactly_that_import(demo_con):
    before = store.data_snapshot(demo_con)
    r = load(demo_con, "cfa.csv", HEADER + GOOD_ROWS)
    assert store.counts(demo_con)["responses"] == len(before["responses"]) + 4
    store.undo_import(demo_con, r.import_id)
    assert store.data_snapshot(demo_con) == before
    with pytest.raises(ValueError, match="only a loaded import can be undone"):
        store.undo_import(demo_con, r.import_id)


def test_results_per_standard_become_one_item_per_standard(con):
    text = ("student_id,assessment,standard,score,max_points\n"
            "S1,Unit 2,3.OA.A.1,3,4\nS1,Unit 2,3.OA.A.2,1,2\nS2,Unit 2,3.OA.A.1,4,4\n")
    r = load(con, "std.csv", text)
    assert r.rows_loaded == 3
    items = store.fetch_df(con, "SELECT item, standard_code, points_possible FROM items ORDER BY 1")
    assert items.values.tolist() == [["3.OA.A.1", "3.OA.A.1", 4.0], ["3.OA.A.2", "3.OA.A.2", 2.0]]


def test_percent_layout_and_kinds_and_cuts(con):
    text = ("SIS ID;Test Name;Percent Correct;Type;Cut Score\n"
            "S1;Winter Benchmark;85%;Benchmark;70%\nS2;Winter Benchmark;40;benchmark;0.7\n")
    r = load(con, "pct.csv", text)
    assert r.rows_loaded == 2
    a = store.fetch_df(con, "SELECT kind, proficiency_cut FROM assessments")
    assert a.values.tolist() == [["benchmark", 0.7]]
    s = store.fetch_df(con, "SELECT student_id, score FROM v_overall_scores ORDER BY 1")
    assert s["score"].round(2).tolist() == [0.85, 0.40]


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("latin-1", False), ("utf-16", True)])
def test_encodings_and_accents(con, encoding, bom):
    text = HEADER.replace(",", "\t") + "S9\tJosé Peña\t3\tMs. Kim\tCFA é\t2026-10-02\t1\t3.NF.A.1\t1\t1\n"
    data = text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    r = load(con, "enc.csv", data)
    assert r.rows_loaded == 1, r.errors
    row = store.fetch_df(con, "SELECT first_name, last_name FROM students").iloc[0].tolist()
    assert row == ["José", "Peña"]
    assert store.fetch_value(con, "SELECT title FROM assessments") == "CFA é"


def test_comment_lines_short_rows_and_long_rows(con):
    text = ("# exported 2026-10-03\n# by a platform\n" + HEADER +
            "S1,Ann,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,1,1\n"
            "S2,Ben,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,1\n"  # short: points possible missing
            "S3,Cy,3,Ms. Kim,CFA,2026-10-02,1,3.NF.A.1,1,1,extra\n")
    fp = plan_one(con, "ragged.csv", text)
    assert fp.rows_total == 3 and fp.rows_ok == 1
    reasons = dict(zip(fp.rejects["row"], fp.rejects["reason"]))
    assert reasons[5] == "points possible is blank"
    assert reasons[6] == "row has 11 cells but the header has 10 columns"


def test_wide_csv_with_item_key_file(con):
    wide = "Student ID,First Name,Last Name,Q1,Q2,Q3\nS1,Ann,Lee,1,0,2\nS2,Ben,Ode,1,1,\nS3,Cy,Po,1,x,1\n"
    key = ("Assessment,Item,Standard,Points Possible\nGr3 Unit 1,Q1,3.OA.A.1,1\nGr3 Unit 1,Q2,3.OA.A.1,1\n"
           "Gr3 Unit 1,Q3,3.OA.A.2,2\n")
    plan = ingest.prepare(con, [upload("unit1.csv", wide), upload("unit1-key.csv", key)])
    res = {r.file: r for r in ingest.commit(con, plan)}
    assert res["unit1.csv"].rows_loaded == 2 and res["unit1.csv"].rows_rejected == 1
    assert res["unit1-key.csv"].status == "loaded" and res["unit1-key.csv"].rows_loaded == 3
    assert res["unit1.csv"].errors[0] == {"row": 4, "column": "Q2", "message": "points earned 'x' is not a number"}
    s = store.fetch_df(con, "SELECT student_id, standard_code, earned, possible FROM v_standard_scores ORDER BY 1, 2")
    assert s.values.tolist() == [["S1", "3.OA.A.1", 1.0, 2.0], ["S1", "3.OA.A.2", 2.0, 2.0],
                                 ["S2", "3.OA.A.1", 2.0, 2.0], ["S2", "3.OA.A.2", 0.0, 2.0]]
    assert store.fetch_value(con, "SELECT title FROM assessments") == "Gr3 Unit 1"


def test_xlsx_with_item_key_sheet_and_answer_letters(con):
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        pd.DataFrame({"Student ID": ["S1", "S2"], "Name": ["Ann Lee", "Ben Ode"], "Date": ["2026-10-01"] * 2,
                      "1": ["B", "C"], "2": ["A", "A"]}).to_excel(xl, sheet_name="Results", index=False)
        pd.DataFrame({"Item": ["1", "2"], "Standard": ["RL.3.1", "RL.3.2"], "Points": [1, 1],
                      "Correct Answer": ["B", "A"]}).rename(columns={"Points": "Points Possible"}).to_excel(
            xl, sheet_name="Item key", index=False)
    r = load(con, "Reading check 4.xlsx", buf.getvalue())
    assert (r.status, r.rows_total, r.rows_loaded) == ("loaded", 4, 4), r.errors
    resp = store.fetch_df(con, "SELECT student_id, item, points_earned, response FROM responses ORDER BY 1, 2")
    assert resp.values.tolist() == [["S1", "1", 1.0, "B"], ["S1", "2", 1.0, "A"], ["S2", "1", 0.0, "C"],
                                    ["S2", "2", 1.0, "A"]]
    a = store.fetch_df(con, "SELECT title, administered_on FROM assessments").iloc[0]
    assert a["title"] == "Reading check 4" and str(a["administered_on"])[:10] == "2026-10-01"


def test_google_forms_quiz_export(con):
    text = ('Timestamp,Email Address,Score,What is 3 x 4?,"Which fraction is larger, 1/2 or 1/3?"\n'
            "2026/09/27 3:00:00 PM GMT+3,ann@school.org,4 / 5,12,1/2\n"
            "2026/09/27 3:02:00 PM GMT+3,ben@school.org,2.00 / 5,7,1/3\n"
            "2026/09/27 3:05:00 PM GMT+3,ann@school.org,5 / 5,12,1/2\n")
    r = load(con, "Multiplication check (Responses).csv", text)
    assert (r.rows_total, r.rows_loaded, r.rows_rejected) == (3, 2, 1)
    assert r.errors[0] == {"row": 2, "column": "Timestamp",
                           "message": "earlier submission; the later one on row 4 counts"}
    s = store.fetch_df(con, "SELECT student_id, earned, possible FROM v_overall_scores ORDER BY 1")
    assert s.values.tolist() == [["ann@school.org", 5.0, 5.0], ["ben@school.org", 2.0, 5.0]]
    assert store.fetch_value(con, "SELECT title FROM assessments") == "Multiplication check"


def test_google_forms_with_answer_key(con):
    forms = ("Timestamp,Email Address,Score,Q1 What is 3 x 4?,Q2 Half of 10?\n"
             "9/27/2026 15:00:00,ann@school.org,2 / 2,12,5\n9/27/2026 15:01:00,ben@school.org,1 / 2,12,6\n")
    key = ("Assessment,Item,Standard,Points Possible,Correct Answer\n"
           "Quiz,Q1 What is 3 x 4?,3.OA.A.1,1,12\nQuiz,Q2 Half of 10?,3.NF.A.1,1,5\n")
    plan = ingest.prepare(con, [upload("Quiz (Responses).csv", forms), upload("key.csv", key)])
    ingest.commit(con, plan)
    s = store.fetch_df(con, "SELECT student_id, standard_code, score FROM v_standard_scores ORDER BY 1, 2")
    assert s.values.tolist() == [["ann@school.org", "3.NF.A.1", 1.0], ["ann@school.org", "3.OA.A.1", 1.0],
                                 ["ben@school.org", "3.NF.A.1", 0.0], ["ben@school.org", "3.OA.A.1", 1.0]]


def test_roster_files_create_and_update(con):
    load(con, "students.csv", "Student ID,First Name,Last Name,Grade,ELL,IEP\nS1,Ann,Lee,3,Y,N\nS2,Ben,Ode,KG,,yes\n")
    load(con, "teachers.csv", "Teacher ID,Teacher Name,Email\nT1,Ms. Kim,kim@x.org\n")
    load(con, "sections.csv", "Section ID,Teacher ID,Course,Subject,Grade\nSEC1,T1,Math 3,Math,3\n")
    load(con, "enrollments.csv", "Student ID,Section ID\nS1,SEC1\nS2,SEC1\n")
    s = store.fetch_df(con, "SELECT student_id, grade_level, ell, iep FROM students ORDER BY 1")
    assert s.astype(object).where(s.notna(), None).values.tolist() == [["S1", "3", True, False],
                                                                        ["S2", "K", None, True]]
    assert store.counts(con)["enrollments"] == 2
    load(con, "students2.csv", "Student ID,First Name,Grade\nS1,Annie,4\n")
    s = store.fetch_df(con, "SELECT first_name, last_name, grade_level FROM students WHERE student_id = 'S1'")
    assert s.iloc[0].tolist() == ["Annie", "Lee", "4"]


def test_attendance_file(con):
    text = ("Student ID,Start Date,End Date,Days Enrolled,Days Absent\n"
            "S1,2026-09-01,2026-09-30,20,2\nS2,2026-09-01,2026-09-30,20,25\nS3,9/1/2026,9/30/2026,x,1\n")
    r = load(con, "att.csv", text)
    assert (r.rows_loaded, r.rows_rejected) == (1, 2)
    msgs = {e["row"]: e["message"] for e in r.errors}
    assert msgs == {3: "days absent is more than days enrolled", 4: "days enrolled 'x' is not a number"}
    # The same period again replaces the figures instead of adding to them.
    load(con, "att2.csv", "Student ID,Start Date,End Date,Days Enrolled,Days Absent\nS1,2026-09-01,2026-09-30,20,3\n")
    a = store.fetch_df(con, "SELECT student_id, days_absent FROM attendance")
    assert a.values.tolist() == [["S1", 3.0]]



def test_attendance_and_enrollments_are_stored_in_student_order(con):
    """Rows arrive in any order and are stored by student (one student's rows then sit in few row groups)."""
    ids = [f"S{n:03d}" for n in (7, 3, 11, 1, 5)]
    rows = "".join(f"{s},2026-{m:02d}-01,2026-{m:02d}-28,20,1\n" for m in (10, 9) for s in ids)
    load(con, "att.csv", "Student ID,Start Date,End Date,Days Enrolled,Days Absent\n" + rows)
    stored = store.fetch_df(con, "SELECT student_id, period_start FROM attendance ORDER BY rowid")
    assert stored.values.tolist() == sorted(stored.values.tolist())
    load(con, "roster.csv", "Student ID,Section ID,Teacher ID\n" + "".join(f"{s},X{s},T1\n" for s in ids))
    enrolled = store.fetch_df(con, "SELECT student_id FROM enrollments ORDER BY rowid")["student_id"].tolist()
    assert enrolled == sorted(ids)

def test_saved_column_mapping_applies_to_same_header(con):
    text = "Kid,Quiz,Pts,Of\nS1,Q7,1,2\n"
    fp = plan_one(con, "odd.csv", text)
    assert fp.fatal
    mapping = {"Kid": "student_id", "Quiz": "assessment", "Pts": "points_earned", "Of": "points_possible"}
    fp = plan_one(con, "odd.csv", text, mappings={"odd.csv": mapping})
    assert fp.fatal is None and fp.rows_ok == 1
    ingest.save_mapping(con, fp.header, mapping)
    fp = plan_one(con, "other-week.csv", "Kid,Quiz,Pts,Of\nS2,Q8,2,2\n")
    assert fp.fatal is None and fp.layout == "long" and fp.rows_ok == 1


def test_hostile_text_is_stored_literally(con):
    evil = "Robert'); DROP TABLE students;--"
    text = HEADER + f'S1,"{evil}",3,"=HYPERLINK(""x"")",\'; DELETE FROM responses;,2026-10-02,1,3.NF.A.1,1,1\n'
    r = load(con, "x'; DROP TABLE imports;--.csv", text)
    assert r.status == "loaded"
    assert store.fetch_value(con, "SELECT first_name || ' ' || last_name FROM students") == evil
    assert store.fetch_value(con, "SELECT title FROM assessments") == "'; DELETE FROM responses;"
    assert store.fetch_value(con, "SELECT name FROM teachers") == '=HYPERLINK("x")'


# --- mangled files never change stored data --------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.conftest import SHARED  # noqa: E402

_GOOD = (HEADER + GOOD_ROWS).encode()


@st.composite
def mangled(draw):
    """A good file with random bytes cut, inserted or replaced, or random bytes altogether."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    data = bytearray(_GOOD)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["cut", "insert", "replace"]))
        chunk = draw(st.binary(min_size=1, max_size=12))
        if op == "cut":
            del data[pos:pos + len(chunk)]
        elif op == "insert":
            data[pos:pos] = chunk
        else:
            data[pos:pos + len(chunk)] = chunk
    return bytes(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mangled())
def test_mangled_files_never_raise_and_strict_never_changes_data(con, data):
    before = store.data_snapshot(con)
    plan = ingest.prepare(con, [upload("mangled.csv", data)])
    fp = plan.files[0]
    assert fp.rows_total == fp.rows_ok + fp.rows_rejected or fp.fatal or fp.unchanged
    result = ingest.commit(con, plan, strict=True)[0]
    if result.status != "loaded":
        assert store.data_snapshot(con) == before
    else:
        assert result.rows_rejected == 0
        # A loaded file put in exactly its rows; undo takes them out again.
        store.undo_import(con, result.import_id)
        assert store.data_snapshot(con) == before


# --- real data nobody here wrote -------------------------------------------------------------------

UCI = SHARED / "datasets" / "uci_student_performance" / "student-mat.csv"


@pytest.mark.skipif(not UCI.exists(), reason=f"UCI Student Performance data not found at {UCI}")
def test_uci_student_performance_converted_to_long_imports_exactly(con, tmp_path):
    raw = pd.read_csv(UCI, sep=";")
    raw["student_id"] = [f"UCI-MAT-{i + 1:03d}" for i in range(len(raw))]
    long = raw.melt(id_vars=["student_id", "school", "sex"], value_vars=["G1", "G2", "G3"],
                    var_name="assessment", value_name="points_earned")
    long["points_possible"] = 20
    long["assessment_kind"] = long["assessment"].map({"G1": "benchmark", "G2": "benchmark", "G3": "summative"})
    long["proficiency_cut"] = 0.5
    long["subject"] = "Mathematics"
    path = tmp_path / "uci_mat_long.csv"
    long.to_csv(path, index=False)
    result = ingest.import_paths(con, [path])[0]
    assert (result.status, result.rows_total, result.rows_loaded, result.rows_rejected) == \
        ("loaded", 3 * 395, 3 * 395, 0)
    c = store.counts(con)
    assert (c["students"], c["assessments"], c["responses"]) == (395, 3, 1185)
    passed = store.fetch_value(
        con, "SELECT avg(CASE WHEN score >= 0.5 THEN 1.0 ELSE 0 END) FROM v_overall_scores o "
             "JOIN assessments a USING (assessment_id) WHERE a.title = 'G3'")
    assert round(passed * 100, 1) == round((raw["G3"] >= 10).mean() * 100, 1) == 67.1


def test_item_key_row_without_an_assessment_is_rejected_not_a_crash(con):
    """Found by hypothesis: a key file whose row has no assessment used to abort the transaction."""
    before = store.data_snapshot(con)
    plan = ingest.prepare(con, [ingest.Upload("key.csv", b"Item,Standard,First Name,Last Name,Assessment\n0\n")])
    (res,) = ingest.commit(con, plan)
    assert res.rows_loaded == 0 and res.rows_rejected == 1
    assert any("assessment is blank" in e["message"] for e in res.errors), res.errors
    assert store.data_snapshot(con) == before
