"""Interventions: assign, review with history, the three-weekly review list, the queue, before/after, demo, undo."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lib import demo, store
from lib import interventions as iv

D = dt.date


def _insert(con, table: str, rows: list[dict], import_id: int = 1) -> None:
    demo.insert_frame(con, table, pd.DataFrame(rows), import_id)


@pytest.fixture
def school(con):
    """Three students (A, B, C) in grade 3; Math results for A around 1 Oct 2026 on standard 3.X.1 and overall."""
    _insert(con, "students", [{"student_id": s, "first_name": f"F{s}", "last_name": f"L{s}", "grade_level": "3",
                               "school": "Test"} for s in "ABC"])
    _insert(con, "standards", [{"code": "3.X.1", "subject": "Math", "grade_level": "3", "description": "one"}])
    results = {"F1": (D(2026, 9, 10), [0, 0]), "F2": (D(2026, 9, 24), [1, 0]), "F3": (D(2026, 10, 1), [0, 1]),
               "F4": (D(2026, 10, 15), [1, 1]), "F5": (D(2026, 10, 29), [1, 0])}
    for aid, (day, pts) in results.items():
        _insert(con, "assessments", [{"assessment_id": aid, "title": f"Math {aid}", "subject": "Math",
                                      "grade_level": "3", "kind": "formative", "administered_on": day,
                                      "proficiency_cut": 0.8}])
        _insert(con, "items", [{"assessment_id": aid, "item": "1", "standard_code": "3.X.1", "points_possible": 1.0},
                               {"assessment_id": aid, "item": "2", "standard_code": "3.X.2", "points_possible": 1.0}])
        _insert(con, "responses", [{"assessment_id": aid, "student_id": "A", "item": str(i + 1), "points_earned": p}
                                   for i, p in enumerate(pts)])
    return con


def test_assign_and_review_keep_a_history(school):
    """An assignment is stored as given, re-checked in 3 weeks by default; a review changes status and adds a row."""
    new = iv.add(school, "A", 2, "Small-group reteach", D(2026, 10, 1), subject="Math", standard_code="3.X.1",
                 owner="T1", notes="3 x 20 min", author="Ms. T")
    row = iv.listing(school, open_only=False).set_index("intervention_id").loc[new]
    assert (row["tier"], row["kind"], row["standard_code"], row["owner"], row["status"]) == \
        (2, "Small-group reteach", "3.X.1", "T1", "active")
    assert row["recheck_date"] == D(2026, 10, 22) and row["first_name"] == "FA"
    iv.update(school, new, status="goal met", note="Met the cut twice", author="Ms. T", noted_on=D(2026, 10, 30))
    hist = iv.history(school, new)
    assert hist["action"].tolist() == ["assigned", "status active → goal met"]
    assert hist["note"].tolist() == ["3 x 20 min", "Met the cut twice"]
    assert hist["noted_on"].dt.date.tolist() == [D(2026, 10, 1), D(2026, 10, 30)]
    assert iv.listing(school).empty  # no longer open
    iv.update(school, new, note="Checked again")
    assert iv.history(school, new)["action"].tolist()[-1] == "note"


@pytest.mark.parametrize("kwargs, message", [
    ({"student_id": "Z"}, "no student"),
    ({"tier": 4}, "Tier must be"),
    ({"kind": "  "}, "kind of help"),
    ({"recheck_date": D(2026, 9, 1)}, "before the start"),
    ({"status": "maybe"}, "Status must be"),
])
def test_assign_rejects_bad_input(school, kwargs, message):
    """Each invalid assignment is refused with a message and nothing is written."""
    args = {"student_id": "A", "tier": 2, "kind": "Reteach", "start_date": D(2026, 10, 1)} | kwargs
    with pytest.raises(ValueError, match=message):
        iv.add(school, args.pop("student_id"), args.pop("tier"), args.pop("kind"), args.pop("start_date"), **args)
    assert store.fetch_value(school, "SELECT count(*) FROM interventions") == 0


def test_update_needs_a_change_or_a_note(school):
    """A review that changes nothing and says nothing is refused."""
    new = iv.add(school, "A", 1, "Reteach", D(2026, 10, 1))
    with pytest.raises(ValueError, match="Nothing to record"):
        iv.update(school, new, note="  ")
    with pytest.raises(ValueError, match="no intervention"):
        iv.update(school, 999, note="x")


def test_review_list_every_three_weeks(school):
    """Next review = 21 days after the start or last review, or the re-check date when sooner; due when reached."""
    a = iv.add(school, "A", 2, "Reteach", D(2026, 10, 1), recheck_date=D(2026, 11, 30))   # review 22 Oct
    b = iv.add(school, "B", 2, "Reteach", D(2026, 10, 1), recheck_date=D(2026, 10, 8))    # re-check 8 Oct
    c = iv.add(school, "C", 3, "Tutoring", D(2026, 10, 1), recheck_date=D(2026, 12, 1))
    iv.update(school, c, note="Reviewed", noted_on=D(2026, 10, 20))                        # review 10 Nov
    nxt = iv.listing(school).set_index("intervention_id")["next_review"]
    assert (nxt[a], nxt[b], nxt[c]) == (D(2026, 10, 22), D(2026, 10, 8), D(2026, 11, 10))
    due = iv.review_list(school, D(2026, 10, 22))
    assert due["intervention_id"].tolist() == [b, a] and due["days_overdue"].tolist() == [14, 0]
    assert iv.review_list(school, D(2026, 10, 7)).empty
    assert iv.review_dates(D(2026, 10, 1), D(2026, 10, 25)) == [D(2026, 10, 1), D(2026, 10, 22), D(2026, 11, 12)]


def test_open_ones_are_the_open_part_of_every_one_in_order(school):
    """The Interventions page takes the open list from the full one: same rows, same order."""
    a = iv.add(school, "A", 2, "Reteach", D(2026, 10, 1))
    iv.add(school, "B", 3, "Tutoring", D(2026, 10, 2))
    iv.update(school, a, status="goal met", note="Met the goal", noted_on=D(2026, 10, 20))
    every = iv.listing(school, open_only=False)
    assert len(every) == 2
    part = every[every["status"].isin(iv.OPEN_STATUSES)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, iv.listing(school, open_only=True))



def test_opening_asks_what_the_page_needs_together(school):
    """The page's first call gives the form's options and every intervention, as asked one by one."""
    iv.add(school, "A", 2, "Reteach", D(2026, 10, 1))
    options, every = iv.opening(school)
    pd.testing.assert_frame_equal(every, iv.listing(school, open_only=False))
    alone = iv.form_options(school)
    assert options.keys() == alone.keys() and options["subjects"] == alone["subjects"]
    for key in ("students", "teachers", "standards"):
        pd.testing.assert_frame_equal(options[key], alone[key])
    assert len(options["students"]) > 0 and len(every) == 1

def test_queue_of_flagged_students_not_yet_supported(school):
    """Flagged rows drop out of the queue once they have open help in the subject, help this year, or a note."""
    iv.add(school, "A", 2, "Reteach", D(2026, 10, 1), subject="Math")
    old = iv.add(school, "B", 2, "Reteach", D(2025, 10, 1), subject="Math")
    iv.update(school, old, status="stopped", note="closed last year", noted_on=D(2026, 3, 1))
    flagged = pd.DataFrame({"student_id": ["A", "A", "B", "C"], "subject": ["Math", "ELA", "Math", "Math"]})
    since = D(2026, 7, 1)
    left = iv.not_yet_supported(school, flagged, since)
    assert list(zip(left["student_id"], left["subject"])) == [("A", "ELA"), ("B", "Math"), ("C", "Math")]
    school.execute("INSERT INTO meeting_notes (note_id, student_id, note) VALUES (1, 'C', 'talked about C')")
    left = iv.not_yet_supported(school, flagged, since)
    assert list(zip(left["student_id"], left["subject"])) == [("A", "ELA"), ("B", "Math")]
    # Help for any subject covers every subject.
    iv.add(school, "B", 3, "Attendance check-in", D(2026, 10, 2))
    assert list(iv.not_yet_supported(school, flagged, since)["student_id"]) == ["A"]


def test_before_after_hand_worked(school):
    """On standard 3.X.1: before the 1 Oct start 0, 1, 0 (the start day counts as before); after 1, 1."""
    new = iv.add(school, "A", 2, "Reteach", D(2026, 10, 1), subject="Math", standard_code="3.X.1")
    df, s = iv.before_after(school, new, D(2026, 11, 20))
    assert df["phase"].tolist() == ["before", "before", "before", "after", "after"]
    assert df["score"].tolist() == [0, 1, 0, 1, 1]
    assert (s["scope"], s["n_before"], s["n_after"]) == ("standard", 3, 2)
    assert s["mean_before"] == pytest.approx(1 / 3) and s["mean_after"] == 1.0
    assert s["change"] == pytest.approx(2 / 3) and s["proficient_after"] == 1.0
    # One result on the standard since the start is too few when the subject has more (F6 checks only 3.X.2).
    _insert(school, "assessments", [{"assessment_id": "F6", "title": "Math F6", "subject": "Math", "grade_level": "3",
                                     "kind": "formative", "administered_on": D(2026, 10, 18), "proficiency_cut": 0.8}])
    _insert(school, "items", [{"assessment_id": "F6", "item": "1", "standard_code": "3.X.2", "points_possible": 1.0}])
    _insert(school, "responses", [{"assessment_id": "F6", "student_id": "A", "item": "1", "points_earned": 1.0}])
    early = iv.add(school, "A", 2, "Reteach", D(2026, 10, 10), subject="Math", standard_code="3.X.1")
    df, s = iv.before_after(school, early, D(2026, 10, 20))
    assert s["scope"] == "subject" and s["n_after"] == 2  # F4 and F6
    df, s = iv.before_after(school, early, D(2026, 11, 20))
    assert s["scope"] == "standard" and s["n_after"] == 2  # F4 and F5 on 3.X.1
    # Without a standard: the overall Math score (two items).
    whole = iv.add(school, "A", 2, "Reteach", D(2026, 10, 1), subject="Math")
    df, s = iv.before_after(school, whole, D(2026, 11, 20))
    assert s["scope"] == "subject" and df["score"].tolist() == [0, 0.5, 0.5, 1, 1, 0.5]
    assert s["mean_after"] == pytest.approx(2.5 / 3)
    # Results after `today` are not shown yet.
    df, s = iv.before_after(school, whole, D(2026, 10, 16))
    assert s["n_after"] == 1


def test_for_student(school):
    """The profile's view: one row per intervention in words."""
    iv.add(school, "A", 3, "Tutoring", D(2026, 10, 1), subject="Math", owner="Math coach")
    out = iv.for_student(school, "A")
    assert out.iloc[0].to_dict() | {} == {"Tier": 3, "Help": "Tutoring", "Subject": "Math", "Standard": None,
                                          "owner_id": "Math coach", "Start": D(2026, 10, 1),
                                          "Re-check": D(2026, 10, 22), "Status": "active"}
    assert iv.for_student(school, "B").empty


