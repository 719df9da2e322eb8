"""Scale-score assessments (NWEA MAP, i-Ready, Star, Canvas outcome rollups): writing, undo, levels.

Representation (migration 30 in lib/store.py):
- `scores` holds one row per student per test (standard_code NULL) and per goal/domain/standard:
  the scale score, percentile, the vendor's level words and, when the file has one, a projected level.
- Whether a result is proficient comes from an editable mapping, never from points:
  `scale_levels` (vendor, scope, level word -> proficient) decides first; else `scale_rules`
  (a percentile cut, or a score cut); `prefer_projected` lets a projected state-test level decide.
  Defaults: MAP achievement percentile >= 50 (goal areas Avg or above); i-Ready placed on grade
  level (Early On or Mid or Above); Star At/Above Benchmark (percentile >= 40 without a category);
  Canvas result at or above the outcome's mastery points. Edit with `set_level` / `set_rule`.
- The core views (`v_overall_scores`, `v_standard_scores`) give each such result earned = 1 if
  proficient else 0, possible = 1, score = earned, and these assessments carry proficiency_cut 1.0,
  so the team meeting, trends and goals compare score >= cut unchanged. `v_scale_scores` (and
  `scale_results` below) keep the scale score and the vendor level for pages that show levels.
  A query that computes points scores from responses directly (for speed) keeps scale results by
  adding `UNION ALL SELECT * FROM v_scale_standard_scores` (or `v_scale_overall_scores`) with the
  same filters (migration 31).
- Each standard/goal/domain also gets an item row (1 point, no responses) so pages that list an
  assessment's standards from `items` see them.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from lib import ingest, queries, store

VENDOR_LABELS = {"nwea_map": "NWEA MAP", "iready": "i-Ready", "star": "Renaissance Star", "canvas": "Canvas"}
DEFAULT_OVERALL_SHARE = 0.8


def _title(row) -> str:
    """'MAP Growth Math · Fall 2021-2022 · Grade 3' (the grade keeps grade-level teams apart)."""
    if row["title"]:
        base = row["title"]
    else:
        base = " · ".join(x for x in (row["product"], row["window"]) if x)
    g = row["grade_level"]
    if g and not pd.isna(g):
        word = "Kindergarten" if g == "K" else f"Grade {g}"
        if not re.search(rf"(?i)\b{word}\b", base):
            base = f"{base} · {word}"
    return base


def write_scores(con: duckdb.DuckDBPyConnection, parsed: ingest.Parsed, import_id: int) -> None:
    """Write Parsed.extra['scores'] (inside the import's transaction): assessments, items, standards, scores."""
    f = parsed.extra.get("scores")
    if f is None or f.empty:
        return
    f = f.copy().reset_index(drop=True)
    f["grade_level"] = f["grade_level"].astype(object).where(f["grade_level"].notna(), None)
    # A file without a grade column (MAP AssessmentResults) takes each student's grade on file.
    missing = f["grade_level"].isna()
    if missing.any():
        ids = f.loc[missing, "student_id"].drop_duplicates()
        con.register("_ids", pd.DataFrame({"student_id": ids.astype(str)}))
        try:
            # Same connection: the students this import just wrote are visible inside its transaction.
            known = con.execute("SELECT s.student_id, s.grade_level FROM students s "
                                "JOIN _ids USING (student_id) WHERE s.grade_level IS NOT NULL").df()
        finally:
            con.unregister("_ids")
        f.loc[missing, "grade_level"] = f.loc[missing, "student_id"].map(dict(zip(known["student_id"],
                                                                                  known["grade_level"])))
    f["grade_level"] = f["grade_level"].astype(object).where(f["grade_level"].notna(), None)
    f["title_full"] = [_title(r) for r in f.to_dict("records")]
    f["assessment_id"] = [ingest.assessment_key(t, s, g) for t, s, g in
                          zip(f["title_full"], f["subject"], f["grade_level"])]
    # A standards file (Star) joins the test it belongs to when that test is already stored.
    attach = f["attach_to_test"] & f["vendor_test_id"].notna()
    if attach.any():
        # The test may be in this same upload (a zip or folder with both files), else already stored.
        tests = f[~f["attach_to_test"] & f["standard_code"].isna() & f["vendor_test_id"].notna()]
        here = {(t, s): a for t, s, a in zip(tests["vendor_test_id"], tests["student_id"], tests["assessment_id"])}
        keys = f.loc[attach, ["vendor_test_id", "student_id"]].drop_duplicates().astype(str)
        con.register("_k", keys)
        try:
            found = con.execute("""SELECT DISTINCT s.vendor_test_id, s.student_id, s.assessment_id
                                   FROM scores s JOIN _k USING (vendor_test_id, student_id)
                                   WHERE s.standard_code IS NULL""").df()
        finally:
            con.unregister("_k")
        where = {(t, s): a for t, s, a in zip(found["vendor_test_id"], found["student_id"], found["assessment_id"])}
        where.update(here)
        hit = [where.get((t, s)) for t, s in zip(f["vendor_test_id"], f["student_id"])]
        f["assessment_id"] = [h if (a and h) else cur for a, h, cur in zip(attach, hit, f["assessment_id"])]
    f["tested_on"] = pd.to_datetime(f["tested_on"], errors="coerce")
    _write_assessments(con, f, import_id)
    _write_items_and_standards(con, f, import_id)
    _write_score_rows(con, f, import_id)


def _write_assessments(con, f: pd.DataFrame, import_id: int) -> None:
    agg = f.groupby("assessment_id", sort=False).agg(
        title=("title_full", "first"), subject=("subject", "first"), grade_level=("grade_level", "first"),
        administered_on=("tested_on", "min"), vendor=("vendor", "first"), scale_name=("scale_name", "first"))
    agg = agg.reset_index()
    agg["administered_on"] = agg["administered_on"].dt.date
    a = agg.astype(object).where(agg.notna(), None)
    con.register("_sa", a)
    try:
        con.execute("""UPDATE assessments SET proficiency_cut = 1.0,
                       administered_on = CASE WHEN assessments.administered_on IS NULL THEN n.administered_on
                                              WHEN n.administered_on IS NULL THEN assessments.administered_on
                                              ELSE least(assessments.administered_on, n.administered_on) END
                       FROM _sa n WHERE assessments.assessment_id = n.assessment_id""")
        con.execute("""INSERT INTO assessments (assessment_id, title, subject, grade_level, kind, administered_on,
                                                proficiency_cut, import_id)
                       SELECT assessment_id, title, subject, grade_level, 'benchmark', CAST(administered_on AS DATE),
                              1.0, ? FROM _sa
                       WHERE assessment_id NOT IN (SELECT assessment_id FROM assessments)""", [import_id])
        con.execute("""INSERT INTO scale_assessments (assessment_id, vendor, scale_name, import_id)
                       SELECT assessment_id, vendor, scale_name, ? FROM _sa
                       WHERE assessment_id NOT IN (SELECT assessment_id FROM scale_assessments)""", [import_id])
    finally:
        con.unregister("_sa")


def _write_items_and_standards(con, f: pd.DataFrame, import_id: int) -> None:
    std = f[f["standard_code"].notna()]
    if std.empty:
        return
    items = std.drop_duplicates(["assessment_id", "standard_code"])[["assessment_id", "standard_code"]].copy()
    items["position"] = items.groupby("assessment_id").cumcount() + 1
    con.register("_si", items)
    try:
        con.execute("""INSERT INTO items (assessment_id, item, standard_code, points_possible, correct_response,
                                          position, import_id)
                       SELECT n.assessment_id, n.standard_code, n.standard_code, 1.0, NULL,
                              n.position + coalesce((SELECT max(position) FROM items i
                                                     WHERE i.assessment_id = n.assessment_id), 0), ?
                       FROM _si n
                       WHERE (n.assessment_id, n.standard_code) NOT IN (SELECT assessment_id, item FROM items)""",
                    [import_id])
    finally:
        con.unregister("_si")
    codes = std.drop_duplicates("standard_code")[["standard_code", "subject", "grade_level", "standard_label"]]
    con.register("_sc", codes.astype(object).where(codes.notna(), None))
    try:
        con.execute("""UPDATE standards SET description = coalesce(standards.description, n.standard_label),
                       subject = coalesce(standards.subject, n.subject)
                       FROM _sc n WHERE standards.code = n.standard_code""")
        con.execute("""INSERT INTO standards (code, subject, grade_level, description, import_id)
                       SELECT standard_code, subject, grade_level, standard_label, ? FROM _sc
                       WHERE standard_code NOT IN (SELECT code FROM standards)""", [import_id])
    finally:
        con.unregister("_sc")


_SCORE_COLS = ["assessment_id", "student_id", "standard_code", "scale_score", "percentile", "vendor_level",
               "projected_level", "proficient_given", "tested_on", "vendor", "vendor_test_id"]


def _write_score_rows(con, f: pd.DataFrame, import_id: int) -> None:
    s = f[_SCORE_COLS].copy()
    s["tested_on"] = s["tested_on"].dt.date
    # Within one file the last row for a result wins (the parsers already kept each student's latest test).
    s["_k"] = s["standard_code"].fillna("")
    s = s.drop_duplicates(["assessment_id", "student_id", "_k"], keep="last").drop(columns="_k")
    s = s.astype(object).where(s.notna(), None)
    s["import_id"] = import_id
    con.register("_ss", s)
    try:
        # A corrected file replaces those results; undo puts the earlier ones back.
        con.execute("""CREATE OR REPLACE TEMP TABLE _skeys AS
                       SELECT DISTINCT assessment_id, student_id, coalesce(standard_code, '') AS code FROM _ss""")
        con.execute("""INSERT INTO scores_replaced
                       SELECT s.*, ? FROM scores s
                       WHERE (s.assessment_id, s.student_id, coalesce(s.standard_code, ''))
                             IN (SELECT * FROM _skeys)""",
                    [import_id])
        con.execute("""DELETE FROM scores WHERE (assessment_id, student_id, coalesce(standard_code, ''))
                       IN (SELECT * FROM _skeys)""")
        con.execute("""INSERT INTO scores (assessment_id, student_id, standard_code, scale_score, percentile,
                                           vendor_level, projected_level, proficient_given, tested_on, vendor,
                                           vendor_test_id, import_id)
                       SELECT assessment_id, CAST(student_id AS VARCHAR), standard_code, CAST(scale_score AS DOUBLE),
                              CAST(percentile AS DOUBLE), vendor_level, projected_level,
                              CAST(proficient_given AS BOOLEAN), CAST(tested_on AS DATE), vendor,
                              CAST(vendor_test_id AS VARCHAR), import_id FROM _ss""")
        con.execute("DROP TABLE _skeys")
    finally:
        con.unregister("_ss")


def undo_scores(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Undo hook: remove an import's scale results, restore what it replaced, keep shared rows alive.

    Items, assessments and students an import created stay when other imports' results still use
    them (they are handed over to the oldest such import, so undoing that one removes them later).
    """
    con.execute("DELETE FROM scores WHERE import_id = ?", [import_id])
    con.execute("""INSERT INTO scores SELECT assessment_id, student_id, standard_code, scale_score, percentile,
                   vendor_level, projected_level, proficient_given, tested_on, vendor, vendor_test_id, import_id
                   FROM scores_replaced WHERE replaced_by = ?""", [import_id])
    con.execute("DELETE FROM scores_replaced WHERE replaced_by = ? OR import_id = ?", [import_id, import_id])
    con.execute("""UPDATE items SET import_id = (SELECT min(s.import_id) FROM scores s
                                                WHERE s.assessment_id = items.assessment_id
                                                  AND s.standard_code = items.standard_code)
                   WHERE import_id = ? AND EXISTS (SELECT 1 FROM scores s WHERE s.assessment_id = items.assessment_id
                                                   AND s.standard_code = items.standard_code)""", [import_id])
    for table in ("assessments", "scale_assessments"):
        con.execute(f"""UPDATE {table} SET import_id = (SELECT min(s.import_id) FROM scores s
                                                        WHERE s.assessment_id = {table}.assessment_id)
                        WHERE import_id = ? AND EXISTS (SELECT 1 FROM scores s
                                                        WHERE s.assessment_id = {table}.assessment_id)""",
                    [import_id])
    con.execute("""DELETE FROM scale_assessments WHERE import_id = ? AND NOT EXISTS
                   (SELECT 1 FROM scores s WHERE s.assessment_id = scale_assessments.assessment_id)""", [import_id])
    con.execute("""UPDATE students SET import_id = (SELECT min(s.import_id) FROM scores s
                                                   WHERE s.student_id = students.student_id)
                   WHERE import_id = ? AND EXISTS (SELECT 1 FROM scores s WHERE s.student_id = students.student_id)
                   AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.student_id = students.student_id)""",
                [import_id])


ingest.EXTRA_WRITERS.append(write_scores)
store.UNDO_HOOKS.append(undo_scores)


# --- the level mapping ----------------------------------------------------------------------------

queries.define(
    "scale_level_mapping",
    """SELECT vendor, scope, coalesce(label, level) AS level, proficient, rank
       FROM scale_levels ORDER BY vendor, scope, rank, level""",
)
queries.define(
    "scale_rules",
    """SELECT vendor, scope, percentile_cut, score_cut, prefer_projected, overall_share, note
       FROM scale_rules ORDER BY vendor, scope""",
)
queries.define(
    "scale_unmapped_levels",
    """SELECT s.vendor, CASE WHEN s.standard_code IS NULL THEN 'overall' ELSE 'standard' END AS scope,
              s.vendor_level AS level, count(*) AS results,
              count(*) FILTER (WHERE v.proficient IS NULL) AS undecided
       FROM scores s JOIN v_scale_scores v
         ON v.assessment_id = s.assessment_id AND v.student_id = s.student_id
        AND coalesce(v.standard_code, '') = coalesce(s.standard_code, '')
       LEFT JOIN scale_levels m ON m.vendor = s.vendor AND m.level = lower(trim(s.vendor_level))
        AND m.scope = CASE WHEN s.standard_code IS NULL THEN 'overall' ELSE 'standard' END
       WHERE s.vendor_level IS NOT NULL AND m.level IS NULL AND s.proficient_given IS NULL
       GROUP BY ALL HAVING count(*) FILTER (WHERE v.proficient IS NULL) > 0 ORDER BY 1, 2, 3""",
)


def level_mapping(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The vendor level words and whether each counts as proficient (vendor, scope, level, proficient, rank)."""
    return queries.run(con, "scale_level_mapping")


def rules(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The fall-back rules per vendor and scope (percentile cut, score cut, prefer projected, overall share)."""
    return queries.run(con, "scale_rules")


def unmapped_levels(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Level words in stored results that nothing decides (not in the mapping, no cut applies): map them."""
    return queries.run(con, "scale_unmapped_levels")


def set_level(con: duckdb.DuckDBPyConnection, vendor: str, scope: str, level: str, proficient: bool,
              rank: int | None = None) -> None:
    """Say whether a vendor's level word counts as proficient (scope: overall, standard or projected)."""
    if scope not in ("overall", "standard", "projected"):
        raise ValueError("scope is one of overall, standard, projected")
    with store.transaction(con):
        con.execute("""INSERT INTO scale_levels (vendor, scope, level, label, proficient, rank)
                       VALUES (?, ?, lower(trim(?)), trim(?), ?, ?)
                       ON CONFLICT (vendor, scope, level) DO UPDATE
                       SET proficient = excluded.proficient, rank = coalesce(excluded.rank, scale_levels.rank)""",
                    [vendor, scope, level, level, bool(proficient), rank])
        store.bump_data_version(con)


def set_rule(con: duckdb.DuckDBPyConnection, vendor: str, scope: str, *, percentile_cut: float | None = None,
             score_cut: float | None = None, prefer_projected: bool | None = None,
             overall_share: float | None = None) -> None:
    """Change a vendor's fall-back rule; only the values given change."""
    with store.transaction(con):
        con.execute("INSERT INTO scale_rules (vendor, scope) VALUES (?, ?) ON CONFLICT DO NOTHING", [vendor, scope])
        for col, value in (("percentile_cut", percentile_cut), ("score_cut", score_cut),
                           ("prefer_projected", prefer_projected), ("overall_share", overall_share)):
            if value is not None:
                con.execute(f"UPDATE scale_rules SET {col} = ? WHERE vendor = ? AND scope = ?", [value, vendor, scope])
        store.bump_data_version(con)


# --- what pages show for a scale-score assessment -------------------------------------------------

queries.define(
    "scale_assessment_info",
    """SELECT sa.assessment_id, sa.vendor, sa.scale_name,
              (SELECT count(DISTINCT student_id) FROM scores s WHERE s.assessment_id = sa.assessment_id) AS students
       FROM scale_assessments sa WHERE sa.assessment_id = $aid""",
)

queries.define(
    "scale_results",
    """SELECT v.student_id, st.first_name, st.last_name, coalesce(v.standard_code, $overall) AS standard_code,
              v.scale_score, v.percentile, v.vendor_level, v.level_rank, v.projected_level, v.proficient,
              v.tested_on
       FROM v_scale_scores v LEFT JOIN students st ON st.student_id = v.student_id
       WHERE v.assessment_id = $aid AND ($school IS NULL OR st.school = $school)
       ORDER BY v.standard_code NULLS FIRST, st.last_name, st.first_name, v.student_id""",
)

queries.define(
    "scale_level_counts",
    """SELECT coalesce(v.standard_code, $overall) AS standard_code, v.standard_code IS NULL AS is_overall,
              coalesce(v.vendor_level, '(no level)') AS vendor_level, min(v.level_rank) AS level_rank,
              bool_or(v.proficient) AS proficient, count(*) AS students,
              avg(v.scale_score) AS mean_scale_score
       FROM v_scale_scores v LEFT JOIN students st ON st.student_id = v.student_id
       WHERE v.assessment_id = $aid AND ($school IS NULL OR st.school = $school)
       GROUP BY ALL
       ORDER BY is_overall DESC, standard_code, level_rank NULLS LAST, mean_scale_score, vendor_level""",
)

OVERALL = "Overall"


def is_scale(con: duckdb.DuckDBPyConnection, aid: str) -> bool:
    """True when an assessment's results are vendor scale scores with levels (not points)."""
    return not queries.run(con, "scale_assessment_info", aid=aid).empty


def assessment_scale(con: duckdb.DuckDBPyConnection, aid: str) -> dict | None:
    """Vendor, scale name and students for a scale-score assessment (None for a points assessment)."""
    df = queries.run(con, "scale_assessment_info", aid=aid)
    if df.empty:
        return None
    row = df.iloc[0].to_dict()
    row["vendor_label"] = VENDOR_LABELS.get(row["vendor"], row["vendor"])
    return row


def scale_results(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """One row per student and result (standard_code 'Overall' for the test): scale score, level, proficient."""
    return queries.run(con, "scale_results", aid=aid, school=school, overall=OVERALL)


def level_counts(con: duckdb.DuckDBPyConnection, aid: str, school: str | None = None) -> pd.DataFrame:
    """Students per vendor level, overall and per standard, lowest level first (what a page shows)."""
    return queries.run(con, "scale_level_counts", aid=aid, school=school, overall=OVERALL)


# --- the on-screen editor of the mapping (Import page) --------------------------------------------

SCOPE_LABELS = {"overall": "Whole test", "standard": "Domain, goal area or standard",
                "projected": "Projected state-test level"}
RULE_FIELDS = ("percentile_cut", "score_cut", "prefer_projected", "overall_share")

queries.define(
    "scale_vendors_on_file",
    "SELECT DISTINCT vendor FROM scale_assessments ORDER BY vendor",
)
# The editor's rows for one vendor: every mapped word used by stored results (all of them with
# $everything), then the words nothing decides yet (as scale_unmapped_levels), with their result counts.
queries.define(
    "scale_level_editor",
    """WITH v AS (SELECT CASE WHEN standard_code IS NULL THEN 'overall' ELSE 'standard' END AS scope,
                         vendor_level, projected_level, proficient
                  FROM v_scale_scores WHERE vendor = $vendor),
       used AS (SELECT scope, lower(trim(vendor_level)) AS level, min(trim(vendor_level)) AS label,
                       count(*) AS results, count(*) FILTER (WHERE proficient IS NULL) AS undecided
                FROM v WHERE vendor_level IS NOT NULL GROUP BY ALL
                UNION ALL
                SELECT 'projected', lower(trim(projected_level)), min(trim(projected_level)), count(*), 0
                FROM v WHERE projected_level IS NOT NULL GROUP BY ALL),
       m AS (SELECT * FROM scale_levels WHERE vendor = $vendor)
       SELECT $vendor AS vendor, m.scope, coalesce(m.label, m.level) AS level,
              coalesce(u.results, 0) AS results, m.proficient, m.rank, TRUE AS mapped
       FROM m LEFT JOIN used u ON u.scope = m.scope AND u.level = m.level
       WHERE $everything OR u.results > 0
       UNION ALL
       SELECT $vendor, u.scope, u.label, u.results, FALSE, NULL, FALSE
       FROM used u WHERE u.undecided > 0
         AND NOT EXISTS (SELECT 1 FROM m WHERE m.scope = u.scope AND m.level = u.level)
       ORDER BY CASE scope WHEN 'overall' THEN 1 WHEN 'standard' THEN 2 ELSE 3 END,
                mapped DESC, rank NULLS LAST, level""",
)
queries.define(
    "scale_scopes_on_file",
    """SELECT DISTINCT CASE WHEN standard_code IS NULL THEN 'overall' ELSE 'standard' END AS scope
       FROM scores WHERE vendor = $vendor ORDER BY scope""",
)
queries.define(
    "scale_proficient_count",
    "SELECT count(*) FILTER (WHERE proficient) AS proficient FROM v_scale_scores",
)
queries.define(
    "scale_proficiency_state",
    """SELECT hash(assessment_id, student_id, coalesce(standard_code, '')) AS result_key,
              hash(student_id) AS student_key, coalesce(CAST(proficient AS TINYINT), -1) AS state
       FROM v_scale_scores ORDER BY result_key""",
)


def vendors_on_file(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The vendors with at least one stored scale-score assessment (whose mapping matters here)."""
    return queries.run(con, "scale_vendors_on_file")["vendor"].tolist()


def scopes_on_file(con: duckdb.DuckDBPyConnection, vendor: str) -> list[str]:
    """Which of 'overall' (whole tests) and 'standard' (domains, goals, standards) a vendor's stored results have."""
    return queries.run(con, "scale_scopes_on_file", vendor=vendor)["scope"].tolist()


def level_editor_frame(con: duckdb.DuckDBPyConnection, vendor: str, everything: bool = False) -> pd.DataFrame:
    """One vendor's level words for the editor: mapped words on file (or all), then words nothing decides.

    Columns: vendor, scope, applies_to, level, results (stored results with the word), proficient,
    rank, mapped (False: nothing decides it yet; saving the editor records it as shown), note.
    """
    df = queries.run(con, "scale_level_editor", vendor=vendor, everything=bool(everything))
    df.insert(2, "applies_to", df["scope"].map(SCOPE_LABELS))
    df["proficient"] = df["proficient"].astype(bool)
    df["results"] = df["results"].astype("int64")
    df["note"] = ["" if m else "not decided yet" for m in df["mapped"]]
    return df


def rule_fields(vendor: str, scope: str) -> tuple[str, ...]:
    """The fall-back settings that can decide a vendor's results in a scope (the editor shows only these)."""
    if vendor == "canvas":
        # Canvas outcome results carry their own mastery decision; only the overall share is a choice.
        return ("overall_share",) if scope == "overall" else ()
    fields = ("percentile_cut", "score_cut")
    if scope == "overall" and vendor in ("nwea_map", "iready"):
        fields += ("prefer_projected",)  # their exports can carry a projected state-test level
    return fields


def proficient_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many stored scale-score results (tests and domains) count as proficient under the mapping now."""
    return int(queries.scalar(con, "scale_proficient_count") or 0)


def apply_level_edits(con: duckdb.DuckDBPyConnection, before: pd.DataFrame, after: pd.DataFrame) -> int:
    """Save the editor's rows whose 'proficient' changed, and every unmapped word as shown; returns words saved."""
    saved = 0
    old = before.drop_duplicates(["vendor", "scope", "level"]).set_index(["vendor", "scope", "level"])["proficient"]
    for row in after.itertuples(index=False):
        key = (row.vendor, row.scope, row.level)
        was = old.get(key)
        if bool(row.mapped) and was is not None and bool(was) == bool(row.proficient):
            continue
        rank = None if pd.isna(row.rank) else int(row.rank)
        set_level(con, row.vendor, row.scope, row.level, bool(row.proficient), rank=rank)
        saved += 1
    return saved


def _same(a, b) -> bool:
    na, nb = a is None or pd.isna(a), b is None or pd.isna(b)
    return (na and nb) or (not na and not nb and a == b)


def _same_rule(field: str, was, now) -> bool:
    if field == "overall_share":  # blank means the default share: showing the default is not a change
        was, now = (DEFAULT_OVERALL_SHARE if _same(x, None) else x for x in (was, now))
    return _same(was, now)


def apply_rule_edits(con: duckdb.DuckDBPyConnection, before: pd.DataFrame, after: pd.DataFrame) -> int:
    """Save the rule values (per vendor and scope) that changed, a blank one as 'no cut'; returns values saved."""
    old = before.set_index(["vendor", "scope"])
    saved = 0
    for row in after.to_dict("records"):
        key = (row["vendor"], row["scope"])
        changed = {f: row[f] for f in RULE_FIELDS if f in row
                   and not _same_rule(f, old.at[key, f] if key in old.index else None, row[f])}
        if not changed:
            continue
        values = {f: v for f, v in changed.items() if v is not None and not pd.isna(v)}
        cleared = [f for f in changed if f not in values]
        if values:
            set_rule(con, row["vendor"], row["scope"], **{f: (bool(v) if f == "prefer_projected" else float(v))
                                                          for f, v in values.items()})
        if cleared:
            with store.transaction(con):
                for col in cleared:  # one of RULE_FIELDS, never user text
                    con.execute(f"UPDATE scale_rules SET {col} = NULL WHERE vendor = ? AND scope = ?", list(key))
                store.bump_data_version(con)
        saved += len(changed)
    return saved


def _state(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # Integers only (hashed keys; state 1 proficient, 0 not, -1 undecided), sorted by key: a district's
    # million results snapshot and compare in about a second.
    return queries.run(con, "scale_proficiency_state").set_index("result_key")


def save_mapping(con: duckdb.DuckDBPyConnection, levels_before: pd.DataFrame, levels_after: pd.DataFrame,
                 rules_before: pd.DataFrame, rules_after: pd.DataFrame) -> dict:
    """Apply the editor's level and rule edits; say how many stored results and students changed proficiency.

    Returns words, rules (values saved), results, students (whose results changed), now_proficient,
    no_longer (results that became / stopped being proficient), now_not_proficient (undecided before),
    now_undecided (not proficient before), proficient_before and proficient_after (all results).
    """
    before = _state(con)
    words = apply_level_edits(con, levels_before, levels_after)
    rules_saved = apply_rule_edits(con, rules_before, rules_after)
    count_before = int((before["state"] == 1).sum())
    out = {"words": words, "rules": rules_saved, "results": 0, "students": 0, "now_proficient": 0,
           "no_longer": 0, "now_not_proficient": 0, "now_undecided": 0, "proficient_before": count_before,
           "proficient_after": count_before}
    if not words and not rules_saved:
        return out
    after = _state(con)
    if before.index.equals(after.index):  # the usual case: a mapping edit adds or removes no result
        was, now, students = before["state"], after["state"], before["student_key"]
    else:
        both = before.join(after, how="outer", suffixes=("_was", ""))
        was, now = both["state_was"].fillna(-1), both["state"].fillna(-1)
        students = both["student_key"].fillna(both["student_key_was"])
    # Undecided (NULL: in no % proficient) to not proficient is a change too: the result now counts.
    changed = was != now
    out.update(results=int(changed.sum()), students=int(students[changed].nunique()),
               now_proficient=int((changed & (now == 1)).sum()), no_longer=int((changed & (was == 1)).sum()),
               now_not_proficient=int(((was == -1) & (now == 0)).sum()),
               now_undecided=int(((was == 0) & (now == -1)).sum()),
               proficient_after=int((after["state"] == 1).sum()))
    return out
