"""Early-warning risk: who is likely to miss the next summative, why, and how far the score can be trusted.

The outcome is "not proficient on the next summative (or the next benchmark) in a subject". Features
come only from data dated strictly before the prediction date. A model is trained on earlier school
years at the same point in the year (the same number of days after 1 July) and checked in a way that
respects time: train on earlier years and test on the latest one, or, with a single year, folds that
keep each student on one side. When there are too few outcomes to learn from, transparent rules are
used instead and every page says so. No demographic attribute is ever a model input; those are used
only to check the score by subgroup.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from lib import queries, store

# School years start on 1 July: a May summative and the next September's checks are a year apart.
YEAR_START_MONTH = 7
OUTCOME_KINDS = {"summative": ["summative", "state"], "benchmark": ["benchmark"]}
# Below these, a model would learn noise: use the rules instead.
MIN_STUDENTS = 200
MIN_MISSED = 30
# Probability bands (the outcome base rate in a typical school is 15-30%).
HIGH_FROM = 0.5
MEDIUM_FROM = 0.2
# The rules: below the cut on at least RULE_BELOW of the last RULE_LAST checks, or attendance under RULE_ATTENDANCE.
RULE_BELOW = 2
RULE_LAST = 3
RULE_ATTENDANCE = 0.90
# Capacity used when none is given: about one student in five (a typical Tier 2 share).
DEFAULT_SHARE = 0.2
# A reason is worth showing when it raises the probability by at least this much.
REASON_MIN = 0.02
SUBGROUPS = {"ell": "English learners", "iep": "IEP", "frl": "Free or reduced lunch",
             "gender": "Gender", "ethnicity": "Ethnicity"}

# Model inputs, grouped by the reason they explain. Demographics are deliberately absent.
FEATURE_GROUPS: dict[str, list[str]] = {
    "checks": ["check_mean", "recent_mean", "recent_below_share"],
    "benchmark": ["bench_last", "bench_last_below", "bench_mean"],
    "trend": ["trend"],
    "standards": ["not_mastered_share"],
    "attendance": ["absence_rate"],
    "missed": ["missed_share"],
    "prior": ["prior_margin"],
}
FEATURES = [f for group in FEATURE_GROUPS.values() for f in group]
FEATURE_WORDS = {
    "check_mean": "average formative (CFA) score this year, relative to the cut",
    "recent_mean": "average of the last 4 formative scores, relative to the cut",
    "recent_below_share": "share of the last 4 formative checks below the cut",
    "bench_last": "latest benchmark score, relative to its cut",
    "bench_last_below": "below the cut on the latest benchmark (yes/no)",
    "bench_mean": "average benchmark score this year, relative to the cut",
    "trend": "trend of formative scores (points per month)",
    "not_mastered_share": "share of standards assessed so far whose latest score is below the cut",
    "absence_rate": "share of school days missed this year",
    "missed_share": "share of assessments missed while classmates took them",
    "prior_margin": "last year's summative score, relative to its cut",
}


# --- SQL ---------------------------------------------------------------------------------------

# One row per (student, subject) with every feature, from data dated in [year_start, pred_date).
queries.define(
    "risk_features",
    """
WITH win AS (
    SELECT assessment_id, subject, coalesce(kind, 'formative') AS kind, administered_on, title,
           grade_level, coalesce(proficiency_cut, 0.8) AS cut
    FROM assessments
    WHERE administered_on >= $year_start AND administered_on < $pred_date AND subject IS NOT NULL
),
prior_a AS (
    SELECT assessment_id, subject, administered_on, title, coalesce(proficiency_cut, 0.8) AS cut
    FROM assessments
    WHERE administered_on < $year_start AND administered_on >= $year_start - INTERVAL 400 DAY
      AND kind IN ('summative', 'state') AND subject IS NOT NULL
),
scores AS (
    -- The core views: item responses and vendor scale results alike (see store migrations 3 and 30).
    SELECT o.student_id, w.assessment_id, w.subject, w.kind, w.administered_on, w.title, w.cut,
           w.grade_level, o.score
    FROM v_overall_scores o JOIN win w USING (assessment_id)
),
checks AS (
    SELECT *, row_number() OVER (PARTITION BY student_id, subject
                                 ORDER BY administered_on DESC, assessment_id DESC) AS recent
    FROM scores WHERE kind = 'formative' AND score IS NOT NULL
),
check_f AS (
    SELECT student_id, subject, count(*) AS n_checks,
           avg(score - cut) AS check_mean,
           avg(score - cut) FILTER (recent <= 4) AS recent_mean,
           count(*) FILTER (recent <= 4) AS n_recent,
           count(*) FILTER (recent <= 4 AND score < cut) AS n_recent_below,
           count(*) FILTER (recent <= 3) AS n_last3,
           count(*) FILTER (recent <= 3 AND score < cut) AS n_last3_below,
           CASE WHEN count(*) >= 3 THEN
               regr_slope(score - cut, date_diff('day', $year_start::DATE, administered_on)) * 30 END AS trend
    FROM checks GROUP BY ALL
),
bench AS (
    SELECT *, row_number() OVER (PARTITION BY student_id, subject
                                 ORDER BY administered_on DESC, assessment_id DESC) AS recent
    FROM scores WHERE kind = 'benchmark' AND score IS NOT NULL
),
bench_f AS (
    SELECT student_id, subject, count(*) AS n_bench, avg(score - cut) AS bench_mean,
           max(score - cut) FILTER (recent = 1) AS bench_last,
           max(score) FILTER (recent = 1) AS bench_last_score,
           max(cut) FILTER (recent = 1) AS bench_last_cut,
           max(title) FILTER (recent = 1) AS bench_last_title
    FROM bench GROUP BY ALL
),
std_latest AS (
    SELECT v.student_id, w.subject, v.standard_code, v.score - w.cut AS margin
    FROM v_standard_scores v JOIN win w USING (assessment_id)
    WHERE v.score IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY v.student_id, w.subject, v.standard_code
                               ORDER BY w.administered_on DESC, w.assessment_id DESC) = 1
),
std_f AS (
    SELECT student_id, subject, count(*) AS n_standards, count(*) FILTER (margin < 0) AS n_not_mastered
    FROM std_latest GROUP BY ALL
),
att AS (
    -- Only periods that ended before the prediction date: a month still running would leak.
    SELECT student_id, sum(days_enrolled) AS days_enrolled, sum(days_absent) AS days_absent
    FROM attendance
    WHERE period_end < $pred_date AND coalesce(period_start, period_end) >= $year_start
    GROUP BY ALL
),
expected AS (
    SELECT DISTINCT w.assessment_id, w.subject, e.student_id, s.section_id
    FROM win w
    JOIN sections s
      ON (s.subject IS NULL OR lower(s.subject) = lower(w.subject))
     AND (w.grade_level IS NULL OR s.grade_level IS NULL OR s.grade_level = w.grade_level)
     AND (s.starts_on IS NULL OR w.administered_on >= s.starts_on)
     AND (s.ends_on IS NULL OR w.administered_on <= s.ends_on)
    JOIN enrollments e ON e.section_id = s.section_id
),
taken AS (SELECT DISTINCT assessment_id, student_id FROM scores),
given AS (
    -- An assessment counts as given to a section when at least one of its students took it.
    SELECT DISTINCT x.assessment_id, x.section_id FROM expected x JOIN taken t USING (assessment_id, student_id)
),
missed_f AS (
    SELECT x.student_id, x.subject, count(DISTINCT x.assessment_id) AS n_expected,
           count(DISTINCT x.assessment_id) FILTER (t.student_id IS NULL) AS n_missed
    FROM expected x JOIN given g USING (assessment_id, section_id)
    LEFT JOIN taken t USING (assessment_id, student_id)
    GROUP BY ALL
),
prior_scores AS (
    SELECT o.student_id, a.subject, a.title, a.cut, a.administered_on, a.assessment_id, o.score
    FROM v_overall_scores o JOIN prior_a a USING (assessment_id)
),
prior_f AS (
    SELECT student_id, subject, score - cut AS prior_margin, score AS prior_score, title AS prior_title
    FROM prior_scores WHERE score IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY student_id, subject
                               ORDER BY administered_on DESC, assessment_id DESC) = 1
),
pop AS (
    SELECT student_id, subject, grade_level FROM scores
    UNION ALL
    SELECT x.student_id, x.subject, w.grade_level FROM expected x JOIN win w USING (assessment_id)
),
pop_f AS (
    SELECT student_id, subject, mode(grade_level) AS grade_level FROM pop GROUP BY ALL
)
SELECT p.student_id, p.subject, p.grade_level,
       c.n_checks, c.check_mean, c.recent_mean, c.n_recent, c.n_recent_below,
       c.n_recent_below / nullif(c.n_recent, 0) AS recent_below_share,
       c.n_last3, c.n_last3_below, c.trend,
       b.n_bench, b.bench_last, b.bench_mean, b.bench_last_score, b.bench_last_cut, b.bench_last_title,
       sf.n_standards, sf.n_not_mastered, sf.n_not_mastered / nullif(sf.n_standards, 0) AS not_mastered_share,
       a.days_enrolled, a.days_absent, a.days_absent / nullif(a.days_enrolled, 0) AS absence_rate,
       m.n_expected, m.n_missed, m.n_missed / nullif(m.n_expected, 0) AS missed_share,
       pr.prior_margin, pr.prior_score, pr.prior_title
