"""OneRoster 1.0 / 1.1 / 1.2 CSV bundles (a zip, or the folder's files uploaded together).

orgs, users (+ roles in 1.2), classes, courses, enrollments, academicSessions and demographics
become students, teachers, sections (with their term dates) and enrollments; gradebook files
(lineItems + results) become results, one assessment per line item. Tables are recognised by their
columns (a 1.2 `userProfiles.csv` that holds roles is read as roles). Records with status
`tobedeleted` are skipped. A person's id is the SIS `identifier` when the file has one, else the
`sourcedId`, so assessment exports keyed by the SIS id join the roster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

RACES = (("americanIndianOrAlaskaNative", "American Indian or Alaska Native"), ("asian", "Asian"),
         ("blackOrAfricanAmerican", "Black or African American"),
         ("nativeHawaiianOrOtherPacificIslander", "Native Hawaiian or Other Pacific Islander"), ("white", "White"))


def kind_of(table: Table) -> str | None:
    """Which OneRoster file a table is, from its columns (None: not OneRoster)."""
    h = c.Header.of(table)
    if h.has("propertyName") and h.has("value") and len(table.header) <= 3:
        return "manifest"
    if not h.has("sourcedId", "userSourcedId"):
        return None
    if h.has("lineItemSourcedId") and h.has("studentSourcedId", "userSourcedId") and h.has("score"):
        return "results"
    if h.has("classSourcedId") and h.has("resultValueMax", "dueDate", "assignDate"):
        return "lineItems"
    if h.has("classSourcedId") and h.has("userSourcedId") and h.has("role"):
        return "enrollments"
    if h.has("userSourcedId") and h.has("roleType") and h.has("role"):
        return "roles"
    if h.has("givenName", "familyName") and h.has("sourcedId"):
        return "users"
    if h.has("sex", "birthDate", "birthdate") and h.count(*(r for r, _ in RACES)) >= 2:
        return "demographics"
    if h.has("title") and h.has("courseSourcedId") and h.has("classCode", "classType", "schoolSourcedId"):
        return "classes"
    if h.has("title") and h.has("courseCode"):
        return "courses"
    if h.has("title") and h.has("startDate") and h.has("endDate") and h.has("type"):
        return "academicSessions"
    if h.has("name") and h.has("type") and h.has("sourcedId"):
        return "orgs"
    if h.has("title") and len(table.header) <= 5:
        return "categories"
    return None


def _claim(tables: list[Table]) -> list[Table]:
    kinds = [(t, kind_of(t)) for t in tables]
    mine = [t for t, k in kinds if k]
    core = {k for _, k in kinds} & {"users", "classes", "enrollments", "demographics", "results", "roles"}
    return mine if core else []


def _frame(t: Table) -> tuple[pd.DataFrame, c.Header]:
    h = c.Header.of(t)
    return pd.DataFrame({"_row": t.rows}), h


def _first(values: str) -> str:
    return values.split(",")[0].strip() if values else ""


def _gender(v: str) -> str | None:
    low = v.strip().lower()
    return {"female": "F", "f": "F", "male": "M", "m": "M"}.get(low, v.strip() or None)


def parse(pairs: list[tuple[Table, dict[str, int]]], ctx: ingest.Context) -> ingest.Parsed:
    """A OneRoster bundle -> students, teachers, sections, enrollments (and gradebook results)."""
    by: dict[str, list[Table]] = {}
    for t, _ in pairs:
        by.setdefault(kind_of(t), []).append(t)
    problems: list[pd.DataFrame] = []
    notes: list[str] = []
    skipped: dict[str, int] = {}

    def prob(t: Table, rows, column, reason):
        p = c.problem(rows, column, reason)
        p["_table"] = t.name
        problems.append(p)

    def active(t: Table, h: c.Header) -> pd.Series:
        deleted = h.col("status").str.lower() == "tobedeleted"
        if deleted.any():
            skipped[t.name] = skipped.get(t.name, 0) + int(deleted.sum())
        return ~deleted

    version = ""
    for t in by.get("manifest", []):
        h = c.Header.of(t)
        props = dict(zip(h.col("propertyName"), h.col("value")))
        version = props.get("oneroster.version", "")
    # orgs: school names
    schools: dict[str, str] = {}
    for t in by.get("orgs", []):
        h = c.Header.of(t)
        for sid, name, typ in zip(h.col("sourcedId"), h.col("name"), h.col("type")):
            if typ.lower() == "school":
                schools[sid] = name
    # sessions: titles and dates
    sessions: dict[str, tuple[str, object, object]] = {}
    for t in by.get("academicSessions", []):
        h = c.Header.of(t)
        for sid, title, s, e in zip(h.col("sourcedId"), h.col("title"), c.dates(h.col("startDate")),
                                    c.dates(h.col("endDate"))):
            sessions[sid] = (title, s, e)
    # roles (1.2): every role of a user
    roles: dict[str, set[str]] = {}
    for t in by.get("roles", []):
        h = c.Header.of(t)
        ok = active(t, h)
        for u, r in zip(h.col("userSourcedId")[ok], h.col("role")[ok]):
            roles.setdefault(u, set()).add(r.lower())
    # users
    users = pd.DataFrame(columns=["_row", "_table", "sourced", "pid", "first", "last", "email", "grade", "school",
                                  "role"])
    id_source = set()
    for t in by.get("users", []):
        h = c.Header.of(t)
        ok = active(t, h)
        sourced = h.col("sourcedId")
        ident = h.col("identifier")
        id_source.add("identifier" if (ident[ok] != "").any() else "sourcedId")
        orgs = h.col("primaryOrgSourcedId").where(h.col("primaryOrgSourcedId") != "", h.col("orgSourcedIds"))
        school = orgs.map(lambda v: next((schools[o.strip()] for o in v.split(",") if o.strip() in schools), None))
        u = pd.DataFrame({"_row": t.rows, "_table": t.name, "sourced": sourced,
                          "pid": ident.where(ident != "", sourced),
                          "first": h.col("givenName"), "last": h.col("familyName"), "email": h.col("email"),
                          "grade": c.grades(h.col("grades", "grade").map(_first)), "school": school,
                          "role": h.col("role").str.lower()})
        blank = (sourced == "") & ok
        if blank.any():
            prob(t, np.asarray(t.rows)[blank.to_numpy()], h.name("sourcedId"), "sourcedId is blank")
        users = pd.concat([users, u[ok & ~blank]], ignore_index=True)
    dup = users.duplicated("sourced", keep="last")
    users = users[~dup]
    pid_of = dict(zip(users["sourced"], users["pid"]))
    if not len(users) and (by.get("enrollments") or by.get("results")):
        notes.append("users.csv is not in this upload: enrollments use the user sourcedIds as ids.")
    # classes, courses
    courses: dict[str, tuple[str, str]] = {}
    for t in by.get("courses", []):
        h = c.Header.of(t)
        for sid, title, subj in zip(h.col("sourcedId"), h.col("title"), h.col("subjects")):
            courses[sid] = (title, subj)
    classes = []
    deleted_classes: set[str] = set()
    for t in by.get("classes", []):
        h = c.Header.of(t)
        ok = active(t, h)
        deleted_classes |= set(h.col("sourcedId")[~ok])
        for keep, r, sid, title, grades_, course, school, terms, subj in zip(
                ok, t.rows, h.col("sourcedId"), h.col("title"), h.col("grades", "grade"), h.col("courseSourcedId"),
                h.col("schoolSourcedId"), h.col("termSourcedIds", "termSourcedId"), h.col("subjects")):
            if not keep:
                continue
            if not sid:
                prob(t, [r], h.name("sourcedId"), "sourcedId is blank")
                continue
            ctitle, csubj = courses.get(course, ("", ""))
            term_list = [sessions[x.strip()] for x in terms.split(",") if x.strip() in sessions]
            subject = c.canonical_subject(_first(subj) or csubj or ctitle or title)
            one_grade = c.grade_of(grades_) if "," not in grades_ else None
            classes.append({"_row": r, "section_id": sid, "course": ctitle or title, "subject": subject,
                            "grade_level": one_grade, "term": ", ".join(x[0] for x in term_list) or None,
                            "school": schools.get(school),
                            "starts_on": min((x[1] for x in term_list if x[1]), default=None),
                            "ends_on": max((x[2] for x in term_list if x[2]), default=None)})
    classes_df = pd.DataFrame(classes, columns=["_row", "section_id", "course", "subject", "grade_level", "term",
                                                "school", "starts_on", "ends_on"])
    known_classes = set(classes_df["section_id"])
    # enrollments
    enr = []
    for t in by.get("enrollments", []):
        h = c.Header.of(t)
        ok = active(t, h)
        for keep, r, cls, user, role, primary in zip(ok, t.rows, h.col("classSourcedId"), h.col("userSourcedId"),
                                                     h.col("role").str.lower(), h.col("primary").str.lower()):
            if not keep:
                continue
            if cls in deleted_classes:
                skipped[t.name] = skipped.get(t.name, 0) + 1
                continue
            if known_classes and cls not in known_classes:
                prob(t, [r], h.name("classSourcedId"), f"class '{cls}' is not in classes.csv")
                continue
            if len(users) and user not in pid_of:
                prob(t, [r], h.name("userSourcedId"), f"user '{user}' is not in users.csv")
                continue
            enr.append({"_row": r, "user": user, "section_id": cls, "role": role, "primary": primary == "true"})
    enr_df = pd.DataFrame(enr, columns=["_row", "user", "section_id", "role", "primary"])
    enr_df["pid"] = enr_df["user"].map(lambda u: pid_of.get(u, u))
    # Who is a student / a teacher: the users.csv role, any 1.2 role, or the enrollment role.
    role_sets = {u: ({r} if r else set()) | roles.get(u, set()) for u, r in zip(users["sourced"], users["role"])}
    for u, r in zip(enr_df["user"], enr_df["role"]):
        role_sets.setdefault(u, set()).add(r)
    students_mask = users["sourced"].map(lambda u: "student" in role_sets.get(u, set()))
    teachers_mask = users["sourced"].map(lambda u: bool(role_sets.get(u, set()) & {"teacher", "aide"}))
    other = users[~students_mask & ~teachers_mask]
    if len(other):
        notes.append(f"{len(other)} users are neither students nor teachers (guardians, administrators...): "
                     "not loaded as people.")
    st = users[students_mask]
    # demographics
    demo: dict[str, tuple[str | None, str | None]] = {}
    for t in by.get("demographics", []):
        h = c.Header.of(t)
        key_col = h.col("sourcedId", "userSourcedId")
        hisp = h.col("hispanicOrLatinoEthnicity").str.lower() == "true"
        multi = h.col("demographicRaceTwoOrMoreRaces").str.lower() == "true"
        flags = pd.DataFrame({lab: h.col(col).str.lower() == "true" for col, lab in RACES})
        for i, (k, sex) in enumerate(zip(key_col, h.col("sex"))):
            races = [lab for lab in flags.columns if flags[lab].iat[i]]
            eth = ("Hispanic or Latino" if hisp.iat[i] else "Two or more races" if multi.iat[i] or len(races) > 1
                   else races[0] if races else None)
            demo[k] = (_gender(sex), eth)
    students = pd.DataFrame({"_row": st["_row"].astype(int).to_numpy(), "student_id": st["pid"].to_numpy(),
                             "first_name": st["first"].replace("", None).to_numpy(),
                             "last_name": st["last"].replace("", None).to_numpy(),
                             "grade_level": st["grade"].to_numpy(), "school": st["school"].to_numpy(),
                             "gender": [demo.get(u, (None, None))[0] for u in st["sourced"]],
                             "ethnicity": [demo.get(u, (None, None))[1] for u in st["sourced"]],
                             "ell": None, "iep": None, "frl": None})
    # Students only enrolled (no users.csv): their ids as given.
    if not len(users) and len(enr_df):
        only = enr_df[enr_df["role"] == "student"].drop_duplicates("pid")
        students = pd.DataFrame({"_row": only["_row"].to_numpy(), "student_id": only["pid"].to_numpy()})
    tc = users[teachers_mask]
    teachers = pd.DataFrame({"_row": tc["_row"].astype(int).to_numpy(), "teacher_id": tc["pid"].to_numpy(),
                             "name": [f"{a} {b}".strip() or None for a, b in zip(tc["first"], tc["last"])],
                             "email": tc["email"].replace("", None).to_numpy()})
    # Each class's teacher: a primary teacher enrollment first.
    teach = enr_df[enr_df["role"].isin(["teacher"])].sort_values(["primary", "_row"], ascending=[False, True])
    lead_teacher = teach.drop_duplicates("section_id").set_index("section_id")["pid"]
    name_of = dict(zip(teachers["teacher_id"], teachers["name"]))
    sections = classes_df.copy()
    sections["teacher_id"] = sections["section_id"].map(lead_teacher).astype(object)
    sections["teacher_id"] = sections["teacher_id"].where(sections["teacher_id"].notna(), None)
    sections["teacher_name"] = [name_of.get(t) if t else None for t in sections["teacher_id"]]
    se = enr_df[enr_df["role"] == "student"]
    enrollments = pd.DataFrame({"_row": se["_row"].to_numpy(), "student_id": se["pid"].to_numpy(),
                                "section_id": se["section_id"].to_numpy()})
    parsed = ingest.Parsed(students=students, teachers=teachers,
                           sections=sections.drop(columns=["starts_on", "ends_on"]), enrollments=enrollments,
                           problems=problems,
                           extra={"section_dates": classes_df[["_row", "section_id", "starts_on", "ends_on"]]})
    _gradebook(parsed, by, pid_of, classes_df, sections, prob)
    label = f"OneRoster {version}".strip()
    n_enr = len(enrollments.drop_duplicates(["student_id", "section_id"]))
    notes.insert(0, f"{label}: {len(students)} students, {len(teachers)} teachers, {len(sections)} classes, "
                    f"{n_enr} student enrollments; ids from "
                    f"{' / '.join(sorted(id_source)) or 'sourcedId'}.")
    if skipped:
        notes.append("Skipped (status tobedeleted, or in a deleted class): "
                     + ", ".join(f"{n} rows of {k}" for k, n in skipped.items()) + ".")
    parsed.notes = notes
    return parsed


def _gradebook(parsed: ingest.Parsed, by: dict, pid_of: dict, classes_df: pd.DataFrame,
               sections: pd.DataFrame, prob) -> None:
    """lineItems + results -> long results (one assessment per line item, one 'Total' item)."""
    if not by.get("results"):
        return
    items: dict[str, dict] = {}
    for t in by.get("lineItems", []):
        h = c.Header.of(t)
        for sid, title, cls, due, vmax in zip(h.col("sourcedId"), h.col("title"), h.col("classSourcedId"),
                                              h.col("dueDate", "assignDate"), h.col("resultValueMax")):
            items[sid] = {"title": title, "class": cls, "due": due, "max": vmax}
    cls_info = sections.set_index("section_id") if len(sections) else None
    frames = []
    for t in by["results"]:
        h = c.Header.of(t)
        stu = h.col("studentSourcedId", "userSourcedId")
        li = h.col("lineItemSourcedId")
        status = h.col("scoreStatus").str.lower()
        f = pd.DataFrame({"_row": t.rows, "student_id": stu.map(lambda u: pid_of.get(u, u))})
        info = [items.get(x, {}) for x in li]
        missing = [not bool(i) for i in info]
        if any(missing):
            prob(t, np.asarray(t.rows)[missing], h.name("lineItemSourcedId"), "line item is not in lineItems.csv")
        exempt = status.isin(["exempt", "not submitted"]).to_numpy()
        keep = ~np.asarray(missing) & ~exempt
        cls = [i.get("class") for i in info]

        def attr(col, cls=cls):
            return [cls_info[col].get(x) if cls_info is not None and x in cls_info.index else None for x in cls]
        # The roster's attributes (ingest writes result rows' students after the roster's).
        known = parsed.students.drop_duplicates("student_id").set_index("student_id") if len(parsed.students) else None
        for col in ("first_name", "last_name", "school", "ell", "iep", "frl", "gender", "ethnicity"):
            f[col] = f["student_id"].map(known[col]) if known is not None and col in known else None
            f[col] = f[col].astype(object).where(f[col].notna(), None)
        f["grade_level"] = [g if g else (known["grade_level"].get(s) if known is not None else None)
                            for g, s in zip(attr("grade_level"), f["student_id"])]
        f["teacher"] = None  # the class (section) already names its teacher
        f["section"] = cls
        f["subject"] = attr("subject")
        f["assessment"] = [i.get("title") for i in info]
        f["item"] = "Total"
        f["standard"] = f["response"] = f["correct_response"] = None
        f["date_text"] = [s or i.get("due", "") for s, i in zip(h.col("scoreDate"), info)]
        f["kind_text"] = f["cut_text"] = ""
        f["earned_text"] = h.col("score").to_numpy()
        f["possible_text"] = [i.get("max", "") for i in info]
        f["earned_col"] = h.name("score")
        f["possible_col"] = "resultValueMax (lineItems.csv)"
        f["id_col"] = h.name("studentSourcedId", "userSourcedId")
        f["date_col"] = h.name("scoreDate")
        f["assessment_col"] = "title (lineItems.csv)"
        f["kind_col"] = f["cut_col"] = None
        f = f[keep]
        clean, more, dups = ingest.validate_results(f)
        for p in more:
            p["_table"] = t.name
            parsed.problems.append(p)
        bad = set().union(*(set(p["_row"]) for p in more)) if more else set()
        frames.append(clean[~clean["_row"].isin(bad)])
        parsed.duplicates += dups
    if frames:
        parsed.results = pd.concat(frames, ignore_index=True)


def write_section_dates(con, parsed: ingest.Parsed, import_id: int) -> None:
    """Term dates of OneRoster classes (ingest's roster writer does not carry dates)."""
    f = parsed.extra.get("section_dates")
    if f is None or f.empty:
        return
    d = f[["section_id", "starts_on", "ends_on"]].copy()
    d = d.astype(object).where(d.notna(), None)
    con.register("_sd", d)
    try:
        con.execute("""UPDATE sections SET starts_on = coalesce(CAST(n.starts_on AS DATE), sections.starts_on),
                       ends_on = coalesce(CAST(n.ends_on AS DATE), sections.ends_on)
                       FROM _sd n WHERE sections.section_id = n.section_id""")
    finally:
        con.unregister("_sd")


ingest.EXTRA_WRITERS.append(write_section_dates)
ingest.BUNDLES.append(ingest.Bundle("oneroster", "OneRoster CSV bundle (users, classes, enrollments...)",
                                    _claim, parse, kind="roster"))
