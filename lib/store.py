"""The DuckDB store: where the file lives, its schema and migrations, and the one write path."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "plc_lens.duckdb"
ENV_DB = "PLC_LENS_DB"


class StoreOpenError(RuntimeError):
    """The database file cannot be opened; the message says why and what to do."""


class StoreLockedError(StoreOpenError):
    """Another process holds the database file open for writing."""


class StoreWalMismatchError(StoreOpenError):
    """The write-ahead log beside the database file belongs to another database."""


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The database path: `--db`, else PLC_LENS_DB, else data/plc_lens.duckdb."""
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env)
    return DEFAULT_DB


# Each migration is (version, description, statements). Versions only grow; a file written by an
# older release is upgraded on open. Feature areas own version ranges so parallel work never
# collides: 1-9 core, 10-19 goals, 20-29 risk/interventions, 30-39 vendor formats, 40-49 reports.
def section_expects(assessment: str, section: str) -> str:
    """The join condition "this section is expected to take this assessment" (same subject and grade, term
    covering the date; a missing value matches anything), for the given table aliases (fixed in code)."""
    a, s = assessment, section
    return (f"({a}.subject IS NULL OR {s}.subject IS NULL OR lower({s}.subject) = lower({a}.subject))\n"
            f" AND ({a}.grade_level IS NULL OR {s}.grade_level IS NULL OR {s}.grade_level = {a}.grade_level)\n"
            f" AND ({a}.administered_on IS NULL OR {s}.starts_on IS NULL OR {a}.administered_on >= {s}.starts_on)\n"
            f" AND ({a}.administered_on IS NULL OR {s}.ends_on IS NULL OR {a}.administered_on <= {s}.ends_on)")


SECTION_EXPECTS = section_expects("a", "s")


def _roster_select(takers: str, scope: str = "") -> str:
    """Students expected to take each assessment (enrolled in a matching section, one section each) plus
    `takers` (fixed SQL with columns assessment_id, student_id); `scope` is a fixed filter on the alias `a`."""
    return f"""WITH expected AS (
                SELECT a.assessment_id, e.student_id, s.section_id, s.teacher_id
                FROM assessments a
                JOIN sections s
                  ON {SECTION_EXPECTS}
                JOIN enrollments e ON e.section_id = s.section_id
                WHERE TRUE {scope}
            ),
            takers AS (SELECT * FROM ({takers}) a WHERE TRUE {scope}),
            one_section AS (
                SELECT assessment_id, student_id, min(section_id) AS section_id, min(teacher_id) AS teacher_id
                FROM expected GROUP BY ALL
            )
            SELECT coalesce(o.assessment_id, t.assessment_id) AS assessment_id,
                   coalesce(o.student_id, t.student_id) AS student_id,
                   o.section_id, o.teacher_id,
                   t.student_id IS NOT NULL AS assessed
            FROM one_section o FULL OUTER JOIN takers t
              ON o.assessment_id = t.assessment_id AND o.student_id = t.student_id"""


def _roster_view(takers: str, name: str = "v_assessment_roster") -> str:
    """The view `name` over _roster_select (fixed SQL)."""
    return f"CREATE OR REPLACE VIEW {name} AS\n" + _roster_select(takers)


def _roster_points_select(takers: str, scope: str = "") -> str:
    """_roster_select with each student's stored point score (earned, possible, score; NULL without one)."""
    return f"""SELECT x.assessment_id, x.student_id, x.section_id, x.teacher_id, x.assessed,
                      p.earned, p.possible, p.score
               FROM ({_roster_select(takers, scope)}) x
               LEFT JOIN points_overall p ON p.assessment_id = x.assessment_id AND p.student_id = x.student_id"""


# Who took a test: points_overall has one row per student with a response (migration 32), plus scale results.
_TAKERS = """SELECT assessment_id, student_id FROM points_overall
             UNION SELECT DISTINCT assessment_id, student_id FROM scores"""