def test_demo_interventions_and_undo(demo_con):
    """The demo brings open and closed interventions with history, some due for review; removing it removes them."""
    every = iv.listing(demo_con, open_only=False)
    assert len(every) >= 20
    assert set(every["status"]) >= {"active", "goal met", "not working"}
    assert set(every["tier"]) == {2, 3}
    assert not iv.review_list(demo_con, D(2026, 11, 21)).empty
    assert store.fetch_value(demo_con, "SELECT count(*) FROM intervention_notes") > len(every)
    mine = iv.add(demo_con, every["student_id"].iloc[0], 2, "Reteach", D(2026, 11, 2))
    assert demo.remove(demo_con)
    assert store.fetch_value(demo_con, "SELECT count(*) FROM interventions WHERE import_id IS NOT NULL") == 0
    assert store.fetch_value(demo_con, "SELECT count(*) FROM intervention_notes WHERE import_id IS NOT NULL") == 0
    # A team's own record is not the demo's to delete.
    assert iv.listing(demo_con, open_only=False)["intervention_id"].tolist() == [mine]


def test_migration_20_applied(con):
    """The interventions schema is version 20 of the store."""
    versions = store.fetch_df(con, "SELECT version FROM schema_migrations")["version"].tolist()
    assert 20 in versions
    assert iv.open_counts(con).empty
