"""Interventions: who is getting what help (tier 1-3), who owns it, when it is re-checked, and whether it helped.

A team assigns an intervention to a student (tier, kind, skill or standard, owner, start and re-check
dates), keeps its status and notes as a dated history, and reviews every open intervention at least
every three weeks (as Stevenson High School reviews every student). Students flagged by the early
warning but with no intervention and no meeting note yet form a queue. "Did it help" is shown as the
student's results before and after the start: a description, not proof (no comparison group).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

import duckdb
import pandas as pd

from lib import demo, kept, queries, store

TIERS = {1: "Tier 1: core teaching for all", 2: "Tier 2: targeted small-group help",
         3: "Tier 3: intensive individual help"}
STATUSES = ["planned", "active", "goal met", "not working", "stopped"]
OPEN_STATUSES = ["planned", "active"]
KINDS = ["Small-group reteach", "Double dose (extra practice block)", "1:1 tutoring", "Reading intervention",
         "Math intervention", "Attendance check-in", "Re-assess after reteach"]
REVIEW_DAYS = 21  # every open intervention is looked at again within three weeks
MIN_AFTER = 2  # results since the start needed before a standard alone can show a change

store.MIGRATIONS.append(
    (
        20,
        "interventions and their dated history (lib/interventions.py)",
        [
            "CREATE SEQUENCE IF NOT EXISTS intervention_seq START 1",
            "CREATE SEQUENCE IF NOT EXISTS intervention_note_seq START 1",
            # owner: a teacher_id when picked from the roster (aliased in meeting mode), else free text.
            """CREATE TABLE IF NOT EXISTS interventions (
                intervention_id INTEGER PRIMARY KEY,
                student_id VARCHAR NOT NULL,
                subject VARCHAR,
                tier INTEGER NOT NULL,
                kind VARCHAR NOT NULL,
                standard_code VARCHAR,
                owner VARCHAR,
                start_date DATE NOT NULL,
                recheck_date DATE,
                status VARCHAR NOT NULL DEFAULT 'active',
                notes VARCHAR,
                created_at TIMESTAMP DEFAULT current_timestamp,
                updated_at TIMESTAMP DEFAULT current_timestamp,
                import_id INTEGER
            )""",
            """CREATE TABLE IF NOT EXISTS intervention_notes (
                note_id INTEGER PRIMARY KEY,
                intervention_id INTEGER NOT NULL,
                noted_on DATE NOT NULL,
                author VARCHAR,
                action VARCHAR NOT NULL,
                status VARCHAR,
                note VARCHAR,
                created_at TIMESTAMP DEFAULT current_timestamp,
                import_id INTEGER
            )""",
            "CREATE INDEX IF NOT EXISTS interventions_student ON interventions (student_id)",
        ],
    )
)

# --- queries -------------------------------------------------------------------------------------

queries.define(
    "iv_list",
    """WITH last_note AS (
           SELECT intervention_id, max(noted_on) AS last_reviewed, count(*) AS n_notes
           FROM intervention_notes GROUP BY ALL
       )
       SELECT v.intervention_id, v.student_id, s.first_name, s.last_name, s.grade_level, s.school, v.subject, v.tier,
              v.kind, v.standard_code, st.description AS standard_description, v.owner, v.start_date,
              v.recheck_date, v.status, v.notes, coalesce(n.n_notes, 0) AS n_notes,
              greatest(v.start_date, n.last_reviewed) AS last_reviewed,
              least(coalesce(v.recheck_date, DATE '9999-12-31'),
                    (greatest(v.start_date, n.last_reviewed) + to_days($review_days))::DATE) AS next_review,
              v.import_id
       FROM interventions v
       LEFT JOIN students s USING (student_id)
       LEFT JOIN standards st ON st.code = v.standard_code
       LEFT JOIN last_note n USING (intervention_id)
       WHERE (NOT $open_only OR list_contains($open, v.status))
         AND ($student_id IS NULL OR v.student_id = $student_id)
       ORDER BY v.status = 'active' DESC, v.tier DESC, next_review, v.intervention_id""",
)

queries.define(
    "iv_history",
    """SELECT note_id, noted_on, author, action, status, note, created_at
       FROM intervention_notes WHERE intervention_id = $intervention_id
       ORDER BY noted_on, note_id""",
)

queries.define(
    "iv_one",
    """SELECT * FROM interventions WHERE intervention_id = $intervention_id""",
)

queries.define(
    "iv_one_with_scale",
    # With whether the student has scale-score results (then the results queries' `_scale` twins are asked).
    """SELECT v.*, (SELECT count(*) FROM scores c WHERE c.student_id = v.student_id) AS n_scale_results
       FROM interventions v WHERE v.intervention_id = $intervention_id""",
)

queries.define(
    "iv_student_exists",
    """SELECT count(*) FROM students WHERE student_id = $student_id""",
)

queries.define(
    "iv_supported",
    # Students with an open intervention (in the subject, or for any subject), or one started this
    # school year, or a meeting note about them this school year: the team has discussed them.
    """SELECT DISTINCT student_id, subject FROM (
           SELECT v.student_id, coalesce(v.subject, q.subject) AS subject
           FROM interventions v JOIN (SELECT unnest($ids) AS student_id, unnest($subjects) AS subject) q
             ON q.student_id = v.student_id AND (v.subject IS NULL OR v.subject = q.subject)
           WHERE list_contains($open, v.status) OR v.start_date >= $since
           UNION ALL
           SELECT m.student_id, q.subject
           FROM meeting_notes m JOIN (SELECT unnest($ids) AS student_id, unnest($subjects) AS subject) q
             ON q.student_id = m.student_id
           WHERE m.created_at >= $since
       )""",
)

# One student's results in a window. The stored point scores are read only for the assessments in the
# window (and, for a standard, those with an item on it), so the scan skips most of the table; the
# scale-score views join in only for a student who has scale results (`_scale` twins), as planning
# them costs more than the rest of the query.
_RESULTS_SUBJECT = """WITH o AS (
           SELECT assessment_id, score FROM points_overall
           WHERE assessment_id IN (SELECT assessment_id FROM assessments
                                   WHERE subject = $subject AND administered_on BETWEEN $date_from AND $date_to)
             AND student_id = $student_id
           {scale}
       )
       SELECT a.assessment_id, a.title, a.kind, a.administered_on, coalesce(a.proficiency_cut, 0.8) AS cut, o.score
       FROM o JOIN assessments a USING (assessment_id)
       WHERE a.subject = $subject AND a.administered_on BETWEEN $date_from AND $date_to AND o.score IS NOT NULL
       ORDER BY a.administered_on, a.assessment_id"""
_RESULTS_STANDARD = """WITH v AS (
           SELECT assessment_id, score FROM points_standard
           WHERE assessment_id IN (SELECT i.assessment_id FROM items i JOIN assessments a USING (assessment_id)
                                   WHERE i.standard_code = $standard_code
                                     AND a.administered_on BETWEEN $date_from AND $date_to)
             AND student_id = $student_id AND standard_code = $standard_code
           {scale}
       )
       SELECT a.assessment_id, a.title, a.kind, a.administered_on, coalesce(a.proficiency_cut, 0.8) AS cut, v.score
       FROM v JOIN assessments a USING (assessment_id)
       WHERE a.administered_on BETWEEN $date_from AND $date_to AND v.score IS NOT NULL
       ORDER BY a.administered_on, a.assessment_id"""
queries.define("iv_results_subject", _RESULTS_SUBJECT.format(scale=""))
queries.define("iv_results_subject_scale", _RESULTS_SUBJECT.format(
    scale="UNION ALL SELECT assessment_id, score FROM v_scale_overall_scores WHERE student_id = $student_id"))
queries.define("iv_results_standard", _RESULTS_STANDARD.format(scale=""))
queries.define("iv_results_standard_scale", _RESULTS_STANDARD.format(
    scale="UNION ALL SELECT assessment_id, score FROM v_scale_standard_scores "
          "WHERE student_id = $student_id AND standard_code = $standard_code"))

queries.define(
    "iv_students",
    """SELECT student_id, first_name, last_name, grade_level, school FROM students
       ORDER BY grade_order(grade_level), last_name, first_name, student_id""",
)

queries.define(
    "iv_standards",
    """SELECT code, subject, grade_level, description FROM standards
       WHERE ($subject IS NULL OR subject = $subject) AND ($grade IS NULL OR grade_level = $grade)
       ORDER BY grade_order(grade_level), code""",
)

queries.define(
    "iv_subjects",
    """SELECT DISTINCT subject FROM assessments WHERE subject IS NOT NULL ORDER BY subject""",
)

queries.define(
    "iv_teachers",
    """SELECT teacher_id, coalesce(name, teacher_id) AS name FROM teachers ORDER BY name""",
)

queries.define(
    "iv_counts",
    """SELECT tier, status, count(*) AS interventions, count(DISTINCT student_id) AS students
       FROM interventions WHERE list_contains($open, status) GROUP BY ALL ORDER BY tier, status""",
)


# --- writes ----------------------------------------------------------------------------------------

def _q(con: duckdb.DuckDBPyConnection, name: str, direct: bool, **params) -> pd.DataFrame:
    """A named query on a cursor, or (inside an open transaction, which cursors cannot see) on `con` itself."""
    if direct:
        return con.execute(queries.QUERIES[name], params).df()
    return queries.run(con, name, **params)


def _next(con: duckdb.DuckDBPyConnection, seq: str, direct: bool) -> int:
    sql = {"iv": "SELECT nextval('intervention_seq')", "note": "SELECT nextval('intervention_note_seq')"}[seq]
    return int(con.execute(sql).fetchone()[0] if direct else store.fetch_value(con, sql))


def _check(con: duckdb.DuckDBPyConnection, student_id: str, tier: int, kind: str, start_date: dt.date,
           recheck_date: dt.date | None, status: str, direct: bool = False) -> None:
    if not _q(con, "iv_student_exists", direct, student_id=str(student_id)).iat[0, 0]:
        raise ValueError(f"There is no student {student_id!r}.")
    if int(tier) not in TIERS:
        raise ValueError("Tier must be 1, 2 or 3.")
    if not str(kind or "").strip():
        raise ValueError("Say what kind of help it is.")
    if status not in STATUSES:
        raise ValueError(f"Status must be one of: {', '.join(STATUSES)}.")
    if recheck_date is not None and start_date is not None and recheck_date < start_date:
        raise ValueError("The re-check date is before the start date.")


def add(con: duckdb.DuckDBPyConnection, student_id: str, tier: int, kind: str, start_date: dt.date, *,
        subject: str | None = None, standard_code: str | None = None, owner: str | None = None,
        recheck_date: dt.date | None = None, status: str = "active", notes: str | None = None,
        author: str | None = None, import_id: int | None = None, _in_transaction: bool = False) -> int:
    """Assign an intervention (re-check in three weeks unless given) and start its history; returns its id."""
    recheck_date = recheck_date or (start_date + dt.timedelta(days=REVIEW_DAYS))
    _check(con, student_id, tier, kind, start_date, recheck_date, status, _in_transaction)
    new_id = _next(con, "iv", _in_transaction)
    note_id = _next(con, "note", _in_transaction)

    def write() -> None:
        con.execute(
            "INSERT INTO interventions (intervention_id, student_id, subject, tier, kind, standard_code, owner, "
            "start_date, recheck_date, status, notes, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, str(student_id), subject or None, int(tier), kind.strip(), standard_code or None,
             owner or None, start_date, recheck_date, status, notes or None, import_id],
        )
        con.execute(
            "INSERT INTO intervention_notes (note_id, intervention_id, noted_on, author, action, status, note, "
            "import_id) VALUES (?, ?, ?, ?, 'assigned', ?, ?, ?)",
            [note_id, new_id, start_date, author or None, status, notes or None, import_id],
        )

    if _in_transaction:
        write()
    else:
        with store.transaction(con):
            write()
            store.bump_data_version(con)
    return new_id


def update(con: duckdb.DuckDBPyConnection, intervention_id: int, *, status: str | None = None,
           recheck_date: dt.date | None = None, tier: int | None = None, owner: str | None = None,
           note: str | None = None, author: str | None = None, noted_on: dt.date | None = None,
           import_id: int | None = None, _in_transaction: bool = False) -> None:
    """Change status, re-check date, tier or owner and/or add a dated note; every call leaves a history row."""
    row = _q(con, "iv_one", _in_transaction, intervention_id=int(intervention_id))
    if row.empty:
        raise ValueError(f"There is no intervention {intervention_id}.")
    cur = row.iloc[0]
    new_status = status or cur["status"]
    new_tier = int(tier) if tier is not None else int(cur["tier"])
    start = pd.Timestamp(cur["start_date"]).date()
    new_recheck = recheck_date or (None if pd.isna(cur["recheck_date"]) else pd.Timestamp(cur["recheck_date"]).date())
    _check(con, cur["student_id"], new_tier, cur["kind"], start, new_recheck, new_status, _in_transaction)
    changes = []
    if new_status != cur["status"]:
        changes.append(f"status {cur['status']} → {new_status}")
    if tier is not None and new_tier != int(cur["tier"]):
        changes.append(f"tier {int(cur['tier'])} → {new_tier}")
    old_recheck = None if pd.isna(cur["recheck_date"]) else pd.Timestamp(cur["recheck_date"]).date()
    if recheck_date is not None and recheck_date != old_recheck:
        changes.append(f"re-check {recheck_date:%d %b %Y}")
    new_owner = owner if owner is not None else cur["owner"]
    if owner is not None and owner != cur["owner"]:
        changes.append("owner changed")
    if not changes and not (note or "").strip():
        raise ValueError("Nothing to record: change something or write a note.")
    action = "; ".join(changes) if changes else "note"
    note_id = _next(con, "note", _in_transaction)

    def write() -> None:
        con.execute(
            "UPDATE interventions SET status = ?, tier = ?, recheck_date = ?, owner = ?, "
            "updated_at = current_timestamp WHERE intervention_id = ?",
            [new_status, new_tier, new_recheck, new_owner, int(intervention_id)],
        )
        con.execute(
            "INSERT INTO intervention_notes (note_id, intervention_id, noted_on, author, action, status, note, "
            "import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [note_id, int(intervention_id), noted_on or dt.date.today(), author or None, action, new_status,
             (note or "").strip() or None, import_id],
        )

    if _in_transaction:
        write()
    else:
        with store.transaction(con):
            write()
            store.bump_data_version(con)


# --- reads ---------------------------------------------------------------------------------------------

def listing(con: duckdb.DuckDBPyConnection, open_only: bool = True, student_id: str | None = None) -> pd.DataFrame:
    """Interventions (open ones by default) with the student, the standard and the next review date."""
    # Every intervention (thousands of rows of names at district scale) through Arrow; one student's directly.
    run = queries.run if student_id is not None else queries.run_text
    df = run(con, "iv_list", open_only=bool(open_only), open=OPEN_STATUSES, student_id=student_id,
             review_days=REVIEW_DAYS)
    for col in ("start_date", "recheck_date", "last_reviewed", "next_review"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


def review_list(con: duckdb.DuckDBPyConnection, today: dt.date) -> pd.DataFrame:
    """Open interventions whose three-weekly review (or re-check date) has come, most overdue first."""
    df = listing(con, open_only=True)
    df = df[df["next_review"] <= today].copy()
    df["days_overdue"] = [(today - d).days for d in df["next_review"]]
    return df.sort_values(["next_review", "tier", "intervention_id"], ascending=[True, False, True])


def review_dates(start: dt.date, today: dt.date) -> list[dt.date]:
    """The three-weekly review meetings from `start` up to and including the next one after `today`."""
    out = [start]
    while out[-1] <= today:
        out.append(out[-1] + dt.timedelta(days=REVIEW_DAYS))
    return out


def history(con: duckdb.DuckDBPyConnection, intervention_id: int) -> pd.DataFrame:
    """Every dated status change and note of one intervention, oldest first."""
    return queries.run(con, "iv_history", intervention_id=int(intervention_id))


def for_student(con: duckdb.DuckDBPyConnection, student_id: str) -> pd.DataFrame:
    """One student's interventions in words (for the student profile); owner_id is aliased there."""
    df = listing(con, open_only=False, student_id=str(student_id))
    return pd.DataFrame({"Tier": df["tier"], "Help": df["kind"], "Subject": df["subject"],
                         "Standard": df["standard_code"], "owner_id": df["owner"], "Start": df["start_date"],
                         "Re-check": df["recheck_date"], "Status": df["status"]})


