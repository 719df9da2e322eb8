"""MasteryConnect (Instructure) exports: the item-level assessment export and the per-standard score export.

Item-level: one row per student per assessment with `question_N_standard`, `question_N_correct_answer`,
`question_N_answer`, `question_N_points_possible`, `question_N_points` blocks (unused blocks empty)
-> one response per student per used question, with the student's answer and the key (so distractor
analysis works), the item's standard (state codes such as `7.50.a`, `CE.2.a`), teacher and section
(tracker), and the roster flags (gender, race/ethnicity, frl, iep, ell).

Per-standard scores (`standard_name`, `score_value` of `total_score`, `mastery_score`, `score_state`)
-> one result per student per standard; the assessment's cut is MasteryConnect's own mastery score
as a share of the points (the median over its standards).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

_Q = r"question(\d+)standard"


def _is_items(table: Table) -> bool:
    h = c.Header.of(table)
    qs = h.matching(_Q)
    return bool(qs) and h.has("student_id", "studentid") and h.has("assessment_name", "assessment") and \
        any(h.has(f"question_{m.group(1)}_points") for _, m in qs)


def _is_standard_scores(table: Table) -> bool:
    h = c.Header.of(table)
    return h.has("standard_name") and h.has("score_value") and h.has("total_score") and h.has("mastery_score") \
        and h.has("student_id", "student_number")


def _answer_key(text: str) -> str:
    """'B,D,F' and 'B D F' compare equal: letters/words without separators, sorted."""
    parts = [p for p in re.split(r"[\s,;|]+", text.strip().upper()) if p]
    return " ".join(sorted(parts))


def _grade_hint(*texts: str) -> str | None:
    for t in texts:
        m = re.search(r"(?i)\b(?:grade|gr)[\s_]*0*(\d{1,2})\b|\b0*(\d{1,2})(?:st|nd|rd|th)[\s_]*grade\b", t or "")
        if m:
            return str(int(m.group(1) or m.group(2)))
    return None


def parse_items(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Item-level export -> long results (one row per student per used question)."""
    h = c.Header.of(table)
    sid = h.col("student_id", "studentid")
    assessment = h.col("assessment_name", "assessment")
    tracker = h.col("tracker")
    section = h.col("section")
    teacher = h.col("teacher")
    blocks = sorted(((int(m.group(1)), pos) for pos, m in h.matching(_Q)))
    race, eth = h.col("race"), h.col("ethnicity")
    hisp = eth.str.lower().str.contains("hispanic|latin", regex=True) & ~eth.str.lower().str.contains("not|non")
    ethnicity = pd.Series(np.where(hisp, "Hispanic or Latino", np.where(race != "", race, eth)), dtype=object)
    base = c.student_frame(table.rows, sid, first_name=h.col("first_name"), last_name=h.col("last_name"),
                           school=h.col("school"), gender=h.col("gender"), ethnicity=ethnicity,
                           ell=ingest.parse_bool(h.col("ell")), iep=ingest.parse_bool(h.col("iep")),
                           frl=ingest.parse_bool(h.col("frl")))
    base["grade_level"] = [_grade_hint(t, a) for t, a in zip(tracker, assessment)]
    base["teacher"] = teacher.replace("", None).to_numpy()
    sec = [(f"{t} · {s}" if t and s else t or s) for t, s in zip(tracker, section)]
    base["section"] = [f"{x} ({tt})" if x and tt else (x or None) for x, tt in zip(sec, teacher)]
    base["subject"] = [c.guess_subject(t, a) for t, a in zip(tracker, assessment)]
    base["assessment"] = assessment.to_numpy()
    base["date_text"] = h.col("date", "assessment_date", "given_on").to_numpy()
    base["kind_text"] = ""
    base["cut_text"] = ""
    base["id_col"] = h.name("student_id", "studentid")
    base["date_col"] = h.name("date", "assessment_date", "given_on")
    base["assessment_col"] = h.name("assessment_name", "assessment")
    base["kind_col"] = base["cut_col"] = None
    parts = []
    for q, _ in blocks:
        std = h.col(f"question_{q}_standard")
        key_ = h.col(f"question_{q}_correct_answer")
        ans = h.col(f"question_{q}_answer")
        pp = h.col(f"question_{q}_points_possible")
        pts = h.col(f"question_{q}_points")
        block = pd.DataFrame({"a": assessment, "std": std, "key": key_, "pp": pp})
        # A question is used by an assessment when any of its rows fills the block's key facts.
        used_by = set(block.loc[(std != "") | (key_ != "") | (pp != ""), "a"])
        used = assessment.isin(used_by)
        if not used.any():
            continue
        first = block[(pp != "")].drop_duplicates("a").set_index("a")

        def fill(col: str, s: pd.Series, first=first) -> pd.Series:
            return s.where(s != "", assessment.map(first[col]) if len(first) else s).fillna("")
        std_f, key_f, pp_f = fill("std", std), fill("key", key_), fill("pp", pp)
        earned = pts.copy()
        # No points for a used question: score the answer against the key, else unanswered (0 points).
        by_key = (earned == "") & (ans != "") & (key_f != "")
        earned[by_key] = np.where([_answer_key(a) == _answer_key(k) for a, k in zip(ans[by_key], key_f[by_key])],
                                  pp_f[by_key], "0")
        earned = earned.where(earned != "", "0")
        part = base[used.to_numpy()].copy()
        part["item"] = f"Q{q}"
        part["standard"] = std_f[used].replace("", None).to_numpy()
        part["correct_response"] = key_f[used].replace("", None).to_numpy()
        part["response"] = ans[used].replace("", None).to_numpy()
        part["earned_text"] = earned[used].to_numpy()
        part["possible_text"] = pp_f[used].to_numpy()
        part["earned_col"] = f"question_{q}_points"
        part["possible_col"] = f"question_{q}_points_possible"
        parts.append(part)
    if not parts:
        raise ingest.FileError(f"{table.name}: no question block (question_N_standard, ..._points) has any data")
    res = pd.concat(parts, ignore_index=True)
    per = res.groupby("assessment")["item"].nunique()
    notes = ["MasteryConnect item export: " + "; ".join(f"{a}: {n} questions used" for a, n in per.items())
             + ". One response per student per used question; a question left blank counts 0 points."]
    # The export's own total is a check on the questions read.
    total = c.number(h.col("score"))
    if h.has("score"):
        summed = res.assign(_e=c.number(res["earned_text"])).groupby("_row")["_e"].sum()
        rows = pd.Series(table.rows)
        diff = [(r, t, summed.get(r)) for r, t in zip(rows, total) if not np.isnan(t) and r in summed.index
                and abs(summed[r] - t) > 1e-6]
        if diff:
            notes.append(f"{len(diff)} rows' question points do not add up to their 'score' column "
                         f"(first: row {diff[0][0]}, score {diff[0][1]:g}, questions {diff[0][2]:g}).")
    if all(g is None for g in base["grade_level"]):
        notes.append("MasteryConnect exports have no grade column: the assessment's grade comes from the "
                     "students' grades on file when a roster is loaded.")
    return ingest.Parsed(results=res, notes=notes)


