"""Names on a projector: stable pseudonyms, initials, teacher aliases and small-group suppression."""

from __future__ import annotations

import hashlib

import pandas as pd

ADJECTIVES = [
    "Amber", "Azure", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral", "Crimson", "Eager", "Gentle",
    "Golden", "Happy", "Indigo", "Jade", "Keen", "Kind", "Lively", "Lucky", "Mellow", "Merry", "Misty",
    "Noble", "Olive", "Quick", "Quiet", "Rapid", "Rosy", "Ruby", "Sandy", "Silver", "Sunny", "Swift",
    "Teal", "Tidy", "Violet", "Warm", "Wise", "Witty", "Zesty",
]
ANIMALS = [
    "Badger", "Beaver", "Bison", "Crane", "Dolphin", "Eagle", "Falcon", "Ferret", "Finch", "Fox", "Gecko",
    "Heron", "Ibis", "Jaguar", "Koala", "Lemur", "Lynx", "Marten", "Moose", "Newt", "Ocelot", "Osprey",
    "Otter", "Owl", "Panda", "Puffin", "Quail", "Raven", "Robin", "Salmon", "Seal", "Sparrow", "Swan",
    "Tapir", "Tiger", "Toucan", "Turtle", "Walrus", "Wombat", "Wren",
]

# Groups smaller than this are not shown in meeting mode or in teacher comparisons.
MIN_GROUP_TEAM = 5
MIN_GROUP_SUBGROUP = 10


def pseudonym(student_id: str) -> str:
    """A stable, friendly pseudonym for a student id ("Swift Otter 42"); the same id always maps the same way."""
    digest = hashlib.sha256(f"plc-lens:{student_id}".encode()).digest()
    adjective = ADJECTIVES[digest[0] % len(ADJECTIVES)]
    animal = ANIMALS[digest[1] % len(ANIMALS)]
    number = int.from_bytes(digest[2:4], "big") % 100
    return f"{adjective} {animal} {number:02d}"


def initials(first: str | None, last: str | None) -> str:
    """Initials such as "A.B." (a dash when no name is stored)."""
    parts = [p.strip()[0].upper() + "." for p in (first, last) if isinstance(p, str) and p.strip()]
    return "".join(parts) or "-"


def student_label(student_id: str, first: str | None, last: str | None, meeting: bool,
                  style: str = "pseudonym") -> str:
    """What to show for a student: the real name, or in meeting mode a pseudonym or initials."""
    if meeting:
        if style == "initials":
            return f"{initials(first, last)} ({pseudonym(student_id)[-2:]})"
        return pseudonym(student_id)
    name = " ".join(p for p in (first, last) if isinstance(p, str) and p.strip())
    return name or str(student_id)


def label_students(df: pd.DataFrame, meeting: bool, style: str = "pseudonym", column: str = "student",
                   id_col: str = "student_id", first_col: str = "first_name", last_col: str = "last_name",
                   drop_names: bool = True) -> pd.DataFrame:
    """Add a display column for students and drop the raw name columns (always in meeting mode)."""
    out = df.copy()
    firsts = out[first_col] if first_col in out else pd.Series([None] * len(out), index=out.index)
    lasts = out[last_col] if last_col in out else pd.Series([None] * len(out), index=out.index)
    out[column] = [student_label(str(i), f, la, meeting, style)
                   for i, f, la in zip(out[id_col], firsts, lasts)]
    if drop_names or meeting:
        out = out.drop(columns=[c for c in (first_col, last_col) if c in out])
    if meeting and id_col in out and id_col != column:
        # Local student ids can identify a child too; in meeting mode the pseudonym stands in.
        out = out.drop(columns=[id_col])
    return out


def teacher_aliases(teacher_ids: list[str], names: dict[str, str], show_name: dict[str, bool],
                    meeting: bool, own: str | None = None) -> dict[str, str]:
    """Display names for teachers: real names, or in meeting mode "Teacher A/B..." unless they opted in."""
    out: dict[str, str] = {}
    letter = 0
    for tid in sorted(set(t for t in teacher_ids if t is not None)):
        real = names.get(tid, tid)
        if not meeting or show_name.get(tid, False) or (own is not None and tid == own):
            out[tid] = real
        else:
            out[tid] = f"Teacher {_letters(letter)}"
            letter += 1
    return out


def unique_labels(labels: dict[str, str]) -> dict[str, str]:
    """Make display names unique by adding the id to names two or more ids share (tables key on them)."""
    seen: dict[str, int] = {}
    for v in labels.values():
        seen[v] = seen.get(v, 0) + 1
    return {k: (f"{v} ({k})" if seen[v] > 1 else v) for k, v in labels.items()}


def _letters(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def suppress_small(df: pd.DataFrame, n_col: str, value_cols: list[str], min_n: int) -> pd.DataFrame:
    """Blank out values of groups smaller than min_n and mark them (never silently dropped)."""
    out = df.copy()
    small = out[n_col] < min_n
    for col in value_cols:
        if col in out:
            out[col] = out[col].astype("float64").where(~small)
    out["suppressed"] = small
    return out
