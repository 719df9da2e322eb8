"""Goals: hand-worked goals (parametrized), definitions, editing with history, demo goals, pandas cross-checks."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import pandas as pd
import pytest

from lib import demo, goals, store
from tests.conftest import ROOT

D0 = dt.date(2026, 1, 1)    # baseline assessment
MID = dt.date(2026, 3, 2)   # halfway between D0 and TARGET (60 of 120 days)
TARGET = dt.date(2026, 5, 1)
TODAY = dt.date(2026, 4, 1)  # before the target date


# --- tiny hand-built schools -----------------------------------------------------------------------

def add_students(con, ids, school="North", grade="3", ell=False):
    """Students with one school, grade and ELL flag."""
    for sid in ids:
        con.execute("INSERT INTO students (student_id, first_name, last_name, grade_level, school, ell, import_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, 1)", [sid, f"First{sid}", f"Last{sid}", grade, school, ell])


def add_assessment(con, aid, on, cut=0.7, subject="ELA", grade="3", kind="benchmark",
                   items=(("1", 10.0, "RL.3.1"),)):
    """An assessment with its items (default: one 10-point item on RL.3.1)."""
    con.execute("INSERT INTO assessments VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                [aid, f"Test {aid}", subject, grade, kind, on, cut])
    for pos, (item, pts, std) in enumerate(items, 1):
        con.execute("INSERT INTO items VALUES (?, ?, ?, ?, NULL, ?, 1)", [aid, item, std, pts, pos])
    store.refresh_points(con, [aid])  # raw inserts: keep the stored scores as an import would


def add_scores(con, aid, scores):
    """scores: {student_id: earned on item 1} or {student_id: {item: earned}}."""
    for sid, earned in scores.items():
        per_item = earned if isinstance(earned, dict) else {"1": earned}
        for item, pts in per_item.items():
            con.execute("INSERT INTO responses VALUES (?, ?, ?, ?, NULL, 1)", [aid, sid, item, float(pts)])
    store.refresh_points(con, [aid])


def add_section(con, section, teacher, students, subject="ELA", grade="3",
                starts=dt.date(2025, 8, 1), ends=dt.date(2026, 6, 30)):
    """A section with its teacher and enrolled students."""
    con.execute("INSERT INTO teachers (teacher_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", [teacher, teacher])
    con.execute("INSERT INTO sections (section_id, teacher_id, course, subject, grade_level, term, starts_on, "
                "ends_on, school) VALUES (?, ?, 'c', ?, ?, '25-26', ?, ?, 'North')",
                [section, teacher, subject, grade, starts, ends])
    for sid in students:
        con.execute("INSERT INTO enrollments VALUES (?, ?, 1)", [sid, section])


def counts_scores(n, k, yes=7.0, no=5.0, prefix="S"):
    """n students S1..Sn of whom the first k score `yes` (exactly the 0.7 cut) and the rest `no`."""
    return {f"{prefix}{i}": (yes if i <= k else no) for i in range(1, n + 1)}


def spec(**kw) -> goals.GoalSpec:
    """A Grade 3 ELA benchmark goal with baseline on D0 and target on TARGET unless overridden."""
    base = dict(title="t", kind="raise_proficiency", grade_level="3", subject="ELA", assessment_kind="benchmark",
                baseline_from=D0, baseline_to=D0, target_date=TARGET, target_pct=90.0)
    base.update(kw)
    return goals.GoalSpec(**base)


# --- the hand-worked table ----------------------------------------------------------------------------
# Each case: kind, (n, k) at baseline, (n, k) at the halfway point or None, target / reduction, and what a
# teacher would compute by hand: baseline %, current %, target %, status, N more students.
# k counts proficient students; for reduce_failure the metric is the share NOT proficient.
CASES = [
    # 5/10 -> 7/10 with target 90: the line is at 50 + 40 * 0.5 = 70 at halfway: exactly on it.
    ("on the line", "raise_proficiency", (10, 5), (10, 7), 90, None, 50.0, 70.0, 90.0, "on track", 2),
    # 10/20 -> 13/20 with target 86: line at 68, 65 is 3 behind (< 5): at risk; need ceil(17.2) - 13 = 5.
    ("at risk", "raise_proficiency", (20, 10), (20, 13), 86, None, 50.0, 65.0, 86.0, "at risk", 5),
    # 10/20 -> 13/20 with target 80: line at 65... exactly; 12/20 = 60 is 5 behind: off track (margin is < 5).
    ("five behind is off track", "raise_proficiency", (20, 10), (20, 12), 80, None, 50.0, 60.0, 80.0,
     "off track", 4),
    ("met early", "raise_proficiency", (10, 5), (10, 9), 90, None, 50.0, 90.0, 90.0, "met", 0),
    ("not started (no point yet)", "raise_proficiency", (10, 5), None, 90, None, 50.0, None, 90.0,
     "not started", None),
    # Baseline 100%: target 100, one student slips: line stays at 100, 90 is 10 behind.
    ("baseline 100% slips", "raise_proficiency", (10, 10), (10, 9), 100, None, 100.0, 90.0, 100.0,
     "off track", 1),
    ("baseline 100% holds", "raise_proficiency", (10, 10), (10, 10), 100, None, 100.0, 100.0, 100.0, "met", 0),
    # Target below baseline (a "hold the line" goal): met while at or above it.
    ("target below baseline, held", "raise_proficiency", (10, 8), (10, 7), 70, None, 80.0, 70.0, 70.0, "met", 0),
    # ... and when it falls under: line at 75 at halfway, 60 is 15 behind.
    ("target below baseline, fell", "raise_proficiency", (10, 8), (10, 6), 70, None, 80.0, 60.0, 70.0,
     "off track", 1),
    # Reduce the failure rate by 50%: 4/10 failing (40%) -> target 20%; line at 30, 3/10 failing = 30.
    ("halve failures on the line", "reduce_failure", (10, 6), (10, 7), None, 50, 40.0, 30.0, 20.0, "on track", 1),
    # The design's example: 20% failing -> 10% at X = 50, reached.
    ("20% -> 10% reached", "reduce_failure", (10, 8), (10, 9), None, 50, 20.0, 10.0, 10.0, "met", 0),
    # Relative reduction from 0% failing: the target is 0%; staying at 0 is met ...
    ("reduce from 0%, still 0", "reduce_failure", (10, 10), (10, 10), None, 50, 0.0, 0.0, 0.0, "met", 0),
    # ... and one failing student is 10 points above a line that stays at 0.
    ("reduce from 0%, one fails", "reduce_failure", (10, 10), (10, 9), None, 50, 0.0, 10.0, 0.0, "off track", 1),
    # 40 students: 12 failing (30%) -> reduce by 25% -> 22.5%; 10 failing = 25%; line 26.25 -> on track;
    # allowed failing = floor(0.225 * 40) = 9, so 1 more student must pass.
    ("quarter fewer failures", "reduce_failure", (40, 28), (40, 30), None, 25, 30.0, 25.0, 22.5, "on track", 1),
]


@pytest.mark.parametrize("name,kind,base,point,target,reduce_by,b_pct,c_pct,t_pct,status,more",
                         CASES, ids=[c[0] for c in CASES])
def test_hand_worked_goals(con, name, kind, base, point, target, reduce_by, b_pct, c_pct, t_pct, status, more):
    """Baseline, current value, target, status and N more students match the hand computation."""
    n = max(base[0], point[0] if point else 0)
    add_students(con, [f"S{i}" for i in range(1, n + 1)])
    add_assessment(con, "B", D0)
    add_scores(con, "B", counts_scores(*base))
    if point:
        add_assessment(con, "P", MID)
        add_scores(con, "P", counts_scores(*point))
    s = spec(kind=kind, target_pct=target, reduce_by_pct=reduce_by)
    prog = goals.evaluate_spec(con, s, today=TODAY)
    assert prog.baseline.data_pct == pytest.approx(b_pct)
    assert (prog.current[1] if prog.current else None) == (pytest.approx(c_pct) if c_pct is not None else None)
    assert prog.target_pct == pytest.approx(t_pct)
    assert prog.status == status
    assert prog.more_needed == more
    assert prog.status in goals.STATUSES


def test_no_students_measured(con):
    """A scope with no data: no baseline, a point where students were expected but none has a score."""
    add_students(con, ["S1", "S2", "S3"])
    add_section(con, "sec", "T1", ["S1", "S2", "S3"])
    add_assessment(con, "B", D0)
    add_assessment(con, "P", MID)  # given, but nobody's results are in yet
    prog = goals.evaluate_spec(con, spec(), today=TODAY)
    assert prog.baseline.data_pct is None and prog.baseline.n_measured == 0
    assert prog.baseline.n_expected == 3  # expected takers are counted, not dropped
    assert len(prog.points) == 1
    row = prog.points.iloc[0]
    assert (row["n_expected"], row["n_measured"]) == (3, 0) and math.isnan(row["value_pct"])
    assert prog.current is None and prog.status == "not started" and prog.more_needed is None
    assert prog.trajectory.empty
    # Nothing at all in scope (another subject): still a clean "not started".
    other = goals.evaluate_spec(con, spec(subject="Math"), today=TODAY)
    assert other.points.empty and other.status == "not started"
    assert goals.summarize(other)["current_pct"] is None


def test_no_baseline_first_point_stands_in(con):
    """Without baseline data the first measurement point starts the line."""
    add_students(con, [f"S{i}" for i in range(1, 11)])
    add_assessment(con, "P1", MID)
    add_scores(con, "P1", counts_scores(10, 5))
    add_assessment(con, "P2", dt.date(2026, 3, 20))
    add_scores(con, "P2", counts_scores(10, 6))
    prog = goals.evaluate_spec(con, spec(target_pct=80.0), today=TODAY)
    assert prog.baseline.data_pct is None
    assert prog.start == (MID, 50.0)
    # 18 of 60 days from 50 toward 80: 59; 60 is above it.
    assert prog.expected_pct == pytest.approx(50 + 30 * 18 / 60) and prog.status == "on track"


def test_fixed_cohort_that_shrinks(con):
    """A fixed cohort keeps the baseline students: leavers are 'not assessed', newcomers are not counted."""
    add_students(con, [f"S{i}" for i in range(1, 11)] + ["N1", "N2", "N3"])
    add_assessment(con, "B", D0)
    add_scores(con, "B", counts_scores(10, 5))
    add_assessment(con, "P", MID)
    later = {f"S{i}": (7.0 if i <= 5 else 5.0) for i in range(1, 9)}  # S9, S10 left
    later.update({"N1": 9.0, "N2": 9.0, "N3": 9.0})  # three newcomers, all proficient
    add_scores(con, "P", later)
    fixed = spec(target_pct=80.0, cohort="fixed")
    gid = goals.create_goal(con, fixed, changed_by="test")
    prog = goals.evaluate(con, gid, today=TODAY)
    assert prog.cohort_size == 10
    row = prog.points.iloc[0]
    assert (row["n_expected"], row["n_measured"], row["n_meeting"]) == (10, 8, 5)
    # 5 of 8 = 62.5%; line at 65 halfway: 2.5 behind -> at risk; ceil(0.8 * 8) - 5 = 2 more students.
    assert prog.current[1] == pytest.approx(62.5)
    assert prog.status == "at risk" and prog.more_needed == 2
    # The same goal rolling counts whoever is measured: 8 of 11 = 72.7%, above the line.
    rolling = goals.evaluate_spec(con, spec(target_pct=80.0), today=TODAY)
    assert rolling.current[1] == pytest.approx(800 / 11) and rolling.status == "on track"
    # The cohort survives the students' move to another grade: grade filters chose them at baseline.
    add_assessment(con, "G4", dt.date(2026, 3, 25), grade="4")
    add_scores(con, "G4", {f"S{i}": 8.0 for i in range(1, 11)})
    prog = goals.evaluate(con, gid, today=TODAY)
    assert prog.current == (dt.date(2026, 3, 25), 100.0) and prog.status == "met"


def test_month_bucket_pools_results(con):
    """A month point is the share of its results at the cut: the average of its checks, weighted by takers."""
    add_students(con, ["S1", "S2", "S3"])
    add_assessment(con, "B", D0, cut=0.8, kind="formative")
    add_scores(con, "B", {"S1": 8, "S2": 8, "S3": 1})
    add_assessment(con, "C1", dt.date(2026, 3, 3), cut=0.8, kind="formative")
    add_assessment(con, "C2", dt.date(2026, 3, 17), cut=0.8, kind="formative")
    add_scores(con, "C1", {"S1": 6, "S2": 7, "S3": 10})
    add_scores(con, "C2", {"S1": 10, "S2": 8})  # S3 missed the second check
    s = spec(assessment_kind="formative", bucket="month", target_pct=100.0)
    prog = goals.evaluate_spec(con, s, today=TODAY)
    assert len(prog.points) == 1
    row = prog.points.iloc[0]
    # Results: C1 1 of 3 at the cut, C2 2 of 2 -> 3 of 5 = 60%; three students measured.
    assert (row["n_measured"], row["n_results"], row["n_meeting"]) == (3, 5, 3)
    assert row["value_pct"] == pytest.approx(60.0)
    assert row["point_date"] == dt.date(2026, 3, 17) and row["label"] == "2 assessments"
    # Per check: 2 more results of 5 needed, at 5/3 results per student -> ceil(2 * 3 / 5) = 2 students.
    assert prog.more_needed == 2
    assert prog.baseline.data_pct == pytest.approx(200 / 3)
    # Date buckets: two points, each an ordinary % proficient.
    by_date = goals.evaluate_spec(con, spec(assessment_kind="formative", target_pct=100.0), today=TODAY)
    assert list(by_date.points["value_pct"].round(4)) == [round(100 / 3, 4), 100.0]
    # Nearest the cut: each student's closest result below it in the point (S2 7/10, then S1 6/10 on C1).
    gid = goals.create_goal(con, s)
    near = goals.nearest_students(con, gid, today=TODAY)
    assert list(near["student_id"]) == ["S2", "S1"] and list(near["assessment"]) == ["Test C1", "Test C1"]


def test_nearest_students(con):
    """Students below the cut, nearest first, with how far they are."""
    add_students(con, [f"S{i}" for i in range(1, 6)])
    add_assessment(con, "B", D0)
    add_scores(con, "B", counts_scores(5, 2))
    add_assessment(con, "P", MID)
    add_scores(con, "P", {"S1": 9, "S2": 6, "S3": 4, "S4": 6.5, "S5": 7})
    gid = goals.create_goal(con, spec(target_pct=100.0))
    near = goals.nearest_students(con, gid, today=TODAY)
    assert list(near["student_id"]) == ["S4", "S2", "S3"]
    assert list(near["gap_pts"].round(6)) == [5.0, 10.0, 30.0]
    assert goals.evaluate(con, gid, today=TODAY).more_needed == 3


GROWTH_CASES = [
    # 10 students start at 50%; 4 gain exactly 10 points (counted: >= N), 2 gain 5, 4 gain 0 -> 40%.
    # The line runs from 0% at the start window to 60% at the target: 30% at halfway -> on track.
    ("on track", [6.0] * 4 + [5.5] * 2 + [5.0] * 4, 60.0, TODAY, 40.0, "on track", 2),
    # Target 46: the line is at 23 halfway; 20% is 3 behind -> at risk; ceil(4.6) - 2 = 3 more.
    ("a little behind", [6.0] * 2 + [5.0] * 8, 46.0, TODAY, 20.0, "at risk", 3),
    ("far behind", [6.0] * 2 + [5.0] * 8, 60.0, TODAY, 20.0, "off track", 4),
    ("met", [6.0] * 7 + [5.0] * 3, 60.0, TODAY, 70.0, "met", 0),
    ("deadline passed", [6.0] * 5 + [5.0] * 5, 60.0, dt.date(2026, 6, 1), 50.0, "off track", 1),
]


@pytest.mark.parametrize("name,later,target,today,c_pct,status,more", GROWTH_CASES,
                         ids=[c[0] for c in GROWTH_CASES])
def test_hand_worked_growth(con, name, later, target, today, c_pct, status, more):
    """% of students improving by at least N points between the start window and a later point."""
    ids = [f"S{i}" for i in range(1, 11)]
    add_students(con, ids + ["X"])
    # Last year's pair for the baseline: 3 of 4 students grew 10+ points.
    add_assessment(con, "LY1", dt.date(2025, 1, 5), items=(("1", 20.0, "RL.3.1"),))
    add_assessment(con, "LY2", dt.date(2025, 3, 5), items=(("1", 20.0, "RL.3.1"),))
    add_scores(con, "LY1", {"S1": 10, "S2": 10, "S3": 10, "S4": 10})
    add_scores(con, "LY2", {"S1": 12, "S2": 14, "S3": 16, "S4": 11})
    add_assessment(con, "PRE", D0)
    add_scores(con, "PRE", dict.fromkeys(ids, 5.0))
    add_assessment(con, "POST", MID)
    add_scores(con, "POST", {**dict(zip(ids, later)), "X": 10.0})  # X has no starting score: not counted
    s = spec(kind="growth", growth_points=10.0, target_pct=target,
             baseline_pre_from=dt.date(2025, 1, 1), baseline_pre_to=dt.date(2025, 1, 31),
             baseline_from=dt.date(2025, 3, 1), baseline_to=dt.date(2025, 3, 31), pre_from=D0, pre_to=D0)
    prog = goals.evaluate_spec(con, s, today=today)
    assert prog.baseline.data_pct == pytest.approx(75.0)
    assert prog.current[1] == pytest.approx(c_pct)
    assert prog.points.iloc[0]["n_measured"] == 10
    assert prog.start == (D0, 0.0)
    assert prog.status == status and prog.more_needed == more


def test_baseline_override_keeps_reason(con):
    """An overridden baseline drives the line and the target; the data value and the reason are kept."""
    add_students(con, [f"S{i}" for i in range(1, 11)])
    add_assessment(con, "B", D0)
    add_scores(con, "B", counts_scores(10, 5))
    s = spec(kind="reduce_failure", reduce_by_pct=50.0, target_pct=None, baseline_override=60.0)
    assert any("why" in e for e in goals.validate(con, s))
    s.baseline_override_reason = "State report"
    gid = goals.create_goal(con, s, changed_by="coach")
    prog = goals.evaluate(con, gid, today=TODAY)
    assert prog.baseline.data_pct == 50.0 and prog.baseline.used_pct == 60.0 and prog.target_pct == 30.0
    hist = goals.history(con, gid)
    row = hist[hist["action"] == "baseline overridden"].iloc[0]
    assert row["new_value"] == "60" and row["reason"] == "State report"


def test_scope_teacher_standard_subgroup(con):
    """Teacher (via sections), standard (its items only) and subgroup scopes filter students correctly."""
    add_students(con, ["S1", "S2", "S3"])
    add_students(con, ["E1", "E2"], ell=True)
    add_section(con, "secA", "TA", ["S1", "S2", "E1"])
    add_section(con, "secB", "TB", ["S3", "E2"])
    add_assessment(con, "B", D0, items=(("1", 4.0, "RL.3.1"), ("2", 6.0, "RL.3.2")))
    add_scores(con, "B", {"S1": {"1": 4, "2": 0}, "S2": {"1": 0, "2": 6}, "S3": {"1": 4, "2": 4},
                          "E1": {"1": 3, "2": 6}, "E2": {"1": 1, "2": 1}})
    base = lambda **kw: goals.compute_baseline(con, spec(**kw))  # noqa: E731
    # Overall: S1 0.4, S2 0.6, S3 0.8, E1 0.9, E2 0.2 -> 2 of 5.
    assert base().data_pct == pytest.approx(40.0)
    # Teacher TA: S1, S2, E1 -> 1 of 3.
    assert base(teacher_id="TA").data_pct == pytest.approx(100 / 3)
    assert base(teacher_id="TA").n_expected == 3
    # Standard RL.3.1 only: S1 4/4, S3 4/4, E1 3/4 = 0.75 -> 3 of 5.
    assert base(standard_code="RL.3.1").data_pct == pytest.approx(60.0)
    # English learners: E1 yes, E2 no.
    assert base(subgroup="ell").data_pct == pytest.approx(50.0)
    assert base(school="Elsewhere").data_pct is None


def test_line_and_status_rules():
    """The trajectory is flat outside its dates; a passed deadline unmet is off track."""
    start, end = (D0, 50.0), (TARGET, 90.0)
    assert goals.line_value(start, end, dt.date(2025, 1, 1)) == 50.0
    assert goals.line_value(start, end, MID) == 70.0
    assert goals.line_value(start, end, dt.date(2027, 1, 1)) == 90.0
    assert goals.decide_status("raise_proficiency", start, end, (MID, 75.0), TODAY)[0] == "on track"
    assert goals.decide_status("raise_proficiency", start, end, (MID, 75.0), dt.date(2026, 5, 2))[0] == "off track"
    assert goals.decide_status("reduce_failure", (D0, 40.0), (TARGET, 20.0), (MID, 33.0), TODAY)[0] == "at risk"
    assert goals.decide_status("raise_proficiency", start, end, None, TODAY) == ("not started", None)
    assert goals.more_students_needed("raise_proficiency", 0, 0, 90.0) is None
    # 90% of 30 is exactly 27: no rounding up from float noise.
    assert goals.more_students_needed("raise_proficiency", 30, 26, 90.0) == 1
    assert goals.more_students_needed("reduce_failure", 30, 26, 10.0) == 1
    # 60 results from 20 students (3 checks each), 40 at the cut, target 80%: 8 results = 3 students per check.
    assert goals.more_students_needed("raise_proficiency", 60, 40, 80.0, n_students=20) == 3


def test_validation_messages(con):
    """Bad definitions are refused with messages a teacher understands."""
    errs = goals.validate(con, goals.GoalSpec(title=" ", kind="growth", target_pct=120.0))
    text = " ".join(errs)
    for needle in ("title", "target date", "baseline window", "between 0 and 100", "points", "starting"):
        assert needle in text
    assert goals.validate(con, spec(kind="reduce_failure", reduce_by_pct=0, target_pct=None))
    assert goals.validate(con, spec()) == []
    with pytest.raises(ValueError):
        goals.create_goal(con, spec(title=""))


def test_edit_history_alignment_and_delete(con):
    """Edits keep one history row per changed field; alignment refuses loops; delete re-parents children."""
    add_students(con, ["S1"])
    school = goals.create_goal(con, spec(title="School", level="school", grade_level=None), changed_by="principal")
    team = goals.create_goal(con, spec(title="Team", parent_goal_id=school), changed_by="lead")
    mine = goals.create_goal(con, spec(title="Mine", level="individual", parent_goal_id=team))
    changed = goals.update_goal(con, team, {"target_pct": 95.0, "owner": "Grade 3"}, changed_by="lead",
                                reason="Stretch after the fall data")
    assert sorted(changed) == ["owner", "target_pct"]
    hist = goals.history(con, team)
    edit = hist[hist["field"] == "target_pct"].iloc[0]
    assert (edit["old_value"], edit["new_value"], edit["reason"], edit["changed_by"]) == (
        "90", "95", "Stretch after the fall data", "lead")
    assert goals.update_goal(con, team, {"target_pct": 95.0}) == []  # no change, no history
    with pytest.raises(ValueError, match="loop"):
        goals.update_goal(con, school, {"parent_goal_id": mine})
    with pytest.raises(ValueError, match="itself"):
        goals.update_goal(con, team, {"parent_goal_id": team})
    rows = goals.list_goals(con, today=TODAY)
    assert [(g["title"], g["depth"]) for g in rows] == [("School", 0), ("Team", 1), ("Mine", 2)]
    assert rows[2]["parent_title"] == "Team"
    goals.delete_goal(con, team)
    assert goals.get_spec(con, mine).parent_goal_id == school
    # Switching to a fixed cohort stores it (history says how many).
    add_assessment(con, "B", D0)
    add_scores(con, "B", {"S1": 8})
    goals.update_goal(con, mine, {"cohort": "fixed"})
    assert goals.evaluate(con, mine, today=TODAY).cohort_size == 1
    goals.update_goal(con, mine, {"cohort": "rolling"})
    assert store.fetch_value(con, "SELECT count(*) FROM goal_cohort") == 0


def test_feasibility_on_a_small_history(con):
    """Planned gain vs the gains of similar groups over a similar span."""
    add_students(con, [f"S{i}" for i in range(1, 11)])
    add_students(con, [f"T{i}" for i in range(1, 11)], grade="4")
    # Grade 3: 30% -> 50% (+20) over 120 days; grade 4: 40% -> 50% (+10) over 120 days.
    for aid, on, grade, k, pre in (("A3", D0, "3", 3, "S"), ("B3", TARGET, "3", 5, "S"),
                                   ("A4", D0, "4", 4, "T"), ("B4", TARGET, "4", 5, "T")):
        add_assessment(con, aid, on, grade=grade)
        add_scores(con, aid, counts_scores(10, k, prefix=pre))
    f = goals.feasibility(con, spec(baseline_from=D0, baseline_to=D0, target_date=TARGET, target_pct=45.0))
    assert f.n_compared == 2 and f.median == pytest.approx(15.0) and f.best == pytest.approx(20.0)
    assert f.planned == pytest.approx(15.0) and f.verdict.startswith("Realistic")
    f = goals.feasibility(con, spec(target_pct=60.0))
    assert f.planned == pytest.approx(30.0) and f.verdict.startswith("Beyond")
    f = goals.feasibility(con, spec(target_pct=20.0))
    assert f.verdict.startswith("No gain planned")


# --- demo data --------------------------------------------------------------------------------------

def test_demo_goals_cover_every_status(demo_con):
    """The demo school carries aligned goals in different states, with valid JSON-ready rows."""
    rows = goals.list_goals(demo_con)
    assert len(rows) >= 6
    statuses = {g["status"] for g in rows}
    assert statuses == set(goals.STATUSES)  # the demo shows every status
    assert {g["level"] for g in rows} >= {"school", "team", "individual"}
    assert all(g["parent_goal_id"] is not None for g in rows if g["level"] != "school")
    for g in rows:
        for key in ("baseline_pct", "current_pct", "target_pct"):
            assert g[key] is None or 0 <= g[key] <= 100
        json.dumps(g)
    growth = next(g for g in rows if g["kind"] == "growth")
    assert growth["baseline_overridden"] and growth["cohort"] == "fixed"


def _pandas_scores(con, assessment_filter_sql: str, params: list) -> pd.DataFrame:
    """Raw rows for some assessments, scored in pandas: one row per student per assessment."""
    a = store.fetch_df(con, f"SELECT * FROM assessments WHERE {assessment_filter_sql}", params)
    ids = list(a["assessment_id"])
    r = store.fetch_df(con, "SELECT * FROM responses WHERE list_contains(?, assessment_id)", [ids])
    i = store.fetch_df(con, "SELECT assessment_id, item, points_possible FROM items "
                       "WHERE list_contains(?, assessment_id)", [ids])
    m = r.merge(i, on=["assessment_id", "item"])
    per = m.groupby(["assessment_id", "student_id"], as_index=False)[["points_earned", "points_possible"]].sum()
    per = per.merge(a[["assessment_id", "administered_on", "proficiency_cut", "grade_level"]], on="assessment_id")
    per["score"] = per["points_earned"] / per["points_possible"]
    per["proficient"] = per["score"] >= per["proficiency_cut"]
    return per


def test_pandas_cross_check_benchmarks(demo_con):
    """Grade 3 ELA benchmark points match an independent pandas computation (and the roster view)."""
    s = spec(title="x", baseline_from=dt.date(2025, 9, 1), baseline_to=dt.date(2025, 9, 30),
             target_date=dt.date(2026, 12, 31), target_pct=90.0)
    prog = goals.evaluate_spec(demo_con, s)
    per = _pandas_scores(demo_con, "grade_level = '3' AND subject = 'ELA' AND kind = 'benchmark'", [])
    by_date = per.groupby("administered_on")["proficient"].agg(["mean", "size"])
    first = by_date.index.min()
    assert prog.baseline.data_pct == pytest.approx(100 * by_date.loc[first, "mean"])
    later = by_date[by_date.index > first]
    got = prog.points.set_index("point_date")
    assert len(got) == len(later)
    for day, row in later.iterrows():
        assert got.loc[pd.Timestamp(day).date(), "value_pct"] == pytest.approx(100 * row["mean"])
        assert got.loc[pd.Timestamp(day).date(), "n_measured"] == row["size"]
    roster = store.fetch_df(demo_con, "SELECT a.administered_on, count(DISTINCT r.student_id) AS n FROM "
                            "v_assessment_roster r JOIN assessments a USING (assessment_id) WHERE a.grade_level = '3' "
                            "AND a.subject = 'ELA' AND a.kind = 'benchmark' GROUP BY ALL")
    for day, n in zip(roster["administered_on"], roster["n"]):
        d = pd.Timestamp(day).date()
        if d in got.index:
            assert got.loc[d, "n_expected"] == n


def test_pandas_cross_check_demo_goals(demo_con):
    """Demo goals (pooled months, a reduction, a fixed-cohort growth goal) agree with pandas."""
    by_title = {g.spec.title: g for g in goals.all_progress(demo_con)}
    # The failure-rate goal on monthly CFAs: each point is the share of results below the cut.
    reduce = next(p for p in by_title.values() if p.spec.kind == "reduce_failure")
    g, subj = reduce.spec.grade_level, reduce.spec.subject
    per = _pandas_scores(demo_con, "grade_level = ? AND subject = ? AND kind = 'formative'", [g, subj])
    per["month"] = pd.to_datetime(per["administered_on"]).dt.to_period("M")
    for _, pt in reduce.points.iterrows():
        sub = per[per["month"] == pd.Period(pt["point"], "M")]
        assert pt["n_measured"] == sub["student_id"].nunique() and pt["n_results"] == len(sub)
        assert pt["value_pct"] == pytest.approx(100 * (1 - sub["proficient"].mean()))
    on = per["administered_on"]
    base = per[(on >= pd.Timestamp("2026-08-01")) & (on <= pd.Timestamp("2026-09-30"))]
    assert reduce.baseline.data_pct == pytest.approx(100 * (1 - base["proficient"].mean()))
    assert reduce.target_pct == pytest.approx(reduce.baseline.data_pct * (1 - reduce.spec.reduce_by_pct / 100))
    # Fixed-cohort growth: Grade 4 ELA benchmarks 2025-26, students with a September score.
    growth = next(p for p in by_title.values() if p.spec.kind == "growth")
    per = _pandas_scores(demo_con, "grade_level = '4' AND subject = 'ELA' AND kind = 'benchmark'", [])
    per["d"] = pd.to_datetime(per["administered_on"])
    pre = per[(per["d"] >= "2025-09-01") & (per["d"] <= "2025-09-30")].set_index("student_id")["score"]
    assert growth.cohort_size == len(pre)
    for _, pt in growth.points.iterrows():
        post = per[per["d"] == pd.Timestamp(pt["point_date"])].set_index("student_id")["score"]
        both = pd.concat([pre.rename("pre"), post.rename("post")], axis=1, join="inner")
        improving = (100 * (both["post"] - both["pre"]) >= 10 - 1e-9)
        assert pt["n_measured"] == len(both)
        assert pt["value_pct"] == pytest.approx(100 * improving.mean())


def test_undo_demo_removes_its_goals(demo_con):
    """Removing the demo (an import undo) takes its goals, cohorts and history; user goals stay."""
    own = goals.create_goal(demo_con, spec(title="Ours"))
    demo.remove(demo_con)
    left = store.fetch_df(demo_con, "SELECT goal_id FROM goals")
    assert list(left["goal_id"]) == [own]
    assert store.fetch_value(demo_con, "SELECT count(*) FROM goal_cohort") == 0
    assert set(store.fetch_df(demo_con, "SELECT DISTINCT goal_id FROM goal_history")["goal_id"]) == {own}


def test_cli_goals_list_json(demo_db_file, tmp_path):
    """`python -m lib.cli goals list --json` prints the same list as list_goals."""
    path = tmp_path / "cli.duckdb"
    path.write_bytes(demo_db_file.read_bytes())
    out = subprocess.run([sys.executable, "-m", "lib.cli", "goals", "list", "--db", str(path), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    c = store.connect(path)
    try:
        expected = json.loads(json.dumps(goals.list_goals(c), default=str))
    finally:
        c.close()
    assert printed == expected
    for g in printed:
        assert {"title", "metric", "baseline_pct", "current_pct", "target_pct", "target_date", "status"} <= g.keys()
        assert g["status"] in goals.STATUSES


def test_scale_score_results_count(con):
    """Vendor scale-score results (no items) count as proficient or not, as in the core score views."""
    add_students(con, ["S1", "S2", "S3", "S4"])
    con.execute("INSERT INTO assessments VALUES ('STAR', 'Star Reading', 'ELA', '3', 'state', ?, 1.0, 1)", [D0])
    for sid, level in (("S1", "At/Above Benchmark"), ("S2", "On Watch"), ("S3", "Intervention"),
                       ("S4", "At/Above Benchmark")):
        con.execute("INSERT INTO scores (assessment_id, student_id, vendor_level, vendor, import_id) "
                    "VALUES ('STAR', ?, ?, 'star', 1)", [sid, level])
    base = goals.compute_baseline(con, spec(assessment_kind="state"))
    assert (base.n_measured, base.n_meeting, base.data_pct) == (4, 2, 50.0)
    view = store.fetch_value(con, "SELECT 100 * avg((score >= 1.0)::INT) FROM v_overall_scores")
    assert base.data_pct == pytest.approx(view)


# --- measuring many goals at once, remembered results, feasibility group sizes -------------------------

def test_all_progress_measures_like_one_goal_at_a_time(demo_con, monkeypatch):
    """One statement for every goal gives what evaluating each goal on its own gives (nothing remembered)."""
    monkeypatch.setattr(goals, "MEMO_ENTRIES", 0)
    together = goals.all_progress(demo_con, today=TODAY)
    assert len(together) >= 6
    for p in together:
        alone = goals.evaluate(demo_con, p.goal_id, today=TODAY)
        assert goals.summarize(alone) == goals.summarize(p)
        pd.testing.assert_frame_equal(alone.points, p.points)


def test_remembered_results_follow_writes(tmp_path):
    """Results are remembered per data version of a database file: a write (version bump) measures again,
    and callers get their own copy."""
    c = store.connect(tmp_path / "memo.duckdb")
    try:
        add_students(c, [f"S{i}" for i in range(1, 11)])
        add_assessment(c, "B", D0)
        add_scores(c, "B", counts_scores(10, 5))
        first = goals.evaluate_spec(c, spec(), today=TODAY)
        assert first.baseline.data_pct == pytest.approx(50.0)
        add_assessment(c, "P", MID)
        add_scores(c, "P", counts_scores(10, 7))
        with store.transaction(c):
            store.bump_data_version(c)
        again = goals.evaluate_spec(c, spec(), today=TODAY)
        assert again.current[1] == pytest.approx(70.0) and again.baseline.data_pct == pytest.approx(50.0)
        nearest = goals.nearest_students(c, None, spec=spec(), today=TODAY)
        assert len(nearest) == 3
        nearest.loc[:, "gap_pts"] = -1.0  # a caller changing its copy changes nothing remembered
        assert (goals.nearest_students(c, None, spec=spec(), today=TODAY)["gap_pts"] > 0).all()
    finally:
        c.close()


def _similar_groups(con, min_n=goals.FEASIBILITY_MIN_N) -> dict:
    """(school, point) -> % meeting of the feasibility series for monthly Grade 3 ELA checks."""
    df = goals._run(con, "goal_similar_proficiency", {"kind": "formative", "subject": "ELA", "standard": None,
                                                      "bucket": "month", "min_n": min_n})
    return {(r.school, pd.Timestamp(r.point).date()): r.pct for r in df.itertuples()}


def test_feasibility_counts_students_not_results(con):
    """A group takes part with at least FEASIBILITY_MIN_N (10) different students, however many results.

    North: 12 students split over two checks in March (6 each): 12 students, % = 7 of 12 meeting.
    South: 8 students who each took both checks: 16 results but 8 students, left out.
    East: 10 students on one check: exactly 10, kept.
    """
    north, south, east = ([f"{p}{i}" for i in range(1, n + 1)] for p, n in (("N", 12), ("S", 8), ("E", 10)))
    add_students(con, north, school="North")
    add_students(con, south, school="South")
    add_students(con, east, school="East")
    add_assessment(con, "C1", dt.date(2026, 3, 3), kind="formative")
    add_assessment(con, "C2", dt.date(2026, 3, 17), kind="formative")
    add_scores(con, "C1", {**{s: (7.0 if i < 4 else 5.0) for i, s in enumerate(north[:6])},
                           **dict.fromkeys(south, 7.0), **{s: (7.0 if i < 3 else 5.0) for i, s in enumerate(east)}})
    add_scores(con, "C2", {**{s: (7.0 if i < 3 else 5.0) for i, s in enumerate(north[6:])},
                           **dict.fromkeys(south, 5.0)})
    groups = _similar_groups(con)
    march = dt.date(2026, 3, 1)
    assert set(groups) == {("North", march), ("East", march)}
    assert groups[("North", march)] == pytest.approx(100 * 7 / 12)
    assert groups[("East", march)] == pytest.approx(30.0)
    assert set(_similar_groups(con, min_n=8)) == {("North", march), ("South", march), ("East", march)}
    assert set(_similar_groups(con, min_n=11)) == {("North", march)}
