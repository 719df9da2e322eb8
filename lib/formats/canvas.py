"""Canvas LMS exports: the Learning Mastery Gradebook (outcome results) and the Gradebook export.

Learning Mastery ("Outcomes-<course>.csv"): `Student name`, `Student ID`, [`Student SIS ID`], then per
outcome `<group path> > <outcome> result` and `... mastery points`. Each outcome becomes a standard
(its code when the outcome title starts with one, such as `3.OA.A.1` or `MGSE3.NBT.2`, else the title);
a result is proficient at or above its mastery points (stored as a scale result, lib/formats/scale.py),
and a student is proficient overall at 80% of the outcomes (editable rule).

Gradebook: `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, one column per assignment
`<title> (<id>)`, a `Points Possible` row; each assignment becomes an assessment scored in points
(EX and N/A are "not assessed", not zero).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

_RESULT = re.compile(r"^(.*\S)\s+result$", re.I)
_CODE = re.compile(r"^[A-Za-z]{0,12}[\d][\w\-]*(?:\.[\w\-]+)+$|^[A-Za-z]+(?:\.[\w\-]+){2,}$")


def _outcomes(table: Table) -> list[tuple[int, int | None, str]]:
    """(result column, mastery points column, outcome path) for each outcome."""
    by_name = {h.strip().lower(): i for i, h in enumerate(table.header)}
    out = []
    for i, h in enumerate(table.header):
        m = _RESULT.match(h.strip())
        if m:
            path = m.group(1)
            out.append((i, by_name.get(f"{path} mastery points".lower()), path))
    return out


def _is_mastery(table: Table) -> bool:
    h = c.Header.of(table)
    outs = _outcomes(table)
    return h.has("Student name") and h.has("Student ID") and bool(outs) and any(m is not None for _, m, _ in outs)


def split_code(title: str) -> tuple[str, str]:
    """'3.OA.A.1 Interpret products' -> ('3.OA.A.1', 'Interpret products'); no code -> (title, title)."""
    t = title.strip()
    first, _, rest = t.partition(" ")
    first = first.rstrip(":,;")
    if _CODE.match(first) and len(first) <= 40:
        return first, rest.strip(" -:") or t
    return t, t


def _level(result: float, mastery: float) -> str | None:
    if np.isnan(result) or np.isnan(mastery):
        return None
    if result >= mastery + 1:
        return "Exceeds Mastery"
    if result >= mastery:
        return "Mastery"
    if result >= mastery - 1:
        return "Near Mastery"
    return "Well Below Mastery"


def _student_ids(h: c.Header, sis_names=("Student SIS ID", "SIS User ID"),
                 canvas_names=("Student ID", "ID")) -> tuple[pd.Series, int]:
    """The SIS id when Canvas has one, else 'canvas-<Canvas user id>' (kept apart from SIS ids)."""
    sis = h.col(*sis_names)
    cid = h.col(*canvas_names)
    missing = sis.str.upper().isin(["", "N/A"])
    ids = sis.where(~missing, cid.map(lambda v: f"canvas-{v}" if v else ""))
    return ids, int((missing & (cid != "")).sum())


def parse_mastery(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Learning Mastery Gradebook -> one outcome result per student (proficient at mastery points)."""
    h = c.Header.of(table)
    sid, n_canvas = _student_ids(h)
    course = re.sub(r"^(Outcomes|Resultados|Ergebnisse|Résultats)[-_ ]*", "", ctx.stem, flags=re.I).replace("_", " ")
    course = course.strip() or "Canvas course"
    first, last = ingest._split_names(h.col("Student name"))
    problems = [p for p in [c.blank_ids(table.rows, sid, h.name("Student SIS ID", "Student ID"))] if p is not None]
    paths = [p for _, _, p in _outcomes(table)]
    subject = c.guess_subject(course, *paths)
    grade = c.grade_of(re.search(r"(?i)grade\s*\w+", course).group(0)) if re.search(r"(?i)grade\s*\w+", course) \
        else None
    parts = []
    for res_pos, mp_pos, path in _outcomes(table):
        title = path.split(" > ")[-1].strip()
        code, desc = split_code(title)
        text = table.data[res_pos].astype(object).fillna("").map(lambda v: str(v).strip()).reset_index(drop=True)
        result = c.number(text)
        mastery = (c.number(table.data[mp_pos].astype(object).fillna("").map(str).reset_index(drop=True))
                   if mp_pos is not None else pd.Series([np.nan] * len(text)))
        bad = (text != "") & result.isna()
        if bad.any():
            problems.append(c.problem(np.asarray(table.rows)[bad.to_numpy()], table.header[res_pos],
                                      [f"result '{v}' is not a number" for v in text[bad]]))
        part = c.score_frame(
            _row=table.rows, student_id=sid, vendor="canvas", product=None, title=f"Canvas outcomes: {course}",
            subject=subject, grade_level=grade, standard_code=code, standard_label=desc, scale_score=result,
            vendor_level=[_level(r, m) for r, m in zip(result, mastery)],
            proficient_given=[None if np.isnan(r) or np.isnan(m) else bool(r >= m) for r, m in zip(result, mastery)],
            scale_name="Canvas outcome score")
        parts.append(part[(text != "").to_numpy() & result.notna().to_numpy()])
    scores = pd.concat(parts, ignore_index=True) if parts else c.score_frame()
    bad_rows = set().union(*(set(p["_row"]) for p in problems)) if problems else set()
    scores = scores[~scores["_row"].isin(bad_rows)]
    students = c.student_frame(table.rows, sid, first_name=first, last_name=last)
    notes = [f"Canvas Learning Mastery: {len(paths)} outcomes, {len(scores)} results for "
             f"{scores['student_id'].nunique()} students; a result is proficient at or above the outcome's "
             "mastery points, a student overall when 80% of the outcomes are (editable)."]
    if n_canvas:
        notes.append(f"{n_canvas} students have no SIS ID in Canvas: their id is 'canvas-' + the Canvas user id.")
    return ingest.Parsed(students=students, problems=problems, extra={"scores": scores}, notes=notes)