def not_yet_supported(con: duckdb.DuckDBPyConnection, flagged: pd.DataFrame, since: dt.date) -> pd.DataFrame:
    """Flagged (student, subject) rows with no open intervention, none started since `since`, no meeting note."""
    if flagged.empty:
        return flagged
    ids = flagged["student_id"].astype(str).tolist()
    subjects = flagged["subject"].astype(str).tolist()
    done = queries.run(con, "iv_supported", ids=ids, subjects=subjects, open=OPEN_STATUSES, since=since)
    seen = set(zip(done["student_id"].astype(str), done["subject"].astype(str)))
    keep = [(s, j) not in seen for s, j in zip(ids, subjects)]
    return flagged.loc[keep]


def before_after(con: duckdb.DuckDBPyConnection, intervention_id: int, today: dt.date | None = None,
                 window_days: int = 120) -> tuple[pd.DataFrame, dict]:
    """The student's results on the intervention's standard around its start, and a summary.

    The subject's overall results are used instead when the standard has fewer than MIN_AFTER results
    since the start (and the subject has more) or when no standard is set.
    Summary: mean score and share at/above the cut for the last 4 results before the start and every
    result after it (up to `today`).
    """
    row = queries.run(con, "iv_one_with_scale", intervention_id=int(intervention_id))
    if row.empty:
        raise ValueError(f"There is no intervention {intervention_id}.")
    iv = row.iloc[0]
    start = pd.Timestamp(iv["start_date"]).date()
    today = today or dt.date.today()
    params = dict(student_id=iv["student_id"], date_from=start - dt.timedelta(days=window_days), date_to=today)
    scope = "subject"
    twin = "_scale" if iv["n_scale_results"] else ""
    on_standard = isinstance(iv["standard_code"], str) and bool(iv["standard_code"])
    on_subject = isinstance(iv["subject"], str)
    # The standard's results and the subject's (needed when the standard has too few re-checks) are asked
    # together: each is a scan of its own, and waiting for the first to decide on the second costs more.
    asked = queries.at_once(
        ([functools.partial(queries.run, con, "iv_results_standard" + twin, standard_code=iv["standard_code"],
                            **params)] if on_standard else [])
        + ([functools.partial(queries.run, con, "iv_results_subject" + twin, subject=iv["subject"], **params)]
           if on_subject else []))
    df = asked[0] if on_standard else pd.DataFrame()
    if on_standard:
        scope = "standard"
    after_std = int((pd.to_datetime(df["administered_on"]).dt.date > start).sum()) if len(df) else 0
    if after_std < MIN_AFTER and on_subject:
        # Too few re-checks on the standard yet: the subject's results say more than one or two points.
        whole = asked[-1]
        if int((pd.to_datetime(whole["administered_on"]).dt.date > start).sum()) > after_std or df.empty:
            df, scope = whole, "subject"
    if not df.empty:
        df["administered_on"] = pd.to_datetime(df["administered_on"]).dt.date
        # Results on the start day were taken before the help began.
        df["phase"] = ["after" if d > start else "before" for d in df["administered_on"]]
        df["proficient"] = df["score"] >= df["cut"]
    before = df[df["phase"] == "before"].tail(4) if not df.empty else df
    after = df[df["phase"] == "after"] if not df.empty else df
    summary = {
        "scope": scope, "start_date": start, "standard_code": iv["standard_code"], "subject": iv["subject"],
        "n_before": int(len(before)), "n_after": int(len(after)),
        "mean_before": float(before["score"].mean()) if len(before) else None,
        "mean_after": float(after["score"].mean()) if len(after) else None,
        "proficient_before": float(before["proficient"].mean()) if len(before) else None,
        "proficient_after": float(after["proficient"].mean()) if len(after) else None,
    }
    if summary["mean_before"] is not None and summary["mean_after"] is not None:
        summary["change"] = summary["mean_after"] - summary["mean_before"]
    else:
        summary["change"] = None
    return df, summary


