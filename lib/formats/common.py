"""Shared pieces for vendor layouts: header look-up that survives renamed columns, subjects, grades,
windows, and the canonical frame of scale-score results that lib/formats/scale.py writes.

Vendors rename columns between school years ("StudentID", "Student ID", "STUDENT_ID", "student_number")
so headers are compared as lower-case letters and digits only, against a list of accepted names.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.readers import Table

_NOT_KEY = re.compile(r"[^a-z0-9]")
# No vendor export has thousands of columns; a wider table is left to the generic layouts (and a
# hostile one-line file with 500,000 columns costs nothing here).
MAX_COLUMNS = 5000


def key(text: str) -> str:
    """A header reduced to lower-case letters and digits ('Student ID' -> 'studentid')."""
    return _NOT_KEY.sub("", str(text).lower())


class Header:
    """Positions of a table's columns by their reduced names (built once per table: see `of`)."""

    def __init__(self, table: Table):
        self.table = table
        self.pos: dict[str, int] = {}
        for i, h in enumerate(table.header[:MAX_COLUMNS]):
            self.pos.setdefault(key(h), i)

    @classmethod
    def of(cls, table: Table) -> Header:
        """The table's Header, cached on the table (every vendor detector asks for it)."""
        h = table.__dict__.get("_formats_header")
        if h is None or h.table is not table:
            h = cls(table)
            table.__dict__["_formats_header"] = h
        return h

    def find(self, *names: str) -> int | None:
        """The position of the first of `names` present (names in any spelling), else None."""
        for n in names:
            p = self.pos.get(key(n))
            if p is not None:
                return p
        return None

    def has(self, *names: str) -> bool:
        """True when any of `names` is a column."""
        return self.find(*names) is not None

    def count(self, *names: str) -> int:
        """How many of `names` are columns."""
        return sum(1 for n in names if key(n) in self.pos)

    def name(self, *names: str) -> str | None:
        """The header text of the first of `names` present."""
        p = self.find(*names)
        return None if p is None else self.table.header[p]

    def col(self, *names: str) -> pd.Series:
        """The column's text (stripped), or a column of blanks when absent."""
        p = self.find(*names)
        n = len(self.table.rows)
        if p is None:
            return pd.Series([""] * n, dtype=object)
        return self.table.data[p].astype(object).fillna("").map(lambda v: str(v).strip()).reset_index(drop=True)

    def matching(self, pattern: str) -> list[tuple[int, re.Match]]:
        """Columns whose reduced name matches a regular expression, with the match (first spelling of each)."""
        rx = re.compile(pattern)
        out = []
        for k, i in sorted(self.pos.items(), key=lambda kv: kv[1]):
            m = rx.fullmatch(k)
            if m:
                out.append((i, m))
        return out


def blank_to_none(s: pd.Series) -> pd.Series:
    """Text with blanks as None."""
    return s.where(s.astype(str).str.strip() != "", None)


def number(s: pd.Series) -> pd.Series:
    """Numbers from text ('208', '54.0', '85%'); NaN where blank or not a number."""
    return ingest.parse_number(s.astype(str))


# --- subjects, grades, windows ----------------------------------------------------------------

_SUBJECTS = [
    ("Math", r"math|algebra|geometry|calculus|statistic|arithmetic|quantile|number and operation"),
    ("ELA", r"\bela\b|english|language arts|language usage|reading|literacy|literature|writing|phonics|"
            r"comprehension|vocabulary|lexile"),
    ("Science", r"science|physics|biology|chemistry|earth and space"),
    ("Social Studies", r"social studies|history|civics|geography|economics|government"),
]