FROM pop_f p
LEFT JOIN check_f c USING (student_id, subject)
LEFT JOIN bench_f b USING (student_id, subject)
LEFT JOIN std_f sf USING (student_id, subject)
LEFT JOIN att a USING (student_id)
LEFT JOIN missed_f m USING (student_id, subject)
LEFT JOIN prior_f pr USING (student_id, subject)
ORDER BY p.subject, p.student_id
""",
)

# The outcome: each student's first outcome assessment in a subject in [pred_date, year_end).
queries.define(
    "risk_outcomes",
    """
WITH o AS (
    SELECT assessment_id, subject, administered_on, title, coalesce(proficiency_cut, 0.8) AS cut
    FROM assessments
    WHERE administered_on >= $pred_date AND administered_on < $year_end AND subject IS NOT NULL
      AND list_contains($kinds, coalesce(kind, 'formative'))
),
s AS (
    SELECT v.student_id, o.assessment_id, o.subject, o.administered_on, o.title, o.cut, v.score
    FROM v_overall_scores v JOIN o USING (assessment_id)
)
SELECT student_id, subject, assessment_id AS outcome_assessment, title AS outcome_title,
       administered_on AS outcome_date, score AS outcome_score, cut AS outcome_cut,
       score < cut AS missed
FROM s WHERE score IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY student_id, subject ORDER BY administered_on, assessment_id) = 1
""",
)

queries.define(
    "risk_outcome_years",
    """SELECT DISTINCT make_date(year(administered_on) - CASE WHEN month(administered_on) < $month THEN 1 ELSE 0 END,
                                 $month, 1) AS year_start
       FROM assessments
       WHERE administered_on IS NOT NULL AND list_contains($kinds, coalesce(kind, 'formative'))
       ORDER BY year_start""",
)

queries.define(
    "risk_latest_date",
    """SELECT greatest(max(administered_on), (SELECT max(period_end) FROM attendance)) FROM assessments""",
)

queries.define(
    "risk_inputs",
    # A fingerprint of everything the score reads (two identical copies share one trained model). Rows
    # are hashed whole except the ten million responses, whose sum and count plus the import log (every
    # write to them is an import or its undo) stay cheap at district size.
    """SELECT (SELECT coalesce(string_agg(import_id || ':' || status, ',' ORDER BY import_id), '') FROM imports)
                  AS imports,
              (SELECT count(*) FROM responses) AS n_responses, (SELECT sum(points_earned) FROM responses) AS earned,
              (SELECT sum(hash(t)) FROM items t) AS items, (SELECT sum(hash(t)) FROM assessments t) AS assessments,
              (SELECT sum(hash(t)) FROM attendance t) AS attendance,
              (SELECT sum(hash(t)) FROM students t) AS students, (SELECT sum(hash(t)) FROM sections t) AS sections,
              (SELECT sum(hash(t)) FROM enrollments t) AS enrollments, (SELECT sum(hash(t)) FROM scores t) AS scores,
              (SELECT sum(hash(t)) FROM scale_levels t) AS levels, (SELECT sum(hash(t)) FROM scale_rules t) AS rules""",
)

queries.define(
    "risk_student_info",
    """SELECT s.student_id, s.first_name, s.last_name, s.school, s.ell, s.iep, s.frl, s.gender, s.ethnicity
       FROM students s WHERE list_contains($ids, s.student_id)""",
)


# --- dates ---------------------------------------------------------------------------------------

def year_start(day: dt.date) -> dt.date:
    """1 July of the school year that contains `day`."""
    return dt.date(day.year - (day.month < YEAR_START_MONTH), YEAR_START_MONTH, 1)


def data_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The day after the latest result or attendance period: predictions use everything up to then."""
    latest = queries.scalar(con, "risk_latest_date")
    if latest is None or pd.isna(latest):
        return None
    return pd.Timestamp(latest).date() + dt.timedelta(days=1)


