"""OneRoster CSV bundles: zip or folder, 1.0 / 1.1 / 1.2, gradebook results, rejects naming their file, undo."""

from __future__ import annotations

import pytest

from lib import ingest, store
from lib.formats import oneroster
from tests.formats_util import (
    assessments,
    csv_records,
    load,
    load_paths,
    pages_work,
    plan,
    sample,
    upload,
    zip_bytes,
)

BUNDLE = {
    "manifest.csv": "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n",
    "orgs.csv": "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
                "org1,active,,Oak Elementary,school,,dist\ndist,active,,Oak District,district,,\n",
    "academicSessions.csv": "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,"
                            "schoolYear\nt1,active,,Fall 2026,term,2026-08-20,2026-12-18,,2027\n",
    "courses.csv": "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,"
                   "subjects,subjectCodes\nc1,active,,,Grade 3 Mathematics,M3,03,org1,Mathematics,\n",
    "classes.csv": "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,"
                   "schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n"
                   "k1,active,,Math 3 - Kim,03,c1,M3-1,scheduled,101,org1,t1,Mathematics,,1\n"
                   "k2,tobedeleted,,Math 3 - Old,03,c1,M3-9,scheduled,101,org1,t1,Mathematics,,1\n",
    "users.csv": "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
                 "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
                 "u1,active,,true,org1,student,ana,,Ana,Lopez,,S1,,,,,03,\n"
                 "u2,active,,true,org1,student,ben,,Ben,Ode,,S2,,,,,03,\n"
                 "u3,active,,true,org1,teacher,kim,,Sue,Kim,,T9,kim@oak.org,,,,,,\n"
                 "u4,active,,true,org1,guardian,mom,,Mia,Lopez,,G1,,,,,,\n",
    "demographics.csv": "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,"
                        "blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,"
                        "demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity\n"
                        "u1,,,2018-01-02,female,false,false,false,false,true,false,true\n"
                        "u2,,,2018-03-04,male,false,true,false,false,true,false,false\n",
    "enrollments.csv": "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
                       "beginDate,endDate\n"
                       "e1,active,,k1,org1,u1,student,false,,\n"
                       "e2,active,,k1,org1,u2,student,false,,\n"
                       "e3,active,,k1,org1,u3,teacher,true,,\n"
                       "e4,active,,k2,org1,u1,student,false,,\n"
                       "e5,active,,k7,org1,u2,student,false,,\n",
    "lineItems.csv": "sourcedId,status,dateLastModified,title,description,assignDate,dueDate,classSourcedId,"
                     "categorySourcedId,gradingPeriodSourcedId,resultValueMin,resultValueMax\n"
                     "li1,active,,Fractions CFA 1,,2026-10-01,2026-10-02,k1,,,0,10\n",
    "results.csv": "sourcedId,status,dateLastModified,lineItemSourcedId,studentSourcedId,scoreStatus,score,scoreDate,"
                   "comment\n"
                   "r1,active,,li1,u1,fully graded,9,2026-10-02,\n"
                   "r2,active,,li1,u2,fully graded,6,2026-10-02,\n",
}


def test_zip_bundle_loads_people_classes_terms_and_gradebook(con):
    r = load(con, ("oneroster.zip", zip_bytes(BUNDLE)))[0]
    assert (r.layout, r.status) == ("oneroster", "loaded")
    total = sum(len(t.strip().splitlines()) - 1 for t in BUNDLE.values())
    assert (r.rows_total, r.rows_rejected) == (total, 1)
    # The reject names its file and row (enrollments.csv row 6: class k7 is not in classes.csv).
    assert r.errors == [{"row": 6, "column": "classSourcedId", "message": "class 'k7' is not in classes.csv"}]
    st = store.fetch_df(con, "SELECT student_id, first_name, last_name, grade_level, school, gender, ethnicity "
                             "FROM students ORDER BY 1")
    assert st.values.tolist() == [["S1", "Ana", "Lopez", "3", "Oak Elementary", "F", "Hispanic or Latino"],
                                  ["S2", "Ben", "Ode", "3", "Oak Elementary", "M", "Two or more races"]]
    assert store.fetch_df(con, "SELECT teacher_id, name, email FROM teachers").values.tolist() == \
        [["T9", "Sue Kim", "kim@oak.org"]]
    sec = store.fetch_df(con, "SELECT section_id, teacher_id, course, subject, grade_level, term, school, starts_on, "
                              "ends_on FROM sections")
    assert sec.astype(str).values.tolist() == [["k1", "T9", "Grade 3 Mathematics", "Math", "3", "Fall 2026",
                                                "Oak Elementary", "2026-08-20", "2026-12-18"]]
    assert store.fetch_df(con, "SELECT student_id, section_id FROM enrollments ORDER BY 1").values.tolist() == \
        [["S1", "k1"], ["S2", "k1"]]
    a = assessments(con).iloc[0]
    assert (a["title"], a["subject"], a["grade_level"]) == ("Fractions CFA 1", "Math", "3")
    o = store.fetch_df(con, "SELECT student_id, earned, possible FROM v_overall_scores ORDER BY 1")
    assert o.values.tolist() == [["S1", 9.0, 10.0], ["S2", 6.0, 10.0]]
    roster = store.fetch_df(con, "SELECT student_id, teacher_id FROM v_assessment_roster ORDER BY 1")
    assert roster.values.tolist() == [["S1", "T9"], ["S2", "T9"]]
    out = pages_work(con, a["assessment_id"])
    assert (out["headline"]["assessed"], out["headline"]["proficient"]) == (2, 1)


