"""The team meeting view: one common assessment, skill by skill, teacher by teacher, student by student.

Every number comes from a named query below, filtered in SQL by assessment (and school), so the
same code serves one school or a district of ten million responses. Python only does arithmetic on
already-aggregated rows (Wilson intervals, "rest of the team" = team minus teacher, flags).

Definitions (DESIGN.md): a student's score on a standard = earned / possible over the items aligned
to it; proficient iff score >= the assessment's cut; % proficient = proficient / students with a
score; students expected but not assessed are counted and named, never in the denominator.
"""

from __future__ import annotations

import datetime as dt
import html

import duckdb
import numpy as np
import pandas as pd

from lib import kept, privacy, queries, stats

# Levels: the cut splits proficient from not; "Approaching" is within GAP below it; "Exceeds" from
# EXCEEDS_FROM up (when that lies above the cut). Pages may let a team edit both.
DEFAULT_GAP = 0.2
DEFAULT_EXCEEDS = 0.95
THIN_EVIDENCE_ITEMS = 3          # fewer items than this behind a standard: thin evidence
TOO_HARD = 0.30                  # item difficulty (mean proportion of points) below this
TOO_EASY = 0.95                  # ... above this
WEAK_DISCRIMINATION = 0.15       # corrected item-total correlation below this is weak; below 0 check the key
ALL_STANDARDS = "All standards"
NO_TEACHER = "(no section on roster)"
INTERVENTION = "Needs more time and support"
EXTENSION = "Ready for extension"

# The level of a score as SQL (fixed text; the thresholds arrive as parameters).
_LEVEL = """CASE WHEN {s} IS NULL THEN NULL
     WHEN {s} >= {c} THEN CASE WHEN {s} >= $exceeds AND $exceeds > {c} THEN 'Exceeds' ELSE 'Meets' END
     WHEN {s} >= {c} - $gap THEN 'Approaching' ELSE 'Beginning' END"""


def _level_sql(score: str, cut: str) -> str:
    return _LEVEL.format(s=score, c=cut)


# The team's students on one assessment: everyone expected (enrolled in a matching section) plus
# anyone who took it, narrowed to a school when one is chosen.
_TEAM = """team AS (
    SELECT r.student_id, r.section_id, r.teacher_id, r.assessed, s.first_name, s.last_name
    FROM v_assessment_roster r LEFT JOIN students s ON s.student_id = r.student_id
    WHERE r.assessment_id = $aid AND ($school IS NULL OR s.school = $school)
)"""

# Points-only twins: a query that reads the score views also gets a twin reading the stored point scores
# (migration 32) directly. The views carry scale-score results too, and planning their joins costs
# ~10-30 ms a query; for an assessment with no scale result (the common case) the twin returns the same
# rows, as the scale views hold nothing for it.
_NO_SCALE_ROWS = ("(SELECT NULL::VARCHAR AS assessment_id, NULL::VARCHAR AS student_id, "
                  "NULL::VARCHAR AS standard_code, NULL::DOUBLE AS scale_score, NULL::VARCHAR AS vendor_level "
                  "WHERE false)")
_POINTS_ONLY = {"v_standard_scores": "points_standard", "v_overall_scores": "points_overall",
                "v_scale_scores": _NO_SCALE_ROWS}

queries.define("meeting_scale_assessments",
               "SELECT DISTINCT assessment_id FROM scores WHERE list_contains($aids::VARCHAR[], assessment_id)")


def _define_scored(name: str, sql: str) -> None:
    """Define a query on the score views and its points-only twin `<name>_points`."""
    queries.define(name, sql)
    twin = sql
    for view, table in _POINTS_ONLY.items():
        twin = twin.replace(view, table)
    queries.define(name + "_points", twin)


def _scale_ids(con: duckdb.DuckDBPyConnection, aids: list[str]) -> set[str]:
    """Which of these assessments have scale-score results."""
    return set(queries.run(con, "meeting_scale_assessments", aids=[str(a) for a in aids])["assessment_id"])


# The team's rows for one assessment: its roster (expected students, class, names) and each team
# student's scores (per standard, and overall with is_overall), found once per (assessment, school)
# and kept while the data is unchanged (lib.kept). The page's questions (headline, not assessed, by
# standard, each class beside the team, the grid) all read these few hundred rows.
queries.define("meeting_team_rows", f"WITH {_TEAM} SELECT * FROM team")
_define_scored(
    "meeting_team_scores",
    f"""WITH {_TEAM}
       SELECT v.student_id, v.standard_code, v.earned, v.possible, v.score, FALSE AS is_overall
       FROM v_standard_scores v
       WHERE v.assessment_id = $aid AND v.student_id IN (SELECT student_id FROM team)
       UNION ALL
       SELECT o.student_id, NULL, o.earned, o.possible, o.score, TRUE
       FROM v_overall_scores o
       WHERE o.assessment_id = $aid AND o.student_id IN (SELECT student_id FROM team)""",
)


def _team_question(con: duckdb.DuckDBPyConnection, name: str, aid: str, school: str | None,
                   **params) -> pd.DataFrame:
    """Run one question over the team's kept roster (meeting_team) and scores (meeting_team_scores)."""
    def build() -> tuple:
        scope = {"aid": aid, "school": school}
        scored = "meeting_team_scores" if _scale_ids(con, [aid]) else "meeting_team_scores_points"
        return kept.arrow(con, "meeting_team_rows", scope), kept.arrow(con, scored, scope)

    team, scores = kept.table(con, "meeting_team", (aid, school), build)
    return kept.run(con, name, {"meeting_team": team, "meeting_team_scores": scores}, {"aid": aid, **params})


