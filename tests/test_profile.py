"""The student profile: links that hide ids, results over time by standard and assessment, attendance."""

import pandas as pd
import pytest

from lib import profile, store
from tests.test_meeting import AID, insert, tiny  # noqa: F401  (the hand-worked team)


def test_link_token_matches_sql_and_resolves(tiny):  # noqa: F811
    token = profile.link_token("s4")
    assert token.startswith(profile.TOKEN_PREFIX) and "s4" not in token
    assert profile.resolve_student(tiny, token) == "s4"
    assert profile.resolve_student(tiny, "s4") == "s4"
    assert profile.resolve_student(tiny, "nobody") is None
    assert profile.resolve_student(tiny, profile.TOKEN_PREFIX + "0" * 16) is None
    assert profile.resolve_student(tiny, None) is None
    assert profile.student_ref("s4", meeting=False) == "s4"
    assert profile.student_ref("s4", meeting=True) == token


def test_student_options_filters_and_search(tiny):  # noqa: F811
    assert len(profile.student_options(tiny)) == 8
    assert list(profile.student_options(tiny, school="South")["student_id"]) == ["s8"]
    assert list(profile.student_options(tiny, search="last3")["student_id"]) == ["s3"]
    assert list(profile.student_options(tiny, search="First2 Last2")["student_id"]) == ["s2"]
    assert len(profile.student_options(tiny, limit=3)) == 3


def test_history_and_assessments(tiny):  # noqa: F811
    insert(tiny, "assessments", [("PREV", "previous", "Math", "3", "benchmark", "2026-09-10", 0.7)])
    insert(tiny, "items", [("PREV", "1", "X", 1.0, None, 1)])
    insert(tiny, "responses", [("PREV", "s4", "1", 1.0, None, 1)])
    h = profile.standard_history(tiny, "s4")
    assert list(zip(h["assessment_id"], h["standard_code"])) == [("PREV", "X"), (AID, "X"), (AID, "Y")]
    assert h.set_index(["assessment_id", "standard_code"]).loc[(AID, "X"), "score"] == pytest.approx(2 / 3)
    assert list(h["level"]) == ["Exceeds", "Approaching", "Exceeds"]
    latest = profile.latest_by_standard(h).set_index("standard_code")
    assert latest.loc["X", "assessment_id"] == AID and latest.loc["X", "times"] == 2
    a = profile.assessments(tiny, "s4").set_index("assessment_id")
    assert a.loc[AID, "score"] == pytest.approx(5 / 6) and bool(a.loc[AID, "proficient"])
    # s7 was expected on both (enrolled with T2 all term) but has no result: listed as missed, never dropped.
    missed = profile.assessments(tiny, "s7")
    assert list(missed["assessment_id"]) == ["PREV", AID] and not missed["assessed"].any()


def test_attendance_by_year(con):
    insert(con, "attendance", [("s1", "2025-09-01", "2025-09-30", 20.0, 4.0, 1),
                               ("s1", "2025-10-01", "2025-10-31", 20.0, 0.0, 1),
                               ("s1", "2026-09-01", "2026-09-30", 20.0, 1.0, 1)])
    periods = profile.attendance(con, "s1")
    assert list(periods["school_year"]) == [2025, 2025, 2026]
    assert periods["attendance_rate"].iat[0] == pytest.approx(0.8)
    years = profile.attendance_by_year(periods).set_index("school_year")
    assert years.loc[2025, "attendance_rate"] == pytest.approx(36 / 40)
    assert bool(years.loc[2025, "chronic"])                  # 10% absent exactly: chronic
    assert not bool(years.loc[2026, "chronic"])
    assert profile.attendance_by_year(profile.attendance(con, "nobody")).empty


def test_team_teachers_are_the_current_grade_team(tiny):  # noqa: F811
    insert(tiny, "teachers", [("T9", "Old", None, False)])
    insert(tiny, "sections", [("OLD", "T9", "Math 2", "Math", "2", "2025-26", "2025-08-01", "2026-06-01", "North")])
    insert(tiny, "enrollments", [("s1", "OLD")])
    # s1's current team is grade 3 in 2026-27 at North: T1 and T2; last year's T9 is not in it.
    assert profile.team_teachers(tiny, "s1") == ["T1", "T2"]
    assert profile.team_teachers(tiny, "nobody") == []


def test_the_record_asks_each_question_once_and_answers_like_it(demo_con):
    """student_record (asked at once on several threads) gives what each question gives on its own."""
    # A student with results and an intervention, so that every question has rows to compare.
    sid = str(store.fetch_value(demo_con, "SELECT min(student_id) FROM interventions "
                                          "WHERE student_id IN (SELECT student_id FROM points_overall)"))
    record = profile.student_record(demo_con, sid)
    assert set(record) == set(profile.RECORD)
    for key, fn in profile.RECORD.items():
        alone = fn(demo_con, sid)
        if isinstance(alone, pd.DataFrame):
            assert len(alone) > 0 or key == "classes"
            pd.testing.assert_frame_equal(record[key], alone)
        else:
            assert record[key] == alone