# Tables kept in student order (migration 36): every write inserts its rows in this order.
STUDENT_ORDER = {"attendance": "student_id, period_start, period_end", "enrollments": "student_id, section_id"}

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "core schema",
        [
            """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
            """CREATE TABLE IF NOT EXISTS imports (
                import_id INTEGER PRIMARY KEY,
                filename VARCHAR NOT NULL,
                sha256 VARCHAR,
                kind VARCHAR,
                layout VARCHAR,
                rows_total INTEGER DEFAULT 0,
                rows_loaded INTEGER DEFAULT 0,
                rows_rejected INTEGER DEFAULT 0,
                rows_duplicate INTEGER DEFAULT 0,
                started_at TIMESTAMP DEFAULT current_timestamp,
                finished_at TIMESTAMP,
                status VARCHAR NOT NULL,
                message VARCHAR
            )""",
            """CREATE SEQUENCE IF NOT EXISTS import_seq START 1""",
            """CREATE TABLE IF NOT EXISTS import_rejects (
                import_id INTEGER NOT NULL,
                row_number INTEGER,
                column_name VARCHAR,
                reason VARCHAR NOT NULL,
                raw VARCHAR
            )""",
            """CREATE TABLE IF NOT EXISTS column_mappings (
                signature VARCHAR PRIMARY KEY,
                header VARCHAR,
                mapping VARCHAR NOT NULL,
                saved_at TIMESTAMP DEFAULT current_timestamp
            )""",
            """CREATE TABLE IF NOT EXISTS students (
                student_id VARCHAR PRIMARY KEY,
                first_name VARCHAR,
                last_name VARCHAR,
                grade_level VARCHAR,
                school VARCHAR,
                ell BOOLEAN,
                iep BOOLEAN,
                frl BOOLEAN,
                gender VARCHAR,
                ethnicity VARCHAR,
                import_id INTEGER
            )""",
            """CREATE TABLE IF NOT EXISTS teachers (
                teacher_id VARCHAR PRIMARY KEY,
                name VARCHAR,
                email VARCHAR,
                show_name BOOLEAN DEFAULT FALSE,
                import_id INTEGER
            )""",
            """CREATE TABLE IF NOT EXISTS sections (
                section_id VARCHAR PRIMARY KEY,
                teacher_id VARCHAR,
                course VARCHAR,
                subject VARCHAR,
                grade_level VARCHAR,
                term VARCHAR,
                starts_on DATE,
                ends_on DATE,
                school VARCHAR,
                import_id INTEGER
            )""",
            """CREATE TABLE IF NOT EXISTS enrollments (
                student_id VARCHAR NOT NULL,
                section_id VARCHAR NOT NULL,
                import_id INTEGER,
                PRIMARY KEY (student_id, section_id)
            )""",
            """CREATE TABLE IF NOT EXISTS standards (
                code VARCHAR PRIMARY KEY,
                subject VARCHAR,
                grade_level VARCHAR,
                description VARCHAR,
                import_id INTEGER
            )""",
            """CREATE TABLE IF NOT EXISTS assessments (
                assessment_id VARCHAR PRIMARY KEY,
                title VARCHAR NOT NULL,
                subject VARCHAR,
                grade_level VARCHAR,
                kind VARCHAR DEFAULT 'formative',
                administered_on DATE,
                proficiency_cut DOUBLE DEFAULT 0.8,
                import_id INTEGER
            )""",
            """CREATE TABLE IF NOT EXISTS items (
                assessment_id VARCHAR NOT NULL,
                item VARCHAR NOT NULL,
                standard_code VARCHAR,
                points_possible DOUBLE NOT NULL,
                correct_response VARCHAR,
                position INTEGER,
                import_id INTEGER,
                PRIMARY KEY (assessment_id, item)
            )""",
            """CREATE TABLE IF NOT EXISTS responses (
                assessment_id VARCHAR NOT NULL,
                student_id VARCHAR NOT NULL,
                item VARCHAR NOT NULL,
                points_earned DOUBLE NOT NULL,
                response VARCHAR,
                import_id INTEGER NOT NULL
            )""",
            # No primary key on responses: the importer guarantees one row per (assessment, student,
            # item) by validating duplicates and replacing earlier rows, and an ART index over
            # millions of rows would cost more memory and load time than it saves (scans use zonemaps).
            # Responses a later import replaced; undoing that import puts them back.
            """CREATE TABLE IF NOT EXISTS responses_replaced (
                assessment_id VARCHAR NOT NULL,
                student_id VARCHAR NOT NULL,
                item VARCHAR NOT NULL,
                points_earned DOUBLE NOT NULL,
                response VARCHAR,
                import_id INTEGER NOT NULL,
                replaced_by INTEGER NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS attendance (
                student_id VARCHAR NOT NULL,
                period_start DATE,
                period_end DATE,
                days_enrolled DOUBLE NOT NULL,
                days_absent DOUBLE NOT NULL,
                import_id INTEGER NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS meeting_notes (
                note_id INTEGER PRIMARY KEY,
                assessment_id VARCHAR,
                student_id VARCHAR,
                standard_code VARCHAR,
                note VARCHAR,
                author VARCHAR,
                created_at TIMESTAMP DEFAULT current_timestamp
            )""",
            """CREATE SEQUENCE IF NOT EXISTS note_seq START 1""",
        ],
    ),
    (
        2,
        "settings",
        [
            "CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR)",
        ],
    ),
    (
        3,
        "score views",
        [
            # Grades sort PK, K, 1..12, then anything else by name.
            """CREATE OR REPLACE MACRO grade_order(g) AS
            CASE WHEN upper(g) = 'PK' THEN -1 WHEN upper(g) = 'K' THEN 0
                 ELSE coalesce(try_cast(g AS INTEGER), 99) END""",
            # A student's score per standard = earned / possible over the items aligned to it;
            # items without a standard count only toward the overall score.
            """CREATE OR REPLACE VIEW v_standard_scores AS
            SELECT r.assessment_id, r.student_id, i.standard_code,
                   sum(r.points_earned) AS earned, sum(i.points_possible) AS possible,
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0) AS score,
                   count(*) AS n_items
            FROM responses r JOIN items i USING (assessment_id, item)
            WHERE i.standard_code IS NOT NULL
            GROUP BY ALL""",
            """CREATE OR REPLACE VIEW v_overall_scores AS
            SELECT r.assessment_id, r.student_id,
                   sum(r.points_earned) AS earned, sum(i.points_possible) AS possible,
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0) AS score,
                   count(*) AS n_items
            FROM responses r JOIN items i USING (assessment_id, item)
            GROUP BY ALL""",
            # Who was expected to take an assessment: students enrolled in a section of the same
            # subject and grade whose term covers the date, plus anyone who took it. The teacher of
            # a student on an assessment comes from that section.
            _roster_view("SELECT DISTINCT assessment_id, student_id FROM responses"),
        ],
    ),
    (
        10,
        "goals: definitions, fixed cohorts, change history (lib/goals.py)",
        [
            "CREATE SEQUENCE IF NOT EXISTS goal_seq START 1",
            "CREATE SEQUENCE IF NOT EXISTS goal_history_seq START 1",
            # kind: raise_proficiency | reduce_failure | growth; scope columns are NULL for "all";
            # target_pct is absolute (raise, growth), reduce_by_pct relative (reduce_failure).
            """CREATE TABLE IF NOT EXISTS goals (
                goal_id INTEGER PRIMARY KEY,
                title VARCHAR NOT NULL,
                kind VARCHAR NOT NULL,
                level VARCHAR DEFAULT 'team',
                owner VARCHAR,
                parent_goal_id INTEGER,
                school VARCHAR,
                grade_level VARCHAR,
                teacher_id VARCHAR,
                subject VARCHAR,
                standard_code VARCHAR,
                subgroup VARCHAR,
                assessment_kind VARCHAR,
                bucket VARCHAR DEFAULT 'date',
                baseline_from DATE,
                baseline_to DATE,
                baseline_pre_from DATE,
                baseline_pre_to DATE,
                pre_from DATE,
                pre_to DATE,
                measure_from DATE,
                target_date DATE,
                target_pct DOUBLE,
                reduce_by_pct DOUBLE,
                growth_points DOUBLE,
                baseline_override DOUBLE,
                baseline_override_reason VARCHAR,
                cohort VARCHAR DEFAULT 'rolling',
                notes VARCHAR,
                import_id INTEGER,
                created_at TIMESTAMP DEFAULT current_timestamp,
                updated_at TIMESTAMP DEFAULT current_timestamp
            )""",
            """CREATE TABLE IF NOT EXISTS goal_cohort (
                goal_id INTEGER NOT NULL,
                student_id VARCHAR NOT NULL,
                PRIMARY KEY (goal_id, student_id)
            )""",
            """CREATE TABLE IF NOT EXISTS goal_history (
                history_id INTEGER PRIMARY KEY,
                goal_id INTEGER NOT NULL,
                changed_at TIMESTAMP DEFAULT current_timestamp,
                changed_by VARCHAR,
                action VARCHAR NOT NULL,
                field VARCHAR,
                old_value VARCHAR,
                new_value VARCHAR,
                reason VARCHAR
            )""",
        ],
    ),
    (
        30,
        "vendor formats: scale-score results with vendor levels (lib/formats/scale.py)",
        # A scale-score result (NWEA MAP RIT, i-Ready, Star, Canvas outcome rollups) is a score on the
        # vendor's scale plus the vendor's own level words, not points. "Proficient" comes from an
        # editable mapping (scale_levels: a level word decides; scale_rules: else a percentile or
        # score cut). The core score views expose each such result as earned 1/0 of possible 1 and
        # these assessments get proficiency_cut 1.0, so every page that compares score >= cut works
        # unchanged; v_scale_scores keeps the scale score and level for pages that show levels.
        [
            """CREATE TABLE IF NOT EXISTS scores (
                assessment_id VARCHAR NOT NULL,
                student_id VARCHAR NOT NULL,
                standard_code VARCHAR,          -- NULL: the overall result
                scale_score DOUBLE,
                percentile DOUBLE,
                vendor_level VARCHAR,           -- the vendor's words: placement, benchmark category, adjective
                projected_level VARCHAR,        -- a projected state-test level, when the file has one
                proficient_given BOOLEAN,       -- set only when the file itself says (Canvas mastery points)
                tested_on DATE,
                vendor VARCHAR NOT NULL,        -- nwea_map | iready | star | canvas
                vendor_test_id VARCHAR,         -- the vendor's id of the test event (pairs a standards file)
                import_id INTEGER NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS scores_replaced (
                assessment_id VARCHAR NOT NULL,
                student_id VARCHAR NOT NULL,
                standard_code VARCHAR,
                scale_score DOUBLE,
                percentile DOUBLE,
                vendor_level VARCHAR,
                projected_level VARCHAR,
                proficient_given BOOLEAN,
                tested_on DATE,
                vendor VARCHAR NOT NULL,
                vendor_test_id VARCHAR,
                import_id INTEGER NOT NULL,
                replaced_by INTEGER NOT NULL
            )""",
            "CREATE INDEX IF NOT EXISTS scores_assessment ON scores (assessment_id, student_id)",
            "CREATE INDEX IF NOT EXISTS scores_import ON scores (import_id)",
            """CREATE TABLE IF NOT EXISTS scale_assessments (
                assessment_id VARCHAR PRIMARY KEY,
                vendor VARCHAR NOT NULL,
                scale_name VARCHAR,
                import_id INTEGER
            )""",
            # scope: 'overall' | 'standard' | 'projected'; level is the lower-cased vendor word.
            """CREATE TABLE IF NOT EXISTS scale_levels (
                vendor VARCHAR NOT NULL,
                scope VARCHAR NOT NULL,
                level VARCHAR NOT NULL,
                label VARCHAR,
                proficient BOOLEAN NOT NULL,
                rank INTEGER,
                PRIMARY KEY (vendor, scope, level)
            )""",
            """CREATE TABLE IF NOT EXISTS scale_rules (
                vendor VARCHAR NOT NULL,
                scope VARCHAR NOT NULL,
                percentile_cut DOUBLE,           -- proficient when percentile >= this (no level word decided)
                score_cut DOUBLE,                -- ... else when scale_score >= this
                prefer_projected BOOLEAN DEFAULT FALSE,  -- a mapped projected level decides first
                overall_share DOUBLE,            -- standards-only results: proficient overall at this share
                note VARCHAR,
                PRIMARY KEY (vendor, scope)
            )""",
            """INSERT INTO scale_levels VALUES
                ('nwea_map', 'standard', 'lo', 'Lo', FALSE, 1), ('nwea_map', 'standard', 'low', 'Low', FALSE, 1),
                ('nwea_map', 'standard', 'loavg', 'LoAvg', FALSE, 2), ('nwea_map', 'standard', 'avg', 'Avg', TRUE, 3),
                ('nwea_map', 'standard', 'hiavg', 'HiAvg', TRUE, 4), ('nwea_map', 'standard', 'hi', 'Hi', TRUE, 5),
                ('nwea_map', 'standard', 'high', 'High', TRUE, 5),
                ('nwea_map', 'standard', 'below expectation', 'Below Expectation', FALSE, 1),
                ('nwea_map', 'standard', 'approaching expectation', 'Approaching Expectation', FALSE, 2),
                ('nwea_map', 'standard', 'meets expectation', 'Meets Expectation', TRUE, 3),
                ('nwea_map', 'standard', 'exceeds expectation', 'Exceeds Expectation', TRUE, 4),
                ('iready', 'overall', '3 or more grade levels below', '3 or More Grade Levels Below', FALSE, 1),
                ('iready', 'overall', '2 grade levels below', '2 Grade Levels Below', FALSE, 2),
                ('iready', 'overall', '1 grade level below', '1 Grade Level Below', FALSE, 3),
                ('iready', 'overall', 'early on grade level', 'Early On Grade Level', TRUE, 4),
                ('iready', 'overall', 'on grade level', 'On Grade Level', TRUE, 5),
                ('iready', 'overall', 'mid or above grade level', 'Mid or Above Grade Level', TRUE, 6),
                ('iready', 'overall', 'tested out', 'Tested Out', TRUE, 7),
                ('iready', 'standard', '3 or more grade levels below', '3 or More Grade Levels Below', FALSE, 1),
                ('iready', 'standard', '2 grade levels below', '2 Grade Levels Below', FALSE, 2),
                ('iready', 'standard', '1 grade level below', '1 Grade Level Below', FALSE, 3),
                ('iready', 'standard', 'early on grade level', 'Early On Grade Level', TRUE, 4),
                ('iready', 'standard', 'on grade level', 'On Grade Level', TRUE, 5),
                ('iready', 'standard', 'mid or above grade level', 'Mid or Above Grade Level', TRUE, 6),
                ('iready', 'standard', 'tested out', 'Tested Out', TRUE, 7),
                ('star', 'overall', 'urgent intervention', 'Urgent Intervention', FALSE, 1),
                ('star', 'overall', 'intervention', 'Intervention', FALSE, 2),
                ('star', 'overall', 'on watch', 'On Watch', FALSE, 3),
                ('star', 'overall', 'at/above benchmark', 'At/Above Benchmark', TRUE, 4),
                ('star', 'standard', 'not mastered', 'Not Mastered', FALSE, 1),
                ('star', 'standard', 'beginning', 'Beginning', FALSE, 1),
                ('star', 'standard', 'developing', 'Developing', FALSE, 2),
                ('star', 'standard', 'approaching', 'Approaching', FALSE, 2),
                ('star', 'standard', 'near mastery', 'Near Mastery', FALSE, 2),
                ('star', 'standard', 'secure', 'Secure', TRUE, 3),
                ('star', 'standard', 'mastered', 'Mastered', TRUE, 3),
                ('star', 'standard', 'proficient', 'Proficient', TRUE, 3)
            ON CONFLICT DO NOTHING""",
            # Projected state-test levels (MAP ProjectedProficiencyLevel, i-Ready projections): used
            # only where a rule prefers them, or when nothing else decides.
            """INSERT INTO scale_levels
            SELECT v.vendor, 'projected', p.level, p.label, p.proficient, p.rank
            FROM (VALUES ('nwea_map'), ('iready')) v(vendor),
                 (VALUES ('level 1', 'Level 1', FALSE, 1), ('level 2', 'Level 2', FALSE, 2),
                         ('level 3', 'Level 3', TRUE, 3), ('level 4', 'Level 4', TRUE, 4),
                         ('level 5', 'Level 5', TRUE, 5),
                         ('not met', 'Not Met', FALSE, 1), ('nearly met', 'Nearly Met', FALSE, 2),
                         ('met', 'Met', TRUE, 3), ('exceeded', 'Exceeded', TRUE, 4),
                         ('below basic', 'Below Basic', FALSE, 1), ('basic', 'Basic', FALSE, 2),
                         ('not proficient', 'Not Proficient', FALSE, 1),
                         ('partially proficient', 'Partially Proficient', FALSE, 2),
                         ('proficient', 'Proficient', TRUE, 3), ('advanced', 'Advanced', TRUE, 4),
                         ('did not meet', 'Did Not Meet', FALSE, 1), ('approaches', 'Approaches', FALSE, 2),
                         ('approaching', 'Approaching', FALSE, 2), ('meets', 'Meets', TRUE, 3),
                         ('masters', 'Masters', TRUE, 4), ('exceeds', 'Exceeds', TRUE, 4),
                         ('not on track', 'Not On Track', FALSE, 1), ('on track', 'On Track', TRUE, 3))
                 p(level, label, proficient, rank)
            ON CONFLICT DO NOTHING""",
            """INSERT INTO scale_rules VALUES
                ('nwea_map', 'overall', 50, NULL, FALSE, NULL,
                 'MAP: proficient when the achievement percentile is 50 or more'),
                ('nwea_map', 'standard', 50, NULL, FALSE, NULL,
                 'MAP goal areas: Avg, HiAvg, Hi count as proficient; fluency domains by performance level'),
                ('iready', 'overall', NULL, NULL, FALSE, NULL,
                 'i-Ready: proficient when placed on grade level (Early On, Mid or Above)'),
                ('iready', 'standard', NULL, NULL, FALSE, NULL, 'i-Ready domains: same placements'),
                ('star', 'overall', 40, NULL, FALSE, NULL,
                 'Star: proficient when At/Above Benchmark (percentile 40 or more when no category)'),
                ('star', 'standard', NULL, 70, FALSE, NULL,
                 'Star standards: by mastery level; else a mastery score of 70 or more'),
                ('canvas', 'overall', NULL, NULL, FALSE, 0.8,
                 'Canvas outcomes: proficient overall when 80% of the outcomes are at mastery')
            ON CONFLICT DO NOTHING""",
            """CREATE OR REPLACE VIEW v_scale_scores AS
            SELECT s.assessment_id, s.student_id, s.standard_code, s.scale_score, s.percentile,
                   s.vendor_level, s.projected_level, s.tested_on, s.vendor, s.vendor_test_id, s.import_id,
                   coalesce(s.proficient_given,
                            CASE WHEN r.prefer_projected THEN p.proficient END,
                            m.proficient,
                            CASE WHEN r.percentile_cut IS NOT NULL AND s.percentile IS NOT NULL
                                 THEN s.percentile >= r.percentile_cut END,
                            CASE WHEN r.score_cut IS NOT NULL AND s.scale_score IS NOT NULL
                                 THEN s.scale_score >= r.score_cut END,
                            p.proficient) AS proficient,
                   m.rank AS level_rank
            FROM scores s
            LEFT JOIN scale_rules r
              ON r.vendor = s.vendor AND r.scope = CASE WHEN s.standard_code IS NULL THEN 'overall' ELSE 'standard' END
            LEFT JOIN scale_levels m
              ON m.vendor = s.vendor AND m.scope = CASE WHEN s.standard_code IS NULL THEN 'overall' ELSE 'standard' END
             AND m.level = lower(trim(s.vendor_level))
            LEFT JOIN scale_levels p
              ON p.vendor = s.vendor AND p.scope = 'projected' AND p.level = lower(trim(s.projected_level))""",
            # The core views, as in migration 3, plus scale results as 1/0 of 1 (see above).
            """CREATE OR REPLACE VIEW v_standard_scores AS
            SELECT r.assessment_id, r.student_id, i.standard_code,
                   sum(r.points_earned) AS earned, sum(i.points_possible) AS possible,
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0) AS score,
                   count(*) AS n_items
            FROM responses r JOIN items i USING (assessment_id, item)
            WHERE i.standard_code IS NOT NULL
            GROUP BY ALL
            UNION ALL
            SELECT assessment_id, student_id, standard_code,
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE), CAST(1 AS DOUBLE),
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE), CAST(1 AS BIGINT)
            FROM v_scale_scores WHERE standard_code IS NOT NULL AND proficient IS NOT NULL""",
            """CREATE OR REPLACE VIEW v_overall_scores AS
            SELECT r.assessment_id, r.student_id,
                   sum(r.points_earned) AS earned, sum(i.points_possible) AS possible,
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0) AS score,
                   count(*) AS n_items
            FROM responses r JOIN items i USING (assessment_id, item)
            GROUP BY ALL
            UNION ALL
            SELECT assessment_id, student_id,
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE), CAST(1 AS DOUBLE),
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE), CAST(1 AS BIGINT)
            FROM v_scale_scores WHERE standard_code IS NULL AND proficient IS NOT NULL
            UNION ALL
            -- Standards-only scale results (Canvas outcomes, a Star standards file on its own):
            -- proficient overall when at least overall_share (default 0.8) of the standards are.
            SELECT v.assessment_id, v.student_id,
                   CAST(CASE WHEN avg(CASE WHEN v.proficient THEN 1 ELSE 0 END)
                                  >= coalesce(any_value(r.overall_share), 0.8) THEN 1 ELSE 0 END AS DOUBLE),
                   CAST(1 AS DOUBLE),
                   CAST(CASE WHEN avg(CASE WHEN v.proficient THEN 1 ELSE 0 END)
                                  >= coalesce(any_value(r.overall_share), 0.8) THEN 1 ELSE 0 END AS DOUBLE),
                   count(*)
            FROM v_scale_scores v
            LEFT JOIN scale_rules r ON r.vendor = v.vendor AND r.scope = 'overall'
            WHERE v.standard_code IS NOT NULL AND v.proficient IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM scores o WHERE o.assessment_id = v.assessment_id
                              AND o.student_id = v.student_id AND o.standard_code IS NULL)
            GROUP BY v.assessment_id, v.student_id""",
            # As in migration 3; takers now include scale-score results.
            _roster_view("""SELECT DISTINCT assessment_id, student_id FROM responses
                            UNION SELECT DISTINCT assessment_id, student_id FROM scores"""),
        ],
    ),
    (
        31,
        "vendor formats: scale results as their own small views (lib/formats/scale.py)",
        # A query that computes points scores straight from responses (for speed) must add these:
        #   ... UNION ALL SELECT * FROM v_scale_standard_scores WHERE <same filters>
        # so scale-score assessments (MAP, i-Ready, Star, Canvas outcomes) keep their results.
        # Columns and meaning are those of v_standard_scores / v_overall_scores (earned 1/0 of 1).
        [
            """CREATE OR REPLACE VIEW v_scale_standard_scores AS
            SELECT assessment_id, student_id, standard_code,
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE) AS earned, CAST(1 AS DOUBLE) AS possible,
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE) AS score, CAST(1 AS BIGINT) AS n_items
            FROM v_scale_scores WHERE standard_code IS NOT NULL AND proficient IS NOT NULL""",
            """CREATE OR REPLACE VIEW v_scale_overall_scores AS
            SELECT assessment_id, student_id,
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE) AS earned, CAST(1 AS DOUBLE) AS possible,
                   CAST(CASE WHEN proficient THEN 1 ELSE 0 END AS DOUBLE) AS score, CAST(1 AS BIGINT) AS n_items
            FROM v_scale_scores WHERE standard_code IS NULL AND proficient IS NOT NULL
            UNION ALL
            -- Standards-only scale results (Canvas outcomes, a Star standards file on its own):
            -- proficient overall when at least overall_share (default 0.8) of the standards are.
            SELECT v.assessment_id, v.student_id,
                   CAST(CASE WHEN avg(CASE WHEN v.proficient THEN 1 ELSE 0 END)
                                  >= coalesce(any_value(r.overall_share), 0.8) THEN 1 ELSE 0 END AS DOUBLE),
                   CAST(1 AS DOUBLE),
                   CAST(CASE WHEN avg(CASE WHEN v.proficient THEN 1 ELSE 0 END)
                                  >= coalesce(any_value(r.overall_share), 0.8) THEN 1 ELSE 0 END AS DOUBLE),
                   count(*)
            FROM v_scale_scores v
            LEFT JOIN scale_rules r ON r.vendor = v.vendor AND r.scope = 'overall'
            WHERE v.standard_code IS NOT NULL AND v.proficient IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM scores o WHERE o.assessment_id = v.assessment_id
                              AND o.student_id = v.student_id AND o.standard_code IS NULL)
            GROUP BY v.assessment_id, v.student_id""",
            """CREATE OR REPLACE VIEW v_standard_scores AS
            SELECT r.assessment_id, r.student_id, i.standard_code,
                   sum(r.points_earned) AS earned, sum(i.points_possible) AS possible,
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0) AS score,
                   count(*) AS n_items
            FROM responses r JOIN items i USING (assessment_id, item)
            WHERE i.standard_code IS NOT NULL
            GROUP BY ALL
            UNION ALL
            SELECT * FROM v_scale_standard_scores""",
            """CREATE OR REPLACE VIEW v_overall_scores AS
            SELECT r.assessment_id, r.student_id,
                   sum(r.points_earned) AS earned, sum(i.points_possible) AS possible,
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0) AS score,
                   count(*) AS n_items
            FROM responses r JOIN items i USING (assessment_id, item)
            GROUP BY ALL
            UNION ALL
            SELECT * FROM v_scale_overall_scores""",
        ],
    ),
    (
        32,
        "stored point scores: v_standard_scores / v_overall_scores read tables kept by every write",
        # Every page aggregates scores; grouping ten million responses with their items on each query
        # cost ~0.5 s. The writes that change responses or items (ingest, undo, demo) call
        # refresh_points for the assessments they touched, inside their own transaction.
        [
            """CREATE TABLE IF NOT EXISTS points_standard (
                assessment_id VARCHAR, student_id VARCHAR, standard_code VARCHAR,
                earned DOUBLE, possible DOUBLE, score DOUBLE, n_items BIGINT)""",
            """CREATE TABLE IF NOT EXISTS points_overall (
                assessment_id VARCHAR, student_id VARCHAR,
                earned DOUBLE, possible DOUBLE, score DOUBLE, n_items BIGINT)""",
            "DELETE FROM points_standard",
            "DELETE FROM points_overall",
            """INSERT INTO points_standard
            SELECT r.assessment_id, r.student_id, i.standard_code, sum(r.points_earned), sum(i.points_possible),
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0), count(*)
            FROM responses r JOIN items i USING (assessment_id, item)
            WHERE i.standard_code IS NOT NULL GROUP BY ALL ORDER BY 1, 2""",
            """INSERT INTO points_overall
            SELECT r.assessment_id, r.student_id, sum(r.points_earned), sum(i.points_possible),
                   sum(r.points_earned) / nullif(sum(i.points_possible), 0), count(*)
            FROM responses r JOIN items i USING (assessment_id, item) GROUP BY ALL ORDER BY 1, 2""",
            """CREATE OR REPLACE VIEW v_standard_scores AS
            SELECT assessment_id, student_id, standard_code, earned, possible, score, n_items FROM points_standard
            UNION ALL
            SELECT * FROM v_scale_standard_scores""",
            """CREATE OR REPLACE VIEW v_overall_scores AS
            SELECT assessment_id, student_id, earned, possible, score, n_items FROM points_overall
            UNION ALL
            SELECT * FROM v_scale_overall_scores""",
        ],
    ),
    (
        33,
        "v_assessment_roster: who took a test, from the stored point scores (not a DISTINCT over responses)",
        [
            # points_overall has one row per student with a response on the test (migration 32).
            _roster_view(_TAKERS),
        ],
    ),
    (
        34,
        "assessment_roster: the roster of every assessment kept as a table, ordered by assessment",
        # Every team-meeting query starts from one assessment's roster; deriving it from all enrollments
        # and sections each time cost 10-40 ms a query at district size. Writes keep the table
        # (refresh_roster); v_assessment_roster_live keeps the definition for the consistency check.
        [
            _roster_view(_TAKERS, "v_assessment_roster_live"),
            """CREATE TABLE IF NOT EXISTS assessment_roster (
                assessment_id VARCHAR, student_id VARCHAR, section_id VARCHAR, teacher_id VARCHAR,
                assessed BOOLEAN)""",
            "DELETE FROM assessment_roster",
            "INSERT INTO assessment_roster SELECT * FROM v_assessment_roster_live ORDER BY assessment_id, student_id",
            """CREATE OR REPLACE VIEW v_assessment_roster AS
            SELECT assessment_id, student_id, section_id, teacher_id, assessed FROM assessment_roster""",
        ],
    ),
    (
        35,
        "assessment_roster carries each student's point score",
        # A page that counts expected and proficient students (trends, goals) then reads one table instead
        # of joining the roster with points_overall (~0.25 s at district size for a principal's scope).
        [
            "ALTER TABLE assessment_roster ADD COLUMN IF NOT EXISTS earned DOUBLE",
            "ALTER TABLE assessment_roster ADD COLUMN IF NOT EXISTS possible DOUBLE",
            "ALTER TABLE assessment_roster ADD COLUMN IF NOT EXISTS score DOUBLE",
            "CREATE OR REPLACE VIEW v_assessment_roster_live AS\n" + _roster_points_select(_TAKERS),
            "DELETE FROM assessment_roster",
            "INSERT INTO assessment_roster SELECT * FROM v_assessment_roster_live ORDER BY assessment_id, student_id",
        ],
    ),
    (
        36,
        "attendance and enrollments stored in student order",
        # Only the Student page reads them for one student; in student order DuckDB's zone maps skip every
        # row group but that student's (~10x less read at district size). Writes keep the order: STUDENT_ORDER.
        [sql for table, order in STUDENT_ORDER.items()
         for sql in (f"CREATE TEMP TABLE _in_student_order AS SELECT * FROM {table} ORDER BY {order}",
                     f"DELETE FROM {table}",
                     f"INSERT INTO {table} SELECT * FROM _in_student_order",
                     "DROP TABLE _in_student_order")],
    ),
]


# Tables whose rows an import brings (undo removes them by import_id).
FACT_TABLES = ("responses", "attendance")
DIMENSION_TABLES = ("students", "teachers", "sections", "enrollments", "standards", "assessments", "items")
# Also compared by tests that prove a rejected file changed nothing (scale results live in `scores`).
SNAPSHOT_EXTRA = ("responses_replaced", "scores", "scores_replaced", "scale_assessments", "points_standard",
                  "points_overall", "assessment_roster")

_local = threading.local()


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this database (0 for a new file)."""
    cur = con.cursor()
    try:
        exists = cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()[0]
        if not exists:
            return 0
        return cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
    finally:
        cur.close()


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration not yet applied, each in its own transaction; return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    applied = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    for version, description, statements in sorted(MIGRATIONS, key=lambda m: m[0]):
        if version in applied:
            continue
        with transaction(con):
            for sql in statements:
                con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
                [version, description],
            )
    return schema_version(con)


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating and upgrading if needed) the database; raise StoreLockedError if it is held and
    StoreWalMismatchError if the log beside it is another database's."""
    target = db_path(path)
    if str(target) != ":memory:":
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower() or "conflicting" in text.lower():
            raise StoreLockedError(
                f"The database {target} is already open in another process (is PLC Lens running?). "
                "Stop that process or use another file with --db."
            ) from exc
        if "WAL does not match database file" in text:
            # A database file copied without its log, next to another database's log: DuckDB would replay
            # the wrong changes, so it refuses. The stray log holds none of this file's data.
            raise StoreWalMismatchError(
                f"The database {target} cannot be opened: the file beside it, {target.name}.wal, is the "
                "change log of another database (left over from copying or replacing database files). "
                f"Move {target.name}.wal to another folder (keep it until you are sure), then open again."
            ) from exc
        raise
    # No progress bar on the terminal (a long migration or query would draw one into logs and the CLI).
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        migrate(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of the block's writes or none of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
    finally:
        # What lib keeps in memory re-reads the data version from here on (lib.kept).
        _kept_changed()


def fetch_df(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None) -> pd.DataFrame:
    """Run one parameterised statement on its own cursor and return a DataFrame."""
    cur = con.cursor()
    try:
        return cur.execute(sql, params or []).df()
    finally:
        cur.close()


def fetch_value(con: duckdb.DuckDBPyConnection, sql: str, params: dict | list | None = None):
    """Run one parameterised statement on its own cursor and return the first cell (or None)."""
    cur = con.cursor()
    try:
        row = cur.execute(sql, params or []).fetchone()
        return None if row is None else row[0]
    finally:
        cur.close()


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    """One value of the meta table."""
    value = fetch_value(con, "SELECT value FROM meta WHERE key = ?", [key])
    return default if value is None else value


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str | None) -> None:
    """Set (or with None, remove) one value of the meta table."""
    con.execute("DELETE FROM meta WHERE key = ?", [key])
    if value is not None:
        con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes after every write, for cache keys."""
    return int(get_meta(con, "data_version", "0"))


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the data as changed (called inside the writing transaction)."""
    set_meta(con, "data_version", str(data_version(con) + 1))
    _kept_changed()