def form_options(con: duckdb.DuckDBPyConnection) -> dict:
    """Students, subjects, teachers and standards for the assignment form (each caller gets its own copy)."""
    # A catalogue of the whole district (58,000 students sorted by grade and name: ~60 ms), the same for
    # every question, so kept while the data is unchanged (lib.kept).
    def build() -> dict:
        students, subjects, teachers, standards = queries.at_once([
            functools.partial(queries.run_text, con, "iv_students"), functools.partial(queries.run, con, "iv_subjects"),
            functools.partial(queries.run, con, "iv_teachers"),
            functools.partial(queries.run, con, "iv_standards", subject=None, grade=None)])
        return {"students": students, "subjects": subjects["subject"].tolist(), "teachers": teachers,
                "standards": standards}

    options = kept.table(con, "interventions", ("form_options",), build)
    return {k: v.copy() for k, v in options.items()}


def opening(con: duckdb.DuckDBPyConnection) -> tuple[dict, pd.DataFrame]:
    """What the page needs as it opens, asked together: the form's options and every intervention."""
    options, every = queries.at_once([functools.partial(form_options, con), functools.partial(listing, con, False)])
    return options, every


def open_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Open interventions and students by tier and status."""
    return queries.run(con, "iv_counts", open=OPEN_STATUSES)


# --- undo and demo ------------------------------------------------------------------------------------

def _undo(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Undo hook: remove interventions an import (the demo) brought, with all their history."""
    con.execute("DELETE FROM intervention_notes WHERE import_id = ? OR intervention_id IN "
                "(SELECT intervention_id FROM interventions WHERE import_id = ?)", [import_id, import_id])
    con.execute("DELETE FROM interventions WHERE import_id = ?", [import_id])


