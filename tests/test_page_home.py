"""Home page under AppTest: data status on demo data, and a helpful empty state."""

from __future__ import annotations

from tests.conftest import app_test


def test_home_on_demo_data(app_demo_db):
    at = app_test("app.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Students"] == "468" and metrics["Assessments"] != "0"
    text = " ".join(m.value for m in at.markdown)
    assert "Where to go next" in " ".join(h.value for h in at.subheader)
    assert "Results from" in text


def test_home_empty_state(app_db):
    at = app_test("app.py").run()
    assert not at.exception
    assert "No data yet" in at.info[0].value
