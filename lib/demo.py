"""A seeded demo school (or district): students, teachers, standards, assessments, results, attendance.

The school looks like a real K-5 elementary (five teachers per grade, weekly common formative
assessments alternating maths and ELA, three benchmarks and an end-of-year summative per subject,
two school years), with structure a team can find: teachers stronger or weaker on particular
domains, students who struggle on particular skills, chronic absence that goes with missed checks,
and a few flawed items (one with a wrong key) so the item analysis has something to say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from lib import store

SCHOOL_NAMES = [
    "Boones Mill Elementary", "Cave Spring Elementary", "Glenvar Elementary", "Mason Cove Elementary",
    "Penn Forest Elementary", "Back Creek Elementary", "Bonsack Elementary", "Burlington Elementary",
    "Clearbrook Elementary", "Fort Lewis Elementary", "Green Valley Elementary", "Herman Horn Elementary",
    "Masons Cove Elementary", "Mountain View Elementary", "Oak Grove Elementary", "Bent Mountain Elementary",
]
FIRST = [
    "Amara", "Bodhi", "Camila", "Dashiell", "Esperanza", "Finnegan", "Giselle", "Horatio", "Imani", "Jasper",
    "Keziah", "Lorenzo", "Marisol", "Nikolai", "Ophelia", "Percival", "Quinlan", "Rosalind", "Santiago",
    "Thaddeus", "Ursula", "Valentina", "Wendell", "Ximena", "Yusuf", "Zinnia", "Anneliese", "Bartholomew",
    "Cordelia", "Desmond", "Evangeline", "Fitzgerald", "Guadalupe", "Hyacinth", "Ignatius", "Juniper",
    "Kalani", "Leopold", "Magnolia", "Nathaniel", "Octavia", "Peregrine", "Rosemarie", "Sebastian",
    "Temperance", "Ulysses", "Vivienne", "Winifred", "Xavier", "Yolanda", "Zebulon", "Aurelio", "Beatrix",
    "Cassius", "Delphine", "Emmeline", "Florian", "Gwendolyn", "Hezekiah", "Isadora", "Jedidiah", "Kassandra",
]
LAST = [
    "Abernathy", "Bellweather", "Castellano", "Delacroix", "Eisenberg", "Fairweather", "Gallagher", "Huxley",
    "Ishikawa", "Jablonski", "Kowalczyk", "Lindqvist", "Montgomery", "Nakamura", "Okonkwo", "Pemberton",
    "Quintero", "Rasmussen", "Santangelo", "Thistlewood", "Underhill", "Valderrama", "Whitfield", "Yamamoto",
    "Zamora", "Ashcroft", "Blackwood", "Coppersmith", "Dunleavy", "Everhart", "Featherstone", "Greenhalgh",
    "Hargreaves", "Ingersoll", "Kittredge", "Lockhart", "Merriweather", "Northcott", "Oyelaran", "Prendergast",
    "Rutherford", "Stonebridge", "Tremblay", "Vanderbilt", "Wadsworth", "Achterberg", "Brightwater",
]
TEACHER_LAST = [
    "Alvarez", "Brooks", "Chen", "Delgado", "Ellison", "Foster", "Garcia", "Hughes", "Iverson", "Jordan",
    "Kim", "Lopez", "Mitchell", "Nguyen", "Owens", "Patel", "Quinn", "Reyes", "Sullivan", "Turner",
    "Usher", "Vasquez", "Walker", "Xu", "Young", "Zimmerman", "Abbott", "Baker", "Carter", "Dawson",
]
GRADES = ["K", "1", "2", "3", "4", "5"]

# Domains per grade with a short cluster description; codes follow Common Core style.
MATH_DOMAINS = {
    "K": [("CC", "Counting and cardinality"), ("OA", "Operations and algebraic thinking"),
          ("NBT", "Number and operations in base ten"), ("MD", "Measurement and data"), ("G", "Geometry")],
    "1": [("OA", "Operations and algebraic thinking"), ("NBT", "Number and operations in base ten"),
          ("MD", "Measurement and data"), ("G", "Geometry")],
    "2": [("OA", "Operations and algebraic thinking"), ("NBT", "Number and operations in base ten"),
          ("MD", "Measurement and data"), ("G", "Geometry")],
    "3": [("OA", "Operations and algebraic thinking"), ("NBT", "Number and operations in base ten"),
          ("NF", "Number and operations: fractions"), ("MD", "Measurement and data"), ("G", "Geometry")],
    "4": [("OA", "Operations and algebraic thinking"), ("NBT", "Number and operations in base ten"),
          ("NF", "Number and operations: fractions"), ("MD", "Measurement and data"), ("G", "Geometry")],
    "5": [("OA", "Operations and algebraic thinking"), ("NBT", "Number and operations in base ten"),
          ("NF", "Number and operations: fractions"), ("MD", "Measurement and data"), ("G", "Geometry")],
}
ELA_DOMAINS = [("RL", "Reading: literature"), ("RI", "Reading: informational text"),
               ("RF", "Reading: foundational skills"), ("L", "Language: conventions and vocabulary")]
MATH_TOPICS = {
    "CC": ["count to 100 by ones and tens", "count to tell the number of objects", "compare numbers"],
    "OA": ["represent and solve problems", "understand properties of operations", "add and subtract fluently",
           "multiply and divide within 100", "solve two-step word problems", "identify arithmetic patterns"],
    "NBT": ["understand place value", "use place value to add and subtract", "round whole numbers",
            "multiply multi-digit numbers", "divide to find quotients"],
    "NF": ["understand fractions as numbers", "find equivalent fractions", "compare fractions",
           "add and subtract fractions with like denominators", "multiply fractions"],
    "MD": ["measure lengths", "tell and write time", "solve problems with money",
           "represent and interpret data", "understand area", "understand volume"],
    "G": ["identify and describe shapes", "reason with shapes and their attributes",
          "classify two-dimensional figures", "graph points on the coordinate plane"],
}
ELA_TOPICS = {
    "RL": ["ask and answer questions about key details", "recount stories and determine the central message",
           "describe characters and how their actions shape events", "determine the meaning of words in a text"],
    "RI": ["determine the main idea and supporting details", "describe relationships between events or ideas",
           "use text features to locate information", "compare two texts on the same topic"],
    "RF": ["know and apply grade-level phonics", "read with accuracy and fluency", "decode multisyllable words"],
    "L": ["use conventions of standard English grammar", "use capitalization and punctuation",
          "determine the meaning of unknown words", "understand word relationships"],
}


@dataclass
class DemoConfig:
    """What to generate: the defaults give one K-5 school of about 400 students over two years."""

    students: int = 400
    seed: int = 7
    years: tuple[int, ...] = (2025, 2026)  # school years by their starting calendar year
    today: dt.date = field(default_factory=lambda: dt.date(2026, 11, 20))
    teachers_per_grade: int = 5
    items_per_standard_cfa: tuple[int, ...] = (2, 2, 3)
    benchmark_items: int = 12
    summative_items: int = 18


def _school_days(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a school year."""
    start = dt.date(year, 8, 18) - dt.timedelta(days=dt.date(year, 8, 18).weekday())
    return start, dt.date(year + 1, 5, 29)