def _shift(day: dt.date, start: dt.date, new_start: dt.date) -> dt.date:
    """The same offset into another school year (29 Feb falls back a day)."""
    return new_start + (day - start)


# --- features ----------------------------------------------------------------------------------

def features(con: duckdb.DuckDBPyConnection, pred_date: dt.date, start: dt.date | None = None) -> pd.DataFrame:
    """Features per (student, subject) from data dated on/after `start` and strictly before `pred_date`."""
    start = start or year_start(pred_date - dt.timedelta(days=1))
    df = queries.run(con, "risk_features", year_start=start, pred_date=pred_date)
    counts = ["n_checks", "n_recent", "n_recent_below", "n_last3", "n_last3_below", "n_bench", "n_standards",
              "n_not_mastered", "days_enrolled", "days_absent", "n_expected", "n_missed", "bench_last_score",
              "bench_last_cut", "prior_score"]
    for col in [f for f in FEATURES if f != "bench_last_below"] + counts:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    # A yes/no "below the cut" lets a linear model use the cut the team itself set.
    df["bench_last_below"] = (df["bench_last"] < 0).astype("float64").where(df["bench_last"].notna())
    df["year_start"] = start
    df["pred_date"] = pred_date
    return df


def outcomes(con: duckdb.DuckDBPyConnection, pred_date: dt.date, outcome: str = "summative") -> pd.DataFrame:
    """Each student's next outcome assessment result per subject after `pred_date` in the same school year."""
    start = year_start(pred_date - dt.timedelta(days=1))
    end = dt.date(start.year + 1, YEAR_START_MONTH, 1)
    df = queries.run(con, "risk_outcomes", pred_date=pred_date, year_end=end, kinds=OUTCOME_KINDS[outcome])
    df["missed"] = df["missed"].astype(bool)
    return df


# --- the rules ---------------------------------------------------------------------------------

def rule_frame(feat: pd.DataFrame) -> pd.DataFrame:
    """The transparent rule for each row: flag, points (for ordering), band and reasons in words."""
    below = feat["n_last3_below"].fillna(0)
    low_checks = below >= RULE_BELOW
    attendance = 1 - feat["absence_rate"]
    low_attendance = attendance < RULE_ATTENDANCE  # NaN compares False: no attendance, no flag
    points = below + low_attendance.astype(int)
    flag = low_checks | low_attendance
    band = np.where(flag & (points >= 3), "high", np.where(flag, "medium", "low"))
    reasons = []
    for row, lc, la in zip(feat.itertuples(index=False), low_checks, low_attendance):
        words = []
        if lc:
            words.append(f"below the cut on {int(row.n_last3_below)} of the last {int(row.n_last3)} "
                         f"{row.subject} checks")
        if la:
            words.append(f"missed {row.absence_rate:.0%} of days")
        reasons.append(words)
    return pd.DataFrame({"rule_flag": flag.to_numpy(), "rule_points": points.to_numpy(dtype=float),
                         "rule_band": band, "rule_reasons": reasons}, index=feat.index)


# --- metrics -----------------------------------------------------------------------------------

def at_k(y, score, k: int) -> tuple[float, float]:
    """Precision and recall among the top k by score; tied scores at the boundary count at their average."""
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    n = len(y)
    k = int(max(0, min(k, n)))
    if k == 0 or n == 0:
        return float("nan"), float("nan")
    s_k = np.sort(score)[::-1][k - 1]
    above = score > s_k
    tie = score == s_k
    slots = k - int(above.sum())
    tp = y[above].sum() + (slots * y[tie].mean() if tie.any() else 0.0)
    positives = y.sum()
    return float(tp / k), float(tp / positives) if positives else float("nan")


def auc(y, score) -> float:
    """Area under the ROC curve (NaN when only one class is present)."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=int)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, np.asarray(score, dtype=float)))


def brier(y, p) -> float:
    """Mean squared error of the probabilities (0 is perfect; always saying the base rate scores p(1-p))."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def calibration_bins(y, p, bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed rate in equal-width probability bins (empty bins left out)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append({"bin": f"{b / bins:.0%}-{(b + 1) / bins:.0%}", "n": int(m.sum()),
                         "predicted": float(p[m].mean()), "observed": float(y[m].mean())})
    return pd.DataFrame(rows, columns=["bin", "n", "predicted", "observed"])


# --- models ------------------------------------------------------------------------------------

class DropEmpty:
    """Drop columns with no value at all in the training rows (a first year has no "last year's result")."""

    def fit(self, X, y=None):
        self.keep_ = ~np.all(np.isnan(np.asarray(X, dtype=float)), axis=0)
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float)[:, self.keep_]

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def get_params(self, deep: bool = True) -> dict:
        return {}

    def set_params(self, **params):
        return self


def _candidates() -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        # L2-regularised (C=0.5); missing inputs get the median plus a "was missing" indicator.
        "logistic regression": lambda: make_pipeline(
            DropEmpty(), SimpleImputer(strategy="median", add_indicator=True), StandardScaler(),
            LogisticRegression(C=0.5, max_iter=2000)),
        # Small, shallow and regularised: a few hundred students cannot support more.
        "gradient boosting": lambda: make_pipeline(DropEmpty(), HistGradientBoostingClassifier(
            max_iter=60, learning_rate=0.1, max_leaf_nodes=8, min_samples_leaf=20, l2_regularization=1.0,
            early_stopping=False, random_state=0)),
    }


def _group_splits(groups, n: int = 5) -> list:
    from sklearn.model_selection import GroupKFold

    # Integer codes: GroupKFold's isin over an object array of ids took 20 s per split at 90,000 rows.
    groups = pd.factorize(np.asarray(groups))[0]
    n = max(2, min(n, len(np.unique(groups))))
    return list(GroupKFold(n_splits=n, shuffle=True, random_state=0).split(np.zeros(len(groups)), groups=groups))


def _calibrated(make, X: np.ndarray, y: np.ndarray, groups):
    """Fit a model wrapped in CalibratedClassifierCV with student-grouped folds."""
    from sklearn.calibration import CalibratedClassifierCV

    method = "isotonic" if len(y) >= 2000 else "sigmoid"
    model = CalibratedClassifierCV(make(), method=method, cv=_group_splits(groups, 3))
    return model.fit(X, y)


