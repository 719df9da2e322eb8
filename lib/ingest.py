"""Import: read, recognise the layout, map columns, validate every row, then load one file per transaction.

`prepare` never writes: it returns a Plan saying, per file, which layout was recognised, how many
rows will load and which will be rejected and why (file, row, column). `commit` writes each file in
one transaction: every input row is either loaded or kept in `import_rejects` with its reason and
raw text, so the counts add up. A byte-identical file is recognised and changes nothing; a
corrected version of an assessment replaces those students' responses (undo puts them back).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

from lib import readers, store
from lib.readers import ReadError, Table

MAX_UPLOAD_MB = float(os.environ.get("PLC_LENS_MAX_UPLOAD_MB", "200"))

# Canonical field -> accepted column names (compared after lower-casing and collapsing punctuation).
SYNONYMS: dict[str, list[str]] = {
    "student_id": ["student_id", "studentid", "student_number", "student_no", "student_num", "sis_id", "sisid",
                   "local_id", "localid", "student_local_id", "state_id", "state_student_id", "stateid",
                   "learner_id", "pupil_id", "student_identifier", "id_number", "lasid", "sasid", "id"],
    "student_name": ["student_name", "name", "full_name", "student_full_name", "student"],
    "first_name": ["first_name", "firstname", "first", "given_name", "student_first_name", "givenname"],
    "last_name": ["last_name", "lastname", "last", "surname", "family_name", "student_last_name", "familyname"],
    "grade_level": ["grade_level", "grade", "gradelevel", "grade_lvl", "student_grade", "grade_level_id"],
    "school": ["school", "school_name", "building", "campus"],
    "teacher": ["teacher", "teacher_name", "instructor", "teacher_full_name", "classroom_teacher"],
    "teacher_id": ["teacher_id", "teacherid", "staff_id", "instructor_id", "teacher_number"],
    "teacher_email": ["teacher_email", "email", "email_address", "instructor_email"],
    "section": ["section", "section_id", "sectionid", "class", "class_id", "class_name", "period",
                "course_section", "homeroom"],
    "course": ["course", "course_name", "course_title"],
    "term": ["term", "term_name", "school_year", "session"],
    "subject": ["subject", "content_area", "discipline", "subject_area"],
    "assessment": ["assessment", "assessment_name", "assessment_title", "test", "test_name", "title", "quiz",
                   "quiz_name", "exam", "assessment_id", "cfa"],
    "date": ["date", "test_date", "assessment_date", "administered_on", "date_taken", "administration_date",
             "completed_date", "date_completed", "taken_on", "date_administered"],
    "item": ["item", "item_number", "item_no", "question", "question_number", "question_no", "item_id",
             "question_id", "q"],
    "standard": ["standard", "standard_code", "standards", "skill", "learning_target", "target", "objective",
                 "ccss", "standard_id", "essential_standard"],
    "points_earned": ["points_earned", "score", "points", "earned", "raw_score", "points_scored", "score_earned",
                      "earned_points", "points_awarded"],
    "points_possible": ["points_possible", "possible", "max_points", "max_score", "out_of", "total_points",
                        "possible_points", "points_available", "max"],
    "assessment_kind": ["assessment_kind", "kind", "assessment_type", "type", "test_type"],
    "proficiency_cut": ["proficiency_cut", "cut", "cut_score", "mastery_threshold", "proficiency_threshold",
                        "mastery_cut"],
    "response": ["response", "answer", "student_response", "selected_answer", "student_answer"],
    "correct_response": ["correct_response", "key", "answer_key", "correct_answer", "correct"],
    "percent": ["percent", "percentage", "percent_correct", "pct", "score_percent", "percent_score",
                "pct_correct"],
    "description": ["description", "standard_description", "statement"],
    "ell": ["ell", "el", "ell_status", "english_learner", "lep", "esl", "emergent_bilingual"],
    "iep": ["iep", "sped", "swd", "special_education", "disability", "students_with_disabilities", "iep_status"],
    "frl": ["frl", "ed", "econ_disadv", "economically_disadvantaged", "free_reduced_lunch", "frl_status",
            "low_income"],
    "gender": ["gender", "sex"],
    "ethnicity": ["ethnicity", "race", "race_ethnicity", "ethnic_group"],
    "days_enrolled": ["days_enrolled", "enrolled_days", "days_membership", "membership_days",
                      "days_in_membership", "possible_days", "days_possible", "membership"],
    "days_absent": ["days_absent", "absences", "absent_days", "days_missed", "total_absences", "absent"],
    "days_present": ["days_present", "present_days", "days_attended", "attended_days"],
    "period_start": ["period_start", "start_date", "from", "from_date", "period_begin"],
    "period_end": ["period_end", "end_date", "to", "to_date", "through"],
    "timestamp": ["timestamp", "time_stamp", "submitted_at"],
}
FIELD_LABELS = {
    "student_id": "Student ID", "assessment": "Assessment", "points_earned": "Points earned",
    "points_possible": "Points possible", "student_name": "Student name", "first_name": "First name",
    "last_name": "Last name", "grade_level": "Grade", "teacher": "Teacher", "section": "Section",
    "subject": "Subject", "date": "Date", "item": "Item", "standard": "Standard",
    "assessment_kind": "Assessment kind", "proficiency_cut": "Proficiency cut", "response": "Response",
    "percent": "Percent", "days_enrolled": "Days enrolled", "days_absent": "Days absent",
}
KINDS = {
    "formative": "formative", "cfa": "formative", "common_formative": "formative", "quiz": "formative",
    "check": "formative", "exit_ticket": "formative", "common_formative_assessment": "formative",
    "benchmark": "benchmark", "interim": "benchmark", "diagnostic": "benchmark",
    "summative": "summative", "unit": "summative", "unit_test": "summative", "final": "summative",
    "end_of_unit": "summative", "eoy": "summative", "end_of_year": "summative",
    "state": "state", "state_test": "state",
}
TRUE_WORDS = {"y", "yes", "true", "t", "1", "x", "e", "active", "eligible"}
FALSE_WORDS = {"n", "no", "false", "f", "0", "", "inactive", "not eligible", "none"}


def norm(text: str) -> str:
    """Header text compared case-insensitively with punctuation and spaces collapsed to '_'."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")


_SYNONYM_INDEX = {name: f for f, names in SYNONYMS.items() for name in names}


def header_signature(header: list[str]) -> str:
    """A stable key for a header, so a mapping saved once applies to every file with the same columns."""
    return hashlib.sha1("|".join(norm(h) for h in header).encode()).hexdigest()


def match_columns(header: list[str], mapping: dict[str, str] | None = None) -> tuple[dict[str, int], list[str]]:
    """Canonical field -> column position, using a saved/user mapping first, then synonyms; plus unmatched headers."""
    fields: dict[str, int] = {}
    mapping = mapping or {}
    used: set[int] = set()
    for pos, h in enumerate(header):
        target = mapping.get(h)
        if target and target != "(ignore)" and target not in fields:
            fields[target] = pos
            used.add(pos)
        elif target == "(ignore)":
            used.add(pos)
    for pos, h in enumerate(header):
        if pos in used:
            continue
        f = _SYNONYM_INDEX.get(norm(h))
        if f and f not in fields:
            fields[f] = pos
            used.add(pos)
    unmatched = [h for pos, h in enumerate(header) if pos not in used]
    return fields, unmatched


# --- parsed content ------------------------------------------------------------------------------

@dataclass
class Parsed:
    """What a layout found in a table: canonical frames (each with `_row`) and row-level problems."""

    results: pd.DataFrame | None = None
    students: pd.DataFrame | None = None
    teachers: pd.DataFrame | None = None
    sections: pd.DataFrame | None = None
    enrollments: pd.DataFrame | None = None
    attendance: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    standards: pd.DataFrame | None = None
    problems: list[pd.DataFrame] = field(default_factory=list)  # columns _row, column, reason
    notes: list[str] = field(default_factory=list)
    # Frames for tables a vendor module owns (e.g. "scores" for scale-score results, lib/formats),
    # each with `_row`; filtered like the frames above and written by the EXTRA_WRITERS.
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    duplicates: int = 0  # exact duplicate rows a vendor parser merged (they load once)


class FileError(Exception):
    """A whole file refused (missing column, header only...): the message names file and column."""

    def __init__(self, message: str, column: str | None = None, unreadable: bool = False):
        super().__init__(message)
        self.column = column
        self.unreadable = unreadable


def _col(table: Table, fields: dict[str, int], name: str) -> pd.Series | None:
    pos = fields.get(name)
    if pos is None:
        return None
    return table.data[pos].astype("str").fillna("").str.strip()


def _problem(rows: pd.Series, column: str | None, reasons) -> pd.DataFrame:
    return pd.DataFrame({"_row": rows.to_numpy(), "column": column,
                         "reason": reasons if isinstance(reasons, str) else np.asarray(reasons, dtype=object)})


def _header_name(table: Table, fields: dict[str, int], f: str) -> str:
    pos = fields.get(f)
    return table.header[pos] if pos is not None else FIELD_LABELS.get(f, f)


def _require(table: Table, fields: dict[str, int], needed: list[str | tuple[str, ...]]) -> None:
    for need in needed:
        options = need if isinstance(need, tuple) else (need,)
        if not any(o in fields for o in options):
            f = options[0]
            accepted = ", ".join(SYNONYMS.get(f, [f])[:6])
            alt = "" if len(options) == 1 else " (or " + " / ".join(f"'{o}'" for o in options[1:]) + ")"
            raise FileError(f"{table.name}: missing required column '{f}'{alt} "
                            f"(accepted names include: {accepted})", column=f)


# --- value parsing -------------------------------------------------------------------------------

def parse_number(s: pd.Series) -> pd.Series:
    """Numbers from text ('3', '2.5', '85%', '1,234'); NaN where not a number."""
    try:
        # Clean numeric text converts in one vectorised cast; anything else goes the careful way.
        return s.astype("float64")
    except (ValueError, TypeError):
        pass
    cleaned = s.str.replace("%", "", regex=False).str.replace(",", "", regex=False).str.strip()
    return pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")


