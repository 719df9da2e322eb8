"""Standards lists that seed descriptions: any code + description list, including the Common Core files.

Codes are kept as the list writes them, whatever the framework (`MGSE3.NBT.2`, `7.50.a`,
`SCCCR.ELA.5.RL.MC.8.1.b`, `RL.3.1`); only the Common Core URN prefixes are dropped
(`CCSS.Math.Content.3.OA.A.1` -> `3.OA.A.1`, `CCSS.ELA-Literacy.RL.3.1` -> `RL.3.1`) because teams
type the short form. Descriptions lose HTML markup. A row whose code is blank but whose corestandards.org
link names it (the official "(L.K.3 begins in grade 2)" placeholders) takes the code from the link.
The decomposed list layout (grade_level_code, domain_code, cluster_code, standard_counter,
substandard_counter, description) is composed into dotted codes (`K.CC.B.4a`, `HSN-RN.A.1`).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from lib import ingest
from lib.formats import common as c
from lib.readers import Table

_PREFIX = re.compile(r"^CCSS\.(Math\.Content|Math\.Practice|ELA-Literacy)\.", re.I)
_LINK = re.compile(r"corestandards\.org/(Math/Content|Math/Practice|ELA-Literacy)/(.+?)/?$", re.I)
CODE_NAMES = ("Standard", "Standard Code", "Code", "StandardCode", "Standard ID", "Standard Name", "Identifier")
DESC_NAMES = ("Statement", "Description", "Standard Description", "Text", "Full Statement", "StandardDescription")


def short_code(code: str) -> str:
    """The code a team types: Common Core URN prefixes dropped, everything else as written."""
    return _PREFIX.sub("", code.strip())


def code_from_link(link: str) -> str | None:
    """'http://corestandards.org/ELA-Literacy/RL/9-10/8/' -> 'RL.9-10.8'."""
    m = _LINK.search(link.strip())
    if not m:
        return None
    parts = [p for p in m.group(2).split("/") if p]
    if m.group(1).lower() == "math/content" and len(parts) >= 4 and len(parts[-1]) == 1 and parts[-1].isalpha():
        parts = parts[:-2] + [parts[-2] + parts[-1]]  # .../3/NF/A/3/a/ -> 3.NF.A.3a
    return ".".join(parts)


def clean_text(text: str) -> str | None:
    """Description text without HTML tags or entities."""
    t = html.unescape(re.sub(r"<[^>]+>", "", text or "")).strip()
    return re.sub(r"\s+", " ", t) or None


def _subject_of(code: str, raw: str) -> str | None:
    if re.match(r"CCSS\.Math", raw, re.I):
        return "Math"
    if re.match(r"CCSS\.ELA", raw, re.I):
        return "ELA"
    return None


def _is_list(table: Table) -> bool:
    h = c.Header.of(table)
    if h.has("student_id", "studentid", "student id", "item", "question"):
        return False
    return h.has(*CODE_NAMES) and h.has(*DESC_NAMES)


def _is_parts(table: Table) -> bool:
    h = c.Header.of(table)
    return h.has("grade_level_code") and h.has("domain_code") and h.has("standard_counter") and h.has("description")


def parse_list(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Code + description list (Common Core prefixes dropped, link-named placeholders kept)."""
    h = c.Header.of(table)
    raw = h.col(*CODE_NAMES)
    link = h.col("Link", "URL", "URI")
    from_link = (raw == "") & (link != "")
    raw = raw.where(~from_link, link.map(lambda v: code_from_link(v) or ""))
    codes = raw.map(short_code)
    subj_col = h.col("Subject", "Content Area")
    subject = [c.canonical_subject(s) if s else _subject_of(code, r) for s, code, r in zip(subj_col, codes, raw)]
    grade = c.grades(h.col("Grade", "Grade Level", "GradeLevel"))
    s = pd.DataFrame({"_row": table.rows, "code": codes.to_numpy(), "subject": subject,
                      "grade_level": grade.to_numpy(),
                      "description": h.col(*DESC_NAMES).map(clean_text).to_numpy()})
    problems = []
    blank = codes == ""
    if blank.any():
        problems.append(c.problem(np.asarray(table.rows)[blank.to_numpy()], h.name(*CODE_NAMES),
                                  "standard code is blank"))
    dup = s[~blank.to_numpy()].duplicated("code", keep="first")
    notes = [f"Standards list: {int((~blank).sum())} codes"
             + (f" ({int(from_link.sum())} taken from their corestandards.org link)" if from_link.any() else "")
             + ("; Common Core prefixes dropped (CCSS.Math.Content.3.OA.A.1 -> 3.OA.A.1)"
                if raw.str.match(r"(?i)CCSS\.").any() else "")]
    if dup.any():
        notes.append(f"{int(dup.sum())} rows repeat a code listed earlier (loaded once, the last description kept)")
    return ingest.Parsed(standards=s, problems=problems, notes=notes, duplicates=int(dup.sum()))


def parse_parts(table: Table, fields: dict[str, int], ctx: ingest.Context) -> ingest.Parsed:
    """Decomposed Common Core math list -> dotted codes ('K.CC.B.4a', 'HSN-RN.A.1')."""
    h = c.Header.of(table)
    g, cat, dom = h.col("grade_level_code"), h.col("category_code"), h.col("domain_code")
    clu, n, sub = h.col("cluster_code"), h.col("standard_counter"), h.col("substandard_counter")
    codes = []
    for gi, ci, di, cl, ni, si in zip(g, cat, dom, clu, n, sub):
        head = f"HS{ci}-{di}" if gi.upper() == "HS" and ci else f"{gi}.{di}"
        codes.append(f"{head}.{cl}.{ni}{si}")
    grade = [None if x.upper() == "HS" else c.grade_of(x) for x in g]
    s = pd.DataFrame({"_row": table.rows, "code": codes, "subject": "Math", "grade_level": grade,
                      "description": h.col("description").map(clean_text).to_numpy()})
    return ingest.Parsed(standards=s, notes=[f"Common Core math list: {len(s)} standards as dotted codes."])


def _detect_list(table: Table, fields: dict[str, int]) -> int:
    return 45 if _is_list(table) else 0


def _detect_parts(table: Table, fields: dict[str, int]) -> int:
    return 45 if _is_parts(table) else 0


ingest.register(ingest.Layout("standards_list", "Standards list (code, description)", _detect_list, parse_list,
                              kind="standards"), first=True)
ingest.register(ingest.Layout("standards_parts", "Common Core math list (grade, domain, cluster, number)",
                              _detect_parts, parse_parts, kind="standards"), first=True)