def _oof(make, X: np.ndarray, y: np.ndarray, groups, splits, calibrate: bool = True) -> np.ndarray:
    """Out-of-sample probabilities (calibrated or raw) for the test side of each split (NaN elsewhere)."""
    out = np.full(len(y), np.nan)
    for train, test in splits:
        if calibrate:
            model = _calibrated(make, X[train], y[train], np.asarray(groups)[train])
        else:
            model = make().fit(X[train], y[train])
        out[test] = model.predict_proba(X[test])[:, 1]
    return out


@dataclass
class RiskResult:
    """Everything the pages and the command line need about one risk run."""

    mode: str  # "model" or "rule"
    model_name: str
    mode_reason: str
    as_of: dt.date | None
    outcome: str
    predictions: pd.DataFrame
    evaluation: pd.DataFrame  # one row per validated (student, subject): y, p, rule flag, subgroup columns
    training: dict = field(default_factory=dict)
    candidates: dict = field(default_factory=dict)
    features_used: list = field(default_factory=list)
    validation: str = ""


def _describe_mode(n_students: int, n_missed: int) -> tuple[str, str]:
    if n_students < MIN_STUDENTS or n_missed < MIN_MISSED:
        return "rule", (f"Rules in use: only {n_students} students with a known outcome and {n_missed} who "
                        f"missed it (a model needs at least {MIN_STUDENTS} and {MIN_MISSED}).")
    return "model", f"Model trained on {n_students} students with a known outcome ({n_missed} missed it)."


def build(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None = None, outcome: str = "summative") -> RiskResult:
    """Train (or fall back to rules), validate, and score every current student: the whole early-warning run."""
    from threadpoolctl import threadpool_limits

    # Small models fit faster on one thread, and a shared machine stays responsive.
    with threadpool_limits(1):
        return _build(con, as_of, outcome)


def _build(con: duckdb.DuckDBPyConnection, as_of: str | dt.date | None, outcome: str) -> RiskResult:
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    as_of = as_of or data_as_of(con)
    empty = pd.DataFrame()
    if as_of is None:
        return RiskResult("rule", "rules", "No results are loaded yet.", None, outcome, empty, empty)
    current_start = year_start(as_of - dt.timedelta(days=1))

    # Training cases: each school year with outcomes, cut at the same point in that year.
    years = [pd.Timestamp(v).date() for v in
             queries.run(con, "risk_outcome_years", month=YEAR_START_MONTH, kinds=OUTCOME_KINDS[outcome])["year_start"]]
    frames = []
    for ys in years:
        if ys > current_start:
            continue
        pred = _shift(as_of, current_start, ys)
        feat = features(con, pred, ys)
        out = outcomes(con, pred, outcome)
        labelled = feat.merge(out, on=["student_id", "subject"], how="inner")
        if not labelled.empty:
            frames.append(labelled)
    train = pd.concat(frames, ignore_index=True) if frames else empty
    n_students = int(train["student_id"].nunique()) if not train.empty else 0
    n_missed = int(train.loc[train["missed"], "student_id"].nunique()) if not train.empty else 0
    mode, mode_reason = _describe_mode(n_students, n_missed)
    training = {
        "school_years": [f"{ys.year}-{str(ys.year + 1)[2:]}" for ys in sorted({*train.get("year_start", [])})],
        "prediction_dates": sorted({d.isoformat() for d in train.get("pred_date", [])}),
        "rows": int(len(train)), "students": n_students, "missed": int(train["missed"].sum()) if len(train) else 0,
        "students_missed": n_missed,
        "outcome_assessments": int(train["outcome_assessment"].nunique()) if len(train) else 0,
        "outcome": outcome,
        "subjects": sorted(train["subject"].unique().tolist()) if len(train) else [],
        "base_rate": float(train["missed"].mean()) if len(train) else float("nan"),
    }

    current = features(con, as_of, current_start)
    rules_now = rule_frame(current) if len(current) else pd.DataFrame(
        columns=["rule_flag", "rule_points", "rule_band", "rule_reasons"])
    current = pd.concat([current, rules_now], axis=1)

    used = [f for f in FEATURES if len(train) and train[f].notna().any()]
    evaluation = empty
    candidates: dict[str, float] = {}
    validation = ""
    model_name = "rules"
    if len(train):
        train = pd.concat([train, rule_frame(train)], axis=1)
        y = train["missed"].to_numpy(dtype=int)
        groups = train["student_id"].to_numpy()
        year_col = train["year_start"].to_numpy()
        distinct_years = sorted(set(year_col))
        if len(distinct_years) >= 2:
            last = distinct_years[-1]
            splits = [(np.flatnonzero(year_col != last), np.flatnonzero(year_col == last))]
            validation = (f"trained on {', '.join(_year_label(v) for v in distinct_years[:-1])}, "
                          f"tested on {_year_label(last)} (later year)")
        else:
            splits = _group_splits(groups, 5)
            validation = (f"{len(splits)}-fold cross-validation within {_year_label(distinct_years[0])}, "
                          "each student in one fold only")
        tested = np.zeros(len(y), dtype=bool)
        for _, test in splits:
            tested[test] = True
        oof: dict[str, np.ndarray] = {}
        can_model = mode == "model" and len(np.unique(y)) == 2 and bool(used)
        if can_model:
            X = train[used].to_numpy(dtype=float)
            # Compare on ranking (AUC, which calibration barely changes), then calibrate the winner.
            for name, make in _candidates().items():
                raw = _oof(make, X, y, groups, splits, calibrate=False)
                candidates[name] = auc(y[tested], raw[tested])
            # Prefer the simpler, more explainable logistic regression unless boosting is clearly better.
            best = "logistic regression"
            if candidates["gradient boosting"] > candidates["logistic regression"] + 0.01:
                best = "gradient boosting"
            model_name = best
            oof[best] = _oof(_candidates()[best], X, y, groups, splits)
        evaluation = train.loc[tested, ["student_id", "subject", "grade_level", "year_start", "missed",
                                        "rule_flag", "rule_points"]].copy()
        evaluation["p"] = oof[model_name][tested] if can_model else np.nan
        evaluation = _attach_students(con, evaluation)
        if can_model:
            final = _calibrated(_candidates()[model_name], X, y, groups)
            medians = np.nanmedian(X, axis=0)
            medians = np.where(np.isnan(medians), 0.0, medians)
            current = _score(current, final, used, medians)
        else:
            mode = "rule"
            if mode_reason.startswith("Model"):
                mode_reason = "Rules in use: the outcomes do not include both students who met and who missed the cut."
    if mode == "rule":
        current["probability"] = np.nan
        current["band"] = current["rule_band"]
        current["reasons"] = current["rule_reasons"]
        current = current.sort_values(["rule_points", "student_id"], ascending=[False, True])
    else:
        current = current.sort_values(["probability", "student_id"], ascending=[False, True])
    current = _attach_students(con, current.reset_index(drop=True))
    current["reasons_text"] = current["reasons"].map(lambda r: "; ".join(r) if len(r) else "")
    return RiskResult(mode=mode, model_name=model_name, mode_reason=mode_reason, as_of=as_of, outcome=outcome,
                      predictions=current, evaluation=evaluation, training=training, candidates=candidates,
                      features_used=used, validation=validation)