# --- assessments -------------------------------------------------------------------------------

# Whether anyone has taken each assessment (for the default): its responses and scale results, counted
# from the stored point scores (one row per student with n_items responses, migration 32) rather than
# the ten million responses themselves (~10x cheaper; the same counts, as every response has its item).
# The counts do not depend on the filters: computed once and kept while the data is unchanged (lib.kept).
queries.define(
    "meeting_taken",
    """SELECT assessment_id, CAST(sum(n) AS BIGINT) AS n_responses FROM (
           SELECT assessment_id, sum(n_items) AS n FROM points_overall GROUP BY assessment_id
           UNION ALL
           SELECT assessment_id, count(*) AS n FROM scores GROUP BY assessment_id)
       GROUP BY assessment_id""",
)
queries.define(
    "meeting_assessment_options",
    """WITH a AS (
           SELECT * FROM assessments a
           WHERE ($grade IS NULL OR a.grade_level = $grade)
             AND ($subject IS NULL OR lower(a.subject) = lower($subject))
             AND ($date_from IS NULL OR a.administered_on >= $date_from)
             AND ($date_to IS NULL OR a.administered_on <= $date_to)
             AND ($standard IS NULL OR EXISTS (SELECT 1 FROM items i WHERE i.assessment_id = a.assessment_id
                                               AND i.standard_code = $standard))
       )
       SELECT a.assessment_id, a.title, a.subject, a.grade_level, a.kind, a.administered_on,
              a.proficiency_cut, coalesce(t.n_responses, 0) AS n_responses
       FROM a LEFT JOIN meeting_taken t USING (assessment_id)
       ORDER BY a.administered_on DESC NULLS LAST, grade_order(a.grade_level), a.subject, a.title""",
)

queries.define(
    "meeting_assessment_info",
    """SELECT a.assessment_id, a.title, a.subject, a.grade_level, coalesce(a.kind, 'formative') AS kind,
              a.administered_on, a.proficiency_cut AS cut,
              count(i.item) AS n_items, sum(i.points_possible) AS points,
              count(DISTINCT i.standard_code) AS n_standards
       FROM assessments a LEFT JOIN items i ON i.assessment_id = a.assessment_id
       WHERE a.assessment_id = $aid
       GROUP BY a.assessment_id, a.title, a.subject, a.grade_level, a.kind, a.administered_on,
                a.proficiency_cut""",
)


def assessment_options(con: duckdb.DuckDBPyConnection, grade: str | None = None, subject: str | None = None,
                       standard: str | None = None, date_from: dt.date | None = None,
                       date_to: dt.date | None = None) -> pd.DataFrame:
    """Assessments matching the shared filters, newest first, with how many responses each has."""
    return kept.run(con, "meeting_assessment_options", {"meeting_taken": _taken(con)},
                    {"grade": grade, "subject": subject, "standard": standard, "date_from": date_from,
                     "date_to": date_to})


def default_assessment(options: pd.DataFrame) -> str | None:
    """The team's latest assessment that anyone has taken (options come newest first)."""
    taken = options[options["n_responses"] > 0]
    frame = taken if not taken.empty else options
    return None if frame.empty else str(frame["assessment_id"].iat[0])


def assessment_label(row) -> str:
    """How an assessment reads in a picker: title, date and kind."""
    day = row["administered_on"]
    when = f"{day:%d %b %Y}" if isinstance(day, (dt.date, pd.Timestamp)) and not pd.isna(day) else "no date"
    return f"{row['title']} · {when} · {row['kind'] or 'formative'}"


def assessment_info(con: duckdb.DuckDBPyConnection, aid: str) -> dict | None:
    """Title, date, cut, item and standard counts of one assessment (None if unknown)."""
    df = queries.run(con, "meeting_assessment_info", aid=aid)
    return None if df.empty else df.iloc[0].to_dict()


# --- headline ----------------------------------------------------------------------------------

queries.define(
    "meeting_headline",
    """WITH cut AS (SELECT proficiency_cut AS cut FROM assessments WHERE assessment_id = $aid),
       overall AS (SELECT student_id, score FROM meeting_team_scores WHERE is_overall)
       SELECT count(o.score) AS assessed,
              count(*) FILTER (WHERE o.score >= cut.cut) AS proficient,
              count(*) FILTER (WHERE NOT t.assessed) AS not_assessed,
              count(*) AS on_roster,
              avg(o.score) AS mean_score,
              any_value(cut.cut) AS cut
       FROM meeting_team t CROSS JOIN cut LEFT JOIN overall o ON o.student_id = t.student_id""",
)

queries.define(
    "meeting_not_assessed",
    """SELECT t.student_id, t.first_name, t.last_name, t.teacher_id, t.section_id
       FROM meeting_team t WHERE NOT t.assessed
       ORDER BY t.teacher_id NULLS LAST, t.last_name, t.first_name, t.student_id""",
)