_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%d.%m.%Y", "%Y%m%d",
                 "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y"]


def parse_date_value(text: str) -> dt.date | None:
    """One date from the forms schools' exports use (ISO, US M/D/Y, with or without a time)."""
    t = text.strip()
    if not t:
        return None
    t = re.sub(r"\s*(GMT|UTC)[+-]?\d*(:\d\d)?$", "", t)
    t = re.sub(r"T?\s*\d{1,2}:\d\d(:\d\d(\.\d+)?)?\s*([AaPp][Mm])?\s*(Z|[+-]\d\d:?\d\d)?$", "", t).strip()
    for fmt in _DATE_FORMATS:
        try:
            d = dt.datetime.strptime(t, fmt).date()
        except ValueError:
            continue
        if 1900 <= d.year <= 2100:
            return d
    return None


def parse_dates(s: pd.Series) -> pd.Series:
    """Dates for a column of text (parsed once per distinct value); None where blank or unparseable."""
    uniq = {v: parse_date_value(v) for v in s.unique()}
    return s.map(uniq)


def parse_bool(s: pd.Series) -> pd.Series:
    """Yes/No style flags as booleans (None when blank or unrecognised)."""
    low = s.str.strip().str.lower()
    return low.map(lambda v: True if v in TRUE_WORDS else (False if v in FALSE_WORDS and v != "" else None))


def normalise_grade(s: pd.Series) -> pd.Series:
    """'KG', 'Kindergarten', '03', 'Grade 3' -> 'K', '3'."""
    def one(v: str) -> str | None:
        t = v.strip().upper()
        if not t:
            return None
        t = re.sub(r"^(GRADE|GR\.?|G)\s*", "", t)
        if t in ("K", "KG", "KINDERGARTEN", "KF", "KH", "00"):
            return "K"
        if t in ("PK", "PREK", "PRE-K", "PREKINDERGARTEN", "TK"):
            return "PK"
        t = re.sub(r"(ST|ND|RD|TH)$", "", t)
        if t.isascii() and t.isdigit():
            return str(int(t))
        return v.strip()
    uniq = {v: one(v) for v in s.unique()}
    return s.map(uniq)


def slug(text: str) -> str:
    """An id made from a name ('Ms. Alvarez' -> 'ms-alvarez')."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-") or "unnamed"


def assessment_key(title: str, subject: str | None, grade: str | None) -> str:
    """The id of an assessment: its title (case-insensitive) with subject and grade when given."""
    basis = "|".join([norm(title), norm(subject or ""), (grade or "").upper()])
    return "a_" + hashlib.sha1(basis.encode()).hexdigest()[:12]


def _split_names(full: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'Last, First' or 'First Last' -> (first, last)."""
    def one(v: str) -> tuple[str | None, str | None]:
        v = v.strip()
        if not v:
            return None, None
        if "," in v:
            last, first = v.split(",", 1)
            return first.strip() or None, last.strip() or None
        parts = v.split()
        if len(parts) == 1:
            return parts[0], None
        return " ".join(parts[:-1]), parts[-1]
    uniq = {v: one(v) for v in full.unique()}
    return full.map(lambda v: uniq[v][0]), full.map(lambda v: uniq[v][1])


# --- layouts -------------------------------------------------------------------------------------

@dataclass
class Layout:
    """A recognisable file layout: a detector (score 0 = not this) and a parser to canonical frames."""

    name: str
    label: str
    detect: Callable[[Table, dict[str, int]], int]
    parse: Callable[[Table, dict[str, int], "Context"], Parsed]
    role: str = "data"  # "data", or "key" for item keys that pair with a wide results table
    kind: str | None = None  # the imports.kind it records (roster, standards...); None: by name, else results


@dataclass
class Context:
    """What a parser may need beyond its own table: paired item keys and the upload's file name."""

    keys: list[tuple[Table, dict[str, int]]] = field(default_factory=list)
    stem: str = ""


LAYOUTS: list[Layout] = []


def register(layout: Layout, first: bool = False) -> None:
    """Add a layout (vendor modules register theirs ahead of the generic ones with first=True)."""
    if first:
        LAYOUTS.insert(0, layout)
    else:
        LAYOUTS.append(layout)


@dataclass
class Bundle:
    """Tables that only make sense together (a OneRoster zip or folder, a MAP data-file zip).

    `claim` picks, from every table of one prepare call, those the bundle understands; `parse` turns
    them into one Parsed whose problem frames carry a `_table` column (the Table.name of the row).
    """

    name: str
    label: str
    claim: Callable[[list[Table]], list[Table]]
    parse: Callable[[list[tuple[Table, dict[str, int]]], Context], Parsed]
    kind: str = "results"


BUNDLES: list[Bundle] = []
# Writers for Parsed.extra frames: fn(con, parsed, import_id), run last inside the file's transaction.
EXTRA_WRITERS: list[Callable] = []


def _student_frame(table: Table, fields: dict[str, int], keep_rows: bool = True) -> pd.DataFrame:
    """Student attributes present in a table (id, names, grade, school, flags)."""
    out = pd.DataFrame({"_row": table.rows})
    out["student_id"] = _col(table, fields, "student_id")
    first = _col(table, fields, "first_name")
    last = _col(table, fields, "last_name")
    full = _col(table, fields, "student_name")
    if full is not None and (first is None or last is None):
        f2, l2 = _split_names(full)
        first = f2 if first is None else first
        last = l2 if last is None else last
    out["first_name"] = first if first is not None else None
    out["last_name"] = last if last is not None else None
    grade = _col(table, fields, "grade_level")
    out["grade_level"] = normalise_grade(grade) if grade is not None else None
    school = _col(table, fields, "school")
    out["school"] = school if school is not None else None
    for flag in ("ell", "iep", "frl"):
        s = _col(table, fields, flag)
        out[flag] = parse_bool(s) if s is not None else None
    for attr in ("gender", "ethnicity"):
        s = _col(table, fields, attr)
        out[attr] = s if s is not None else None
    for c in ("first_name", "last_name", "school", "gender", "ethnicity"):
        out[c] = out[c].replace("", None)
    return out


def _blank_id_problems(frame: pd.DataFrame, table: Table, fields: dict[str, int], f: str = "student_id",
                       message: str = "student id is blank", frame_col: str | None = None) -> list[pd.DataFrame]:
    values = frame[frame_col or f]
    blank = values.isna() | (values.astype(str).str.strip() == "")
    if blank.any():
        return [_problem(frame.loc[blank, "_row"], _header_name(table, fields, f), message)]
    return []


def _detect_long(table: Table, fields: dict[str, int]) -> int:
    scoring = {"points_earned", "percent"} & fields.keys()
    if "student_id" in fields and scoring and "timestamp" not in fields:
        return 50 + 5 * len({"assessment", "points_possible", "item", "standard"} & fields.keys())
    return 0