_CACHE: dict = {}


def filter_predictions(predictions: pd.DataFrame, school: str | None = None, grade: str | None = None,
                       subject: str | None = None) -> pd.DataFrame:
    """The ranked list narrowed to a school, grade and/or subject (order kept)."""
    out = predictions
    for col, value in (("school", school), ("grade_level", grade), ("subject", subject)):
        if value is not None and col in out:
            out = out[out[col].astype(str) == str(value)]
    return out


_FINGERPRINTS: dict = {}


def _fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    # Every write bumps the data version, so one database at one version has one fingerprint. It is
    # remembered in this process and in the file (meta), so a restarted app does not hash every table
    # again (about 65 ms at district size) before it can read a kept result.
    key = (store.fetch_value(con, "SELECT file FROM pragma_database_list WHERE name = current_database()"),
           store.data_version(con))
    if key[0] and key in _FINGERPRINTS:
        return _FINGERPRINTS[key]
    kept = store.get_meta(con, FINGERPRINT_META) if key[0] else None
    version, _, value = (kept or "").partition(":")
    if not kept or version != str(key[1]):
        value = "|".join(str(v) for v in queries.run(con, "risk_inputs").iloc[0].tolist())
        if key[0]:
            _keep_fingerprint(con, key[1], value)
    if key[0]:  # an in-memory database has no file to name it by
        if len(_FINGERPRINTS) >= 16:
            _FINGERPRINTS.pop(next(iter(_FINGERPRINTS)))
        _FINGERPRINTS[key] = value
    return value


FINGERPRINT_META = "risk_fingerprint"


def _keep_fingerprint(con: duckdb.DuckDBPyConnection, version: int, value: str) -> None:
    cur = con.cursor()
    try:
        with store.transaction(cur):
            # Only while the version is still the one hashed: a write in between makes it stale.
            if store.data_version(cur) == version:
                store.set_meta(cur, FINGERPRINT_META, f"{version}:{value}")
    except duckdb.Error:
        pass  # a read-only or busy store: the fingerprint still serves this process from memory
    finally:
        cur.close()


def cached_build(con: duckdb.DuckDBPyConnection, as_of: str | None = None, outcome: str = "summative") -> RiskResult:
    """`build`, remembered in memory and in the database by a fingerprint of its inputs.

    Training takes seconds for a school and about half a minute for a district, so a result is kept
    in the store (table risk_results) and a freshly started app reads it instead of retraining.
    """
    # Keyed on what the score reads, not the data version: saving an intervention must not retrain.
    key = (_fingerprint(con), str(as_of) if as_of else "", outcome)
    if key in _CACHE:
        return _CACHE[key]
    result = load_result(con, *key)
    if result is None:
        result = build(con, as_of, outcome)
        save_result(con, *key, result)
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = result
    return result


# --- keeping a result in the store -----------------------------------------------------------------

store.MIGRATIONS.append((
    21,
    "risk_results: trained early-warning results kept between app starts (lib/risk.py)",
    ["""CREATE TABLE IF NOT EXISTS risk_results (
            fingerprint VARCHAR, as_of VARCHAR, outcome VARCHAR, created_at TIMESTAMP DEFAULT current_timestamp,
            meta VARCHAR,            -- JSON: mode, model name, training summary, validation
            predictions BLOB,        -- Parquet
            evaluation BLOB,         -- Parquet
            PRIMARY KEY (fingerprint, as_of, outcome))"""],
))
store.MIGRATIONS.append((
    22,
    "risk_student_rows: each student's kept risk rows, for the profile (lib/risk.py)",
    ["""CREATE TABLE IF NOT EXISTS risk_student_rows (
            fingerprint VARCHAR, as_of VARCHAR, outcome VARCHAR, student_id VARCHAR, subject VARCHAR,
            grade_level VARCHAR, probability DOUBLE, band VARCHAR, reasons_text VARCHAR, mode VARCHAR)"""],
))
KEEP_RESULTS = 4

queries.define(
    "risk_kept_student_rows",
    """SELECT subject, grade_level, probability, band, reasons_text, mode FROM risk_student_rows
       WHERE fingerprint = $fingerprint AND as_of = '' AND outcome = 'summative' AND student_id = $sid
       ORDER BY subject""",
)
queries.define(
    "risk_is_kept",
    """SELECT count(*) FROM risk_results WHERE fingerprint = $fingerprint AND as_of = '' AND outcome = 'summative'""",
)


def _student_rows(result: RiskResult) -> pd.DataFrame:
    p = result.predictions
    if p.empty:
        return pd.DataFrame()
    out = p[["student_id", "subject", "grade_level", "probability", "band", "reasons_text"]].copy()
    out["student_id"] = out["student_id"].astype(str)
    out["grade_level"] = out["grade_level"].astype(object).where(out["grade_level"].notna(), None)
    out["probability"] = pd.to_numeric(out["probability"], errors="coerce").astype("float64")
    out["mode"] = result.mode
    return out

queries.define(
    "risk_saved_result",
    """SELECT meta, predictions, evaluation FROM risk_results
       WHERE fingerprint = $fingerprint AND as_of = $as_of AND outcome = $outcome""",
)


BLOB_FORMAT = "arrow-ipc-zstd"  # an Arrow stream reads back in a fraction of Parquet's time (0.4 s vs 1 s)