def headline(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> dict:
    """% proficient overall, students assessed and students expected but not assessed."""
    row = _team_question(con, "meeting_headline", aid, school).iloc[0].to_dict()
    assessed, proficient = int(row["assessed"]), int(row["proficient"])
    lo, hi = stats.wilson_interval(proficient, assessed)
    return {"assessed": assessed, "proficient": proficient, "not_assessed": int(row["not_assessed"]),
            "on_roster": int(row["on_roster"]), "pct": stats.percent(proficient, assessed),
            "lo": lo, "hi": hi, "mean_score": row["mean_score"], "cut": row["cut"]}


def not_assessed(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """The students expected to take the assessment who have no result (named, with their teacher)."""
    return _team_question(con, "meeting_not_assessed", aid, school)


# --- by standard -------------------------------------------------------------------------------

queries.define(
    "meeting_by_standard",
    f"""WITH a AS (SELECT proficiency_cut AS cut FROM assessments WHERE assessment_id = $aid),
       it AS (SELECT standard_code, count(*) AS n_items, sum(points_possible) AS points, min(position) AS first_pos
              FROM items WHERE assessment_id = $aid AND standard_code IS NOT NULL GROUP BY standard_code),
       sc AS (SELECT v.student_id, v.standard_code, v.score, {_level_sql('v.score', 'a.cut')} AS level
              FROM meeting_team_scores v CROSS JOIN a
              WHERE NOT v.is_overall)
       SELECT it.standard_code, std.description, it.n_items, it.points,
              count(sc.score) AS students,
              count(*) FILTER (WHERE sc.score >= a.cut) AS proficient,
              avg(sc.score) AS mean_score,
              count(*) FILTER (WHERE sc.level = 'Beginning') AS n_beginning,
              count(*) FILTER (WHERE sc.level = 'Approaching') AS n_approaching,
              count(*) FILTER (WHERE sc.level = 'Meets') AS n_meets,
              count(*) FILTER (WHERE sc.level = 'Exceeds') AS n_exceeds,
              any_value(a.cut) AS cut
       FROM it CROSS JOIN a
       LEFT JOIN sc ON sc.standard_code = it.standard_code
       LEFT JOIN standards std ON std.code = it.standard_code
       GROUP BY it.standard_code, std.description, it.n_items, it.points, it.first_pos
       ORDER BY it.first_pos, it.standard_code""",
)


def by_standard(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None,
                gap: float = DEFAULT_GAP, exceeds: float = DEFAULT_EXCEEDS) -> pd.DataFrame:
    """% proficient per standard with its item count, level counts and a thin-evidence flag."""
    df = _team_question(con, "meeting_by_standard", aid, school, gap=gap, exceeds=exceeds)
    counts = {col: df[col].to_numpy("int64") for col in ("students", "proficient", "n_items", "n_beginning",
                                                          "n_approaching", "n_meets", "n_exceeds")}
    k, n = counts["proficient"], counts["students"]
    lo, hi = stats.wilson_arrays(k, n)
    return df.assign(**counts, pct=stats.percent_arrays(k, n), lo=lo, hi=hi,
                     thin=counts["n_items"] < THIN_EVIDENCE_ITEMS)


# --- teacher next to the rest of the team ------------------------------------------------------

queries.define(
    "meeting_teacher_counts",
    """WITH a AS (SELECT proficiency_cut AS cut FROM assessments WHERE assessment_id = $aid),
       sc AS (SELECT student_id, CASE WHEN is_overall THEN $all_standards ELSE standard_code END AS standard_code,
                     score
              FROM meeting_team_scores)
       SELECT sc.standard_code, t.teacher_id,
              count(sc.score) AS n,
              count(*) FILTER (WHERE sc.score >= a.cut) AS k,
              -- the whole team (students with no class too), for "the rest of the team"
              CAST(sum(count(sc.score)) OVER (PARTITION BY sc.standard_code) AS BIGINT) AS team_n,
              CAST(sum(count(*) FILTER (WHERE sc.score >= a.cut)) OVER (PARTITION BY sc.standard_code) AS BIGINT)
                  AS team_k
       FROM meeting_team t JOIN sc ON sc.student_id = t.student_id CROSS JOIN a
       WHERE sc.score IS NOT NULL
       GROUP BY sc.standard_code, t.teacher_id""",
)


def teacher_vs_team(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None,
                    min_n: int = privacy.MIN_GROUP_TEAM) -> pd.DataFrame:
    """Each teacher's % proficient per standard beside the rest of the team, with 95% Wilson intervals.

    "notably higher/lower" only when the two intervals do not overlap; a teacher or a rest-of-team
    group under `min_n` students is suppressed (values blanked, the row kept and marked).
    """
    counts = _team_question(con, "meeting_teacher_counts", aid, school, all_standards=ALL_STANDARDS)
    cols = ["standard_code", "teacher_id", "n", "k", "pct", "lo", "hi", "rest_n", "rest_k", "rest_pct",
            "rest_lo", "rest_hi", "suppressed", "difference"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    # Plain arrays, one frame at the end: per-column pandas operations cost more than the query here.
    n_all, k_all = counts["n"].to_numpy("int64"), counts["k"].to_numpy("int64")
    codes_all = counts["standard_code"].to_numpy(object)
    team_n, team_k = counts["team_n"].to_numpy("int64"), counts["team_k"].to_numpy("int64")
    mine = counts["teacher_id"].notna().to_numpy()  # students with no class count in the team only
    n, k, codes = n_all[mine], k_all[mine], codes_all[mine]
    rest_n, rest_k = team_n[mine] - n, team_k[mine] - k
    pct, rest_pct = stats.percent_arrays(k, n), stats.percent_arrays(rest_k, rest_n)
    lo, hi = stats.wilson_arrays(k, n)
    rest_lo, rest_hi = stats.wilson_arrays(rest_k, rest_n)
    suppressed = (n < min_n) | (rest_n < min_n)
    # Notable only when the two intervals do not overlap (stats.compare_intervals; NaN never compares).
    difference = np.where(suppressed, None, np.where(lo > rest_hi, "notably higher",
                                                     np.where(hi < rest_lo, "notably lower", None)))

    def shown(values) -> np.ndarray:
        # Suppressed groups keep no counts either: k of n would give the percentage back.
        return np.where(suppressed, np.nan, np.asarray(values, dtype="float64"))

    df = pd.DataFrame({"standard_code": codes, "teacher_id": counts["teacher_id"].to_numpy(object)[mine],
                       "n": n, "k": shown(k), "pct": shown(pct), "lo": shown(lo), "hi": shown(hi),
                       "rest_n": rest_n, "rest_k": shown(rest_k), "rest_pct": shown(rest_pct),
                       "rest_lo": shown(rest_lo), "rest_hi": shown(rest_hi), "suppressed": suppressed,
                       "difference": difference.astype(object)})
    # "All standards" first, then the standards in code order.
    df["_first"] = df["standard_code"] != ALL_STANDARDS
    df = df.sort_values(["_first", "standard_code", "teacher_id"]).reset_index(drop=True)
    return df[cols]


# --- student x standard grid and groups --------------------------------------------------------

queries.define(
    "meeting_student_scores",
    f"""WITH a AS (SELECT proficiency_cut AS cut FROM assessments WHERE assessment_id = $aid),
       sc AS (SELECT student_id, standard_code, earned, possible, score FROM meeting_team_scores
              WHERE NOT is_overall),
       overall AS (SELECT student_id, score FROM meeting_team_scores WHERE is_overall)
       SELECT t.student_id, t.first_name, t.last_name, t.teacher_id, sc.standard_code, sc.earned, sc.possible,
              sc.score, {_level_sql('sc.score', 'a.cut')} AS level,
              o.score AS overall, {_level_sql('o.score', 'a.cut')} AS overall_level, a.cut
       FROM meeting_team t JOIN overall o ON o.student_id = t.student_id
       JOIN sc ON sc.student_id = t.student_id CROSS JOIN a
       ORDER BY t.last_name, t.first_name, t.student_id, sc.standard_code""",
)


def student_scores(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None,
                   gap: float = DEFAULT_GAP, exceeds: float = DEFAULT_EXCEEDS) -> pd.DataFrame:
    """One row per assessed student and standard: score, level, overall score (long form)."""
    return _team_question(con, "meeting_student_scores", aid, school, gap=gap, exceeds=exceeds)


def grid_wide(scores: pd.DataFrame, standards: list[str] | None = None) -> pd.DataFrame:
    """The student x standard grid: one row per student, a score column per standard, plus overall."""
    if scores.empty:
        return pd.DataFrame(columns=["student_id", "first_name", "last_name", "teacher_id", "overall"])
    keys = ["student_id", "first_name", "last_name", "teacher_id", "overall"]
    people = scores.drop_duplicates("student_id").set_index("student_id")[keys[1:]]
    wide = scores.pivot(index="student_id", columns="standard_code", values="score")
    wide.columns.name = None
    codes = list(standards) if standards else sorted(scores["standard_code"].dropna().unique())
    wide = people.join(wide.reindex(columns=codes)).reset_index()
    wide = wide.dropna(subset=["overall"])
    return wide[keys + codes].sort_values(["overall", "student_id"]).reset_index(drop=True)


def groups(scores: pd.DataFrame) -> pd.DataFrame:
    """Per standard: students below the cut (intervention group) and at or above it (extension group)."""
    if scores.empty:
        return scores.assign(group=pd.Series(dtype="object"))
    out = scores.dropna(subset=["score"]).copy()
    out["group"] = np.where(out["score"] >= out["cut"], EXTENSION, INTERVENTION)
    out["_g"] = (out["group"] == EXTENSION).astype(int)
    out = out.sort_values(["standard_code", "_g", "score", "student_id"]).drop(columns="_g")
    return out.reset_index(drop=True)


def groups_html(table: pd.DataFrame, title: str, subtitle: str = "",
                descriptions: dict[str, str] | None = None) -> str:
    """A print-friendly HTML page of the groups: one block per standard, one page per standard when printed.

    `table` has display columns standard_code, group, student, teacher, score (0-1) and level (or, for a
    scale-score test, result).
    """
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:Arial,Helvetica,sans-serif;color:#000;margin:24px;font-size:14pt}"
        "h1{font-size:20pt;margin:0 0 4px}h2{font-size:16pt;margin:18px 0 6px;border-bottom:2px solid #000}"
        "h3{font-size:13pt;margin:10px 0 4px}.sub{color:#333;margin-bottom:12px}"
        "table{border-collapse:collapse;width:100%;margin-bottom:8px}"
        "th,td{border:1px solid #666;padding:4px 8px;text-align:left}th{background:#eee}"
        ".cols{display:flex;gap:24px}.cols>div{flex:1}"
        "@media print{section{page-break-after:always}.noprint{display:none}}</style></head><body>",
        f"<h1>{esc(title)}</h1><div class='sub'>{esc(subtitle)}</div>",
        "<p class='noprint'>Use your browser's Print command (Ctrl+P / Cmd+P): one page per standard.</p>",
    ]
    for code, block in table.groupby("standard_code", sort=True):
        skill = (descriptions or {}).get(code)
        parts.append(f"<section><h2>{esc(str(code))}" + (f": {esc(str(skill))}" if isinstance(skill, str) else "")
                     + "</h2><div class='cols'>")
        for name in (INTERVENTION, EXTENSION):
            members = block[block["group"] == name]
            parts.append(f"<div><h3>{esc(name)} ({len(members)})</h3>")
            if members.empty:
                parts.append("<p>No students.</p></div>")
                continue
            # A scale-score test has a 'result' ('198 · 31st pct · LoAvg') instead of a score and a level.
            scored = "score" in members
            parts.append("<table><tr><th>Student</th><th>Teacher</th>"
                         + ("<th>Score</th><th>Level</th>" if scored else "<th>Result</th>") + "</tr>")
            for _, r in members.iterrows():
                cells = [esc(str(r["student"])), esc(str(r.get("teacher", "") or ""))]
                if scored:
                    cells.append("" if pd.isna(r["score"]) else f"{r['score']:.0%}")
                    cells.append(esc(str(r.get("level", "") or "")))
                else:
                    cells.append(esc(str(r.get("result", "") or "")))
                parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            parts.append("</table></div>")
        parts.append("</div></section>")
    parts.append("</body></html>")
    return "".join(parts)


# --- item analysis -----------------------------------------------------------------------------

_ITEM_RESP = f"""{_TEAM},
       resp AS (
           SELECT r.student_id, r.item, r.points_earned, r.response, i.points_possible, i.standard_code,
                  i.correct_response, i.position
           FROM responses r JOIN items i ON i.assessment_id = r.assessment_id AND i.item = r.item
           WHERE r.assessment_id = $aid AND r.student_id IN (SELECT student_id FROM team)
       ),
       tot AS (SELECT student_id, sum(points_earned) AS total, sum(points_possible) AS total_possible
               FROM resp GROUP BY student_id)"""

# Item statistics and answer choices both read the team's responses to the test: those rows are found
# once per (assessment, school) and kept while the data is unchanged (lib.kept).
queries.define(
    "meeting_item_rows",
    f"""WITH {_ITEM_RESP}
       SELECT r.*, t.total, t.total_possible FROM resp r JOIN tot t USING (student_id)""",
)

queries.define(
    "meeting_items",
    """SELECT item, any_value(position) AS position, any_value(standard_code) AS standard_code,
              any_value(points_possible) AS points_possible, any_value(correct_response) AS correct_response,
              count(*) AS students,
              avg(points_earned / nullif(points_possible, 0)) AS difficulty,
              corr(points_earned, total - points_earned) AS discrimination,
              count(response) AS with_response
       FROM meeting_item_rows
       GROUP BY item
       ORDER BY position NULLS LAST, try_cast(item AS INTEGER) NULLS LAST, item""",
)

queries.define(
    "meeting_distractors",
    """SELECT item, any_value(position) AS position, response,
              any_value(correct_response) AS correct_response,
              response = any_value(correct_response) AS is_key,
              count(*) AS students,
              avg((total - points_earned) / nullif(total_possible - points_possible, 0)) AS rest_score
       FROM meeting_item_rows
       WHERE response IS NOT NULL
       GROUP BY item, response
       ORDER BY position NULLS LAST, try_cast(item AS INTEGER) NULLS LAST, item, response""",
)


def _item_question(con: duckdb.DuckDBPyConnection, name: str, aid: str, school: str | None) -> pd.DataFrame:
    """Run an item question over the team's kept responses to the assessment."""
    rows = kept.table(con, "meeting_item_rows", (aid, school),
                      lambda: kept.arrow(con, "meeting_item_rows", {"aid": aid, "school": school}))
    return kept.run(con, name, {"meeting_item_rows": rows}, {})


def distractors(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """Per item and answer chosen: how many students chose it and how those students did on the rest."""
    df = _item_question(con, "meeting_distractors", aid, school)
    if df.empty:
        return df.assign(share=pd.Series(dtype="float64"))
    df["students"] = df["students"].astype("int64")
    df["share"] = df["students"] / df.groupby("item")["students"].transform("sum")
    return df


def item_stats(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """Per item: difficulty and corrected item-total discrimination (flag_items adds the flags)."""
    return _item_question(con, "meeting_items", aid, school)


def item_analysis(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """Difficulty, corrected item-total discrimination and flags (too hard, too easy, check the key)."""
    return flag_items(item_stats(con, aid, school), distractors(con, aid, school))


def flag_items(stats: pd.DataFrame, dis: pd.DataFrame) -> pd.DataFrame:
    """Item statistics with flags and the likely key, from item_stats and distractors of the same test."""
    df = stats.copy()
    if df.empty:
        return df.assign(flag=pd.Series(dtype="object"), likely_key=pd.Series(dtype="object"))
    df["discrimination"] = df["discrimination"].astype("float64").replace([np.inf, -np.inf], np.nan)
    likely = {}
    if not dis.empty:
        # The answer whose choosers did best on the rest of the test; when it is not the key, the
        # key may be wrong. Only answers chosen by at least 3 students count.
        solid = dis[dis["students"] >= 3].sort_values(["item", "rest_score"], ascending=[True, False])
        likely = solid.groupby("item")["response"].first().to_dict()
    df["likely_key"] = df["item"].map(likely)
    flags = []
    for _, r in df.iterrows():
        f = []
        if pd.notna(r["discrimination"]) and r["discrimination"] < 0:
            f.append("negative discrimination: check the key")
        if isinstance(r["correct_response"], str) and isinstance(r["likely_key"], str) \
                and r["likely_key"] != r["correct_response"] and pd.notna(r["discrimination"]) \
                and r["discrimination"] < WEAK_DISCRIMINATION:
            f.append(f"high scorers chose {r['likely_key']}")
        if pd.notna(r["difficulty"]) and r["difficulty"] < TOO_HARD:
            f.append("too hard")
        if pd.notna(r["difficulty"]) and r["difficulty"] > TOO_EASY:
            f.append("too easy")
        if pd.notna(r["discrimination"]) and 0 <= r["discrimination"] < WEAK_DISCRIMINATION:
            f.append("weak discrimination")
        flags.append("; ".join(f) or None)
    df["flag"] = flags
    return df


# --- growth ------------------------------------------------------------------------------------

# Earlier assessments of the same standards that someone took (a stored point score or a scale result).
_GROWTH_SOURCES = """cur AS (SELECT administered_on FROM assessments WHERE assessment_id = $aid),
       cur_std AS (SELECT DISTINCT standard_code FROM items WHERE assessment_id = $aid AND standard_code IS NOT NULL),
       cand AS (
           SELECT DISTINCT i.standard_code, a.assessment_id, a.title, a.kind, a.administered_on,
                  a.proficiency_cut AS cut
           FROM items i JOIN cur_std USING (standard_code)
           JOIN assessments a ON a.assessment_id = i.assessment_id
           CROSS JOIN cur
           WHERE a.assessment_id <> $aid AND a.administered_on < cur.administered_on
       ),
       -- Taken: the kept counts behind the assessment picker (meeting_taken), not a scan of the scores.
       taken AS (SELECT assessment_id FROM meeting_taken WHERE n_responses > 0),
       pairs AS (SELECT * FROM cand WHERE assessment_id IN (SELECT assessment_id FROM taken)),
       src AS (
           SELECT * FROM pairs
           QUALIFY row_number() OVER (PARTITION BY standard_code
                                      ORDER BY administered_on DESC, assessment_id DESC) = 1
       )"""

queries.define(
    "meeting_growth_sources",
    f"""WITH {_GROWTH_SOURCES}
       SELECT standard_code, assessment_id AS prev_assessment_id, title AS prev_title, kind AS prev_kind,
              administered_on AS prev_date, cut AS prev_cut
       FROM src ORDER BY standard_code""",
)

# Scores on the current and one previous assessment, for the standards that previous assessment is
# the source of: the team and its current scores are the kept ones (_team_question); one query per
# previous assessment keeps its filter a plain equality, which DuckDB pushes into the score scan.
_define_scored(
    "meeting_growth_pair",
    """WITH team AS (SELECT * FROM meeting_team),
       a AS (SELECT proficiency_cut AS cut FROM assessments WHERE assessment_id = $aid),
       p AS (SELECT proficiency_cut AS cut FROM assessments WHERE assessment_id = $prev),
       codes AS (SELECT unnest($codes::VARCHAR[]) AS standard_code),
       now_sc AS (SELECT student_id, standard_code, score FROM meeting_team_scores
                  WHERE NOT is_overall AND list_contains($codes::VARCHAR[], standard_code)),
       prev_sc AS (SELECT student_id, standard_code, score FROM v_standard_scores
                   WHERE assessment_id = $prev AND list_contains($codes::VARCHAR[], standard_code)),
       -- Scale-score results also keep the scale score and the vendor's level word.
       now_sv AS (SELECT student_id, standard_code, scale_score, vendor_level FROM v_scale_scores
                  WHERE assessment_id = $aid AND list_contains($codes::VARCHAR[], standard_code)),
       prev_sv AS (SELECT student_id, standard_code, scale_score, vendor_level FROM v_scale_scores
                   WHERE assessment_id = $prev AND list_contains($codes::VARCHAR[], standard_code))
       SELECT t.student_id, t.first_name, t.last_name, t.teacher_id, c.standard_code,
              ps.score AS before, ps.score >= p.cut AS before_proficient,
              ns.score AS now, ns.score >= a.cut AS now_proficient,
              ns.score - ps.score AS change,
              pv.scale_score AS before_scale, pv.vendor_level AS before_level,
              nv.scale_score AS now_scale, nv.vendor_level AS now_level
       FROM team t CROSS JOIN codes c CROSS JOIN a CROSS JOIN p
       LEFT JOIN prev_sc ps ON ps.student_id = t.student_id AND ps.standard_code = c.standard_code
       LEFT JOIN now_sc ns ON ns.student_id = t.student_id AND ns.standard_code = c.standard_code
       LEFT JOIN prev_sv pv ON pv.student_id = t.student_id AND pv.standard_code = c.standard_code
       LEFT JOIN now_sv nv ON nv.student_id = t.student_id AND nv.standard_code = c.standard_code
       WHERE ps.score IS NOT NULL OR ns.score IS NOT NULL""",
)


def _taken(con: duckdb.DuckDBPyConnection):
    """Responses and scale results per assessment (meeting_taken), kept while the data is unchanged."""
    return kept.table(con, "meeting", ("taken",), lambda: kept.arrow(con, "meeting_taken", {}))


def growth_sources(con: duckdb.DuckDBPyConnection, aid: str) -> pd.DataFrame:
    """For each standard on the assessment, the most recent earlier assessment that measured it."""
    return kept.run(con, "meeting_growth_sources", {"meeting_taken": _taken(con)}, {"aid": aid})


def growth_students(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """Per team student and standard: score on the previous assessment of that standard and now."""
    return growth_rows(con, aid, school, growth_pairs(growth_sources(con, aid)))


def growth_pairs(sources: pd.DataFrame) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """From growth_sources: each earlier assessment with the standards compared against it (hashable)."""
    return tuple((str(prev), tuple(sorted(grp["standard_code"])))
                 for prev, grp in sources.groupby("prev_assessment_id"))


def growth_rows(con: duckdb.DuckDBPyConnection, aid: str, school: str | None,
                pairs: tuple[tuple[str, tuple[str, ...]], ...]) -> pd.DataFrame:
    """growth_students for the pairs growth_pairs found (the page already has the sources)."""
    cols = ["student_id", "first_name", "last_name", "teacher_id", "standard_code", "before",
            "before_proficient", "now", "now_proficient", "change", "before_scale", "before_level",
            "now_scale", "now_level"]
    scale = _scale_ids(con, [aid, *(prev for prev, _ in pairs)])
    frames = [_team_question(con, "meeting_growth_pair" + ("" if scale & {str(aid), str(prev)} else "_points"),
                             aid, school, prev=prev, codes=list(codes))
              for prev, codes in pairs]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["standard_code", "last_name", "first_name", "student_id"]).reset_index(drop=True)[cols]


def growth_summary(rows: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Per standard: % proficient before and now (all students, and students with both), mean change."""
    cols = ["standard_code", "prev_title", "prev_date", "before_n", "before_pct", "now_n", "now_pct",
            "matched", "matched_before_pct", "matched_now_pct", "mean_change", "became_proficient",
            "slipped", "mean_scale_change"]
    if rows.empty or sources.empty:
        return pd.DataFrame(columns=cols)
    out = []
    for code, g in rows.groupby("standard_code", sort=True):
        src = sources[sources["standard_code"] == code].iloc[0]
        before = g.dropna(subset=["before"])
        now = g.dropna(subset=["now"])
        both = g.dropna(subset=["before", "now"])
        bp = both["before_proficient"].astype(bool)
        np_ = both["now_proficient"].astype(bool)
        out.append({
            "standard_code": code, "prev_title": src["prev_title"], "prev_date": src["prev_date"],
            "before_n": len(before), "before_pct": stats.percent(before["before_proficient"].astype(bool).sum(),
                                                                 len(before)),
            "now_n": len(now), "now_pct": stats.percent(now["now_proficient"].astype(bool).sum(), len(now)),
            "matched": len(both),
            "matched_before_pct": stats.percent(bp.sum(), len(both)),
            "matched_now_pct": stats.percent(np_.sum(), len(both)),
            "mean_change": both["change"].mean() if len(both) else np.nan,
            "became_proficient": int((~bp & np_).sum()),
            "slipped": int((bp & ~np_).sum()),
            # Scale-score assessments: the change in the vendor's scale (RIT, scaled score...), both tests.
            "mean_scale_change": (both["now_scale"] - both["before_scale"]).mean()
            if "now_scale" in both and both["now_scale"].notna().any() else np.nan,
        })
    return pd.DataFrame(out, columns=cols)


# --- scale-score assessments (MAP, i-Ready, Star, Canvas): levels instead of points ------------------

OVERALL = "Overall"
NO_WORD = {True: "At or above the cut", False: "Below the cut", None: "Not decided"}

queries.define(
    "meeting_scale_levels",
    f"""WITH {_TEAM}
       SELECT coalesce(v.standard_code, $overall) AS standard_code, v.standard_code IS NULL AS is_overall,
              v.vendor_level, v.proficient, min(v.level_rank) AS level_rank, count(DISTINCT v.student_id) AS students,
              avg(v.scale_score) AS mean_scale_score
       FROM v_scale_scores v
       WHERE v.assessment_id = $aid AND v.student_id IN (SELECT student_id FROM team)
       GROUP BY ALL""",
)

queries.define(
    "meeting_scale_students",
    f"""WITH {_TEAM}
       SELECT t.student_id, any_value(t.first_name) AS first_name, any_value(t.last_name) AS last_name,
              min(t.teacher_id) AS teacher_id, coalesce(v.standard_code, $overall) AS standard_code,
              any_value(v.scale_score) AS scale_score, any_value(v.percentile) AS percentile,
              any_value(v.vendor_level) AS vendor_level, any_value(v.proficient) AS proficient
       FROM team t JOIN v_scale_scores v ON v.student_id = t.student_id AND v.assessment_id = $aid
       GROUP BY t.student_id, v.standard_code
       ORDER BY t.student_id, v.standard_code NULLS FIRST""",
)


def _level_word(level, proficient) -> str:
    """The vendor's level word, or what decided proficiency when the result carries no word."""
    if isinstance(level, str) and level.strip():
        return level.strip()
    return NO_WORD[None if proficient is None or pd.isna(proficient) else bool(proficient)]


def scale_levels(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None,
                 standards: list[str] | None = None) -> pd.DataFrame:
    """Students per vendor level, overall then per goal/domain, lowest level first, each marked proficient."""
    df = queries.run(con, "meeting_scale_levels", aid=aid, school=school, overall=OVERALL)
    return levels_frame(df, standards)


def levels_frame(df: pd.DataFrame, standards: list[str] | None = None) -> pd.DataFrame:
    """Counts per (standard_code, vendor_level, proficient) made into the levels table pages show: words,
    lowest level first, shares and % proficient of the students whose level is decided."""
    cols = ["standard_code", "level", "proficient", "students", "share", "mean_scale_score", "level_rank", "pct",
            "assessed"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["level"] = [_level_word(lv, p) for lv, p in zip(df["vendor_level"], df["proficient"])]
    df["proficient"] = df["proficient"].astype("boolean")
    # A cut can split one word (MAP 'Avg' spans percentiles 41-60; the cut is the 50th): say which part.
    split = df.duplicated(["standard_code", "level"], keep=False) & df["proficient"].notna()
    df.loc[split, "level"] = [f"{lv} ({'at or above' if p else 'below'} the cut)"
                              for lv, p in zip(df.loc[split, "level"], df.loc[split, "proficient"])]
    order = [OVERALL] + [c for c in (standards or sorted(set(df["standard_code"]) - {OVERALL})) if c != OVERALL]
    df["_s"] = df["standard_code"].map({c: i for i, c in enumerate(order)}).fillna(len(order))
    # Not proficient first, then proficient; undecided last. Within a side, the vendor's rank, else scale.
    df["_p"] = df["proficient"].map({False: 0, True: 1}).fillna(2).astype(int)
    df = df.sort_values(["_s", "standard_code", "_p", "level_rank", "mean_scale_score", "level"],
                        na_position="last")
    decided = df[df["proficient"].notna()].groupby("standard_code")
    assessed = decided["students"].sum()
    prof = df[df["proficient"].fillna(False).astype(bool)].groupby("standard_code")["students"].sum()
    df["assessed"] = df["standard_code"].map(assessed).fillna(0).astype(int)
    df["pct"] = [stats.percent(int(prof.get(c, 0)), int(n)) for c, n in zip(df["standard_code"], df["assessed"])]
    df["share"] = [k / n if n else np.nan for k, n in zip(df["students"], df["assessed"])]
    return df[cols].reset_index(drop=True)


def scale_students(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """One row per team student and result (Overall and each goal/domain): scale score, level word, proficient."""
    df = queries.run(con, "meeting_scale_students", aid=aid, school=school, overall=OVERALL)
    df["level"] = [_level_word(lv, p) for lv, p in zip(df["vendor_level"], df["proficient"])]
    return df


def scale_cell(score, level, percentile=None) -> str:
    """How a scale result reads in a table cell: '205 · 62nd pct · HiAvg' (score first: it sorts by eye)."""
    parts = [] if score is None or pd.isna(score) else [f"{score:.0f}"]
    if percentile is not None and not pd.isna(percentile):
        parts.append(f"{stats.ordinal(int(round(percentile)))} pct")
    if isinstance(level, str) and level:
        parts.append(level)
    return " · ".join(parts)


def scale_grid_wide(rows: pd.DataFrame, standards: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The student x result grid for a scale-score test: cell text ('205 · HiAvg') and, alongside, whether
    each cell is proficient (for colouring); one row per student, lowest overall scale score first."""
    keys = ["student_id", "first_name", "last_name", "teacher_id"]
    if rows.empty:
        return pd.DataFrame(columns=keys + [OVERALL]), pd.DataFrame(columns=[OVERALL])
    codes = [OVERALL] + [c for c in (standards or sorted(set(rows["standard_code"]) - {OVERALL})) if c != OVERALL]
    codes = [c for c in codes if c in set(rows["standard_code"])]
    r = rows.assign(cell=[scale_cell(s, lv, pc) for s, lv, pc in
                          zip(rows["scale_score"], rows["level"], rows["percentile"])])
    people = r.drop_duplicates("student_id").set_index("student_id")[keys[1:]]
    text = r.pivot(index="student_id", columns="standard_code", values="cell").reindex(columns=codes)
    prof = r.pivot(index="student_id", columns="standard_code", values="proficient").reindex(columns=codes)
    order = r[r["standard_code"] == OVERALL].set_index("student_id")["scale_score"].reindex(people.index)
    idx = order.sort_values(na_position="last", kind="stable").index
    wide = people.join(text.fillna("")).loc[idx].reset_index()
    wide.columns.name = None
    prof = prof.loc[idx].reset_index(drop=True)
    prof.columns.name = None
    return wide[keys + codes], prof


# --- display tables (plain pandas on already-aggregated rows) ------------------------------------

def standard_axis_label(code: str, n_items: int) -> str:
    """The by-standard label: code, item count, and a thin-evidence mark under 3 items."""
    items = f"{n_items} item" + ("" if n_items == 1 else "s")
    return f"{code} · {items}" + (" ⚠ thin" if n_items < THIN_EVIDENCE_ITEMS else "")


def notable_differences(tv: pd.DataFrame) -> pd.DataFrame:
    """The teacher-by-standard comparisons whose intervals do not overlap (higher first)."""
    out = tv[tv["difference"].notna()].copy()
    out["_o"] = (out["difference"] != "notably higher").astype(int)
    return out.sort_values(["_o", "standard_code", "teacher_id"]).drop(columns="_o").reset_index(drop=True)


def teacher_matrix(tv: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Teachers (rows) by standard (columns): "% (n)" with ▲/▼ for notable differences, "n<5" when hidden."""
    if tv.empty:
        return pd.DataFrame(columns=["Class"])

    def cell(r) -> str:
        if r["suppressed"]:
            return f"hidden (<{privacy.MIN_GROUP_TEAM})" if r["n"] < privacy.MIN_GROUP_TEAM else "hidden (rest < 5)"
        mark = {"notably higher": " ▲", "notably lower": " ▼"}.get(r["difference"], "")
        return f"{r['pct']:.0%} of {int(r['n'])}{mark}"

    t = tv.assign(cell=tv.apply(cell, axis=1), _t=tv["teacher_id"].fillna(NO_TEACHER))
    codes = list(dict.fromkeys(tv["standard_code"]))
    # Pivot on the id: two teachers may share a display name in a district.
    wide = t.pivot(index="_t", columns="standard_code", values="cell").reindex(columns=codes).reset_index()
    wide.insert(0, "Class", wide.pop("_t").map(lambda x: labels.get(x, x)))
    wide.columns.name = None
    return wide.fillna("")


def distractor_matrix(dis: pd.DataFrame) -> pd.DataFrame:
    """Items (rows) by answer chosen (columns): share of students, the key marked with ✓."""
    if dis.empty:
        return pd.DataFrame(columns=["item"])
    d = dis.assign(cell=[("✓ " if k else "") + f"{s:.0%}" for k, s in zip(dis["is_key"], dis["share"])])
    order = list(dict.fromkeys(d.sort_values(["position", "item"])["item"]))
    wide = d.pivot(index="item", columns="response", values="cell").reindex(order).reset_index()
    wide.columns.name = None
    return wide.fillna("")