def canonical_subject(text: str | None) -> str | None:
    """'Mathematics', 'Algebra 2' -> 'Math'; 'Reading', 'Language Arts' -> 'ELA'; else the text itself.

    The demo school and most rosters use Math / ELA, and the roster view matches an assessment to
    sections by subject, so vendor subjects are brought to the same words.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
        return None
    low = str(text).strip().lower()
    for name, rx in _SUBJECTS:
        if re.search(rx, low):
            return name
    return str(text).strip()


def guess_subject(*texts: str | None) -> str | None:
    """The first recognisable subject among free texts (tracker, title...), else None."""
    for t in texts:
        if t and str(t).strip():
            s = canonical_subject(t)
            if s in {name for name, _ in _SUBJECTS}:
                return s
    return None


def grade_of(text: str | None) -> str | None:
    """'3rd Grade', 'Grade 03', '3', 'KG', 'Kindergarten' -> '3' / 'K'; several grades or none -> None."""
    if text is None or not str(text).strip():
        return None
    t = str(text).strip().upper()
    if "," in t or re.fullmatch(r"\d+\s*-\s*\d+", t):
        return None
    if re.fullmatch(r"(GRADE\s*)?(K|KG|KN|KF|KH|00|KINDERGARTEN)", t):
        return "K"
    if re.fullmatch(r"(PK|PREK|PRE-K|TK|PRE-KINDERGARTEN)", t):
        return "PK"
    m = re.fullmatch(r"(?:GRADE|GR\.?|G)?\s*0*(\d{1,2})(?:ST|ND|RD|TH)?(?:\s*GRADE)?", t)
    if m:
        return str(int(m.group(1)))
    return None


def grades(s: pd.Series) -> pd.Series:
    """grade_of for a column (each distinct value once)."""
    uniq = {v: grade_of(v) for v in s.unique()}
    return s.map(uniq)


def window_of(day: dt.date | None) -> str | None:
    """The screening window a test date falls in: Fall (Jul-Nov), Winter (Dec-Feb), Spring (Mar-Jun)."""
    if day is None or pd.isna(day):
        return None
    m = day.month
    return "Fall" if 7 <= m <= 11 else ("Winter" if m in (12, 1, 2) else "Spring")


def school_year_of(day: dt.date | None) -> str | None:
    """'2025-2026' for a date from July 2025 to June 2026."""
    if day is None or pd.isna(day):
        return None
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{start + 1}"


def season_word(text: str | None) -> str | None:
    """'Winter (November 16 - March 1)' -> 'Winter'; 'BOY' -> 'Fall'; unknown -> None."""
    if not text or not str(text).strip():
        return None
    low = str(text).lower()
    for word, out in (("fall", "Fall"), ("autumn", "Fall"), ("boy", "Fall"), ("winter", "Winter"),
                      ("moy", "Winter"), ("spring", "Spring"), ("eoy", "Spring"), ("summer", "Summer")):
        if re.search(rf"\b{word}\b", low):
            return out
    return None


def dates(s: pd.Series) -> pd.Series:
    """Dates from text (ISO with time and zone, US M/D/Y...), None where blank or unparseable."""
    return ingest.parse_dates(s.astype(str))


# --- canonical frames ------------------------------------------------------------------------------

SCORE_COLUMNS = ["_row", "student_id", "vendor", "product", "subject", "grade_level", "window", "tested_on",
                 "standard_code", "standard_label", "scale_score", "percentile", "vendor_level", "projected_level",
                 "proficient_given", "vendor_test_id", "title", "attach_to_test", "scale_name"]


def score_frame(**cols) -> pd.DataFrame:
    """A frame of scale-score results with every canonical column (missing ones None)."""
    n = max((len(v) for v in cols.values() if hasattr(v, "__len__") and not isinstance(v, str)), default=0)
    out = pd.DataFrame(index=range(n))
    for c in SCORE_COLUMNS:
        v = cols.get(c)
        if isinstance(v, pd.Series):
            out[c] = v.to_numpy()
        elif isinstance(v, (list, np.ndarray)):
            out[c] = v
        else:
            out[c] = v
    for c in ("scale_score", "percentile"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in ("standard_code", "vendor_level", "projected_level", "standard_label", "vendor_test_id", "title"):
        out[c] = out[c].astype(object).where(out[c].notna() & (out[c].astype(str).str.strip() != ""), None)
    out["attach_to_test"] = out["attach_to_test"].fillna(False).astype(bool)
    return out


def student_frame(rows: list[int], student_id: pd.Series, **attrs) -> pd.DataFrame:
    """Student attributes (the columns ingest writes into students), blanks as None."""
    out = pd.DataFrame({"_row": rows, "student_id": student_id.to_numpy()})
    for c in ("first_name", "last_name", "grade_level", "school", "gender", "ethnicity", "ell", "iep", "frl"):
        v = attrs.get(c)
        if v is None:
            out[c] = None
        else:
            v = pd.Series(v).reset_index(drop=True)
            out[c] = v.astype(object).where(v.notna() & (v.astype(str).str.strip() != ""), None).to_numpy()
    return out


def enrollment_frame(rows: list[int], student_id: pd.Series, **attrs) -> pd.DataFrame:
    """Teacher / section links for ingest's roster writer (teacher_name, teacher_id, section_id, ...)."""
    out = pd.DataFrame({"_row": rows, "student_id": student_id.to_numpy()})
    for c in ("teacher_name", "teacher_id", "section_id", "subject", "grade_level", "course", "term", "school"):
        v = attrs.get(c)
        if v is None:
            out[c] = None
        else:
            v = pd.Series(v).reset_index(drop=True)
            out[c] = v.astype(object).where(v.notna() & (v.astype(str).str.strip() != ""), None).to_numpy()
    return out


