"""Shared page behaviour: meeting mode and filters survive page changes, links reproduce the view."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import app_pointed_at, demo_copy
from tests.test_page_student import fake_risk

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_app(demo_db_file, tmp_path_factory):
    """The app pointed at one copy of the demo store for this module."""
    path = demo_copy(demo_db_file, tmp_path_factory.mktemp("ui"))
    with app_pointed_at(path) as mp:
        # The student page shows risk; training the model is not what these tests are about.
        from lib import risk

        mp.setattr(risk, "student_risk", fake_risk, raising=False)
        yield path


def app(**params):
    """An AppTest of the whole app (app.py as the entry point) with URL parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def go(at, page: str, first: bool = False):
    """Open another page the way the sidebar does: the URL loses its parameters, the session stays."""
    if not first:
        at.query_params.clear()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def test_meeting_mode_stays_on_across_pages(demo_app):
    at = app(meeting="1")
    go(at, "pages/2_Team_meeting.py", first=True)
    assert at.toggle(key="meeting_mode").value is True
    for page in ("pages/3_Student.py", "pages/5_Standards.py", "app.py", "pages/2_Team_meeting.py"):
        go(at, page)
        assert at.session_state["meeting_mode"] is True, page
        assert at.query_params["meeting"] == "1", page        # the address keeps the bookmarkable flag
    at.toggle(key="meeting_mode").set_value(False).run()
    assert "meeting" not in at.query_params
    go(at, "pages/3_Student.py")
    assert at.session_state["meeting_mode"] is False


def test_name_style_is_kept(demo_app):
    at = app(meeting="1")
    go(at, "pages/2_Team_meeting.py", first=True)
    at.radio(key="meeting_name_style").set_value("initials").run()
    go(at, "pages/3_Student.py")
    assert at.radio(key="meeting_name_style").value == "initials"


def test_filters_are_kept_across_pages_and_written_to_the_url(demo_app):
    at = app()
    go(at, "pages/2_Team_meeting.py")
    at.selectbox(key="filter_grade").set_value("3").run()
    at.selectbox(key="filter_subject").set_value("Math").run()
    at.selectbox(key="filter_teacher").set_value("T0030").run()
    assert at.query_params["grade"] == "3" and at.query_params["teacher"] == "T0030"
    chosen = at.selectbox(key="team_assessment").options[2]
    at.selectbox(key="team_assessment").select_index(2).run()
    go(at, "pages/3_Student.py")                 # shows school, grade, subject only
    assert at.selectbox(key="filter_grade").value == "3"
    assert at.query_params["grade"] == "3"
    go(at, "pages/2_Team_meeting.py")
    assert at.selectbox(key="filter_teacher").value == "T0030"
    assert at.selectbox(key="filter_subject").value == "Math"
    assert at.selectbox(key="team_assessment").options[2] == chosen
    assert at.selectbox(key="team_assessment").index == 2


def test_a_copied_link_reproduces_the_view(demo_app):
    at = app(grade="3", subject="Math", teacher="T0030", assessment="A2025-3-M-b02", date_from="2025-08-01")
    at.switch_page("pages/2_Team_meeting.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="filter_grade").value == "3"
    assert at.selectbox(key="filter_teacher").value == "T0030"
    assert str(at.date_input(key="filter_date_from").value) == "2025-08-01"
    assert at.selectbox(key="team_assessment").value == "A2025-3-M-b02"


def test_unknown_filter_value_in_a_link_falls_back_to_all(demo_app):
    at = app(grade="13")
    at.switch_page("pages/2_Team_meeting.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="filter_grade").value == "All"
