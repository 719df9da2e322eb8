"""Names on a projector: pseudonyms, initials, teacher aliases and small-group suppression."""

import re

import pandas as pd
import pytest

from lib import privacy


def test_pseudonym_is_stable_and_friendly():
    a = privacy.pseudonym("S100001")
    assert a == privacy.pseudonym("S100001")
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+ \d\d", a)
    assert a.split()[0] in privacy.ADJECTIVES and a.split()[1] in privacy.ANIMALS


def test_pseudonyms_mostly_differ():
    names = {privacy.pseudonym(f"S{i}") for i in range(500)}
    assert len(names) > 490      # 160,000 combinations: collisions are rare in a school


@pytest.mark.parametrize(
    "first, last, expected",
    [("Amara", "Zamora", "A.Z."), ("amara", None, "A."), (None, None, "-"), ("  ", "lee", "L."), ("Jo", "", "J.")],
)
def test_initials(first, last, expected):
    assert privacy.initials(first, last) == expected


def test_student_label_by_mode():
    assert privacy.student_label("S1", "Amara", "Zamora", meeting=False) == "Amara Zamora"
    assert privacy.student_label("S1", None, None, meeting=False) == "S1"
    shown = privacy.student_label("S1", "Amara", "Zamora", meeting=True)
    assert shown == privacy.pseudonym("S1") and "Amara" not in shown and "Zamora" not in shown
    ini = privacy.student_label("S1", "Amara", "Zamora", meeting=True, style="initials")
    assert ini.startswith("A.Z. (") and "S1" not in ini


def test_label_students_drops_names_and_ids_in_meeting_mode():
    df = pd.DataFrame({"student_id": ["S1", "S2"], "first_name": ["Amara", "Bodhi"],
                       "last_name": ["Zamora", "Huxley"], "score": [0.5, 0.9]})
    desk = privacy.label_students(df, meeting=False)
    assert list(desk["student"]) == ["Amara Zamora", "Bodhi Huxley"]
    assert "first_name" not in desk and "student_id" in desk
    room = privacy.label_students(df, meeting=True)
    assert set(room.columns) == {"score", "student"}
    text = room.to_csv()
    for secret in ("Amara", "Zamora", "Bodhi", "Huxley", "S1", "S2"):
        assert secret not in text.replace(privacy.pseudonym("S1"), "").replace(privacy.pseudonym("S2"), "")


def test_teacher_aliases():
    names = {"T1": "Ms. Chen", "T2": "Mr. Brooks", "T3": "Dr. Kim"}
    shown = {"T1": False, "T2": True, "T3": False}
    assert privacy.teacher_aliases(["T1", "T2", "T3"], names, shown, meeting=False) == names
    room = privacy.teacher_aliases(["T3", "T1", "T2", None], names, shown, meeting=True)
    # Opted-in teachers keep their names; others become Teacher A, B... in id order.
    assert room == {"T1": "Teacher A", "T2": "Mr. Brooks", "T3": "Teacher B"}
    own = privacy.teacher_aliases(["T1", "T3"], names, shown, meeting=True, own="T3")
    assert own == {"T1": "Teacher A", "T3": "Dr. Kim"}


@pytest.mark.parametrize("i, expected", [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")])
def test_letters(i, expected):
    assert privacy._letters(i) == expected


def test_suppress_small_blanks_but_keeps_rows():
    df = pd.DataFrame({"group": ["a", "b", "c"], "n": [4, 5, 30], "pct": [1.0, 0.4, 0.5], "mean": [0.9, 0.5, 0.6]})
    out = privacy.suppress_small(df, "n", ["pct", "mean"], privacy.MIN_GROUP_TEAM)
    assert list(out["suppressed"]) == [True, False, False]
    assert out["pct"].isna().tolist() == [True, False, False] and out["mean"].isna().tolist() == [True, False, False]
    assert list(out["n"]) == [4, 5, 30] and len(out) == 3
    assert privacy.MIN_GROUP_TEAM == 5 and privacy.MIN_GROUP_SUBGROUP == 10


@pytest.mark.parametrize(("labels", "expected"), [
    ({"t1": "Ms Lee", "t2": "Mr Ray"}, {"t1": "Ms Lee", "t2": "Mr Ray"}),
    ({"t1": "Ms Lee", "t2": "Ms Lee", "t3": "Mr Ray"}, {"t1": "Ms Lee (t1)", "t2": "Ms Lee (t2)", "t3": "Mr Ray"}),
    ({}, {}),
])
def test_unique_labels_adds_the_id_to_shared_names(labels, expected):
    """Two teachers with the same name (common in a district) stay apart in tables keyed on the label."""
    assert privacy.unique_labels(labels) == expected
