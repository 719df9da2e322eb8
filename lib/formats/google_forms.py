"""Google Forms quiz responses scored question by question with an answer key.

The Forms CSV holds each student's answers (not points). The key comes either from an item-key
file uploaded alongside (question text -> correct answer, points, standard; ingest pairs it) or from
a key submission inside the responses (a row whose email or name is "key" / "answer key", the way
Flubaroo-style grading works). Answers compare without case and spacing; checkbox answers
("A;C" or "A, C") compare as sets. A question the key leaves blank (name, free text) is not
scored. A question text that starts with a code in brackets ("[3.OA.A.1] ...") gives its standard.
Without any key the lead's layout loads the total score ("7 / 10") as one item.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

_KEY_ID = re.compile(r"(answer[ _.-]?)?key|answers|teacher[ _.-]?key|key[ _.-]?answers?")
_ROSTER = {"timestamp", "score", "emailaddress", "email", "username", "name", "studentname", "fullname",
           "firstname", "lastname", "studentid", "id", "grade", "gradelevel", "teacher", "section", "class",
           "period", "classperiod", "homeroom", "studentnumber"}
_STD = re.compile(r"^\s*[\[(]\s*([A-Za-z0-9][\w.\-]*)\s*[\])]\s*")


def _identity_cols(h: c.Header) -> list[int]:
    return [p for k, p in h.pos.items() if k in ("emailaddress", "email", "username", "name", "studentname",
                                                  "fullname", "studentid", "id")]


def _key_rows(table: Table, h: c.Header) -> list[int]:
    """Positions of rows that are an answer key submission (identity says 'key')."""
    hits = set()
    for p in _identity_cols(h):
        col = table.data[p].astype(object).fillna("").map(lambda v: str(v).strip().lower()).reset_index(drop=True)
        local = col.str.split("@").str[0]
        hits |= set(np.flatnonzero(local.map(lambda v: bool(_KEY_ID.fullmatch(v))).to_numpy()))
    return sorted(hits)


def _is_forms(table: Table) -> bool:
    h = c.Header.of(table)
    return h.has("Timestamp") and (h.has("Score") or bool(_key_rows(table, h)))


def norm_answer(text: str) -> str:
    """An answer as compared: case-folded, spaces collapsed; checkbox answers as a sorted set."""
    t = re.sub(r"\s+", " ", str(text).strip().casefold())
    parts = [p.strip() for p in re.split(r";|,\s", t) if p.strip()]
    return " | ".join(sorted(parts)) if len(parts) > 1 else t


def parse(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Forms responses + key (paired file or key row) -> one scored response per student per question."""
    h = c.Header.of(table)
    key_rows = _key_rows(table, h)
    if not key_rows and not ctx.keys:
        return ingest._parse_forms(table, fields, ctx)
    id_pos = fields.get("student_id")
    if id_pos is None:
        id_pos = h.find("Email Address", "Email", "Username")
    if id_pos is None:
        raise ingest.FileError(f"{table.name}: missing required column 'Email Address' (or a Student ID question)",
                               column="Email Address")
    ts_pos = h.find("Timestamp")
    score_pos = h.find("Score")
    questions = [p for p, head in enumerate(table.header)
                 if c.key(head) not in _ROSTER and p not in fields.values() and p != id_pos]
    # The key: a paired item-key file first, else the key submission row.
    key: dict[int, dict] = {}
    source = ""
    if ctx.keys:
        kt, kf = ctx.keys[0]
        if "points_possible" not in kf and "points_earned" in kf:  # in a key, "Points" means points possible
            kf = {**kf, "points_possible": kf["points_earned"]}
        items = ingest._key_items(kt, kf)
        cols = ingest._wide_item_columns(table, {"student_id": id_pos}, items)
        by_item = items.drop_duplicates("item").set_index("item")
        for p, item in cols.items():
            k = by_item.loc[item]
            key[p] = {"item": item, "answer": k["correct_response"], "points": float(k["points_possible"]),
                      "standard": k["standard"]}
        source = f"the answer key {kt.name}"
    if not key and key_rows:
        krow = key_rows[-1]
        for p in questions:
            ans = str(table.data[p].iat[krow]).strip()
            if ans:
                text = table.header[p].strip()
                m = _STD.match(text)
                key[p] = {"item": text, "answer": ans, "points": 1.0, "standard": m.group(1) if m else None}
        source = f"the key submission on row {table.rows[krow]}"
    if not key:
        return ingest._parse_forms(table, fields, ctx)
    f2 = dict(fields)
    f2["student_id"] = id_pos
    base = ingest._student_frame(table, f2)
    base["student_id"] = base["student_id"].str.lower()
    keep = np.ones(len(base), dtype=bool)
    keep[key_rows] = False  # the key row is not a student
    ts = h.col("Timestamp") if ts_pos is not None else pd.Series([""] * len(base))
    base["date_text"] = ts.to_numpy()
    base["date_col"] = table.header[ts_pos] if ts_pos is not None else None
    title = re.sub(r"\s*\(Responses\)\s*$", "", ctx.stem, flags=re.I) or ctx.stem
    base["assessment"] = title
    for fld in ("teacher", "section", "subject"):
        s = ingest._col(table, f2, fld)
        base[fld] = s.replace("", None).to_numpy() if s is not None else None
    base["kind_text"] = base["cut_text"] = ""
    base["id_col"] = table.header[id_pos]
    base["assessment_col"] = "file name"
    base["kind_col"] = base["cut_col"] = None
    problems = []
    # Resubmissions: the latest submission per student counts.
    order = [(ingest.parse_date_value(t) or dt.date.min, r) for t, r in zip(ts, table.rows)]
    base["_order"] = order
    cand = base[keep & (base["student_id"] != "").to_numpy()]
    latest = cand.sort_values("_order").drop_duplicates("student_id", keep="last")
    earlier = cand.drop(latest.index)
    if len(earlier):
        later_row = dict(zip(latest["student_id"], latest["_row"]))
        problems.append(c.problem(earlier["_row"], base["date_col"].iat[0],
                                  [f"earlier submission; the later one on row {later_row[s]} counts"
                                   for s in earlier["student_id"]]))
    blank = base[keep & (base["student_id"] == "").to_numpy()]
    if len(blank):
        problems.append(c.problem(blank["_row"], table.header[id_pos], "student id is blank"))
    base = base.loc[latest.index].drop(columns="_order")
    parts = []
    for p, k in key.items():
        cell = table.data[p].astype(object).fillna("").map(lambda v: str(v).strip()).reset_index(drop=True)
        cell = cell.loc[base.index]
        part = base.copy()
        part["item"] = k["item"]
        part["standard"] = k["standard"] if k["standard"] and not pd.isna(k["standard"]) else None
        want = norm_answer(k["answer"]) if k["answer"] is not None and not pd.isna(k["answer"]) else None
        pts = k["points"]
        got = cell.map(norm_answer)
        part["earned_text"] = np.where(got == want, f"{pts:g}", "0") if want is not None else "0"
        part["possible_text"] = f"{pts:g}"
        part["response"] = cell.replace("", None).to_numpy()
        part["correct_response"] = k["answer"]
        part["earned_col"] = table.header[p]
        part["possible_col"] = f"points ({source})"
        parts.append(part)
    res = pd.concat(parts, ignore_index=True)
    notes = [f"Google Forms quiz: {len(key)} questions scored with {source}; answers compared without case or "
             "spacing, checkbox answers as sets; blank answers score 0."]
    if key_rows:
        notes.append(f"Row {', '.join(str(table.rows[r]) for r in key_rows)}: answer key submission, not a student.")
    if score_pos is not None and source.startswith("the key submission"):
        notes.append("Each question is worth 1 point (the export does not say per-question points; upload an "
                     "item key with points to change that).")
    return ingest.Parsed(results=res, problems=problems, notes=notes)


def _detect(table: Table, fields: dict[str, int]) -> int:
    return 85 if _is_forms(table) else 0


# Same name as the lead's layout so ingest pairs it with an uploaded item key; registered first, it
# wins detection and falls back to the lead's parser when there is no key at all.
ingest.register(ingest.Layout("google_forms", "Google Forms quiz export (scored with an answer key)",
                              _detect, parse), first=True)