def _to_blob(df: pd.DataFrame) -> bytes:
    import io

    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    buf = io.BytesIO()
    with pa.ipc.new_stream(buf, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
        w.write_table(table)
    return buf.getvalue()


def _from_blob(data: bytes) -> pd.DataFrame:
    import pyarrow as pa

    # Reason lists come back as arrays of words (len and join work the same).
    return pa.ipc.open_stream(bytes(data)).read_all().to_pandas()


def save_result(con: duckdb.DuckDBPyConnection, fingerprint: str, as_of: str, outcome: str,
                result: RiskResult) -> bool:
    """Keep a result in the store (the newest few per database); False when the store cannot be written."""
    import json

    meta = {"format": BLOB_FORMAT, "mode": result.mode, "model_name": result.model_name,
            "mode_reason": result.mode_reason,
            "as_of": result.as_of.isoformat() if result.as_of else None, "outcome": result.outcome,
            "training": result.training, "candidates": result.candidates,
            "features_used": result.features_used, "validation": result.validation}
    cur = con.cursor()
    try:
        with store.transaction(cur):
            cur.execute("DELETE FROM risk_results WHERE fingerprint = ? AND as_of = ? AND outcome = ?",
                        [fingerprint, as_of, outcome])
            cur.execute("INSERT INTO risk_results (fingerprint, as_of, outcome, meta, predictions, evaluation) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [fingerprint, as_of, outcome, json.dumps(meta, default=str),
                         _to_blob(result.predictions), _to_blob(result.evaluation)])
            # One student's rows on their own, so a profile opened after a restart reads two rows.
            cur.execute("DELETE FROM risk_student_rows WHERE fingerprint = ? AND as_of = ? AND outcome = ?",
                        [fingerprint, as_of, outcome])
            rows = _student_rows(result)
            if len(rows):
                cur.register("_rows", rows)
                try:
                    cur.execute("""INSERT INTO risk_student_rows SELECT ?, ?, ?, student_id, subject, grade_level,
                                   probability, band, reasons_text, mode FROM _rows""",
                                [fingerprint, as_of, outcome])
                finally:
                    cur.unregister("_rows")
            cur.execute("""DELETE FROM risk_results WHERE created_at < (SELECT min(created_at) FROM
                           (SELECT created_at FROM risk_results ORDER BY created_at DESC LIMIT ?))""",
                        [KEEP_RESULTS])
            cur.execute("""DELETE FROM risk_student_rows WHERE (fingerprint, as_of, outcome) NOT IN
                           (SELECT fingerprint, as_of, outcome FROM risk_results)""")
        return True
    except duckdb.Error:
        return False  # a read-only or busy store: the result still serves this process from memory
    finally:
        cur.close()


def load_result(con: duckdb.DuckDBPyConnection, fingerprint: str, as_of: str, outcome: str) -> RiskResult | None:
    """A result kept by `save_result` for exactly these inputs, or None."""
    import json

    try:
        df = queries.run(con, "risk_saved_result", fingerprint=fingerprint, as_of=as_of, outcome=outcome)
    except duckdb.Error:
        return None
    if df.empty:
        return None
    row = df.iloc[0]
    meta = json.loads(row["meta"])
    if meta.get("format") != BLOB_FORMAT:
        return None  # kept by an older version: train again
    return RiskResult(mode=meta["mode"], model_name=meta["model_name"], mode_reason=meta["mode_reason"],
                      as_of=dt.date.fromisoformat(meta["as_of"]) if meta["as_of"] else None,
                      outcome=meta["outcome"], predictions=_from_blob(row["predictions"]),
                      evaluation=_from_blob(row["evaluation"]), training=meta["training"],
                      candidates=meta["candidates"], features_used=meta["features_used"],
                      validation=meta["validation"])


def student_risk(con: duckdb.DuckDBPyConnection, student_id: str) -> pd.DataFrame:
    """One student's current risk per subject: probability, band and reasons (for the student profile)."""
    empty = pd.DataFrame(columns=["Subject", "Grade", "Risk", "Band", "Reasons"])
    fingerprint = _fingerprint(con)
    cached = _CACHE.get((fingerprint, "", "summative"))
    # A kept result: read this student's rows, not the whole district's predictions (rows found means kept).
    rows = None if cached is not None else queries.run(con, "risk_kept_student_rows", fingerprint=fingerprint,
                                                        sid=str(student_id))
    if rows is not None and (len(rows) or queries.scalar(con, "risk_is_kept", fingerprint=fingerprint)):
        mode = rows["mode"].iat[0] if len(rows) else "model"
    else:
        result = cached or cached_build(con)
        p = result.predictions
        if p.empty:
            return empty
        rows = p.loc[p["student_id"].astype(str) == str(student_id),
                     ["subject", "grade_level", "probability", "band", "reasons_text"]].sort_values("subject")
        mode = result.mode
    out = rows[["subject", "grade_level", "probability", "band", "reasons_text"]].rename(
        columns={"subject": "Subject", "grade_level": "Grade", "probability": "Risk", "band": "Band",
                 "reasons_text": "Reasons"}).reset_index(drop=True)
    if mode == "rule":
        return out.drop(columns=["Risk"])
    out["Risk"] = out["Risk"].map(pct_text)
    return out


def pct_text(p: float | None) -> str:
    """A probability as a whole percentage that never claims certainty ("over 99%", "under 1%").

    (Words, not ">": a leading ">" becomes a quote in markdown tables.)"""
    if p is None or pd.isna(p):
        return "–"
    if p > 0.99:
        return "over 99%"
    if p < 0.01:
        return "under 1%"
    return f"{p:.0%}"


def _year_label(ys) -> str:
    ys = pd.Timestamp(ys).date()
    return f"{ys.year}-{str(ys.year + 1)[2:]}"