def problem(rows, column: str | None, reasons) -> pd.DataFrame:
    """Row problems in ingest's shape (_row, column, reason)."""
    return ingest._problem(pd.Series(list(rows)), column, reasons)


def blank_ids(rows: list[int], ids: pd.Series, column: str | None) -> pd.DataFrame | None:
    """A problem for every row whose student id is blank."""
    blank = ids.astype(str).str.strip() == ""
    if not blank.any():
        return None
    return problem(np.asarray(rows)[blank.to_numpy()], column, "student id is blank")


def keep_latest(frame: pd.DataFrame, keys: list[str], column: str | None, what: str = "test",
                prefer: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """One test per key (student, product, window): the latest counts (a `prefer` flag column first).

    `frame` holds every result of the tests (overall rows have no standard_code). A superseded test
    whose results are identical to the kept one is the same test exported twice: it counts as a
    duplicate (loaded once). Otherwise it is set aside with a reason naming the row that counts.
    Returns (kept results, problems or None, duplicates).
    """
    tests = frame[frame["standard_code"].isna()]
    if tests.empty:
        return frame, None, 0
    t = tests.copy()
    t["_date"] = t["tested_on"].map(lambda d: d if d is not None and not pd.isna(d) else dt.date.min)
    t["_pref"] = t[prefer].astype(int) if prefer else 0
    t["_k"] = list(zip(*[t[k].astype(object).where(t[k].notna(), "").astype(str) for k in keys]))
    t = t.sort_values(["_pref", "_date", "_row"])
    latest = t.drop_duplicates("_k", keep="last")
    earlier = t.drop(latest.index)
    if earlier.empty:
        return frame, None, 0
    sig = frame.assign(_s=frame["standard_code"].fillna("")).groupby("_row").apply(
        lambda g: tuple(sorted(zip(g["_s"], g["scale_score"].fillna(-1), g["vendor_level"].fillna("")))),
        include_groups=False)
    kept_row = dict(zip(latest["_k"], latest["_row"]))
    same = [sig.get(r) == sig.get(kept_row[k]) for r, k in zip(earlier["_row"], earlier["_k"])]
    dup_rows = set(earlier["_row"][same])
    other = earlier[[not x for x in same]]
    prob = None
    if len(other):
        reasons = [f"earlier {what} of the same student; the one on row {kept_row[k]} counts" for k in other["_k"]]
        prob = problem(other["_row"], column, reasons)
    drop = dup_rows | set(other["_row"])
    return frame[~frame["_row"].isin(drop)], prob, len(dup_rows)


def drop_problem_rows(parsed) -> None:
    """Remove every frame's rows that have a problem (bundles plan their own tables: a row loads whole or not)."""
    if not parsed.problems:
        return
    bad = set().union(*(set(p["_row"]) for p in parsed.problems))
    for name in ("results", "students", "teachers", "sections", "enrollments", "attendance", "items", "standards"):
        frame = getattr(parsed, name)
        if frame is not None and "_row" in frame:
            setattr(parsed, name, frame[~frame["_row"].isin(bad)])
    parsed.extra = {k: f[~f["_row"].isin(bad)] for k, f in parsed.extra.items()}