def parse_standard_scores(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Per-standard score export -> one result per student per standard (points of the standard)."""
    h = c.Header.of(table)
    sid = h.col("student_number", "student_id")
    title = h.col("title", "assessment_name")
    total = c.number(h.col("total_score"))
    mastery = c.number(h.col("mastery_score"))
    ratio = (mastery / total).where(total > 0)
    cut = pd.DataFrame({"t": title, "r": ratio}).groupby("t")["r"].median()
    res = c.student_frame(table.rows, sid, first_name=h.col("student_first_name"),
                          last_name=h.col("student_last_name"), grade_level=c.grades(h.col("grade")))
    std = h.col("standard_name")
    res["teacher"] = None
    res["section"] = None
    res["subject"] = h.col("standard_subject").map(c.canonical_subject).to_numpy()
    res["assessment"] = title.to_numpy()
    res["item"] = std.where(std != "", "Total").to_numpy()
    res["standard"] = std.replace("", None).to_numpy()
    res["response"] = None
    res["correct_response"] = None
    res["date_text"] = h.col("given_on", "assessment_date").to_numpy()
    res["kind_text"] = ""
    res["cut_text"] = [f"{cut.get(t):.4f}" if t in cut.index and not np.isnan(cut.get(t)) else "" for t in title]
    res["earned_text"] = h.col("score_value").to_numpy()
    res["possible_text"] = h.col("total_score").to_numpy()
    res["earned_col"] = h.name("score_value")
    res["possible_col"] = h.name("total_score")
    res["id_col"] = h.name("student_number", "student_id")
    res["date_col"] = h.name("given_on", "assessment_date")
    res["assessment_col"] = h.name("title", "assessment_name")
    res["kind_col"] = None
    res["cut_col"] = h.name("mastery_score")
    return ingest.Parsed(results=res, notes=[
        "MasteryConnect standard scores: one result per student per standard (score_value of total_score); "
        "each assessment's cut is MasteryConnect's mastery score as a share of the points "
        "(median over its standards)."])


def _detect_items(table: Table, fields: dict[str, int]) -> int:
    return 96 if _is_items(table) else 0


def _detect_standard_scores(table: Table, fields: dict[str, int]) -> int:
    return 94 if _is_standard_scores(table) else 0


ingest.register(ingest.Layout("mastery_connect_items", "MasteryConnect item-level assessment export",
                              _detect_items, parse_items), first=True)
ingest.register(ingest.Layout("mastery_connect_standards", "MasteryConnect standard scores export",
                              _detect_standard_scores, parse_standard_scores), first=True)