# --- gradebook -------------------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^(.*\S)\s*\((\d+)\)$")


def _is_gradebook(table: Table) -> bool:
    h = c.Header.of(table)
    return (h.has("Student", "LastName") and h.has("ID") and h.has("SIS User ID", "SIS Login ID")
            and any(_ASSIGNMENT.match(x.strip()) for x in table.header))


def parse_gradebook(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Gradebook export -> long results: one assessment per assignment, points from the Points Possible row."""
    h = c.Header.of(table)
    name_col = h.col("Student")
    marker = name_col.str.strip().str.lower()
    meta = marker.isin(["points possible", "manual posting"])
    pp_row = marker[marker == "points possible"]
    if pp_row.empty:
        raise ingest.FileError(f"{table.name}: the 'Points Possible' row is missing (export the gradebook again)",
                               column="Student")
    pp_pos = pp_row.index[0]
    sid, n_canvas = _student_ids(h, ("SIS User ID",), ("ID",))
    if h.has("LastName") and h.has("FirstName"):
        first, last = h.col("FirstName"), h.col("LastName")
    else:
        first, last = ingest._split_names(name_col)
    parts = []
    for pos, head in enumerate(table.header):
        m = _ASSIGNMENT.match(head.strip())
        if not m:
            continue
        cell = table.data[pos].astype(object).fillna("").map(lambda v: str(v).strip()).reset_index(drop=True)
        possible = cell.iat[pp_pos]
        assessed = ~meta & ~cell.str.upper().isin(["", "EX", "N/A", "-"])
        f = c.student_frame(table.rows, sid, first_name=first, last_name=last)
        f["teacher"] = None
        f["section"] = h.col("Section").map(lambda v: v.split(" and ")[0].strip()).replace("", None).to_numpy()
        f["subject"] = c.guess_subject(ctx.stem, m.group(1))
        f["assessment"] = m.group(1)
        f["item"] = "Total"
        f["standard"] = f["response"] = f["correct_response"] = None
        f["date_text"] = f["kind_text"] = f["cut_text"] = ""
        f["earned_text"] = cell.to_numpy()
        f["possible_text"] = possible
        f["earned_col"] = head
        f["possible_col"] = f"{head} (Points Possible row)"
        f["id_col"] = h.name("SIS User ID", "ID")
        f["date_col"] = f["assessment_col"] = None
        f["kind_col"] = f["cut_col"] = None
        parts.append(f[assessed.to_numpy()])
    res = pd.concat(parts, ignore_index=True)
    notes = [f"Canvas gradebook: {res['assessment'].nunique()} assignments, {len(res)} scores; EX, N/A and blank "
             "cells are 'not assessed'."]
    if n_canvas:
        notes.append(f"{n_canvas} students have no SIS User ID: their id is 'canvas-' + the Canvas user id.")
    return ingest.Parsed(results=res, notes=notes)


def _detect_mastery(table: Table, fields: dict[str, int]) -> int:
    return 93 if _is_mastery(table) else 0


def _detect_gradebook(table: Table, fields: dict[str, int]) -> int:
    return 93 if _is_gradebook(table) else 0


ingest.register(ingest.Layout("canvas_mastery", "Canvas Learning Mastery Gradebook (outcome results)",
                              _detect_mastery, parse_mastery), first=True)
ingest.register(ingest.Layout("canvas_gradebook", "Canvas Gradebook export (one assessment per assignment)",
                              _detect_gradebook, parse_gradebook), first=True)
