"""Goals page (AppTest on the demo store): cards, the principal's table vs the CLI, create and edit, meeting mode."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from lib import goals, privacy, store
from tests.conftest import ROOT, app_test, open_tab

PAGE = "pages/6_Goals.py"


def _texts(at) -> str:
    """Everything the page wrote as text (markdown, captions, metrics, tables), for searching."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    for t in at.table:
        parts.append(t.value.to_string())
    return "\n".join(str(p) for p in parts)


def _principal_table(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if {"Goal", "Status", "Aligned under"} <= set(d.value.columns))


@pytest.fixture
def cli_goals(app_demo_db):
    """What `python -m lib.cli goals list --json` prints for the page's database (run before the page opens it)."""
    out = subprocess.run([sys.executable, "-m", "lib.cli", "goals", "list", "--db", str(app_demo_db), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_page_matches_cli(cli_goals):
    """Cards and the principal's table show every goal; the table equals the command line's list."""
    at = app_test(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    assert at.title[0].value == "Goals"
    for g in cli_goals:
        assert g["title"] in text
    open_tab(at, "goals_tab", "All goals (alignment)")
    table = _principal_table(at)
    titles = [t.replace("\u2003", "").removeprefix("↳ ") for t in table["Goal"]]
    assert titles == [g["title"] for g in cli_goals]
    assert list(table["Status"]) == [g["status"] for g in cli_goals]
    for col, key in (("Baseline", "baseline_pct"), ("Now", "current_pct"), ("Target", "target_pct")):
        for shown, want in zip(table[col], cli_goals):
            assert (pd.isna(shown) and want[key] is None) or shown == pytest.approx(want[key])
    assert {g["status"] for g in cli_goals} == set(goals.STATUSES)
    # Every card's status badge uses the exact status word.
    for s in goals.STATUSES:
        assert f" {s}]" in text


def test_create_and_edit_goal_through_the_form(app_demo_db):
    """A goal written in the form is stored with its computed baseline; an edit keeps its history."""
    at = app_test(PAGE).run()
    assert not at.exception
    open_tab(at, "goals_tab", "New goal")
    at.text_input(key="goals_new_title").input("Grade 5 Math: 80% proficient on CFAs")
    at.selectbox(key="goals_new_grade_level").set_value("5")
    at.selectbox(key="goals_new_subject").set_value("Math")
    at.selectbox(key="goals_new_assessment_kind").set_value("formative")
    at.radio(key="goals_new_bucket").set_value("month")
    at.date_input(key="goals_new_baseline_from").set_value(dt.date(2026, 9, 1))
    at.date_input(key="goals_new_baseline_to").set_value(dt.date(2026, 9, 30))
    at.date_input(key="goals_new_target_date").set_value(dt.date(2027, 5, 28))
    at.number_input(key="goals_new_target_pct").set_value(80.0)
    at.text_input(key="goals_new_owner").input("Grade 5 team").run()
    assert not at.exception
    assert "Baseline from the data" in _texts(at)
    at.button(key="goals_new_create").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("saved" in s.value for s in at.success)
    assert at.session_state["goals_tab"] == "Goal detail"  # the new goal is shown

    con = store.connect(app_demo_db)
    row = store.fetch_df(con, "SELECT * FROM goals WHERE title = 'Grade 5 Math: 80% proficient on CFAs'")
    assert len(row) == 1
    gid = int(row["goal_id"].iat[0])
    spec = goals.get_spec(con, gid)
    assert (spec.grade_level, spec.subject, spec.assessment_kind, spec.bucket, spec.target_pct) == (
        "5", "Math", "formative", "month", 80.0)
    expected_base = goals.compute_baseline(con, spec).data_pct
    assert expected_base is not None
    open_tab(at, "goals_tab", "All goals (alignment)")
    shown = _principal_table(at)
    mine = shown[shown["Goal"].str.contains("Grade 5 Math: 80%")]
    assert mine["Baseline"].iat[0] == pytest.approx(round(expected_base, 1))

    open_tab(at, "goals_tab", "Edit goal")
    at.selectbox(key="goals_edit_goal").set_value(gid).run()
    assert at.number_input(key="goals_edit_target_pct").value == 80.0
    at.number_input(key="goals_edit_target_pct").set_value(85.0)
    at.text_input(key="goals_edit_by").input("Ms. Lead")
    at.text_input(key="goals_edit_reason").input("Raised after the October data").run()
    at.button(key="goals_edit_save").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert goals.get_spec(con, gid).target_pct == 85.0
    hist = goals.history(con, gid)
    edit = hist[hist["field"] == "target_pct"].iloc[0]
    assert (edit["old_value"], edit["new_value"], edit["changed_by"], edit["reason"]) == (
        "80", "85", "Ms. Lead", "Raised after the October data")
    history_shown = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert "Raised after the October data" in history_shown.to_string()


def test_meeting_mode_hides_student_and_teacher_names(app_demo_db):
    """In meeting mode the students nearest the cut are pseudonyms and teachers are aliases."""
    con = store.connect(app_demo_db)
    progs = goals.all_progress(con)
    target = next(p for p in progs if p.status in ("at risk", "off track", "on track") and p.more_needed)
    near = goals.nearest_students(con, target.goal_id)
    teacher_names = store.fetch_df(con, "SELECT name FROM teachers")["name"].tolist()
    assert not near.empty
    at = app_test(PAGE)
    at.session_state["meeting_mode"] = True
    at.session_state["goals_detail_goal"] = target.goal_id
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    assert "Students nearest the bar" in text
    assert privacy.pseudonym(near["student_id"].iat[0]) in text  # the list is there, under pseudonyms
    for _, r in near.iterrows():
        assert f"{r['first_name']} {r['last_name']}" not in text
        assert r["student_id"] not in text
    assert any(p.spec.teacher_id for p in progs)  # the individual goal's teacher shows as an alias
    assert not any(name in text for name in teacher_names)
    assert "Teacher " in text
    # Outside meeting mode the same list shows real names.
    at2 = app_test(PAGE)
    at2.session_state["goals_detail_goal"] = target.goal_id
    at2.run()
    r = near.iloc[0]
    assert f"{r['first_name']} {r['last_name']}" in _texts(at2)



def test_feasibility_is_shown_when_asked_for(app_demo_db):
    """A goal's detail compares its plan with similar groups once the switch is on (the stored goal's verdict)."""
    con = store.connect(app_demo_db)
    target = next(p for p in goals.all_progress(con) if p.target_pct is not None)
    want = goals.feasibility_of(con, target.goal_id)
    at = app_test(PAGE)
    at.session_state["goals_detail_goal"] = target.goal_id
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Is the target realistic?" in _texts(at) and want.verdict not in _texts(at)
    at.toggle(key="goals_feasibility").set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    assert want.verdict in _texts(at)

def test_page_on_an_empty_store(app_db):
    """With no data and no goals the page explains what to do and the form still renders."""
    at = app_test(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("No goals yet" in i.value for i in at.info)
    open_tab(at, "goals_tab", "New goal")
    assert at.button(key="goals_new_create").disabled  # no title yet


def test_the_form_keeps_what_was_typed_while_another_tab_is_open(app_demo_db):
    """Only the open tab is drawn; a half-written goal is still there after a look at another tab."""
    at = app_test(PAGE).run()
    open_tab(at, "goals_tab", "New goal")
    at.text_input(key="goals_new_title").input("Grade 4 ELA: half written").run()
    at.number_input(key="goals_new_target_pct").set_value(77.0).run()
    open_tab(at, "goals_tab", "All goals (alignment)")
    assert not [t for t in at.text_input if t.key == "goals_new_title"]  # the form is not drawn meanwhile
    open_tab(at, "goals_tab", "New goal")
    assert at.text_input(key="goals_new_title").value == "Grade 4 ELA: half written"
    assert at.number_input(key="goals_new_target_pct").value == 77.0