def _attach_students(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return df
    info = queries.run(con, "risk_student_info", ids=sorted(df["student_id"].astype(str).unique().tolist()))
    return df.merge(info, on="student_id", how="left")


def band_of(p: float) -> str:
    """low / medium / high for a probability."""
    if p is None or pd.isna(p):
        return "unknown"
    return "high" if p >= HIGH_FROM else "medium" if p >= MEDIUM_FROM else "low"


def _score(current: pd.DataFrame, model, used: list[str], medians: np.ndarray) -> pd.DataFrame:
    """Probabilities, bands and plain-word reasons (each feature group replaced by a typical value)."""
    out = current.copy()
    if out.empty:
        out["probability"] = []
        out["band"] = []
        out["reasons"] = []
        return out
    X = out[used].to_numpy(dtype=float)
    p = model.predict_proba(X)[:, 1]
    out["probability"] = p
    out["band"] = [band_of(v) for v in p]
    lift = {}
    for group, cols in FEATURE_GROUPS.items():
        idx = [used.index(c) for c in cols if c in used]
        if not idx:
            continue
        Xg = X.copy()
        Xg[:, idx] = medians[idx]
        lift[group] = p - model.predict_proba(Xg)[:, 1]
    reasons = []
    for i, row in enumerate(out.itertuples(index=False)):
        ranked = sorted(((lift[g][i], g) for g in lift), reverse=True)
        words = [w for v, g in ranked if v >= REASON_MIN and (w := explain(g, row))][:3]
        reasons.append(words)
    out["reasons"] = reasons
    return out


def _pct(v: float) -> str:
    return f"{v:.0%}"


def explain(group: str, row) -> str | None:
    """A feature group in plain words for one student (None when the data do not support saying it)."""
    subject = getattr(row, "subject", "")
    if group == "checks" and _ok(row.n_recent) and row.n_recent > 0:
        if row.n_recent_below > 0:
            return f"below the cut on {int(row.n_recent_below)} of the last {int(row.n_recent)} {subject} checks"
        if _ok(row.check_mean) and row.check_mean < 0:
            return f"{subject} checks average {abs(row.check_mean) * 100:.0f} points below the cut"
        return None
    if group == "benchmark" and _ok(row.bench_last_score):
        if row.bench_last_score < row.bench_last_cut + 0.05:
            return (f"scored {_pct(row.bench_last_score)} on the {_short_title(row.bench_last_title)} "
                    f"(cut {_pct(row.bench_last_cut)})")
        return None
    if group == "trend" and _ok(row.trend) and row.trend < -0.01:
        return f"{subject} check scores falling ({row.trend * 100:+.0f} points a month)"
    if group == "standards" and _ok(row.n_standards) and row.n_not_mastered > 0:
        return f"{int(row.n_not_mastered)} of {int(row.n_standards)} {subject} standards not yet mastered"
    if group == "attendance" and _ok(row.absence_rate) and row.absence_rate >= 0.03:
        return f"missed {_pct(row.absence_rate)} of days"
    if group == "missed" and _ok(row.n_missed) and row.n_missed > 0:
        return f"missed {int(row.n_missed)} of {int(row.n_expected)} {subject} assessments classmates took"
    if group == "prior" and _ok(row.prior_score) and row.prior_margin < 0.05:
        below = "below" if row.prior_margin < 0 else "just above"
        return f"{below} the cut on last year's {subject} summative ({_pct(row.prior_score)})"
    return None


def _ok(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def _short_title(title) -> str:
    """'Gr 3 Math BOY Benchmark 2026-27' -> 'Math BOY Benchmark'."""
    if not isinstance(title, str):
        return "latest benchmark"
    words = title.split()
    if len(words) > 2 and words[0] in ("Gr", "Grade"):
        words = words[2:]
    words = [w for w in words if not (w[:1].isdigit() and "-" in w)]
    return " ".join(words) or title


# --- summaries the pages and the CLI share ---------------------------------------------------------

def default_k(n: int) -> int:
    """The capacity assumed when none is given (about one in five)."""
    return max(1, int(round(DEFAULT_SHARE * n))) if n else 0


def metrics(result: RiskResult, k: int | None = None) -> dict:
    """AUC, Brier, precision/recall at k for the score in use and the rule flag on the validated rows."""
    ev = result.evaluation
    out = {"model": result.model_name if result.mode == "model" else "rules", "mode": result.mode,
           "mode_reason": result.mode_reason, "outcome": result.outcome,
           "as_of": result.as_of.isoformat() if result.as_of else None, "validation": result.validation,
           "n": int(len(ev)), "k": None, "auc": None, "brier": None, "precision_at_k": None, "recall_at_k": None,
           "candidates": {n: _num(v) for n, v in result.candidates.items()},
           "baseline": {"name": f"rule: below the cut on {RULE_BELOW} of the last {RULE_LAST} checks or "
                                f"attendance under {RULE_ATTENDANCE:.0%}",
                        "auc": None, "brier": None, "precision_at_k": None, "recall_at_k": None,
                        "flag_rate": None},
           "training": result.training}
    if ev.empty:
        return out
    y = ev["missed"].to_numpy(dtype=int)
    k = default_k(len(ev)) if k is None else int(k)
    out["k"] = k
    out["base_rate"] = float(y.mean())
    flag = ev["rule_flag"].to_numpy(dtype=float)
    bp, br = at_k(y, flag, k)
    out["baseline"].update({"auc": _num(auc(y, flag)), "brier": _num(brier(y, flag)),
                            "precision_at_k": _num(bp), "recall_at_k": _num(br),
                            "flag_rate": _num(flag.mean())})
    if result.mode == "model":
        p = ev["p"].to_numpy(dtype=float)
        mp, mr = at_k(y, p, k)
        out.update({"auc": _num(auc(y, p)), "brier": _num(brier(y, p)), "precision_at_k": _num(mp),
                    "recall_at_k": _num(mr), "flag_rate": _num((p >= HIGH_FROM).mean())})
    else:
        # With rules in use, the score is the rule itself.
        out.update({k2: out["baseline"][k2] for k2 in ("auc", "brier", "precision_at_k", "recall_at_k", "flag_rate")})
    return out


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 4)


def calibration(result: RiskResult) -> pd.DataFrame:
    """Calibration bins of the validated probabilities (empty with rules in use)."""
    ev = result.evaluation
    if ev.empty or result.mode != "model":
        return pd.DataFrame(columns=["bin", "n", "predicted", "observed"])
    return calibration_bins(ev["missed"], ev["p"])


def subgroup_metrics(result: RiskResult, min_n: int = 10) -> pd.DataFrame:
    """AUC, flag rate and false-negative rate by subgroup for the score in use and the rule, with warnings."""
    ev = result.evaluation
    cols = ["attribute", "group", "n", "missed", "auc", "flag_rate", "false_negative_rate",
            "rule_flag_rate", "rule_false_negative_rate", "warning"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    model_flag = (ev["p"] >= HIGH_FROM) if result.mode == "model" else ev["rule_flag"].astype(bool)
    score = ev["p"] if result.mode == "model" else ev["rule_flag"].astype(float)
    rows = [_group_row("All", "everyone", ev, model_flag, score, min_n)]
    for attr, label in SUBGROUPS.items():
        if attr not in ev or ev[attr].isna().all():
            continue
        values = ev[attr]
        if values.dropna().isin([True, False]).all():
            values = values.map({True: "yes", False: "no"})
        for value in sorted(values.dropna().astype(str).unique()):
            m = (values.astype(str) == value).to_numpy()
            rows.append(_group_row(label, value, ev[m], model_flag[m], score[m], min_n))
    return pd.DataFrame(rows, columns=cols)


def _group_row(attr: str, group: str, ev: pd.DataFrame, flag: pd.Series, score: pd.Series, min_n: int) -> dict:
    y = ev["missed"].to_numpy(dtype=bool)
    f = np.asarray(flag, dtype=bool)
    rule = ev["rule_flag"].to_numpy(dtype=bool)
    n, pos = len(ev), int(y.sum())
    row = {"attribute": attr, "group": group, "n": n, "missed": pos, "auc": None, "flag_rate": None,
           "false_negative_rate": None, "rule_flag_rate": None, "rule_false_negative_rate": None, "warning": ""}
    if n < min_n:
        row["warning"] = f"fewer than {min_n} students: not shown"
        return row
    row["flag_rate"] = float(f.mean())
    row["rule_flag_rate"] = float(rule.mean())
    if pos:
        row["false_negative_rate"] = float((~f[y]).mean())
        row["rule_false_negative_rate"] = float((~rule[y]).mean())
    if pos < 5 or n - pos < 5:
        row["warning"] = "fewer than 5 who missed or met: AUC not reliable"
    else:
        row["auc"] = auc(y, score)
    return row


def evaluate(con: duckdb.DuckDBPyConnection, k: int | None = None, as_of: str | None = None,
             outcome: str = "summative") -> dict:
    """The model card in numbers (what `cli risk evaluate --json` prints)."""
    return metrics(build(con, as_of, outcome), k)


def expected_at_capacity(result: RiskResult, predictions: pd.DataFrame, k: int) -> dict:
    """What to expect when serving the top k of a ranked list: calibrated mean and validated precision."""
    k = int(max(0, min(k, len(predictions))))
    out = {"k": k, "expected_precision": None, "expected_students": None, "validated_precision": None,
           "validated_recall": None, "validated_k": None}
    if k == 0:
        return out
    if result.mode == "model":
        top = predictions["probability"].head(k)
        out["expected_precision"] = float(top.mean())
        out["expected_students"] = float(top.sum())
    ev = result.evaluation
    if not ev.empty and len(predictions):
        # The same share of the validated students, ranked by the same score.
        kv = max(1, int(round(k / len(predictions) * len(ev))))
        score = ev["p"] if result.mode == "model" else ev["rule_points"]
        pr, rc = at_k(ev["missed"], score, kv)
        out.update({"validated_precision": _num(pr), "validated_recall": _num(rc), "validated_k": kv})
    return out


# --- UCI Student Performance (Cortez & Silva 2008) -------------------------------------------------

UCI_DATES = {"G1": dt.date(2008, 12, 15), "G2": dt.date(2009, 3, 15), "G3": dt.date(2009, 6, 15)}
UCI_AS_OF = dt.date(2009, 4, 1)  # after the 2nd period grade, before the final grade
UCI_DAYS = 150  # absences are class absences over the year; 150 lessons keeps the rate in [0, 1)


def uci_to_store(con: duckdb.DuckDBPyConnection, csv_path: str | Path, subject: str, prefix: str = "") -> int:
    """Load one UCI file as PLC Lens data: G1, G2 benchmarks, G3 summative (pass = 10/20), absences as attendance."""
    raw = pd.read_csv(csv_path, sep=";")
    ids = [f"{prefix}{subject[:3].upper()}{i + 1:04d}" for i in range(len(raw))]
    import_id = store.new_import_id(con)
    with store.transaction(con):
        con.execute("INSERT INTO imports (import_id, filename, kind, status) VALUES (?, ?, 'uci', 'loaded')",
                    [import_id, Path(csv_path).name])
        students = pd.DataFrame({"student_id": ids, "first_name": None, "last_name": None, "grade_level": "10",
                                 "school": raw["school"], "gender": raw["sex"], "import_id": import_id})
        assessments, items, responses = [], [], []
        for g, day in UCI_DATES.items():
            aid = f"{prefix}{subject}-{g}"
            kind = "summative" if g == "G3" else "benchmark"
            assessments.append((aid, f"{subject} {g}", subject, "10", kind, day, 0.5, import_id))
            items.append((aid, "grade", None, 20.0, None, 1, import_id))
            responses.append(pd.DataFrame({"assessment_id": aid, "student_id": ids, "item": "grade",
                                           "points_earned": raw[g].astype(float), "response": None,
                                           "import_id": import_id}))
        # Absences are for the year; recorded here as one period that ends before the prediction date.
        att = pd.DataFrame({"student_id": ids, "period_start": dt.date(2008, 9, 15), "period_end": dt.date(2009, 3, 20),
                            "days_enrolled": float(UCI_DAYS), "days_absent": raw["absences"].astype(float),
                            "import_id": import_id})
        for name, frame in (("students", students),
                            ("assessments", pd.DataFrame(assessments, columns=[
                                "assessment_id", "title", "subject", "grade_level", "kind", "administered_on",
                                "proficiency_cut", "import_id"])),
                            ("items", pd.DataFrame(items, columns=[
                                "assessment_id", "item", "standard_code", "points_possible", "correct_response",
                                "position", "import_id"])),
                            ("responses", pd.concat(responses, ignore_index=True)),
                            ("attendance", att)):
            con.register("_uci", frame)
            try:
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _uci")
            finally:
                con.unregister("_uci")
        store.refresh_points(con, [a[0] for a in assessments])  # no sections: only these rosters change
        store.bump_data_version(con)
    return import_id


def uci_report(directory: str | Path) -> dict:
    """Model vs the naive rule "G2 below 10" on the UCI maths and Portuguese files (AUC and accuracy)."""
    directory = Path(directory)
    report = {}
    for subject, name in (("Maths", "student-mat.csv"), ("Portuguese", "student-por.csv")):
        con = store.connect(":memory:")
        try:
            uci_to_store(con, directory / name, subject)
            result = build(con, UCI_AS_OF, "summative")
            ev = result.evaluation
            raw = pd.read_csv(directory / name, sep=";")
            g2 = pd.Series(raw["G2"].to_numpy(), index=[f"{subject[:3].upper()}{i + 1:04d}" for i in range(len(raw))])
            y = ev["missed"].to_numpy(dtype=int)
            rule = (g2.loc[ev["student_id"]].to_numpy() < 10).astype(int)
            m = metrics(result)
            report[subject] = {
                "students": int(len(ev)), "fail_rate": float(y.mean()), "model": result.model_name,
                "mode": result.mode, "validation": result.validation, "features": result.features_used,
                "model_auc": m["auc"], "model_brier": m["brier"],
                "model_accuracy": float(((ev["p"].to_numpy() >= 0.5).astype(int) == y).mean()),
                "candidates": m["candidates"],
                "rule_g2_auc": auc(y, rule), "rule_g2_accuracy": float((rule == y).mean()),
                "g2_score_auc": auc(y, -g2.loc[ev["student_id"]].to_numpy()),
            }
        finally:
            con.close()
    return report


if __name__ == "__main__":  # python -m lib.risk [DIR]: the UCI check, as JSON
    import json
    import sys

    default = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "uci_student_performance"
    print(json.dumps(uci_report(Path(sys.argv[1]) if len(sys.argv) > 1 else default), indent=1))