store.UNDO_HOOKS.append(_undo)

queries.define(
    "iv_demo_candidates",
    # Students doing worst on this year's checks so far, with the standard they do worst on.
    """WITH cfa AS (
           SELECT v.student_id, a.subject, v.standard_code, avg(v.score - coalesce(a.proficiency_cut, 0.8)) AS margin
           FROM v_standard_scores v JOIN assessments a USING (assessment_id)
           WHERE a.administered_on >= $date_from AND a.administered_on < $date_to AND a.kind = 'formative'
           GROUP BY ALL
       ),
       per_student AS (
           SELECT student_id, subject, avg(margin) AS margin,
                  arg_min(standard_code, margin) AS weakest
           FROM cfa GROUP BY ALL
       )
       SELECT p.student_id, p.subject, p.margin, p.weakest, e.teacher_id
       FROM per_student p
       LEFT JOIN (SELECT e.student_id, s.subject, min(s.teacher_id) AS teacher_id
                  FROM enrollments e JOIN sections s USING (section_id)
                  WHERE s.starts_on <= $date_to AND s.ends_on >= $date_from GROUP BY ALL) e
         ON e.student_id = p.student_id AND e.subject = p.subject
       ORDER BY p.margin, p.student_id, p.subject""",
)


def _pick(student_id: str, n: int) -> int:
    """A stable choice from a student id (the demo is the same every time)."""
    return hashlib.sha256(student_id.encode()).digest()[0] % n


