"""A small synthetic school for the early-warning tests: any number of students and school years, fast to build."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lib import demo, store


def make_school(con, n: int = 60, years: tuple[int, ...] = (2025, 2026), today: dt.date = dt.date(2026, 11, 20),
                seed: int = 0, shift: float = 0.0, prefix: str = "S") -> int:
    """One grade-3 maths class per year: checks every two weeks, a September benchmark, a May summative.

    Abilities are N(shift, 1); students with high absence miss more checks and do worse. Returns the import id.
    """
    rng = np.random.default_rng(seed)
    ids = [f"{prefix}{i:04d}" for i in range(1, n + 1)]
    theta = rng.normal(shift, 1.0, n)
    absence = np.where(rng.random(n) < 0.15, rng.uniform(0.10, 0.25, n), rng.uniform(0.0, 0.06, n))
    theta = theta - 3.0 * absence
    students = pd.DataFrame({"student_id": ids, "first_name": [f"First{i}" for i in range(n)],
                             "last_name": [f"Last{i}" for i in range(n)], "grade_level": "3", "school": "Test School",
                             "ell": rng.random(n) < 0.2, "iep": rng.random(n) < 0.1, "frl": rng.random(n) < 0.4,
                             "gender": rng.choice(["F", "M"], n), "ethnicity": rng.choice(["A", "B"], n)})
    import_id = store.new_import_id(con)
    frames: dict[str, list] = {k: [] for k in ("sections", "enrollments", "assessments", "items", "responses",
                                               "attendance")}
    frames["standards"] = [pd.DataFrame({"code": ["3.X.1", "3.X.2"], "subject": "Math", "grade_level": "3",
                                         "description": ["one", "two"]})]
    for y in years:
        start, end = dt.date(y, 8, 20), min(dt.date(y + 1, 6, 1), today)
        sec = f"M{y}"
        frames["sections"].append(pd.DataFrame({"section_id": [sec], "teacher_id": ["T1"], "course": ["Math 3"],
                                                "subject": ["Math"], "grade_level": ["3"], "term": [str(y)],
                                                "starts_on": [start], "ends_on": [dt.date(y + 1, 6, 1)],
                                                "school": ["Test School"]}))
        frames["enrollments"].append(pd.DataFrame({"student_id": ids, "section_id": sec}))
        events = []
        day, k = start + dt.timedelta(days=7), 0
        while day <= min(dt.date(y + 1, 5, 1), end):
            k += 1
            events.append((f"F{y}-{k:02d}", "formative", day, 0.8, 4))
            day += dt.timedelta(days=14)
        events.append((f"B{y}", "benchmark", dt.date(y, 9, 15), 0.7, 10))
        if dt.date(y + 1, 5, 20) <= end:
            events.append((f"S{y}", "summative", dt.date(y + 1, 5, 20), 0.7, 12))
        for aid, kind, day, cut, n_items in events:
            if day > end:
                continue
            frames["assessments"].append(pd.DataFrame({"assessment_id": [aid], "title": [f"Math {aid}"],
                                                       "subject": ["Math"], "grade_level": ["3"], "kind": [kind],
                                                       "administered_on": [day], "proficiency_cut": [cut]}))
            items = [str(i + 1) for i in range(n_items)]
            frames["items"].append(pd.DataFrame({"assessment_id": aid, "item": items,
                                                 "standard_code": ["3.X.1" if i % 2 == 0 else "3.X.2"
                                                                   for i in range(n_items)],
                                                 "points_possible": 1.0, "correct_response": None,
                                                 "position": range(1, n_items + 1)}))
            present = rng.random(n) >= absence * 2.0
            if kind != "formative":
                present[:] = True
            takers = np.flatnonzero(present)
            b = rng.normal(-1.2, 0.5, n_items)
            p = 1 / (1 + np.exp(-1.7 * (theta[takers, None] + rng.normal(0, 0.3, (len(takers), 1)) - b[None, :])))
            earned = (rng.random(p.shape) < p).astype(float)
            frames["responses"].append(pd.DataFrame({
                "assessment_id": aid, "student_id": np.repeat(np.array(ids)[takers], n_items),
                "item": np.tile(items, len(takers)), "points_earned": earned.reshape(-1), "response": None}))
        month = dt.date(y, 9, 1)
        while month < end:
            nxt = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            p_end = min(nxt - dt.timedelta(days=1), end)
            days = 20.0
            frames["attendance"].append(pd.DataFrame({"student_id": ids, "period_start": month, "period_end": p_end,
                                                      "days_enrolled": days,
                                                      "days_absent": rng.binomial(20, absence).astype(float)}))
            month = nxt
    with store.transaction(con):
        con.execute("INSERT INTO imports (import_id, filename, kind, status) VALUES (?, 'synthetic', 'test', 'loaded')",
                    [import_id])
        demo.insert_frame(con, "students", students, import_id)
        demo.insert_frame(con, "teachers", pd.DataFrame({"teacher_id": ["T1"], "name": ["Ms. Test"]}), import_id)
        for table in ("sections", "enrollments", "standards", "assessments", "items", "responses", "attendance"):
            demo.insert_frame(con, table, pd.concat(frames[table], ignore_index=True), import_id)
        store.bump_data_version(con)
    return import_id