def _kept_changed() -> None:
    from lib import kept  # lib.kept builds on queries only; imported here to keep store's imports plain

    kept.changed()


_POINTS_SQL = {
    "standard": """SELECT r.assessment_id, r.student_id, i.standard_code, sum(r.points_earned), sum(i.points_possible),
                          sum(r.points_earned) / nullif(sum(i.points_possible), 0), count(*)
                   FROM responses r JOIN items i USING (assessment_id, item)
                   WHERE i.standard_code IS NOT NULL {scope} GROUP BY ALL ORDER BY 1, 2""",
    "overall": """SELECT r.assessment_id, r.student_id, sum(r.points_earned), sum(i.points_possible),
                         sum(r.points_earned) / nullif(sum(i.points_possible), 0), count(*)
                  FROM responses r JOIN items i USING (assessment_id, item)
                  WHERE TRUE {scope} GROUP BY ALL ORDER BY 1, 2""",
}
# Two fixed forms: everything, or a list of assessments (a plain IN lets DuckDB skip other row groups;
# an "$all OR IN (...)" filter made a three-assessment refresh scan all ten million responses).
_IN_IDS = "AND r.assessment_id IN (SELECT unnest($ids::VARCHAR[]))"
_REFRESH_ALL = ["DELETE FROM points_standard", "DELETE FROM points_overall",
                "INSERT INTO points_standard " + _POINTS_SQL["standard"].format(scope=""),
                "INSERT INTO points_overall " + _POINTS_SQL["overall"].format(scope="")]
