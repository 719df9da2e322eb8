"""The student profile page on the demo school, run as the app runs it (AppTest from app.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from lib import privacy, profile
from tests.conftest import app_pointed_at, demo_copy

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/3_Student.py"
SID = "S100300"


@pytest.fixture(scope="module")
def demo_app(demo_db_file, tmp_path_factory):
    """The app pointed at one copy of the demo store for this module (caches stay warm between tests)."""
    path = demo_copy(demo_db_file, tmp_path_factory.mktemp("student_page"))
    with app_pointed_at(path) as mp:
        # Training the early-warning model is the risk feature's job (and its tests'); here a stand-in
        # with the same shape keeps this page's tests fast.
        try:
            from lib import risk

            mp.setattr(risk, "student_risk", fake_risk, raising=False)
        except ImportError:
            pass
        yield path


@pytest.fixture(scope="module")
def student(demo_db_file) -> dict:
    """The probe student's row and attendance, read independently of the app."""
    c = duckdb.connect(str(demo_db_file), read_only=True)
    try:
        row = c.execute("SELECT first_name, last_name, grade_level FROM students WHERE student_id = ?",
                        [SID]).fetchone()
        att = c.execute("""SELECT sum(days_absent), sum(days_enrolled) FROM attendance
                           WHERE student_id = ? AND period_start >= DATE '2026-07-01'""", [SID]).fetchone()
    finally:
        c.close()
    return {"name": f"{row[0]} {row[1]}", "grade": row[2], "absent": att[0], "enrolled": att[1]}


def fake_risk(con, student_id):
    """A stand-in for lib.risk.student_risk: one row per subject with band and reasons."""
    return pd.DataFrame({"Subject": ["Math"], "Grade": ["3"], "Risk": ["42%"], "Band": ["medium"],
                         "Reasons": ["missed 3 checks"], "student_id": [student_id]})


def open_page(**params):
    """Run the student page with URL parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def test_profile_from_a_link(demo_app, student):
    at = open_page(student=SID)
    texts = [m.value for m in at.markdown]
    assert f"### {student['name']}" in texts
    m = {x.label: x.value for x in at.metric}
    assert len(m) == 4 and next(iter(m)).startswith("Latest")
    assert {"Standards proficient", "Attendance this year", "Assessments missed"} <= set(m)
    assert m["Attendance this year"] == f"{1 - student['absent'] / student['enrolled']:.0%}"
    assert at.radio(key="student_subject").value in ("ELA", "Math")
    assert any(c.value.startswith(f"Grade {student['grade']}") for c in at.caption)
    headers = " ".join(texts)
    for part in ("Results by standard over time", "Attendance", "Early-warning risk", "Interventions"):
        assert part in headers
    # Risk (from the risk feature) shows without the student's id.
    risk_tables = [t.value for t in at.dataframe if "Band" in t.value.columns]
    assert risk_tables and "student_id" not in risk_tables[0].columns
    assert list(risk_tables[0]["Reasons"]) == ["missed 3 checks"]


def test_meeting_mode_shows_a_pseudonym_and_hides_the_id(demo_app, student):
    at = open_page(student=SID, meeting="1")
    texts = " ".join(m.value for m in at.markdown)
    assert f"### {privacy.pseudonym(SID)}" in texts
    assert student["name"] not in texts
    # The address bar carries an opaque token, not the id.
    assert at.query_params["student"] == profile.link_token(SID)
    assert not any("flags:" in c.value for c in at.caption)


def test_token_link_opens_the_same_student(demo_app, student):
    at = open_page(student=profile.link_token(SID))
    assert f"### {student['name']}" in [m.value for m in at.markdown]


def test_choosing_a_student_updates_the_link(demo_app, student):
    at = open_page(grade=student["grade"])
    assert any("Choose a student" in i.value for i in at.info)
    box = at.selectbox(key="student_pick")
    assert box.value is None and len(box.options) > 10
    box.set_value(SID).run()
    assert not at.exception
    assert at.query_params["student"] == SID


def test_unknown_student_asks_for_one(demo_app):
    at = open_page(student="nobody-here")
    assert any("Choose a student" in i.value for i in at.info)


def test_search_narrows_the_list(demo_app, student):
    at = open_page()
    at.text_input(key="student_search").set_value(student["name"].split()[1]).run()
    options = at.selectbox(key="student_pick").options
    assert student["name"] in options and len(options) < 50


def test_student_without_results(app_db):
    from streamlit.testing.v1 import AppTest

    from lib import store

    con = store.connect(app_db)
    con.execute("INSERT INTO students (student_id, first_name, last_name, grade_level) "
                "VALUES ('n1', 'New', 'Kid', '2')")
    con.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["student"] = "n1"
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any("No results for this student yet" in i.value for i in at.info)
    assert any("No attendance on file" in i.value for i in at.info)
