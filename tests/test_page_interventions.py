"""Interventions page (AppTest, demo store): counts, review list, assign and review through the forms, meeting mode."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lib import interventions, privacy, store
from tests.conftest import app_test

PAGE = "pages/8_Interventions.py"
TODAY = dt.date(2026, 11, 21)  # the day after the demo's latest results


def _texts(at) -> str:
    """Everything the page wrote as text (markdown, captions, metrics, tables, widget options)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_string() for df in at.dataframe]
    parts += [str(t.proto) for t in at.table]
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def stored(app_demo_db):
    """Open interventions and the review list computed directly on a copy of the page's store."""
    c = store.connect(app_demo_db)
    try:
        return interventions.listing(c), interventions.review_list(c, TODAY)
    finally:
        c.close()


def _db(path):
    return store.connect(path)


def test_first_screen_counts_and_review_list(stored):
    """Open interventions, students, tier 3 and reviews due match the store; the review list lists them."""
    open_iv, due = stored
    at = app_test(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    m = {x.label: x.value for x in at.metric}
    assert m["Open interventions"] == f"{len(open_iv):,}"
    assert m["Students getting help"] == f"{open_iv['student_id'].nunique():,}"
    assert m["Tier 3 (intensive)"] == f"{(open_iv['tier'] == 3).sum():,}"
    assert m["Review due"] == f"{len(due):,}" and len(due) > 0
    first = next(d.value for d in at.dataframe if "Next review" in d.value.columns)
    assert sorted(first["ID"]) == sorted(due["student_id"])
    owners = next(d.value for d in at.dataframe if "Owner" in d.value.columns and "Tier 2" in d.value.columns)
    assert owners[[c for c in owners.columns if c.startswith("Tier")]].to_numpy().sum() == len(open_iv)


def test_assign_through_the_form(app_demo_db):
    """Filling in the form stores exactly that intervention and starts its history."""
    at = app_test(PAGE).run()
    at.selectbox(key="iv_new_student").set_value("S100300")
    at.selectbox(key="iv_new_subject").set_value("Math")
    at.radio(key="iv_new_tier").set_value(3)
    at.selectbox(key="iv_new_kind").set_value("1:1 tutoring")
    at.selectbox(key="iv_new_standard").set_value("3.NF.A.1")
    at.selectbox(key="iv_new_owner").set_value("Math coach")
    at.date_input(key="iv_new_start").set_value(dt.date(2026, 11, 23))
    at.date_input(key="iv_new_recheck").set_value(dt.date(2026, 12, 14))
    at.text_area(key="iv_new_notes").input("Daily, 20 minutes, fractions on a number line")
    at.text_input(key="iv_new_author").input("Ms. Test")
    at.button(key="iv_new_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("now has intervention" in s.value for s in at.success)
    c = _db(app_demo_db)
    try:
        row = store.fetch_df(c, "SELECT * FROM interventions WHERE student_id = 'S100300' AND tier = 3 "
                                "AND kind = '1:1 tutoring'")
        assert len(row) == 1
        r = row.iloc[0]
        assert (r["subject"], r["standard_code"], r["owner"], r["status"]) == ("Math", "3.NF.A.1", "Math coach",
                                                                               "active")
        assert pd.Timestamp(r["start_date"]).date() == dt.date(2026, 11, 23)
        assert pd.Timestamp(r["recheck_date"]).date() == dt.date(2026, 12, 14)
        hist = interventions.history(c, int(r["intervention_id"]))
        assert hist["note"].tolist() == ["Daily, 20 minutes, fractions on a number line"]
        assert hist["author"].tolist() == ["Ms. Test"]
    finally:
        c.close()


def test_record_a_review_through_the_form(app_demo_db):
    """Picking an intervention, changing its status and writing a note adds a dated history row."""
    at = app_test(PAGE).run()
    pick = at.selectbox(key="iv_pick").value
    at.selectbox(key=f"iv_upd_status_{pick}").set_value("not working")
    at.text_area(key=f"iv_upd_note_{pick}").input("No progress on the re-check: move to tier 3")
    at.button(key="iv_upd_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(f"Review saved for intervention #{pick}" in s.value for s in at.success)
    c = _db(app_demo_db)
    try:
        hist = interventions.history(c, pick)
        last = hist.iloc[-1]
        assert last["note"] == "No progress on the re-check: move to tier 3"
        assert last["status"] == "not working" and "not working" in last["action"]
        assert pd.Timestamp(last["noted_on"]).date() == TODAY
        assert store.fetch_value(c, "SELECT status FROM interventions WHERE intervention_id = ?", [pick]) == \
            "not working"
    finally:
        c.close()
    # The history table on the page shows the new row.
    hist_table = next(d.value for d in at.dataframe if {"Date", "What", "Note"} <= set(d.value.columns))
    assert "No progress on the re-check: move to tier 3" in hist_table["Note"].tolist()


def test_assign_without_a_student_is_refused(app_demo_db):
    """Submitting the form without a student shows an error and stores nothing."""
    at = app_test(PAGE).run()
    c = _db(app_demo_db)
    n = store.fetch_value(c, "SELECT count(*) FROM interventions")
    c.close()
    at.button(key="iv_new_submit").click().run()
    assert any("Choose a student" in e.value for e in at.error)
    c = _db(app_demo_db)
    assert store.fetch_value(c, "SELECT count(*) FROM interventions") == n
    c.close()


def test_link_from_early_warning_prefills_the_student(app_demo_db, stored):
    """?student=...&subject=... (the Early warning link) preselects the student, the subject (also as the sidebar
    filter) and the student's intervention."""
    open_iv, _ = stored
    sid, subject = open_iv["student_id"].iloc[0], open_iv["subject"].iloc[0]
    at = app_test(PAGE)
    at.query_params["student"] = sid
    at.query_params["subject"] = subject
    at.run()
    assert not at.exception
    assert at.selectbox(key="iv_new_student").value == sid
    assert at.selectbox(key="iv_new_subject").value == subject
    assert at.selectbox(key="filter_subject").value == subject
    picked = at.selectbox(key="iv_pick").value
    assert picked in set(open_iv.loc[open_iv["student_id"] == sid, "intervention_id"])


def test_meeting_mode_hides_names_and_notes(app_demo_db, stored):
    """With ?meeting=1: pseudonyms instead of names and ids, other teachers as Teacher A/B, no notes."""
    open_iv, _ = stored
    at = app_test(PAGE)
    at.query_params["meeting"] = "1"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    for sid, first, last in zip(open_iv["student_id"], open_iv["first_name"], open_iv["last_name"]):
        assert f"{first} {last}" not in text and sid not in text
    assert privacy.pseudonym(open_iv["student_id"].iloc[0]) in text
    assert "Started after the checks" not in text  # notes
    c = _db(app_demo_db)
    names = store.fetch_df(c, "SELECT name FROM teachers")["name"].tolist()
    c.close()
    assert not [n for n in names if n in text]
    assert "Teacher A" in text


def test_meeting_mode_link_token_prefills_the_student(app_demo_db, stored):
    """In meeting mode links carry an opaque token, not the id; the page still finds the student."""
    from lib import profile

    open_iv, _ = stored
    sid = open_iv["student_id"].iloc[0]
    at = app_test(PAGE)
    at.query_params["meeting"] = "1"
    at.query_params["student"] = profile.student_ref(sid, True)
    at.run()
    assert not at.exception
    assert at.selectbox(key="iv_new_student").value == sid