_REFRESH_IDS = ["DELETE FROM points_standard WHERE assessment_id IN (SELECT unnest($ids::VARCHAR[]))",
                "DELETE FROM points_overall WHERE assessment_id IN (SELECT unnest($ids::VARCHAR[]))",
                "INSERT INTO points_standard " + _POINTS_SQL["standard"].format(scope=_IN_IDS),
                "INSERT INTO points_overall " + _POINTS_SQL["overall"].format(scope=_IN_IDS)]


_ROSTER_IN_IDS = "AND a.assessment_id IN (SELECT unnest($ids::VARCHAR[]))"
_ROSTER_ALL = ["DELETE FROM assessment_roster",
               "INSERT INTO assessment_roster " + _roster_points_select(_TAKERS) + " ORDER BY 1, 2"]
# The filter sits inside the definition: on the view, DuckDB cannot push it through the full outer join.
_ROSTER_IDS = ["DELETE FROM assessment_roster WHERE assessment_id IN (SELECT unnest($ids::VARCHAR[]))",
               "INSERT INTO assessment_roster " + _roster_points_select(_TAKERS, _ROSTER_IN_IDS) + " ORDER BY 1, 2"]


def _run_scoped(con: duckdb.DuckDBPyConnection, every: list[str], scoped: list[str], assessment_ids) -> None:
    if assessment_ids is None:
        for sql in every:
            con.execute(sql)
        return
    ids = sorted({str(a) for a in assessment_ids if a is not None})
    if ids:
        for sql in scoped:
            con.execute(sql, {"ids": ids})