def _demo_interventions(con: duckdb.DuckDBPyConnection, import_id: int, frames: dict) -> None:
    """demo.EXTRAS hook: interventions for some of the students who struggle most, last year and this."""
    years = sorted({pd.Timestamp(d).year - (pd.Timestamp(d).month < 7)
                    for d in frames["assessments"]["administered_on"]})
    if not years:
        return
    latest = max(pd.Timestamp(d).date() for d in frames["assessments"]["administered_on"])
    plans = []
    for year in years[-2:]:
        current = year == years[-1]
        start = dt.date(year, 10, 12) if current else dt.date(year, 10, 6)
        cands = _q(con, "iv_demo_candidates", True, date_from=dt.date(year, 7, 1), date_to=start)
        # Some of the strugglers get help, the rest wait in the queue for the team.
        take = cands.head(max(4, len(cands) // 25))
        for i, c in enumerate(take.itertuples(index=False)):
            if _pick(c.student_id, 3) == 0:
                continue
            tier = 3 if i < len(take) // 4 else 2
            plans.append((year, current, start + dt.timedelta(days=7 * (i % 3)), tier, c))
    for year, current, start, tier, c in plans:
        kinds = DEMO_KINDS[c.subject] if c.subject in DEMO_KINDS else KINDS[:3]
        kind = "1:1 tutoring" if tier == 3 else kinds[_pick(c.student_id + c.subject, len(kinds))]
        owner = c.teacher_id if _pick(c.student_id, 2) == 0 and isinstance(c.teacher_id, str) else (
            "Reading specialist" if c.subject == "ELA" else "Math coach")
        recheck = start + dt.timedelta(days=REVIEW_DAYS)
        iv_id = add(con, c.student_id, tier, kind, start, subject=c.subject, standard_code=c.weakest, owner=owner,
                    recheck_date=recheck, status="active",
                    notes=f"Started after the checks on {c.weakest}; three sessions a week.",
                    author="Demo team", import_id=import_id, _in_transaction=True)
        first_review = start + dt.timedelta(days=REVIEW_DAYS)
        # Most were reviewed on time; a few slipped, so the review list has something to say.
        if first_review < latest and (not current or _pick(c.student_id + "r", 3) != 0):
            update(con, iv_id, note="Reviewed at the team meeting: keep going, re-check in three weeks.",
                   recheck_date=first_review + dt.timedelta(days=REVIEW_DAYS), author="Demo team",
                   noted_on=first_review, import_id=import_id, _in_transaction=True)
        if not current:
            status = ["goal met", "not working", "goal met", "stopped"][_pick(c.student_id, 4)]
            update(con, iv_id, status=status, note="Closed at the spring review.", author="Demo team",
                   noted_on=dt.date(year + 1, 3, 2), import_id=import_id, _in_transaction=True)


DEMO_KINDS = {"Math": ["Small-group reteach", "Double dose (extra practice block)", "Math intervention"],
              "ELA": ["Small-group reteach", "Reading intervention", "Double dose (extra practice block)"]}


demo.EXTRAS.append(_demo_interventions)