def _standards(rng: np.random.Generator) -> pd.DataFrame:
    """Common Core style standards for K-5 maths and ELA with descriptions."""
    rows = []
    for grade in GRADES:
        for domain, dname in MATH_DOMAINS[grade]:
            topics = MATH_TOPICS[domain]
            for c_i, cluster in enumerate("ABC"[: 2 if len(topics) > 3 else 1]):
                for n in range(1, 3):
                    topic = topics[(c_i * 2 + n - 1) % len(topics)]
                    rows.append((f"{grade}.{domain}.{cluster}.{n + c_i * 2}", "Math", grade,
                                 f"{dname}: {topic}"))
        for domain, dname in ELA_DOMAINS:
            topics = ELA_TOPICS[domain]
            for n in range(1, 4):
                topic = topics[(n - 1) % len(topics)]
                rows.append((f"{domain}.{grade}.{n}", "ELA", grade, f"{dname}: {topic}"))
    return pd.DataFrame(rows, columns=["code", "subject", "grade_level", "description"])


def _grade_num(grade: str) -> int:
    return 0 if grade == "K" else int(grade)


def generate(config: DemoConfig | None = None) -> dict[str, pd.DataFrame]:
    """Generate every table of the demo school as DataFrames (no database involved)."""
    cfg = config or DemoConfig()
    rng = np.random.default_rng(cfg.seed)
    latest = max(cfg.years)
    n_schools = max(1, int(round(cfg.students / 400)))
    school_names = [SCHOOL_NAMES[i % len(SCHOOL_NAMES)] + ("" if i < len(SCHOOL_NAMES) else f" {i // 16 + 1}")
                    for i in range(n_schools)]
    standards = _standards(rng)

    # Cohorts: one per grade in the latest year, plus the cohorts that have since left grade 5.
    n_years = len(cfg.years)
    cohort_offsets = list(range(0, len(GRADES) + n_years - 1))  # grade index in the latest year (6 = left)
    per_cohort = cfg.students / len(GRADES)
    students = []
    sid = 0
    for s_i, school in enumerate(school_names):
        for off in cohort_offsets:
            n = int(rng.normal(per_cohort / n_schools, per_cohort / n_schools * 0.05))
            n = max(n, 5)
            for _ in range(n):
                sid += 1
                last_idx = min(off, len(GRADES) - 1)
                students.append(
                    {
                        "student_id": f"S{100000 + sid}",
                        "first_name": FIRST[int(rng.integers(len(FIRST)))],
                        "last_name": LAST[int(rng.integers(len(LAST)))],
                        "grade_level": GRADES[last_idx],
                        "school": school,
                        "cohort": off,
                        "school_idx": s_i,
                    }
                )
    st_df = pd.DataFrame(students)
    n_st = len(st_df)
    st_df["ell"] = rng.random(n_st) < 0.14
    st_df["iep"] = rng.random(n_st) < 0.12
    st_df["frl"] = rng.random(n_st) < 0.45
    st_df["gender"] = rng.choice(["F", "M"], n_st)
    st_df["ethnicity"] = rng.choice(
        ["White", "Black", "Hispanic", "Asian", "Two or more"], n_st, p=[0.55, 0.18, 0.17, 0.04, 0.06]
    )
    # Abilities: maths and reading correlated; subgroups start a little lower (the gaps schools see).
    z1, z2 = rng.normal(size=n_st), rng.normal(size=n_st)
    base = -0.25 * st_df["ell"].to_numpy() - 0.35 * st_df["iep"].to_numpy() - 0.15 * st_df["frl"].to_numpy()
    theta = {"Math": base + z1, "ELA": base + 0.6 * z1 + 0.8 * z2}
    absence_rate = np.where(rng.random(n_st) < 0.1, rng.uniform(0.10, 0.22, n_st), rng.uniform(0.0, 0.07, n_st))
    # Chronic absence costs learning.
    theta["Math"] -= 2.0 * absence_rate
    theta["ELA"] -= 2.0 * absence_rate
    all_domains = sorted({d for g in GRADES for d, _ in MATH_DOMAINS[g]} | {d for d, _ in ELA_DOMAINS})
    dom_index = {d: i for i, d in enumerate(all_domains)}
    weakness = np.where(rng.random((n_st, len(all_domains))) < 0.10, -1.3, 0.0)

    teachers, sections, enrollments = [], [], []
    teacher_effect: dict[tuple[str, str], float] = {}
    # Teachers stay with their grade across years; students are dealt to classes each year.
    for s_i, school in enumerate(school_names):
        code = "".join(w[0] for w in school.split()[:2]).upper() + (str(s_i) if s_i else "")
        for g_i, grade in enumerate(GRADES):
            for t_i in range(cfg.teachers_per_grade):
                last = TEACHER_LAST[(g_i * cfg.teachers_per_grade + t_i) % len(TEACHER_LAST)]
                tid = f"T{s_i:02d}{g_i}{t_i}"
                title = ["Ms.", "Mr.", "Mrs.", "Dr."][(g_i + t_i) % 4]
                teachers.append({"teacher_id": tid, "name": f"{title} {last}",
                                 "email": f"{last.lower()}{s_i or ''}@{code.lower()}.example.org",
                                 "show_name": False})
                for d in all_domains:
                    teacher_effect[(tid, d)] = float(rng.normal(0, 0.25))
                # A visible strength and a visible gap per teacher, so comparisons show something.
                doms = [d for d, _ in MATH_DOMAINS[grade]] + [d for d, _ in ELA_DOMAINS]
                strong, weak = rng.choice(doms, 2, replace=False)
                teacher_effect[(tid, strong)] += 0.8
                teacher_effect[(tid, weak)] -= 0.8

    teacher_row = {t["teacher_id"]: i for i, t in enumerate(teachers)}
    effect_matrix = np.zeros((len(teachers), len(all_domains)))
    for (tid, d), v in teacher_effect.items():
        effect_matrix[teacher_row[tid], dom_index[d]] = v
    resp_frames, item_rows, assess_rows, att_frames = [], [], [], []
    std_by: dict[tuple[str, str], list[str]] = {}
    for (subject, grade), grp in standards.groupby(["subject", "grade_level"]):
        std_by[(subject, grade)] = grp["code"].tolist()
    student_teacher_year: dict[int, np.ndarray] = {}

    for year in cfg.years:
        start, end = _school_days(year)
        if year == latest:
            end = min(end, cfg.today)
        term = f"{year}-{str(year + 1)[2:]}"
        year_idx = cfg.years.index(year)
        # Grade index of each student in this year.
        g_index = st_df["cohort"].to_numpy() - (latest - year)
        st_teacher = np.full(n_st, "", dtype=object)
        for s_i, school in enumerate(school_names):
            for g_i, grade in enumerate(GRADES):
                mask = (g_index == g_i) & (st_df["school_idx"].to_numpy() == s_i)
                idx = np.flatnonzero(mask)
                rng.shuffle(idx)
                for k, stu in enumerate(idx):
                    t_i = k % cfg.teachers_per_grade
                    tid = f"T{s_i:02d}{g_i}{t_i}"
                    st_teacher[stu] = tid
                for t_i in range(cfg.teachers_per_grade):
                    tid = f"T{s_i:02d}{g_i}{t_i}"
                    for subject in ("Math", "ELA"):
                        sec = f"{tid}-{term}-{subject}"
                        sections.append({"section_id": sec, "teacher_id": tid,
                                         "course": f"Grade {grade} {subject}", "subject": subject,
                                         "grade_level": grade, "term": term, "starts_on": start,
                                         "ends_on": _school_days(year)[1], "school": school})
                for stu in idx:
                    for subject in ("Math", "ELA"):
                        enrollments.append((st_df["student_id"].iat[stu], f"{st_teacher[stu]}-{term}-{subject}"))
        student_teacher_year[year] = st_teacher

        # Attendance by month.
        month_start = dt.date(start.year, start.month, 1)
        enrolled_mask = (g_index >= 0) & (g_index < len(GRADES))
        enrolled_ids = st_df["student_id"].to_numpy()[enrolled_mask]
        rates = absence_rate[enrolled_mask]
        while month_start <= end:
            nxt = dt.date(month_start.year + (month_start.month == 12), month_start.month % 12 + 1, 1)
            p_start, p_end = max(month_start, start), min(nxt - dt.timedelta(days=1), end)
            days = int(np.busday_count(p_start, p_end + dt.timedelta(days=1)))
            if days > 0:
                absent = np.minimum(rng.binomial(days, np.clip(rates * rng.uniform(0.5, 1.5, len(rates)), 0, 1)),
                                    days)
                att_frames.append(pd.DataFrame({"student_id": enrolled_ids, "period_start": p_start,
                                                "period_end": p_end, "days_enrolled": float(days),
                                                "days_absent": absent.astype(float)}))
            month_start = nxt

        # Assessment calendar: weekly CFAs alternating subjects, benchmarks in Sep/Jan/Apr, summative in May.
        events = []
        week = 0
        day = start + dt.timedelta(days=11)  # first CFA in the second week, on a Friday
        while day <= end - dt.timedelta(days=7) or (year == latest and day <= end):
            if day > end:
                break
            week += 1
            subject = "Math" if week % 2 == 1 else "ELA"
            events.append(("formative", subject, day, (week + 1) // 2))
            day += dt.timedelta(days=7)
        for b_i, (m, d) in enumerate([(9, 10), (1, 14), (4, 22)]):
            b_day = dt.date(year + (m < 8), m, d)
            if b_day <= end:
                for subject in ("Math", "ELA"):
                    events.append(("benchmark", subject, b_day, b_i + 1))
        s_day = dt.date(year + 1, 5, 20)
        if s_day <= end:
            for subject in ("Math", "ELA"):
                events.append(("summative", subject, s_day, 1))

        for kind, subject, day, number in events:
            frac = (day - start).days / max((_school_days(year)[1] - start).days, 1)
            for g_i, grade in enumerate(GRADES):
                in_grade = np.flatnonzero(g_index == g_i)
                if len(in_grade) == 0:
                    continue
                codes = std_by[(subject, grade)]
                if kind == "formative":
                    # A CFA checks two standards, walking through the year's standards in order.
                    k0 = (number * 2) % len(codes)
                    chosen = [codes[k0], codes[(k0 + 1) % len(codes)]]
                    n_items = [int(rng.choice(cfg.items_per_standard_cfa)) for _ in chosen]
                    title = f"Gr {grade} {subject} CFA {number}: {', '.join(chosen)}"
                    cut = 0.8
                else:
                    chosen = codes
                    total = cfg.benchmark_items if kind == "benchmark" else cfg.summative_items
                    n_items = [max(1, total // len(codes) + (1 if i < total % len(codes) else 0))
                               for i in range(len(codes))]
                    label = {"benchmark": ["BOY", "MOY", "EOY"][number - 1] + " Benchmark",
                             "summative": "End-of-Year Summative"}[kind]
                    title = f"Gr {grade} {subject} {label} {year}-{str(year + 1)[2:]}"
                    cut = 0.7
                aid = f"A{year}-{grade}-{subject[0]}-{kind[0]}{number:02d}"
                assess_rows.append({"assessment_id": aid, "title": title, "subject": subject,
                                    "grade_level": grade, "kind": kind, "administered_on": day,
                                    "proficiency_cut": cut})
                item_std, item_pts, item_b, item_key = [], [], [], []
                pos = 0
                for code, n in zip(chosen, n_items):
                    for _ in range(n):
                        pos += 1
                        item_std.append(code)
                        two_point = kind != "formative" and rng.random() < 0.25
                        item_pts.append(2.0 if two_point else 1.0)
                        item_b.append(float(rng.normal(-1.35 if kind == "formative" else -1.0, 0.6)))
                        item_key.append(None if two_point else "ABCD"[int(rng.integers(4))])
                n_it = len(item_std)
                bad_key = kind == "benchmark" and number == 2 and grade == "3"
                for p in range(n_it):
                    item_rows.append({"assessment_id": aid, "item": str(p + 1), "standard_code": item_std[p],
                                      "points_possible": item_pts[p], "correct_response": item_key[p],
                                      "position": p + 1})
                # Who sat it: absent students miss checks.
                present = rng.random(len(in_grade)) >= np.clip(absence_rate[in_grade] * 1.3 + 0.02, 0, 0.6)
                takers = in_grade[present]
                if len(takers) == 0:
                    continue
                tids = st_teacher[takers]
                domain = [c.split(".")[1] if subject == "Math" else c.split(".")[0] for c in item_std]
                growth = 0.9 * frac + 0.15 * year_idx
                th = theta[subject][takers][:, None] + growth
                d_idx = np.array([dom_index[d] for d in domain])
                th = th + weakness[np.ix_(takers, d_idx)]
                t_idx = np.array([teacher_row[t] for t in tids])
                th = th + effect_matrix[np.ix_(t_idx, d_idx)]
                p_correct = 1 / (1 + np.exp(-1.7 * (th - np.array(item_b)[None, :])))
                if bad_key:
                    # Item 3's key is wrong: strong students "miss" it.
                    p_correct[:, 2] = 1 - p_correct[:, 2] * 0.8
                u = rng.random(p_correct.shape)
                pts = np.array(item_pts)[None, :]
                earned = np.where(pts == 2, (u < p_correct).astype(float) + (rng.random(u.shape) < p_correct),
                                  (u < p_correct).astype(float))
                # Multiple-choice answers: right key, or a popular distractor most of the time.
                answers = np.empty(p_correct.shape, dtype=object)
                for p in range(n_it):
                    key = item_key[p]
                    if key is None:
                        answers[:, p] = None
                        continue
                    others = [c for c in "ABCD" if c != key]
                    wrong = np.where(rng.random(len(takers)) < 0.6, others[p % 3],
                                     np.array(others, dtype=object)[rng.integers(0, 3, len(takers))])
                    answers[:, p] = np.where(earned[:, p] > 0, key, wrong)
                resp_frames.append(pd.DataFrame({
                    "assessment_id": aid,
                    "student_id": np.repeat(st_df["student_id"].to_numpy()[takers], n_it),
                    "item": np.tile([str(p + 1) for p in range(n_it)], len(takers)),
                    "points_earned": earned.reshape(-1),
                    "response": answers.reshape(-1),
                }))

    st_out = st_df.drop(columns=["cohort", "school_idx"])
    return {
        "students": st_out,
        "teachers": pd.DataFrame(teachers),
        "sections": pd.DataFrame(sections),
        "enrollments": pd.DataFrame(enrollments, columns=["student_id", "section_id"]).drop_duplicates(),
        "standards": standards,
        "assessments": pd.DataFrame(assess_rows),
        "items": pd.DataFrame(item_rows),
        "responses": pd.concat(resp_frames, ignore_index=True),
        "attendance": pd.concat(att_frames, ignore_index=True),
    }


# Feature modules add demo goals, interventions... here: fn(con, import_id, frames) inside the
# demo's transaction.
EXTRAS: list = []

TABLE_ORDER = ["students", "teachers", "sections", "enrollments", "standards", "assessments", "items",
               "responses", "attendance"]


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, import_id: int,
                 refresh: bool = True) -> int:
    """Append a DataFrame to a table by column name, stamping the import; returns rows written. With
    `refresh`, the stored scores and rosters it changes are recomputed (load() does that once at the end)."""
    frame = df.copy()
    frame["import_id"] = import_id
    con.register("_frame", frame)
    try:
        order = f" ORDER BY {store.STUDENT_ORDER[table]}" if table in store.STUDENT_ORDER else ""
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame{order}")
    finally:
        con.unregister("_frame")
    if refresh and table in ("responses", "items") and "assessment_id" in frame:
        store.refresh_points(con, frame["assessment_id"].unique())
    elif refresh and table in ("sections", "enrollments", "assessments", "scores"):
        store.refresh_roster(con)  # point scores come from responses and items only
    return len(frame)


def load(con: duckdb.DuckDBPyConnection, config: DemoConfig | None = None) -> int:
    """Generate and store the demo school in one transaction as an import of kind 'demo'."""
    cfg = config or DemoConfig()
    frames = generate(cfg)
    import_id = store.new_import_id(con)
    total = len(frames["responses"])
    with store.transaction(con):
        con.execute(
            "INSERT INTO imports (import_id, filename, kind, layout, rows_total, rows_loaded, status, message) "
            "VALUES (?, ?, 'demo', 'demo', ?, ?, 'loaded', ?)",
            [import_id, f"Demo school ({cfg.students} students, seed {cfg.seed})", total, total,
             "Generated demo data: remove it from the Import page when your own data is in."],
        )
        for table in TABLE_ORDER:
            insert_frame(con, table, frames[table], import_id, refresh=False)
        store.refresh_points(con)  # once, before the goals and interventions that read scores
        for extra in EXTRAS:
            extra(con, import_id, frames)
        store.set_meta(con, "demo_import_id", str(import_id))
        store.bump_data_version(con)
    return import_id


def loaded_demo(con: duckdb.DuckDBPyConnection) -> int | None:
    """The import id of the demo data if it is loaded."""
    value = store.fetch_value(con, "SELECT max(import_id) FROM imports WHERE kind = 'demo' AND status = 'loaded'")
    return None if value is None else int(value)


def remove(con: duckdb.DuckDBPyConnection) -> bool:
    """Remove the demo data (an undo of its import) and remember not to load it again."""
    import_id = loaded_demo(con)
    if import_id is None:
        return False
    store.undo_import(con, import_id)
    with store.transaction(con):
        store.set_meta(con, "demo_removed", "1")
    return True


def ensure_demo(con: duckdb.DuckDBPyConnection, config: DemoConfig | None = None) -> bool:
    """Load the demo school when the store is empty and the demo was never removed."""
    if store.is_empty(con) and store.get_meta(con, "demo_removed") != "1":
        load(con, config)
        return True
    return False

from lib import goals, interventions, risk  # noqa: E402,F401  (register demo goals and interventions; migrations)