def refresh_points(con: duckdb.DuckDBPyConnection, assessment_ids=None, roster: bool = True) -> None:
    """Recompute the stored point scores (and with `roster`, the rosters) of these assessments (all when
    None); call inside the writing transaction, after the responses and items are written."""
    _run_scoped(con, _REFRESH_ALL, _REFRESH_IDS, assessment_ids)
    if roster:
        refresh_roster(con, assessment_ids)


def refresh_roster(con: duckdb.DuckDBPyConnection, assessment_ids=None) -> None:
    """Recompute the kept rosters of these assessments (all when None): after writing results, scale scores,
    sections, enrollments or assessments, inside the writing transaction."""
    _run_scoped(con, _ROSTER_ALL, _ROSTER_IDS, assessment_ids)


_SECTION_STATE = "SELECT section_id, teacher_id, subject, grade_level, starts_on, ends_on FROM sections"


def section_state(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What of each section decides rosters; read on the writing connection before an import writes."""
    return con.execute(_SECTION_STATE).df()


def refresh_rosters_of_import(con: duckdb.DuckDBPyConnection, import_id: int, before: pd.DataFrame) -> None:
    """Refresh the rosters an import can have changed: its scale results' assessments and every assessment
    matched (before or after) by a section it added, changed or enrolled students in."""
    after = con.execute(_SECTION_STATE).df()
    both = before.merge(after, how="outer", indicator=True)
    changed = sorted({str(x) for x in both.loc[both["_merge"] != "both", "section_id"]})
    rows = con.execute(
        f"""SELECT assessment_id FROM scores WHERE import_id = $import_id
            UNION SELECT assessment_id FROM assessments WHERE import_id = $import_id
            UNION SELECT assessment_id FROM assessment_roster
                  WHERE section_id IN (SELECT unnest($changed::VARCHAR[]))
            UNION SELECT a.assessment_id FROM assessments a JOIN sections s ON {SECTION_EXPECTS}
                  WHERE s.section_id IN (SELECT unnest($changed::VARCHAR[]))
                     OR s.section_id IN (SELECT section_id FROM enrollments WHERE import_id = $import_id)""",
        {"import_id": import_id, "changed": changed}).fetchall()
    refresh_roster(con, [r[0] for r in rows])


_ROUNDED = "round(earned, 9), round(possible, 9), round(score, 9), n_items"  # doubles summed in another order
_STALE = {  # kept table -> (its rows, the same rows from the definition), both fixed SQL
    "points_overall": (
        f"SELECT assessment_id, student_id, {_ROUNDED} FROM points_overall",
        f"SELECT assessment_id, student_id, {_ROUNDED} FROM (" + _POINTS_SQL["overall"].format(scope="")
        + ") AS x(assessment_id, student_id, earned, possible, score, n_items)"),
    "points_standard": (
        f"SELECT assessment_id, student_id, standard_code, {_ROUNDED} FROM points_standard",
        f"SELECT assessment_id, student_id, standard_code, {_ROUNDED} FROM ("
        + _POINTS_SQL["standard"].format(scope="")
        + ") AS x(assessment_id, student_id, standard_code, earned, possible, score, n_items)"),
    "assessment_roster": ("SELECT * FROM assessment_roster", "SELECT * FROM v_assessment_roster_live"),
    # (the roster's point scores are copies of points_overall: compared exactly)
}


def stale_derived(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in which each kept table differs from its definition (empty when all agree): a consistency check."""
    out = {}
    for table, (kept, live) in _STALE.items():
        n = fetch_value(con, f"SELECT (SELECT count(*) FROM ({kept} EXCEPT ALL {live})) + "
                             f"(SELECT count(*) FROM ({live} EXCEPT ALL {kept}))")
        if n:
            out[table] = int(n)
    return out


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no student and no assessment is stored."""
    return not fetch_value(con, "SELECT (SELECT count(*) FROM students) + (SELECT count(*) FROM assessments)")


def new_import_id(con: duckdb.DuckDBPyConnection) -> int:
    """The next import id."""
    return int(fetch_value(con, "SELECT nextval('import_seq')"))


def undo_import(con: duckdb.DuckDBPyConnection, import_id: int) -> dict:
    """Remove exactly the rows one import brought, restore what it replaced, and mark it undone."""
    status = fetch_value(con, "SELECT status FROM imports WHERE import_id = ?", [import_id])
    if status is None:
        raise ValueError(f"There is no import number {import_id}.")
    if status != "loaded":
        raise ValueError(f"Import {import_id} is {status}; only a loaded import can be undone.")
    removed: dict[str, int] = {}
    with transaction(con):
        touched = [r[0] for r in con.execute(
            """SELECT DISTINCT assessment_id FROM responses WHERE import_id = ?
               UNION SELECT DISTINCT assessment_id FROM responses_replaced WHERE replaced_by = ?
               UNION SELECT DISTINCT assessment_id FROM items WHERE import_id = ?""",
            [import_id, import_id, import_id]).fetchall()]
        for table in FACT_TABLES:
            removed[table] = con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id]).fetchone()[0]
        con.execute(
            "INSERT INTO responses SELECT assessment_id, student_id, item, points_earned, response, import_id "
            "FROM responses_replaced WHERE replaced_by = ? "
            "AND (assessment_id, student_id, item) NOT IN (SELECT assessment_id, student_id, item FROM responses)",
            [import_id],
        )
        con.execute("DELETE FROM responses_replaced WHERE replaced_by = ? OR import_id = ?", [import_id, import_id])
        for hook in UNDO_HOOKS:
            hook(con, import_id)
        # Dimension rows this import created go too, unless something else still refers to them.
        removed["items"] = con.execute(
            "DELETE FROM items i WHERE import_id = ? AND NOT EXISTS (SELECT 1 FROM responses r "
            "WHERE r.assessment_id = i.assessment_id AND r.item = i.item)",
            [import_id],
        ).fetchone()[0]
        removed["assessments"] = con.execute(
            "DELETE FROM assessments a WHERE import_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM items i WHERE i.assessment_id = a.assessment_id)",
            [import_id],
        ).fetchone()[0]
        removed["enrollments"] = con.execute("DELETE FROM enrollments WHERE import_id = ?", [import_id]).fetchone()[0]
        removed["sections"] = con.execute(
            "DELETE FROM sections s WHERE import_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM enrollments e WHERE e.section_id = s.section_id)",
            [import_id],
        ).fetchone()[0]
        removed["teachers"] = con.execute(
            "DELETE FROM teachers t WHERE import_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM sections s WHERE s.teacher_id = t.teacher_id)",
            [import_id],
        ).fetchone()[0]
        removed["students"] = con.execute(
            "DELETE FROM students s WHERE import_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.student_id = s.student_id) "
            "AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.student_id = s.student_id) "
            "AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.student_id = s.student_id)",
            [import_id],
        ).fetchone()[0]
        removed["standards"] = con.execute(
            "DELETE FROM standards s WHERE import_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM items i WHERE i.standard_code = s.code)",
            [import_id],
        ).fetchone()[0]
        refresh_points(con, touched, roster=False)
        # Undo can take away sections, enrollments, assessments and scale results: every roster may change.
        refresh_roster(con)
        con.execute(
            "UPDATE imports SET status = 'undone', finished_at = current_timestamp WHERE import_id = ?",
            [import_id],
        )
        bump_data_version(con)
    return removed


# Feature modules (goals, interventions...) register a function here to remove rows an import
# brought into their own tables; it runs inside the undo transaction.
UNDO_HOOKS: list = []


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the main tables (what `cli info` prints)."""
    cur = con.cursor()
    try:
        row = cur.execute(
            """SELECT
                (SELECT count(*) FROM students),
                (SELECT count(*) FROM teachers),
                (SELECT count(*) FROM sections),
                (SELECT count(*) FROM enrollments),
                (SELECT count(*) FROM assessments),
                (SELECT count(*) FROM items),
                (SELECT count(*) FROM responses),
                (SELECT count(*) FROM scores),
                (SELECT count(*) FROM standards),
                (SELECT count(*) FROM attendance),
                (SELECT count(*) FROM imports WHERE status = 'loaded')"""
        ).fetchone()
    finally:
        cur.close()
    keys = ["students", "teachers", "sections", "enrollments", "assessments", "items", "responses",
            "scale_scores", "standards", "attendance", "imports"]
    return dict(zip(keys, (int(v) for v in row)))


def data_snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Every stored data row (not the import log), for tests that prove nothing changed."""
    out = {}
    for table in DIMENSION_TABLES + FACT_TABLES + SNAPSHOT_EXTRA:
        out[table] = sorted(map(repr, fetch_df(con, f"SELECT * FROM {table}").itertuples(index=False)))
    return out