def _parse_long(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    if "percent" in fields and "points_earned" not in fields:
        _require(table, fields, ["student_id", "assessment"])
    else:
        _require(table, fields, ["student_id", "assessment", "points_earned", "points_possible"])
    res = _student_frame(table, fields)
    for f in ("teacher", "section", "subject", "assessment", "item", "standard", "response",
              "correct_response"):
        s = _col(table, fields, f)
        res[f] = s.replace("", None) if s is not None else None
    res["date_text"] = _col(table, fields, "date") if "date" in fields else ""
    res["kind_text"] = _col(table, fields, "assessment_kind") if "assessment_kind" in fields else ""
    res["cut_text"] = _col(table, fields, "proficiency_cut") if "proficiency_cut" in fields else ""
    if "points_earned" in fields:
        res["earned_text"] = _col(table, fields, "points_earned")
        res["possible_text"] = _col(table, fields, "points_possible")
        res["earned_col"] = _header_name(table, fields, "points_earned")
        res["possible_col"] = _header_name(table, fields, "points_possible")
    else:
        res["earned_text"] = _col(table, fields, "percent").str.replace("%", "", regex=False)
        res["possible_text"] = "100"
        res["earned_col"] = _header_name(table, fields, "percent")
        res["possible_col"] = _header_name(table, fields, "percent")
    res["id_col"] = _header_name(table, fields, "student_id")
    res["date_col"] = _header_name(table, fields, "date")
    res["assessment_col"] = _header_name(table, fields, "assessment")
    res["kind_col"] = _header_name(table, fields, "assessment_kind")
    res["cut_col"] = _header_name(table, fields, "proficiency_cut")
    # Results given per standard (no item column) become one synthetic item per standard.
    if "item" not in fields:
        res["item"] = res["standard"].where(res["standard"].notna(), "Total")
    return Parsed(results=res)


def _detect_wide(table: Table, fields: dict[str, int]) -> int:
    if "student_id" in fields and not ({"points_earned", "percent", "days_absent", "days_enrolled",
                                        "timestamp"} & fields.keys()):
        return 10  # only chosen when an item key matching its columns is found (checked in prepare)
    return 0


def _key_items(key_table: Table, key_fields: dict[str, int]) -> pd.DataFrame:
    items = pd.DataFrame({"_row": key_table.rows})
    items["item"] = _col(key_table, key_fields, "item").to_numpy()
    for f in ("standard", "correct_response", "assessment", "subject", "description"):
        s = _col(key_table, key_fields, f)
        items[f] = s.replace("", None).to_numpy() if s is not None else None
    pp = _col(key_table, key_fields, "points_possible")
    items["points_possible"] = parse_number(pp).to_numpy() if pp is not None else 1.0
    return items


def _wide_item_columns(table: Table, fields: dict[str, int], key: pd.DataFrame) -> dict[int, str]:
    """Column position -> item name for the wide table's columns that the key names."""
    names = {norm(i): i for i in key["item"].dropna()}
    used = set(fields.values())
    out = {}
    for pos, h in enumerate(table.header):
        if pos in used and norm(h) not in names:
            continue
        if norm(h) in names:
            out[pos] = names[norm(h)]
    return out


def _parse_wide(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    _require(table, fields, ["student_id"])
    key_table, key_fields = ctx.keys[0]
    key = _key_items(key_table, key_fields)
    item_cols = _wide_item_columns(table, fields, key)
    if not item_cols:
        raise FileError(f"{table.name}: none of the columns match the items of the key {key_table.name}")
    base = _student_frame(table, fields)
    for f in ("teacher", "section", "subject", "assessment"):
        s = _col(table, fields, f)
        base[f] = s.replace("", None).to_numpy() if s is not None else None
    title = None
    if "assessment" not in fields:
        key_titles = key["assessment"].dropna().unique() if "assessment" in key else []
        title = key_titles[0] if len(key_titles) else ctx.stem
        base["assessment"] = title
    if base["subject"].isna().all() and key["subject"].notna().any():
        base["subject"] = key["subject"].dropna().iloc[0]
    base["date_text"] = _col(table, fields, "date").to_numpy() if "date" in fields else ""
    base["kind_text"] = _col(table, fields, "assessment_kind").to_numpy() if "assessment_kind" in fields else ""
    base["cut_text"] = _col(table, fields, "proficiency_cut").to_numpy() if "proficiency_cut" in fields else ""
    keyed = key.set_index("item")
    parts = []
    for pos, item in item_cols.items():
        cell = table.data[pos].astype("str").fillna("").str.strip()
        k = keyed.loc[item]
        k = k.iloc[0] if isinstance(k, pd.DataFrame) else k
        part = base.copy()
        part["item"] = item
        part["standard"] = k["standard"]
        part["possible_text"] = str(k["points_possible"])
        numeric = parse_number(cell)
        correct = k["correct_response"]
        if correct is not None and not pd.isna(correct):
            is_answer = numeric.isna() & (cell != "")
            earned = numeric.copy()
            earned[is_answer] = np.where(cell[is_answer].str.upper() == str(correct).upper(),
                                         k["points_possible"], 0.0)
            part["response"] = cell.where(is_answer, None).to_numpy()
            part["correct_response"] = correct
        else:
            earned = numeric
            part["response"] = None
            part["correct_response"] = None
        # A blank cell is an unanswered item (0 points); text that is not a number stays as an error.
        text = cell.where(cell != "", "0")
        part["earned_text"] = np.where(earned.notna(), earned.astype(str), text)
        part["earned_col"] = table.header[pos]
        part["possible_col"] = f"points_possible ({key_table.name})"
        parts.append(part)
    res = pd.concat(parts, ignore_index=True)
    res["id_col"] = _header_name(table, fields, "student_id")
    res["date_col"] = _header_name(table, fields, "date")
    res["assessment_col"] = _header_name(table, fields, "assessment")
    res["kind_col"] = _header_name(table, fields, "assessment_kind")
    res["cut_col"] = _header_name(table, fields, "proficiency_cut")
    notes = [f"Wide layout: {len(item_cols)} item columns matched the key {key_table.name}"
             + (f"; assessment title taken from the {'key' if title != ctx.stem else 'file name'}: '{title}'"
                if title else "") + ". Blank item cells count as 0 points."]
    return Parsed(results=res, notes=notes)


def _detect_key(table: Table, fields: dict[str, int]) -> int:
    if "item" in fields and ({"standard", "points_possible", "correct_response"} & fields.keys()) \
            and "student_id" not in fields:
        return 40
    return 0


def _parse_key(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    _require(table, fields, ["item", "assessment"])
    items = _key_items(table, fields)
    problems = []
    for col in ("assessment", "item"):
        # A key row names the assessment and item it describes; a blank one cannot be stored.
        blank = items[col].isna() | (items[col].astype(str).str.strip() == "")
        if blank.any():
            problems.append(_problem(items.loc[blank, "_row"], _header_name(table, fields, col), f"{col} is blank"))
    bad = items["points_possible"].isna() | (items["points_possible"] <= 0)
    if bad.any():
        problems.append(_problem(items.loc[bad, "_row"], _header_name(table, fields, "points_possible"),
                                 "points possible is not a positive number"))
    return Parsed(items=items, problems=problems)


def _detect_forms(table: Table, fields: dict[str, int]) -> int:
    names = {norm(h) for h in table.header}
    if "timestamp" in names and "score" in names:
        return 80
    return 0


_SCORE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def _parse_forms(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    header_norm = [norm(h) for h in table.header]
    ts_pos = header_norm.index("timestamp")
    score_pos = header_norm.index("score")
    id_pos = fields.get("student_id")
    if id_pos is None:
        for pos, h in enumerate(header_norm):
            if h in ("email_address", "email", "username"):
                id_pos = pos
                break
    if id_pos is None:
        raise FileError(f"{table.name}: missing required column 'Email Address' (or a Student ID question)",
                        column="Email Address")
    fields = dict(fields)
    fields["student_id"] = id_pos
    fields.pop("points_earned", None)
    base = _student_frame(table, fields)
    base["student_id"] = base["student_id"].str.lower()
    ts_text = table.data[ts_pos].astype(str)
    base["_ts"] = ts_text.to_numpy()
    base["date_text"] = ts_text.to_numpy()
    base["date_col"] = table.header[ts_pos]
    title = re.sub(r"\s*\(Responses\)\s*$", "", ctx.stem, flags=re.I) or ctx.stem
    base["assessment"] = title
    for f in ("teacher", "section", "subject"):
        s = _col(table, fields, f)
        base[f] = s.replace("", None).to_numpy() if s is not None else None
    base["kind_text"] = ""
    base["cut_text"] = ""
    base["id_col"] = table.header[id_pos]
    base["assessment_col"] = "file name"
    base["kind_col"] = base["cut_col"] = None
    problems = []
    # Resubmissions: the latest submission per student counts; earlier ones are set aside, with reason.
    order = pd.Series([parse_date_value(t) or dt.date.min for t in ts_text]).to_numpy()
    base["_order"] = list(zip(order, table.rows))
    latest = base.sort_values("_order").drop_duplicates("student_id", keep="last")
    earlier = base.drop(latest.index)
    earlier = earlier[earlier["student_id"] != ""]
    if len(earlier):
        later_row = dict(zip(latest["student_id"], latest["_row"]))
        problems.append(_problem(earlier["_row"], table.header[ts_pos],
                                 [f"earlier submission; the later one on row {later_row[s]} counts"
                                  for s in earlier["student_id"]]))
    base = base.drop(earlier.index)
    key_cols: dict[int, str] = {}
    if ctx.keys:
        key_table, key_fields = ctx.keys[0]
        key = _key_items(key_table, key_fields)
        key_cols = _wide_item_columns(table, {"student_id": id_pos}, key)
    if key_cols:
        keyed = _key_items(ctx.keys[0][0], ctx.keys[0][1]).set_index("item")
        parts = []
        for pos, item in key_cols.items():
            k = keyed.loc[item]
            k = k.iloc[0] if isinstance(k, pd.DataFrame) else k
            cell = table.data[pos].astype(str).str.strip().loc[base.index]
            part = base.copy()
            part["item"] = item
            part["standard"] = k["standard"]
            part["possible_text"] = str(k["points_possible"])
            correct = str(k["correct_response"] or "")
            part["earned_text"] = np.where(cell.str.casefold() == correct.casefold(),
                                           str(k["points_possible"]), "0")
            part["response"] = cell.to_numpy()
            part["correct_response"] = correct or None
            part["earned_col"] = table.header[pos]
            part["possible_col"] = f"points_possible ({ctx.keys[0][0].name})"
            parts.append(part)
        res = pd.concat(parts, ignore_index=True)
        note = f"Google Forms quiz: {len(key_cols)} questions scored with the answer key {ctx.keys[0][0].name}."
    else:
        score = table.data[score_pos].astype(str).loc[base.index]
        m = score.str.extract(_SCORE)
        res = base.copy()
        res["item"] = "Total"
        res["standard"] = None
        res["response"] = None
        res["correct_response"] = None
        res["earned_text"] = m[0].where(m[0].notna(), score).to_numpy()
        res["possible_text"] = m[1].fillna("").to_numpy()
        res["earned_col"] = res["possible_col"] = table.header[score_pos]
        bad = m[0].isna()
        if bad.any():
            problems.append(_problem(res.loc[bad, "_row"], table.header[score_pos],
                                     [f"score '{s}' is not like '7 / 10'" for s in score[bad]]))
            res = res[~bad]
        note = "Google Forms quiz: the total score is loaded as one item (add an answer key to score each question)."
    res = res.drop(columns=["_ts", "_order"])
    return Parsed(results=res, problems=problems, notes=[note])


def _detect_attendance(table: Table, fields: dict[str, int]) -> int:
    if "student_id" in fields and ({"days_absent", "days_present"} & fields.keys()) \
            and not ({"points_earned", "percent"} & fields.keys()):
        return 60
    return 0


def _parse_attendance(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    _require(table, fields, ["student_id", ("days_enrolled", "days_present")])
    att = pd.DataFrame({"_row": table.rows})
    att["student_id"] = _col(table, fields, "student_id").to_numpy()
    problems = _blank_id_problems(att, table, fields)
    enrolled = parse_number(_col(table, fields, "days_enrolled")) if "days_enrolled" in fields else None
    absent = parse_number(_col(table, fields, "days_absent")) if "days_absent" in fields else None
    present = parse_number(_col(table, fields, "days_present")) if "days_present" in fields else None
    if enrolled is None:
        enrolled = present + (absent if absent is not None else 0)
    if absent is None:
        absent = enrolled - present
    att["days_enrolled"] = enrolled.to_numpy()
    att["days_absent"] = absent.to_numpy()
    for f, label in (("days_enrolled", "days enrolled"), ("days_absent", "days absent")):
        col = _header_name(table, fields, f if f in fields else "days_present")
        raw = _col(table, fields, f if f in fields else "days_present")
        bad = att[f].isna()
        if bad.any():
            problems.append(_problem(att.loc[bad, "_row"], col,
                                     [f"{label} '{v}' is not a number" for v in raw[bad.to_numpy()]]))
        neg = att[f] < 0
        if neg.any():
            problems.append(_problem(att.loc[neg, "_row"], col, f"{label} is negative"))
    over = att["days_absent"] > att["days_enrolled"]
    if over.any():
        problems.append(_problem(att.loc[over, "_row"], _header_name(table, fields, "days_absent"),
                                 "days absent is more than days enrolled"))
    for f in ("period_start", "period_end"):
        s = _col(table, fields, f)
        if s is None:
            att[f] = None
            continue
        d = parse_dates(s)
        att[f] = d.to_numpy()
        bad = d.isna() & (s != "")
        if bad.any():
            problems.append(_problem(att.loc[bad.to_numpy(), "_row"], _header_name(table, fields, f),
                                     [f"date '{v}' is not a date (use YYYY-MM-DD or M/D/YYYY)" for v in s[bad]]))
    students = _student_frame(table, fields)
    return Parsed(attendance=att, students=students, problems=problems)


def _detect_roster_students(table: Table, fields: dict[str, int]) -> int:
    if "student_id" in fields and not ({"points_earned", "percent", "days_absent", "days_present", "item",
                                        "timestamp"} & fields.keys()):
        has_people = {"first_name", "last_name", "student_name", "grade_level"} & fields.keys()
        return 30 if has_people else 0
    return 0


def _parse_roster_students(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    students = _student_frame(table, fields)
    problems = _blank_id_problems(students, table, fields)
    parsed = Parsed(students=students, problems=problems)
    if "section" in fields or "teacher" in fields or "teacher_id" in fields:
        _add_sections(parsed, table, fields, students)
    return parsed


def _add_sections(parsed: Parsed, table: Table, fields: dict[str, int], students: pd.DataFrame) -> None:
    teacher_name = _col(table, fields, "teacher")
    teacher_id = _col(table, fields, "teacher_id")
    section = _col(table, fields, "section")
    subject = _col(table, fields, "subject")
    frame = pd.DataFrame({"_row": table.rows, "student_id": students["student_id"].to_numpy()})
    frame["teacher_name"] = teacher_name.replace("", None).to_numpy() if teacher_name is not None else None
    frame["teacher_id"] = teacher_id.replace("", None).to_numpy() if teacher_id is not None else None
    frame["section_id"] = section.replace("", None).to_numpy() if section is not None else None
    frame["subject"] = subject.replace("", None).to_numpy() if subject is not None else None
    frame["grade_level"] = students["grade_level"].to_numpy()
    course = _col(table, fields, "course")
    frame["course"] = course.replace("", None).to_numpy() if course is not None else None
    term = _col(table, fields, "term")
    frame["term"] = term.replace("", None).to_numpy() if term is not None else None
    parsed.enrollments = frame


def _detect_teachers(table: Table, fields: dict[str, int]) -> int:
    if "teacher_id" in fields and "student_id" not in fields and "section" not in fields:
        return 30
    return 0


def _parse_teachers(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    t = pd.DataFrame({"_row": table.rows})
    t["teacher_id"] = _col(table, fields, "teacher_id").to_numpy()
    name = _col(table, fields, "teacher")
    if name is None and ("first_name" in fields or "last_name" in fields):
        first = _col(table, fields, "first_name")
        last = _col(table, fields, "last_name")
        name = ((first if first is not None else "") + " " + (last if last is not None else "")).str.strip()
    if name is None:
        name = _col(table, fields, "student_name")
    t["name"] = name.replace("", None).to_numpy() if name is not None else None
    email = _col(table, fields, "teacher_email")
    t["email"] = email.replace("", None).to_numpy() if email is not None else None
    problems = _blank_id_problems(t, table, fields, "teacher_id", "teacher id is blank")
    return Parsed(teachers=t, problems=problems)


def _detect_sections(table: Table, fields: dict[str, int]) -> int:
    if "section" in fields and "student_id" not in fields and ({"teacher_id", "teacher", "course"} & fields.keys()):
        return 35
    return 0


def _parse_sections(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    s = pd.DataFrame({"_row": table.rows})
    s["section_id"] = _col(table, fields, "section").to_numpy()
    for f, src in (("teacher_id", "teacher_id"), ("teacher_name", "teacher"), ("course", "course"),
                   ("subject", "subject"), ("term", "term"), ("school", "school")):
        col = _col(table, fields, src)
        s[f] = col.replace("", None).to_numpy() if col is not None else None
    grade = _col(table, fields, "grade_level")
    s["grade_level"] = normalise_grade(grade).to_numpy() if grade is not None else None
    problems = _blank_id_problems(s, table, fields, "section", "section id is blank", "section_id")
    return Parsed(sections=s, problems=problems)


def _detect_enrollments(table: Table, fields: dict[str, int]) -> int:
    if "student_id" in fields and "section" in fields and not ({"points_earned", "percent", "first_name",
                                                               "last_name", "student_name"} & fields.keys()):
        return 32
    return 0


def _parse_enrollments(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    students = _student_frame(table, fields)
    parsed = Parsed(students=students, problems=_blank_id_problems(students, table, fields))
    _add_sections(parsed, table, fields, students)
    return parsed


def _detect_standards(table: Table, fields: dict[str, int]) -> int:
    if "standard" in fields and "description" in fields and "student_id" not in fields and "item" not in fields:
        return 30
    return 0


def _parse_standards(table: Table, fields: dict[str, int], ctx: Context) -> Parsed:
    s = pd.DataFrame({"_row": table.rows})
    s["code"] = _col(table, fields, "standard").to_numpy()
    s["description"] = _col(table, fields, "description").replace("", None).to_numpy()
    subj = _col(table, fields, "subject")
    s["subject"] = subj.replace("", None).to_numpy() if subj is not None else None
    grade = _col(table, fields, "grade_level")
    s["grade_level"] = normalise_grade(grade).to_numpy() if grade is not None else None
    problems = _blank_id_problems(s, table, fields, "standard", "standard code is blank", "code")
    return Parsed(standards=s, problems=problems)


for _layout in [
    Layout("google_forms", "Google Forms quiz export", _detect_forms, _parse_forms),
    Layout("attendance", "Attendance (days enrolled / absent per student)", _detect_attendance, _parse_attendance),
    Layout("long", "Long results (one row per student per item or standard)", _detect_long, _parse_long),
    Layout("item_key", "Item key (item -> standard, points)", _detect_key, _parse_key, role="key"),
    Layout("sections", "Roster: sections", _detect_sections, _parse_sections),
    Layout("enrollments", "Roster: enrollments", _detect_enrollments, _parse_enrollments),
    Layout("students", "Roster: students", _detect_roster_students, _parse_roster_students),
    Layout("teachers", "Roster: teachers", _detect_teachers, _parse_teachers),
    Layout("standards", "Standards list (code, description)", _detect_standards, _parse_standards),
    Layout("wide", "Wide results (a column per item) with an item key", _detect_wide, _parse_wide),
]:
    register(_layout)


# --- validation of results -----------------------------------------------------------------------

def validate_results(res: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame], int]:
    """Check canonical result rows; return (clean rows, problems, exact duplicates merged)."""
    problems: list[pd.DataFrame] = []
    res = res.reset_index(drop=True)
    sid = res["student_id"].astype(object).fillna("").astype(str).str.strip()
    res["student_id"] = sid
    blank = sid == ""
    if blank.any():
        problems.append(_problem(res.loc[blank, "_row"], res["id_col"].iat[0], "student id is blank"))
    title = res["assessment"].astype(object).fillna("").astype(str).str.strip()
    res["assessment"] = title
    blank_a = title == ""
    if blank_a.any():
        problems.append(_problem(res.loc[blank_a, "_row"], res["assessment_col"].iat[0], "assessment is blank"))
    earned = parse_number(res["earned_text"].astype(str))
    possible = parse_number(res["possible_text"].astype(str))
    et = res["earned_text"].astype(str)
    bad_e = earned.isna()
    if bad_e.any():
        problems.append(_problem(res.loc[bad_e, "_row"], res.loc[bad_e, "earned_col"].to_numpy(),
                                 [f"points earned '{v}' is not a number" if v.strip() else "points earned is blank"
                                  for v in et[bad_e]]))
    neg = earned < 0
    if neg.any():
        problems.append(_problem(res.loc[neg, "_row"], res.loc[neg, "earned_col"].to_numpy(),
                                 [f"points earned {_fmt(v)} is negative" for v in earned[neg]]))
    bad_p = possible.isna() | (possible <= 0)
    if bad_p.any():
        pt = res["possible_text"].astype(str)
        problems.append(_problem(res.loc[bad_p, "_row"], res.loc[bad_p, "possible_col"].to_numpy(),
                                 [f"points possible '{v}' is not a positive number" if v.strip()
                                  else "points possible is blank" for v in pt[bad_p]]))
    over = (earned > possible) & ~bad_p
    if over.any():
        problems.append(_problem(res.loc[over, "_row"], res.loc[over, "earned_col"].to_numpy(),
                                 [f"points earned {_fmt(e)} is more than points possible {_fmt(p)}"
                                  for e, p in zip(earned[over], possible[over])]))
    res["points_earned"] = earned
    res["points_possible"] = possible
    # Dates
    dates = parse_dates(res["date_text"].astype(str))
    bad_d = dates.isna() & (res["date_text"].astype(str).str.strip() != "")
    if bad_d.any():
        problems.append(_problem(res.loc[bad_d, "_row"], res["date_col"].iat[0],
                                 [f"date '{v}' is not a date (use YYYY-MM-DD or M/D/YYYY)"
                                  for v in res.loc[bad_d, "date_text"]]))
    res["date"] = dates
    kt = res["kind_text"].astype(str).str.strip()
    kind_map = {v: (KINDS.get(norm(v)) if v else None) for v in kt.unique()}
    res["kind"] = kt.map(kind_map)
    bad_k = res["kind"].isna() & (kt != "")
    if bad_k.any():
        problems.append(_problem(res.loc[bad_k, "_row"], res["kind_col"].iat[0],
                                 [f"assessment kind '{v}' is not one of formative, benchmark, summative, state"
                                  for v in kt[bad_k]]))
    ct = res["cut_text"].astype(str).str.strip()
    cut = parse_number(ct)
    cut = cut.where(~(cut > 1), cut / 100)
    res["cut"] = cut
    bad_c = (ct != "") & (cut.isna() | (cut <= 0) | (cut > 1))
    if bad_c.any():
        problems.append(_problem(res.loc[bad_c, "_row"], res["cut_col"].iat[0],
                                 [f"proficiency cut '{v}' is not a fraction or percent" for v in ct[bad_c]]))
    res["item"] = res["item"].astype(object).fillna("Total").astype(str).str.strip().replace("", "Total")
    bad_rows = set()
    for p in problems:
        bad_rows.update(p["_row"].tolist())
    ok = res[~res["_row"].isin(bad_rows)].copy()
    # Assessment ids (title + subject + grade) before duplicate checks.
    ok["grade_a"] = _assessment_grade(ok)
    groups = ok.groupby(["assessment", "subject", "grade_a"], dropna=False, sort=False)
    codes = groups.ngroup().to_numpy()
    ids = np.array([assessment_key(t, None if pd.isna(s) else s, None if pd.isna(g) else g)
                    for t, s, g in groups.size().index], dtype=object)
    ok["assessment_id"] = ids[codes] if len(ok) else pd.Series(dtype=object)
    # Points possible must agree for an item across rows.
    first_pp = ok.groupby(["assessment_id", "item"], sort=False)["points_possible"].transform("first")
    first_row = ok.groupby(["assessment_id", "item"], sort=False)["_row"].transform("first")
    diff = ok["points_possible"] != first_pp
    if diff.any():
        problems.append(_problem(ok.loc[diff, "_row"], ok.loc[diff, "possible_col"].to_numpy(),
                                 [f"points possible {_fmt(p)} for item '{i}' differs from {_fmt(f)} on row {r}"
                                  for p, i, f, r in zip(ok.loc[diff, "points_possible"], ok.loc[diff, "item"],
                                                        first_pp[diff], first_row[diff])]))
        ok = ok[~diff]
    # Duplicates: same student, assessment and item.
    key = ["assessment_id", "student_id", "item"]
    dup_mask = ok.duplicated(key, keep=False)
    n_exact = 0
    if dup_mask.any():
        d = ok[dup_mask]
        resp = d["response"].astype(object).fillna("")
        variants = d.assign(_resp=resp).groupby(key, sort=False).agg(
            n_points=("points_earned", "nunique"), n_resp=("_resp", "nunique"),
            rows=("_row", lambda r: sorted(r)))
        conflict = variants[(variants["n_points"] > 1) | (variants["n_resp"] > 1)]
        if len(conflict):
            conflict_keys = set(conflict.index)
            in_conflict = [k in conflict_keys for k in zip(d["assessment_id"], d["student_id"], d["item"])]
            cd = d[in_conflict]
            rows_of = conflict["rows"].to_dict()
            problems.append(_problem(
                cd["_row"], cd["earned_col"].to_numpy(),
                [f"conflicting duplicate: student {s}, assessment '{a}', item '{i}' appears on rows "
                 f"{', '.join(map(str, rows_of[(aid, s, i)]))} with different points"
                 for aid, s, a, i in zip(cd["assessment_id"], cd["student_id"], cd["assessment"], cd["item"])]))
            ok = ok[~ok["_row"].isin(set(cd["_row"]))]
        before = len(ok)
        ok = ok.drop_duplicates(key, keep="first")
        n_exact = before - len(ok)
    return ok, problems, n_exact


def _assessment_grade(frame: pd.DataFrame) -> pd.Series:
    """The grade of each row's assessment: the most common student grade for that title."""
    if frame["grade_level"].isna().all():
        return frame["grade_level"]
    g = frame.groupby(["assessment"], sort=False)["grade_level"].agg(
        lambda s: s.mode().iat[0] if s.notna().any() else None)
    return frame["assessment"].map(g)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# --- planning ------------------------------------------------------------------------------------

@dataclass
class Upload:
    """A file as uploaded: its name and bytes."""

    name: str
    data: bytes


@dataclass
class FilePlan:
    """What importing one file would do; nothing has been written."""

    name: str
    sha256: str
    layout: str | None = None
    label: str = ""
    rows_total: int = 0
    rows_duplicate: int = 0
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "column", "reason", "raw"]))
    fatal: str | None = None
    unreadable: bool = False
    unchanged: bool = False
    parsed: Parsed | None = None
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    fields: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    signature: str = ""
    paired_with: str | None = None  # for an item key consumed by a wide table
    tables: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Input rows that will not load."""
        if not len(self.rejects):
            return 0
        if "table" in self.rejects:  # a bundle's rejects name their table: row 3 of two CSVs is two rows
            return int(len(self.rejects.dropna(subset=["row"])[["table", "row"]].astype(str).drop_duplicates()))
        return int(self.rejects["row"].nunique())

    @property
    def rows_ok(self) -> int:
        """Input rows that will load (exact duplicates included: they load once)."""
        return self.rows_total - self.rows_rejected

    @property
    def errors(self) -> list[dict]:
        """Problems as {row, column, message} (a file-level problem has row None)."""
        out = []
        if self.fatal:
            out.append({"row": None, "column": self.fatal_column, "message": self.fatal})
        for r in self.rejects.itertuples(index=False):
            if self.fatal and r.reason == self.fatal:
                continue
            out.append({"row": None if pd.isna(r.row) else int(r.row), "column": r.column, "message": r.reason})
        return out

    fatal_column: str | None = None


@dataclass
class Plan:
    """The preview of an import: one FilePlan per uploaded file."""

    files: list[FilePlan]


@dataclass
class FileResult:
    """What happened to one file."""

    file: str
    status: str  # loaded | rejected | unchanged
    rows_total: int
    rows_loaded: int
    rows_rejected: int
    errors: list[dict]
    import_id: int | None = None
    layout: str | None = None
    rows_duplicate: int = 0
    unreadable: bool = False

    def as_dict(self) -> dict:
        """The JSON shape the command line prints."""
        return {"file": self.file, "status": self.status, "rows_total": self.rows_total,
                "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
                "rows_duplicate": self.rows_duplicate, "layout": self.layout, "import_id": self.import_id,
                "errors": self.errors}


def saved_mappings(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Header signature -> {column header: field} mappings saved from earlier imports."""
    df = store.fetch_df(con, "SELECT signature, mapping FROM column_mappings")
    return {s: json.loads(m) for s, m in zip(df["signature"], df["mapping"])}


def save_mapping(con: duckdb.DuckDBPyConnection, header: list[str], mapping: dict[str, str]) -> None:
    """Remember a user's column mapping for files with this header."""
    sig = header_signature(header)
    with store.transaction(con):
        con.execute("DELETE FROM column_mappings WHERE signature = ?", [sig])
        con.execute("INSERT INTO column_mappings (signature, header, mapping) VALUES (?, ?, ?)",
                    [sig, json.dumps(header), json.dumps(mapping)])


def _already_loaded(con: duckdb.DuckDBPyConnection, sha: str) -> int | None:
    return store.fetch_value(con, "SELECT max(import_id) FROM imports WHERE sha256 = ? AND status = 'loaded'", [sha])


def prepare(con: duckdb.DuckDBPyConnection, uploads: list[Upload],
            mappings: dict[str, dict[str, str]] | None = None, max_mb: float | None = None,
            progress: Callable[[float, str], None] | None = None) -> Plan:
    """Read, recognise and validate uploads without writing anything; return the preview plan."""
    limit = MAX_UPLOAD_MB if max_mb is None else max_mb
    saved = saved_mappings(con)
    mappings = mappings or {}
    plans: list[FilePlan] = []
    tables: list[tuple[FilePlan, Table, dict[str, int], Layout | None, int]] = []
    for n, up in enumerate(uploads):
        if progress:
            progress(n / max(len(uploads), 1) * 0.3, f"Reading {up.name}")
        sha = hashlib.sha256(up.data).hexdigest()
        fp = FilePlan(name=up.name, sha256=sha)
        plans.append(fp)
        size_mb = len(up.data) / 1_000_000
        if size_mb > limit:
            fp.fatal = f"{up.name}: the file is {size_mb:.1f} MB, over the limit of {limit:g} MB"
            continue
        if _already_loaded(con, sha) is not None:
            fp.unchanged = True
            fp.notes.append(f"{up.name}: this exact file was already imported; nothing will change.")
            continue
        try:
            file_tables = readers.read_tables(up.name, up.data)
        except ReadError as exc:
            fp.fatal, fp.unreadable = str(exc), exc.unreadable
            continue
        for t in file_tables:
            fp.tables.append(t.name)
            mapping = mappings.get(t.name) or mappings.get(up.name) or saved.get(header_signature(t.header))
            fields, unmatched = match_columns(t.header, mapping)
            best, score = None, 0
            for layout in LAYOUTS:
                s = layout.detect(t, fields)
                if s > score:
                    best, score = layout, s
            tables.append((fp, t, fields, best, score))
    # Bundles (a OneRoster zip or folder...) take the tables they understand and plan them together.
    tables = _plan_bundles(tables)
    # A student table whose columns are the items of an uploaded key is wide results, not a roster.
    key_frames = [_key_items(t, f) for _, t, f, lay, _ in tables if lay is not None and lay.role == "key"]
    wide = next(lay for lay in LAYOUTS if lay.name == "wide")
    for i, (fp, t, fields, best, score) in enumerate(tables):
        if best is not None and best.name in ("students", "enrollments") and wide.detect(t, fields) and \
                any(_wide_item_columns(t, fields, k) for k in key_frames):
            tables[i] = (fp, t, fields, wide, score)
    # Pair wide tables (and Forms quizzes) with item keys: a key sheet in the same workbook first,
    # else a key file uploaded alongside whose items match the columns.
    keys = [(fp, t, f) for fp, t, f, lay, _ in tables if lay is not None and lay.role == "key"]
    used_keys: set[int] = set()
    for fp, t, fields, layout, _ in tables:
        if layout is not None and layout.role == "key":
            continue
        pairing: list[tuple[Table, dict[str, int]]] = []
        if layout is not None and layout.name in ("wide", "google_forms"):
            ordered = [k for k in keys if k[0] is fp] + [k for k in keys if k[0] is not fp]
            for kfp, kt, kf in ordered:
                if _wide_item_columns(t, fields, _key_items(kt, kf)):
                    pairing = [(kt, kf)]
                    used_keys.add(id(kt))
                    if kfp is not fp:
                        kfp.paired_with = fp.name
                    break
            if layout.name == "wide" and not pairing:
                layout = None
        _plan_table(fp, t, fields, layout, pairing)
    for fp, t, fields, layout, _ in tables:
        if layout is None or layout.role != "key":
            continue
        if id(t) in used_keys:
            fp.rows_total += len(t.rows) + len(t.problems)
            fp.notes.append(f"{t.name}: item key used to score the results")
            fp.layout = fp.layout or "item_key"
            fp.label = fp.label or layout.label
            key_problems = _parse_key(t, fields, Context()).problems if "assessment" in fields else []
            _add_rejects(fp, t, key_problems)
        else:
            _plan_table(fp, t, fields, layout, [])
    for fp in plans:
        if not fp.unchanged and not fp.fatal and fp.layout is None and fp.parsed is None:
            fp.fatal = f"{fp.name}: the layout was not recognised: map its columns (student id, assessment, " \
                       "points earned, points possible...) or add an item key"
            fp.fatal_column = None
        if fp.fatal and fp.rows_total and fp.rejects.empty:
            fp.rejects = pd.DataFrame({"row": [None], "column": [fp.fatal_column], "reason": [fp.fatal],
                                       "raw": [None]})
    if progress:
        progress(0.5, "Checked every row")
    return Plan(plans)


def _plan_bundles(tables: list) -> list:
    """Plan the tables a registered Bundle claims as one unit; return the tables left for layouts.

    The parsed content goes to the first claimed file; other files of the bundle (a folder uploaded
    as separate files) load with it, like an item key with its results. Each table's rows and
    rejects stay with its own file, and a reject names its table (several CSVs share row numbers).
    """
    for bundle in BUNDLES:
        claimed = {id(t) for t in bundle.claim([t for _, t, *_ in tables])}
        if not claimed:
            continue
        mine = [x for x in tables if id(x[1]) in claimed]
        tables = [x for x in tables if id(x[1]) not in claimed]
        lead = mine[0][0]
        try:
            parsed = bundle.parse([(t, f) for _, t, f, _, _ in mine], Context(stem=Path(lead.name).stem))
        except FileError as exc:
            parsed, lead.fatal, lead.fatal_column = None, str(exc), exc.column
        for fp, t, fields, _, _ in mine:
            fp.tables = fp.tables if t.name in fp.tables else [*fp.tables, t.name]
            fp.header, fp.fields = fp.header or t.header, {**fields, **fp.fields}
            fp.layout, fp.label = fp.layout or bundle.name, fp.label or bundle.label
            fp.rows_total += len(t.rows) + len(t.problems)
            probs = [p[p["_table"] == t.name].drop(columns="_table") for p in (parsed.problems if parsed else [])]
            scratch = FilePlan(name=fp.name, sha256="")
            _add_rejects(scratch, t, [p for p in probs if len(p)])
            if len(scratch.rejects):
                new = scratch.rejects.assign(table=t.name)
                fp.rejects = pd.concat([fp.rejects, new], ignore_index=True) if len(fp.rejects) else new
            if fp is not lead:
                fp.paired_with = lead.name
        if parsed is not None:
            lead.notes += parsed.notes
            lead.rows_duplicate += parsed.duplicates
            lead.parsed = parsed if lead.parsed is None else _merge_parsed(lead.parsed, parsed)
    return tables


def _add_rejects(fp: FilePlan, t: Table, problems: list[pd.DataFrame]) -> None:
    frames = [fp.rejects] if len(fp.rejects) else []
    if t.problems:
        frames.append(pd.DataFrame([{"row": r, "column": c, "reason": m, "raw": raw} for r, c, m, raw in t.problems]))
    if problems:
        allp = pd.concat(problems, ignore_index=True)
        allp = allp.groupby("_row", sort=True).agg(column=("column", "first"),
                                                    reason=("reason", lambda r: "; ".join(dict.fromkeys(r))))
        allp = allp.reset_index().rename(columns={"_row": "row"})
        pos_of = {r: i for i, r in enumerate(t.rows)}
        allp["raw"] = [t.raw(pos_of[r]) if r in pos_of else None for r in allp["row"]]
        frames.append(allp)
    if frames:
        fp.rejects = pd.concat(frames, ignore_index=True).sort_values("row", na_position="first",
                                                                      ignore_index=True)


def _plan_table(fp: FilePlan, t: Table, fields: dict[str, int], layout: Layout | None,
                pairing: list[tuple[Table, dict[str, int]]]) -> None:
    fp.header = t.header
    fp.fields = {**fp.fields, **fields}
    fp.signature = header_signature(t.header)
    fp.unmatched = [h for h in t.header if h not in [t.header[p] for p in fields.values()]]
    total = len(t.rows) + len(t.problems)
    fp.rows_total += total
    if layout is None:
        if len(fp.tables) == 1:
            fp.fatal = (f"{t.name}: the layout was not recognised: map its columns (student id, assessment, "
                        "points earned, points possible...) or add an item key")
        else:
            fp.notes.append(f"{t.name}: sheet not recognised, its {total} rows are not loaded")
            _add_rejects(fp, t, [_problem(pd.Series(t.rows), None, "sheet layout not recognised")])
        return
    if not t.rows and not t.problems:
        fp.fatal = f"{t.name}: the file has a header row but no data rows"
        fp.layout, fp.label = layout.name, layout.label
        return
    fp.layout = layout.name if fp.layout is None else fp.layout
    fp.label = layout.label if not fp.label else fp.label
    try:
        ctx = Context(keys=pairing, stem=Path(fp.name).stem)
        parsed = layout.parse(t, fields, ctx)
    except FileError as exc:
        fp.fatal, fp.fatal_column, fp.unreadable = str(exc), exc.column, exc.unreadable
        fp.rejects = pd.DataFrame({"row": t.rows, "column": exc.column, "reason": str(exc),
                                   "raw": [t.raw(i) for i in range(len(t.rows))]})
        return
    problems = list(parsed.problems)
    if parsed.results is not None and len(parsed.results):
        bad = set()
        for p in problems:
            bad.update(p["_row"].tolist())
        res = parsed.results[~parsed.results["_row"].isin(bad)]
        clean, more, n_dup = validate_results(res)
        problems += more
        bad_rows = set()
        for p in more:
            bad_rows.update(p["_row"].tolist())
        # A source row loads whole or not at all (a wide row with one bad cell is rejected whole).
        parsed.results = clean[~clean["_row"].isin(bad_rows)]
        fp.rows_duplicate += n_dup
    for name in ("students", "attendance", "teachers", "sections", "enrollments", "items", "standards"):
        frame = getattr(parsed, name)
        if frame is not None and problems:
            bad = set()
            for p in problems:
                bad.update(p["_row"].tolist())
            setattr(parsed, name, frame[~frame["_row"].isin(bad)])
    if problems and parsed.extra:  # vendor frames drop rejected rows too (a row loads whole or not at all)
        bad = set().union(*(p["_row"].tolist() for p in problems))
        parsed.extra = {k: f[~f["_row"].isin(bad)] for k, f in parsed.extra.items()}
    fp.rows_duplicate += parsed.duplicates
    _add_rejects(fp, t, problems)
    fp.notes += parsed.notes
    if fp.parsed is None:
        fp.parsed = parsed
    else:
        fp.parsed = _merge_parsed(fp.parsed, parsed)


def _merge_parsed(a: Parsed, b: Parsed) -> Parsed:
    out = Parsed(notes=a.notes + b.notes)
    for name in ("results", "students", "teachers", "sections", "enrollments", "attendance", "items", "standards"):
        fa, fb = getattr(a, name), getattr(b, name)
        frames = [f for f in (fa, fb) if f is not None]
        setattr(out, name, pd.concat(frames, ignore_index=True) if frames else None)
    for key in dict.fromkeys([*a.extra, *b.extra]):
        out.extra[key] = pd.concat([f for f in (a.extra.get(key), b.extra.get(key)) if f is not None],
                                   ignore_index=True)
    out.duplicates = a.duplicates + b.duplicates
    return out


# --- writing -------------------------------------------------------------------------------------

def commit(con: duckdb.DuckDBPyConnection, plan: Plan, strict: bool = False,
           progress: Callable[[float, str], None] | None = None) -> list[FileResult]:
    """Write each planned file in its own transaction (or refuse it); return what happened to each."""
    results: dict[int, FileResult] = {}
    n = len(plan.files)
    for k, fp in enumerate(plan.files):
        if fp.paired_with:
            continue

        def step(frac: float, text: str, k=k) -> None:
            if progress:
                progress(min(1.0, (k + frac) / n), text)
        results[k] = _commit_file(con, fp, strict, step)
    by_name = {plan.files[k].name: r for k, r in results.items()}
    for k, fp in enumerate(plan.files):
        if fp.paired_with:
            # An item key loads (or is refused) with the results file it scores.
            partner = by_name.get(fp.paired_with)
            status = partner.status if partner else "rejected"
            loaded = fp.rows_ok if status == "loaded" else 0
            results[k] = FileResult(file=fp.name, status=status, rows_total=fp.rows_total, rows_loaded=loaded,
                                    rows_rejected=fp.rows_total - loaded, errors=fp.errors,
                                    import_id=partner.import_id if partner else None, layout=fp.layout)
    if progress:
        progress(1.0, "Done")
    return [results[k] for k in sorted(results)]


def _record(con, import_id: int, fp: FilePlan, status: str, kind: str, message: str | None,
            rows_loaded: int) -> None:
    con.execute(
        "INSERT INTO imports (import_id, filename, sha256, kind, layout, rows_total, rows_loaded, rows_rejected, "
        "rows_duplicate, status, message, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
        [import_id, fp.name, fp.sha256, kind, fp.layout, fp.rows_total, rows_loaded, fp.rows_rejected,
         fp.rows_duplicate, status, message],
    )
    if len(fp.rejects):
        rej = fp.rejects.copy()
        rej["import_id"] = import_id
        rej = rej.rename(columns={"row": "row_number", "column": "column_name"})
        rej["row_number"] = pd.to_numeric(rej["row_number"], errors="coerce").astype("Int64")
        rej["raw"] = rej["raw"].astype(object)
        con.register("_rej", rej[["import_id", "row_number", "column_name", "reason", "raw"]])
        try:
            con.execute("INSERT INTO import_rejects SELECT * FROM _rej")
        finally:
            con.unregister("_rej")


def _commit_file(con, fp: FilePlan, strict: bool, step) -> FileResult:
    base = dict(file=fp.name, rows_total=fp.rows_total, layout=fp.layout, rows_duplicate=fp.rows_duplicate)
    if fp.unchanged:
        return FileResult(status="unchanged", rows_loaded=0, rows_rejected=0, errors=[], **base)
    refuse = fp.fatal or (strict and fp.rows_rejected > 0) or fp.parsed is None
    if refuse:
        message = fp.fatal or (f"refused by strict mode: {fp.rows_rejected} rows would be rejected"
                               if strict and fp.rows_rejected else "nothing to load")
        import_id = store.new_import_id(con)
        with store.transaction(con):
            _record(con, import_id, fp, "rejected", _kind(fp), message, 0)
        errors = fp.errors
        if strict and not fp.fatal and fp.rows_rejected:
            errors = [{"row": None, "column": None, "message": f"{fp.name}: {message}"}] + errors
        return FileResult(status="rejected", rows_loaded=0, rows_rejected=fp.rows_total, errors=errors,
                          import_id=import_id, unreadable=fp.unreadable, **base)
    import_id = store.new_import_id(con)
    with store.transaction(con):
        _record(con, import_id, fp, "loaded", _kind(fp), "; ".join(fp.notes) or None, fp.rows_ok)
        sections_before = store.section_state(con)
        _write(con, fp.parsed, import_id, step)
        store.refresh_rosters_of_import(con, import_id, sections_before)
        store.bump_data_version(con)
    return FileResult(status="loaded", rows_loaded=fp.rows_ok, rows_rejected=fp.rows_rejected, errors=fp.errors,
                      import_id=import_id, **base)


def _kind(fp: FilePlan) -> str:
    declared = next((x.kind for x in [*LAYOUTS, *BUNDLES] if x.name == fp.layout and x.kind), None)
    if declared:
        return declared
    return {"attendance": "attendance", "students": "roster", "teachers": "roster", "sections": "roster",
            "enrollments": "roster", "item_key": "items", "standards": "standards"}.get(fp.layout or "", "results")


def _insert(con, table: str, df: pd.DataFrame, cols: list[str]) -> None:
    if df is None or df.empty:
        return
    con.register("_ins", df[cols])
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _ins")
    finally:
        con.unregister("_ins")


def _upsert_students(con, students: pd.DataFrame, import_id: int) -> None:
    if students is None or students.empty:
        return
    s = students[students["student_id"].astype(str).str.strip() != ""].copy()
    s = s.drop_duplicates("student_id", keep="last")
    cols = ["student_id", "first_name", "last_name", "grade_level", "school", "ell", "iep", "frl", "gender",
            "ethnicity"]
    for c in cols:
        if c not in s:
            s[c] = None
    s = s[cols].astype(object).where(s[cols].notna(), None)
    for c in ("ell", "iep", "frl"):
        s[c] = s[c].map(lambda v: None if v is None else bool(v)).astype(object)
    con.register("_stu", s)
    try:
        # Existing students keep what the file leaves blank; new ones remember this import (for undo).
        con.execute(
            """UPDATE students SET
                first_name = coalesce(n.first_name, students.first_name),
                last_name = coalesce(n.last_name, students.last_name),
                grade_level = coalesce(n.grade_level, students.grade_level),
                school = coalesce(n.school, students.school),
                ell = coalesce(CAST(n.ell AS BOOLEAN), students.ell),
                iep = coalesce(CAST(n.iep AS BOOLEAN), students.iep),
                frl = coalesce(CAST(n.frl AS BOOLEAN), students.frl),
                gender = coalesce(n.gender, students.gender),
                ethnicity = coalesce(n.ethnicity, students.ethnicity)
               FROM _stu n WHERE students.student_id = n.student_id""")
        con.execute(
            """INSERT INTO students (student_id, first_name, last_name, grade_level, school, ell, iep, frl, gender,
                                     ethnicity, import_id)
               SELECT student_id, first_name, last_name, grade_level, school, CAST(ell AS BOOLEAN),
                      CAST(iep AS BOOLEAN), CAST(frl AS BOOLEAN), gender, ethnicity, ?
               FROM _stu WHERE student_id NOT IN (SELECT student_id FROM students)""", [import_id])
    finally:
        con.unregister("_stu")


def _teacher_ids(con, names: pd.Series, ids: pd.Series | None = None) -> pd.Series:
    """Teacher ids for names: an existing teacher with the same name (any case) or id, else a slug."""
    # The import's own connection (not a new cursor): it must see teachers written earlier in this
    # same transaction.
    known = con.execute("SELECT teacher_id, lower(name) AS lname FROM teachers").df()
    by_name = dict(zip(known["lname"], known["teacher_id"]))

    def one(n, i):
        if i is not None and not pd.isna(i) and str(i).strip():
            return str(i).strip()
        if n is None or pd.isna(n) or not str(n).strip():
            return None
        return by_name.get(str(n).strip().lower(), slug(str(n)))
    frame = pd.DataFrame({"n": names.astype(object).to_numpy(),
                          "i": ids.astype(object).to_numpy() if ids is not None else None})
    groups = frame.groupby(["n", "i"], dropna=False, sort=False)
    codes = groups.ngroup().to_numpy()
    memo = np.array([one(n, i) for n, i in groups.size().index] + [None], dtype=object)
    return pd.Series(memo[codes], index=names.index, dtype=object)


def _write_sections(con, frame: pd.DataFrame, import_id: int, with_enrollments: bool) -> None:
    """Teachers, sections and (optionally) enrollments named in a frame of rows."""
    f = frame.copy()
    for c in ("teacher_name", "teacher_id", "section_id", "subject", "grade_level", "course", "term", "school"):
        if c not in f:
            f[c] = None
    f["teacher_id"] = _teacher_ids(con, f["teacher_name"], f["teacher_id"])
    has_teacher = f["teacher_id"].notna()
    # A teacher without a section gets one section per subject and grade.
    no_section = f["section_id"].isna() & has_teacher
    f.loc[no_section, "section_id"] = [
        f"{t}:{s or 'all'}:{g or 'all'}" for t, s, g in
        zip(f.loc[no_section, "teacher_id"], f.loc[no_section, "subject"], f.loc[no_section, "grade_level"])]
    teachers = f[has_teacher].drop_duplicates("teacher_id")[["teacher_id", "teacher_name"]]
    if len(teachers):
        con.register("_t", teachers.astype(object))
        try:
            con.execute("UPDATE teachers SET name = coalesce(n.teacher_name, teachers.name) FROM _t n "
                        "WHERE teachers.teacher_id = n.teacher_id")
            con.execute("INSERT INTO teachers (teacher_id, name, import_id) SELECT teacher_id, "
                        "coalesce(teacher_name, teacher_id), ? FROM _t WHERE teacher_id NOT IN "
                        "(SELECT teacher_id FROM teachers)", [import_id])
        finally:
            con.unregister("_t")
    secs = f[f["section_id"].notna()].drop_duplicates("section_id")
    if len(secs):
        s = secs[["section_id", "teacher_id", "course", "subject", "grade_level", "term", "school"]].astype(object)
        con.register("_s", s)
        try:
            con.execute("""UPDATE sections SET teacher_id = coalesce(n.teacher_id, sections.teacher_id),
                           course = coalesce(n.course, sections.course),
                           subject = coalesce(n.subject, sections.subject),
                           grade_level = coalesce(n.grade_level, sections.grade_level),
                           term = coalesce(n.term, sections.term), school = coalesce(n.school, sections.school)
                           FROM _s n WHERE sections.section_id = n.section_id""")
            con.execute("INSERT INTO sections (section_id, teacher_id, course, subject, grade_level, term, school, "
                        "import_id) SELECT *, ? FROM _s WHERE section_id NOT IN (SELECT section_id FROM sections)",
                        [import_id])
        finally:
            con.unregister("_s")
    if with_enrollments and "student_id" in f:
        e = f[f["section_id"].notna() & f["student_id"].notna()].drop_duplicates(["student_id", "section_id"])
        if len(e):
            con.register("_e", e[["student_id", "section_id"]].astype(object))
            try:
                con.execute("INSERT INTO enrollments (student_id, section_id, import_id) SELECT student_id, "
                            "section_id, ? FROM _e WHERE (student_id, section_id) NOT IN "
                            "(SELECT student_id, section_id FROM enrollments) ORDER BY "
                            + store.STUDENT_ORDER["enrollments"], [import_id])
            finally:
                con.unregister("_e")


def _write(con, parsed: Parsed, import_id: int, step) -> None:
    step(0.55, "Writing students and rosters")
    students = parsed.students
    if parsed.results is not None and len(parsed.results):
        res_students = parsed.results[["student_id", "first_name", "last_name", "grade_level", "school",
                                       "ell", "iep", "frl", "gender", "ethnicity"]].drop_duplicates("student_id")
        students = res_students if students is None else pd.concat([students, res_students], ignore_index=True)
    if parsed.attendance is not None and students is None:
        students = parsed.attendance[["student_id"]].drop_duplicates()
    _upsert_students(con, students, import_id)
    if parsed.teachers is not None and len(parsed.teachers):
        t = parsed.teachers.drop_duplicates("teacher_id", keep="last")[["teacher_id", "name", "email"]]
        con.register("_t", t.astype(object))
        try:
            con.execute("UPDATE teachers SET name = coalesce(n.name, teachers.name), "
                        "email = coalesce(n.email, teachers.email) FROM _t n WHERE teachers.teacher_id = n.teacher_id")
            con.execute("INSERT INTO teachers (teacher_id, name, email, import_id) SELECT teacher_id, name, email, ? "
                        "FROM _t WHERE teacher_id NOT IN (SELECT teacher_id FROM teachers)", [import_id])
        finally:
            con.unregister("_t")
    if parsed.sections is not None and len(parsed.sections):
        _write_sections(con, parsed.sections, import_id, with_enrollments=False)
    if parsed.enrollments is not None and len(parsed.enrollments):
        _write_sections(con, parsed.enrollments, import_id, with_enrollments=True)
    if parsed.standards is not None and len(parsed.standards):
        s = parsed.standards.drop_duplicates("code", keep="last")[["code", "subject", "grade_level", "description"]]
        con.register("_std", s.astype(object))
        try:
            con.execute("UPDATE standards SET description = coalesce(n.description, standards.description), "
                        "subject = coalesce(n.subject, standards.subject), grade_level = coalesce(n.grade_level, "
                        "standards.grade_level) FROM _std n WHERE standards.code = n.code")
            con.execute("INSERT INTO standards SELECT code, subject, grade_level, description, ? FROM _std "
                        "WHERE code NOT IN (SELECT code FROM standards)", [import_id])
        finally:
            con.unregister("_std")
    if parsed.items is not None and len(parsed.items) and (parsed.results is None or not len(parsed.results)):
        _write_key_items(con, parsed.items, import_id)
    if parsed.attendance is not None and len(parsed.attendance):
        step(0.7, "Writing attendance")
        a = parsed.attendance[["student_id", "period_start", "period_end", "days_enrolled", "days_absent"]].copy()
        a["import_id"] = import_id
        # The same student and period imported again replaces the earlier figures.
        con.register("_att", a)
        try:
            con.execute("DELETE FROM attendance WHERE (student_id, coalesce(period_start, DATE '1900-01-01'), "
                        "coalesce(period_end, DATE '1900-01-01')) IN (SELECT student_id, "
                        "coalesce(CAST(period_start AS DATE), DATE '1900-01-01'), "
                        "coalesce(CAST(period_end AS DATE), DATE '1900-01-01') FROM _att)")
            con.execute("INSERT INTO attendance SELECT student_id, CAST(period_start AS DATE) AS period_start, "
                        "CAST(period_end AS DATE) AS period_end, days_enrolled, days_absent, import_id FROM _att "
                        "ORDER BY " + store.STUDENT_ORDER["attendance"])
        finally:
            con.unregister("_att")
    if parsed.results is not None and len(parsed.results):
        _write_results(con, parsed.results, import_id, step)
    if parsed.extra:
        step(0.9, "Writing vendor results")
        for writer in EXTRA_WRITERS:
            writer(con, parsed, import_id)


def _write_key_items(con, items: pd.DataFrame, import_id: int) -> None:
    it = items.copy()
    it["assessment_id"] = [assessment_key(a, s, None) for a, s in zip(it["assessment"], it["subject"])]
    titles = it.drop_duplicates("assessment_id")[["assessment_id", "assessment", "subject"]]
    con.register("_a", titles.astype(object))
    try:
        con.execute("INSERT INTO assessments (assessment_id, title, subject, import_id) SELECT assessment_id, "
                    "assessment, subject, ? FROM _a WHERE assessment_id NOT IN (SELECT assessment_id FROM "
                    "assessments)", [import_id])
    finally:
        con.unregister("_a")
    it["position"] = it.groupby("assessment_id").cumcount() + 1
    _upsert_items(con, it.rename(columns={"standard": "standard_code"}), import_id)
    store.refresh_points(con, it["assessment_id"].unique())  # a new key or points change stored scores


def _upsert_items(con, items: pd.DataFrame, import_id: int) -> None:
    cols = ["assessment_id", "item", "standard_code", "points_possible", "correct_response", "position"]
    i = items.drop_duplicates(["assessment_id", "item"], keep="first")[cols].copy()
    i["import_id"] = import_id
    con.register("_it", i)
    try:
        con.execute("""UPDATE items SET standard_code = coalesce(n.standard_code, items.standard_code),
                       points_possible = n.points_possible,
                       correct_response = coalesce(n.correct_response, items.correct_response)
                       FROM _it n WHERE items.assessment_id = n.assessment_id AND items.item = n.item""")
        con.execute("""INSERT INTO items SELECT assessment_id, item, standard_code, points_possible,
                       correct_response, position, import_id FROM _it
                       WHERE (assessment_id, item) NOT IN (SELECT assessment_id, item FROM items)""")
        # Standards the items name, so every code is searchable even without a standards list.
        con.execute("""INSERT INTO standards (code, import_id)
                       SELECT DISTINCT standard_code, ? FROM _it WHERE standard_code IS NOT NULL
                       AND standard_code NOT IN (SELECT code FROM standards)""", [import_id])
    finally:
        con.unregister("_it")


def _write_results(con, res: pd.DataFrame, import_id: int, step) -> None:
    step(0.6, "Writing assessments and items")
    r = res.copy()
    r["grade_a"] = _assessment_grade(r)
    agg = r.groupby("assessment_id", sort=False).agg(
        title=("assessment", "first"), subject=("subject", "first"), grade_level=("grade_a", "first"),
        kind=("kind", "first"), administered_on=("date", "min"), proficiency_cut=("cut", "first"))
    agg = agg.reset_index()
    agg["kind"] = agg["kind"].fillna("formative")
    agg["proficiency_cut"] = agg["proficiency_cut"].fillna(0.8)
    agg["administered_on"] = pd.to_datetime(agg["administered_on"])
    con.register("_a", agg.astype(object).where(agg.notna(), None))
    try:
        con.execute("""UPDATE assessments SET title = n.title, subject = coalesce(n.subject, assessments.subject),
                       grade_level = coalesce(n.grade_level, assessments.grade_level), kind = n.kind,
                       administered_on = coalesce(CAST(n.administered_on AS DATE), assessments.administered_on),
                       proficiency_cut = n.proficiency_cut
                       FROM _a n WHERE assessments.assessment_id = n.assessment_id""")
        con.execute("""INSERT INTO assessments SELECT assessment_id, title, subject, grade_level, kind,
                       CAST(administered_on AS DATE), CAST(proficiency_cut AS DOUBLE), ? FROM _a
                       WHERE assessment_id NOT IN (SELECT assessment_id FROM assessments)""", [import_id])
    finally:
        con.unregister("_a")
    items = r.drop_duplicates(["assessment_id", "item"])[["assessment_id", "item", "standard", "points_possible",
                                                          "correct_response"]].copy()
    items = items.rename(columns={"standard": "standard_code"})
    items["position"] = items.groupby("assessment_id").cumcount() + 1
    _upsert_items(con, items, import_id)
    # Standards get the subject and grade of the assessment that first used them.
    con.execute("""UPDATE standards SET subject = coalesce(standards.subject, a.subject),
                   grade_level = coalesce(standards.grade_level, a.grade_level)
                   FROM items i JOIN assessments a USING (assessment_id)
                   WHERE i.standard_code = standards.code AND standards.import_id = ?""", [import_id])
    step(0.7, "Writing teachers and sections")
    if r["teacher"].notna().any() or r["section"].notna().any():
        sec = r.drop_duplicates(["student_id", "assessment_id"])[["student_id", "teacher", "section", "subject",
                                                                  "grade_a"]]
        sec = sec.rename(columns={"teacher": "teacher_name", "section": "section_id", "grade_a": "grade_level"})
        _write_sections(con, sec, import_id, with_enrollments=True)
    step(0.8, f"Writing {len(r):,} responses")
    resp = r[["assessment_id", "student_id", "item", "points_earned", "response"]].copy()
    # Arrow-backed strings let DuckDB read the frame without touching Python objects.
    resp = resp.astype({"assessment_id": "str", "student_id": "str", "item": "str", "response": "str",
                        "points_earned": "float64"})
    resp["import_id"] = import_id
    con.register("_r", resp)
    try:
        # A corrected file replaces those students' earlier responses on the assessment; undo restores them.
        con.execute("""CREATE OR REPLACE TEMP TABLE _pairs AS
                       SELECT DISTINCT assessment_id, student_id FROM _r""")
        con.execute("""INSERT INTO responses_replaced
                       SELECT r.assessment_id, r.student_id, r.item, r.points_earned, r.response, r.import_id, ?
                       FROM responses r SEMI JOIN _pairs p
                         ON r.assessment_id = p.assessment_id AND r.student_id = p.student_id""", [import_id])
        con.execute("""DELETE FROM responses WHERE (assessment_id, student_id) IN
                       (SELECT assessment_id, student_id FROM _pairs)""")
        con.execute("""INSERT INTO responses SELECT assessment_id, student_id, item, points_earned,
                       CAST(response AS VARCHAR), import_id FROM _r""")
        con.execute("DROP TABLE _pairs")
    finally:
        con.unregister("_r")
    step(0.85, "Updating stored scores")
    store.refresh_points(con, r["assessment_id"].unique())


def import_paths(con: duckdb.DuckDBPyConnection, paths: list[str | Path], strict: bool = False,
                 progress: Callable[[float, str], None] | None = None) -> list[FileResult]:
    """Import files from disk (what the command line does); unreadable paths become rejected results."""
    uploads, missing = [], []
    # A folder (a OneRoster or MAP export unzipped) imports as the files in it, planned together.
    paths = [f for p in paths for f in (sorted(x for x in Path(p).iterdir() if x.is_file()
                                               and not x.name.startswith("."))
                                        if Path(p).is_dir() else [p])]
    for p in paths:
        path = Path(p)
        try:
            uploads.append(Upload(path.name, path.read_bytes()))
        except OSError as exc:
            missing.append(FileResult(file=str(p), status="rejected", rows_total=0, rows_loaded=0, rows_rejected=0,
                                      errors=[{"row": None, "column": None,
                                               "message": f"{p}: cannot open the file ({exc.strerror})"}],
                                      unreadable=True))
    plan = prepare(con, uploads, progress=progress)
    return missing + commit(con, plan, strict=strict, progress=progress)


from lib import formats  # noqa: E402,F401  (vendor layouts and bundles register themselves: lib/formats)