def test_folder_uploaded_as_separate_files_plans_as_one_bundle(con):
    p = plan(con, *BUNDLE.items())
    by = {f.name: f for f in p.files}
    assert {f.layout for f in p.files} == {"oneroster"}
    assert by["users.csv"].paired_with == "manifest.csv" and by["manifest.csv"].paired_with is None
    assert by["enrollments.csv"].rows_rejected == 1 and by["users.csv"].rows_rejected == 0
    res = ingest.commit(con, p)
    assert {r.status for r in res} == {"loaded"}
    assert len({r.import_id for r in res}) == 1
    assert store.counts(con)["students"] == 2


def test_undo_removes_the_whole_bundle(con):
    r = load(con, ("oneroster.zip", zip_bytes(BUNDLE)))[0]
    store.undo_import(con, r.import_id)
    c = store.counts(con)
    assert all(c[k] == 0 for k in ("students", "teachers", "sections", "enrollments", "assessments", "responses"))


def test_tables_are_recognised_by_their_columns():
    from lib.readers import read_csv_text
    kinds = {name: oneroster.kind_of(read_csv_text(text, name)) for name, text in BUNDLE.items()}
    assert kinds == {"manifest.csv": "manifest", "orgs.csv": "orgs", "academicSessions.csv": "academicSessions",
                     "courses.csv": "courses", "classes.csv": "classes", "users.csv": "users",
                     "demographics.csv": "demographics", "enrollments.csv": "enrollments",
                     "lineItems.csv": "lineItems", "results.csv": "results"}


def test_a_plain_roster_csv_is_not_taken_for_oneroster(con):
    fp = ingest.prepare(con, [upload("students.csv", "Student ID,First Name,Last Name,Grade\nS1,Ana,Lopez,3\n")])
    assert fp.files[0].layout == "students"


# --- the real samples -------------------------------------------------------------------------------

def _expected_people(folder) -> tuple[set[str], set[str]]:
    """Independently: student and teacher ids (identifier else sourcedId) from users, roles and enrollments."""
    users = csv_records(folder / "users.csv")
    pid = {u["sourcedId"]: (u.get("identifier") or "").strip() or u["sourcedId"] for u in users
           if (u.get("status") or "") != "tobedeleted"}
    roles: dict[str, set[str]] = {u["sourcedId"]: {u.get("role", "").lower()} - {""} for u in users}
    if (folder / "roles.csv").exists():
        for r in csv_records(folder / "roles.csv"):
            roles.setdefault(r["userSourcedId"], set()).add(r["role"].lower())
    classes = {c["sourcedId"] for c in csv_records(folder / "classes.csv") if c.get("status") != "tobedeleted"}
    for e in csv_records(folder / "enrollments.csv"):
        if e.get("status") != "tobedeleted" and e["classSourcedId"] in classes:
            roles.setdefault(e["userSourcedId"], set()).add(e["role"].lower())
    students = {pid[u] for u, r in roles.items() if "student" in r and u in pid}
    teachers = {pid[u] for u, r in roles.items() if r & {"teacher", "aide"} and u in pid}
    return students, teachers


@pytest.mark.parametrize("name", ["edfi_lms_toolkit_grand_bend_v1.0", "edfi_lms_toolkit_grand_bend_v1.1",
                                  "catalyst_moodle_v1p2_full_dataset"])
@pytest.mark.parametrize("as_zip", [False, True])
def test_sample_bundle_imports_with_exact_counts(con, name, as_zip):
    folder = sample("oneroster", name)
    if as_zip:
        r = load(con, (f"{name}.zip", zip_bytes({p.name: p.read_bytes() for p in folder.glob("*.csv")})))
    else:
        r = load_paths(con, folder)
    assert {x.status for x in r} == {"loaded"} and sum(x.rows_rejected for x in r) == 0
    assert sum(x.rows_total for x in r) == sum(len(csv_records(p)) for p in folder.glob("*.csv"))
    students, teachers = _expected_people(folder)
    got = store.fetch_df(con, "SELECT student_id FROM students")["student_id"]
    assert set(got) == students and len(got) == len(students)
    assert set(store.fetch_df(con, "SELECT teacher_id FROM teachers")["teacher_id"]) == teachers
    enr = {(e["userSourcedId"], e["classSourcedId"]) for e in csv_records(folder / "enrollments.csv")
           if e["role"] == "student" and e.get("status") != "tobedeleted"}
    live = {c["sourcedId"] for c in csv_records(folder / "classes.csv") if c.get("status") != "tobedeleted"}
    assert store.counts(con)["enrollments"] == len({x for x in enr if x[1] in live})
