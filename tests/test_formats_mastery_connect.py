"""MasteryConnect: item-level export (one response per student per used question) and standard scores."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from lib import meeting, store
from tests.formats_util import FIXTURES, assessments, data_files, independent_headline, load, pages_work, plan

ITEMS = (FIXTURES / "mastery_connect_items.csv").read_text()
STANDARD_SCORES = (FIXTURES / "mastery_connect_standard_scores.csv").read_text()


def _used_questions(text: str) -> dict[str, set[int]]:
    """Independently: per assessment, the question numbers whose block has a standard, key or points possible."""
    used: dict[str, set[int]] = {}
    for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")), dialect=csv.Sniffer().sniff(text.splitlines()[0])):
        for q in range(1, 60):
            if f"question_{q}_standard" not in r:
                break
            facts = ("standard", "correct_answer", "points_possible")
            if any((r.get(f"question_{q}_{f}") or "").strip() for f in facts):
                used.setdefault(r["assessment_name"], set()).add(q)
    return used


def test_item_export_gives_one_response_per_student_per_used_question(con):
    r = load(con, ("Unit3.csv", ITEMS))[0]
    assert (r.status, r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == \
        ("loaded", "mastery_connect_items", 3, 3, 0)
    used = _used_questions(ITEMS)["Unit 3 Common Assessment"]
    assert used == {1, 2, 3, 4}  # blocks 5 and 6 are empty
    resp = store.fetch_df(con, "SELECT student_id, item, points_earned, response FROM responses ORDER BY 1, 2")
    assert len(resp) == 3 * len(used)
    assert not resp.duplicated(["student_id", "item"]).any()
    assert sorted(resp["item"].unique()) == ["Q1", "Q2", "Q3", "Q4"]
    # Unanswered (S103 Q3, Q4: no answer, no points) count 0 points with no response.
    s103 = resp[resp["student_id"] == "S103"].set_index("item")
    assert s103.loc["Q3", "points_earned"] == 0 and pd.isna(s103.loc["Q3", "response"])
    # The chosen answers are kept for distractor analysis, multi-select as written.
    assert resp.set_index(["student_id", "item"]).loc[("S101", "Q3"), "response"] == "B,D"


def test_item_export_items_standards_keys_teachers_and_flags(con):
    load(con, ("Unit3.csv", ITEMS))
    items = store.fetch_df(con, "SELECT item, standard_code, points_possible, correct_response FROM items ORDER BY 1")
    assert items.values.tolist() == [["Q1", "7.5.a", 1.0, "B"], ["Q2", "7.5.b", 1.0, "C"],
                                     ["Q3", "7.6.a", 2.0, "B D"], ["Q4", "MGSE7.NS.1", 1.0, "A"]]
    st = store.fetch_df(con, "SELECT student_id, first_name, last_name, gender, ethnicity, ell, iep, frl "
                             "FROM students ORDER BY 1")
    assert st.values.tolist() == [["S101", "Ana", "Lopez", "F", "Hispanic or Latino", True, False, True],
                                  ["S102", "Ben", "Ode", "M", "Black", False, False, False],
                                  ["S103", "Cho", "Park", "F", "Asian", False, True, False]]
    roster = store.fetch_df(con, "SELECT student_id, teacher_id, section_id FROM v_assessment_roster ORDER BY 1")
    assert roster["teacher_id"].tolist() == ["ms-kim", "ms-kim", "mr-fox"]
    assert roster["section_id"].iat[0] == "ELA 7 Grade 7 · Period 1 (Ms. Kim)"
    a = assessments(con).iloc[0]
    assert (a["title"], a["subject"], a["grade_level"]) == ("Unit 3 Common Assessment", "ELA", "7")


def test_item_export_scores_match_the_exports_own_totals(con):
    load(con, ("Unit3.csv", ITEMS))
    mine = store.fetch_df(con, "SELECT student_id, earned FROM v_overall_scores ORDER BY 1")
    theirs = {r["student_id"]: float(r["score"]) for r in csv.DictReader(io.StringIO(ITEMS))}
    assert dict(zip(mine["student_id"], mine["earned"])) == theirs


def test_distractor_analysis_works_on_the_answers(con):
    load(con, ("Unit3.csv", ITEMS))
    aid = assessments(con)["assessment_id"].iat[0]
    d = meeting.distractors(con, aid)
    q2 = d[d["item"] == "Q2"].set_index("response")["students"].to_dict()
    assert q2 == {"A": 1, "C": 2}


@pytest.mark.parametrize("variant", ["tab", "bom", "quoted", "short_rows", "2024_columns", "crlf"])
def test_item_export_detected_in_every_serialisation(con, variant):
    rows = list(csv.reader(io.StringIO(ITEMS)))
    if variant == "2024_columns":  # 2024-25 adds tracker_status, school_year, student_status
        head = rows[0]
        rows = [r[:3] + ["active", "2024-2025"] + r[3:8] + ["active"] + r[8:] if i else
                head[:3] + ["tracker_status", "school_year"] + head[3:8] + ["student_status"] + head[8:]
                for i, r in enumerate(rows)]
    if variant == "short_rows":  # trailing empty blocks cut off
        rows = [rows[0]] + [r[:17 + 5 * 4] for r in rows[1:]]
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t" if variant == "tab" else ",", lineterminator="\r\n" if variant == "crlf" else "\n",
               quoting=csv.QUOTE_ALL if variant == "quoted" else csv.QUOTE_MINIMAL).writerows(rows)
    text = ("\ufeff" if variant == "bom" else "") + buf.getvalue()
    fp = plan(con, ("Unit3.csv", text)).files[0]
    assert (fp.layout, fp.label, fp.rows_ok, fp.rows_rejected) == \
        ("mastery_connect_items", "MasteryConnect item-level assessment export", 3, 0)
    assert len(fp.parsed.results) == 12


def test_standard_scores_export(con):
    r = load(con, ("mc_standards.csv", STANDARD_SCORES))[0]
    assert (r.status, r.layout, r.rows_loaded, r.rows_rejected) == ("loaded", "mastery_connect_standards", 4, 0)
    a = assessments(con).iloc[0]
    assert (a["title"], a["subject"], a["grade_level"], a["proficiency_cut"]) == ("Module 1 Test", "Math", "3", 0.75)
    sc = store.fetch_df(con, "SELECT student_id, standard_code, earned, possible FROM v_standard_scores ORDER BY 1, 2")
    assert sc.values.tolist() == [["S201", "MGSE3.NBT.2", 3.0, 4.0], ["S201", "MGSE3.OA.1", 1.0, 4.0],
                                  ["S202", "MGSE3.NBT.2", 2.0, 4.0], ["S202", "MGSE3.OA.1", 4.0, 4.0]]
    # Proficient at MasteryConnect's mastery score (3 of 4): S201 on NBT.2, S202 on OA.1.
    bs = meeting.by_standard(con, a["assessment_id"]).set_index("standard_code")
    assert bs.loc["MGSE3.NBT.2", "proficient"] == 1 and bs.loc["MGSE3.OA.1", "proficient"] == 1


@pytest.mark.parametrize("name,text", [("Unit3.csv", ITEMS), ("mc_standards.csv", STANDARD_SCORES)])
def test_team_meeting_and_standards_explorer_work(con, name, text):
    load(con, (name, text))
    aid = assessments(con)["assessment_id"].iat[0]
    out = pages_work(con, aid)
    assessed, proficient = independent_headline(con, aid)
    assert (out["headline"]["assessed"], out["headline"]["proficient"]) == (assessed, proficient)
    assert set(out["explorer_summary"]["standard_code"]) == set(out["by_standard"]["standard_code"])


def test_samples_folder():
    files = data_files("mastery_connect")
    if not files:
        pytest.skip("../shared/samples/mastery_connect keeps no data file (SOURCE.md: the PowerSchool fixtures "
                    "were not kept); the layouts are tested with the files in tests/fixtures/formats")
