"""The baseline: each page's main computation done the way a typical dashboard does it, in pandas over
DataFrames held in memory (load the tables, then filter / merge / groupby per view).

`PAGES[stem](frames, params)` computes the numbers a page shows as it opens (its first tab, for a page with
tabs): the benchmark compares it with that view of the app; `summary(result)` and
`app_summary(con, stem, params)` give the same few numbers from pandas and from the app's lib, so the
benchmark can say the two computed the same thing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TABLES = ["students", "teachers", "sections", "enrollments", "standards", "assessments", "items", "responses",
          "attendance", "imports", "goals", "interventions"]


def export_parquet(db: Path, folder: Path) -> None:
    """Write every table of the district to Parquet (what a dashboard would load at start-up)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for t in TABLES:
            if t in present:
                con.execute(f"COPY {t} TO '{folder / (t + '.parquet')}' (FORMAT parquet)")
    finally:
        con.close()


def load(folder: Path, tables: list[str]) -> dict[str, pd.DataFrame]:
    """Read the tables a view needs into DataFrames."""
    out = {}
    for t in tables:
        path = folder / f"{t}.parquet"
        if path.exists():
            out[t] = pd.read_parquet(path)
    return out


def params_from_calls(calls: list) -> dict:
    """The assessment, student, standards and date window a page looked at (from its recorded calls)."""
    p: dict = {}
    for c in calls:
        if c[0] != "call":
            continue
        _, module, func, args, kwargs = c
        kw = dict(kwargs)
        if module == "lib.meeting" and func == "headline":
            p.setdefault("aid", args[0])
            p.setdefault("school", args[1] if len(args) > 1 else kw.get("school"))
        elif module == "lib.profile" and func in ("student_record", "assessments", "standard_history", "attendance"):
            p.setdefault("sid", args[0])
        elif module == "lib.standards_explorer" and func == "summary":
            p.setdefault("codes", tuple(args[0]))
            p.setdefault("date_from", kw.get("date_from"))
            p.setdefault("date_to", kw.get("date_to"))
        elif module == "lib.trends" and func == "over_time":
            p.setdefault("kinds", kw.get("kinds"))
        elif module == "lib.trends" and func == "headline":
            p.setdefault("date_from", kw.get("date_from"))
            p.setdefault("date_to", kw.get("date_to"))
        elif module == "lib.interventions" and func == "before_after":
            p.setdefault("intervention_id", args[0])
    return p


# --- shared pieces -------------------------------------------------------------------------------

def overall_scores(frames, assessment_ids=None) -> pd.DataFrame:
    """Per (assessment, student): earned / possible over all items, with the assessment's cut."""
    r = frames["responses"]
    if assessment_ids is not None:
        r = r[r["assessment_id"].isin(assessment_ids)]
    m = r.merge(frames["items"][["assessment_id", "item", "points_possible"]], on=["assessment_id", "item"])
    g = m.groupby(["assessment_id", "student_id"], as_index=False)[["points_earned", "points_possible"]].sum()
    g["score"] = g["points_earned"] / g["points_possible"].replace(0, np.nan)
    g = g.merge(frames["assessments"][["assessment_id", "proficiency_cut", "administered_on", "kind", "subject",
                                       "grade_level"]], on="assessment_id")
    g["proficient"] = g["score"] >= g["proficiency_cut"]
    return g


def standard_scores(frames, assessment_ids=None, codes=None) -> pd.DataFrame:
    """Per (assessment, student, standard): earned / possible over the items aligned to the standard."""
    items = frames["items"]
    if codes is not None:
        items = items[items["standard_code"].isin(codes)]
    r = frames["responses"]
    if assessment_ids is not None:
        r = r[r["assessment_id"].isin(assessment_ids)]
    m = r.merge(items[["assessment_id", "item", "standard_code", "points_possible"]], on=["assessment_id", "item"])
    m = m[m["standard_code"].notna()]
    g = m.groupby(["assessment_id", "student_id", "standard_code"], as_index=False)[
        ["points_earned", "points_possible"]].sum()
    g["score"] = g["points_earned"] / g["points_possible"].replace(0, np.nan)
    g = g.merge(frames["assessments"][["assessment_id", "proficiency_cut", "administered_on"]], on="assessment_id")
    g["proficient"] = g["score"] >= g["proficiency_cut"]
    return g


def expected_roster(frames, aid: str) -> pd.DataFrame:
    """Students enrolled in a section of the assessment's subject and grade whose term covers its date."""
    a = frames["assessments"].set_index("assessment_id").loc[aid]
    s = frames["sections"]
    day = pd.Timestamp(a["administered_on"])
    ok = (s["subject"].str.lower() == str(a["subject"]).lower()) & (s["grade_level"] == a["grade_level"]) & \
        (pd.to_datetime(s["starts_on"]) <= day) & (pd.to_datetime(s["ends_on"]) >= day)
    e = frames["enrollments"].merge(s.loc[ok, ["section_id", "teacher_id"]], on="section_id")
    return e.groupby("student_id", as_index=False).agg(section_id=("section_id", "min"),
                                                        teacher_id=("teacher_id", "min"))


# --- pages ---------------------------------------------------------------------------------------

def home(frames, params) -> dict:
    """Counts, date range, students by grade, assessments by kind."""
    s, a, r = frames["students"], frames["assessments"], frames["responses"]
    by_grade = s.groupby("grade_level").size()
    by_kind = a.groupby("kind").agg(n=("assessment_id", "size"), first=("administered_on", "min"))
    return {"students": len(s), "assessments": len(a), "responses": len(r), "schools": s["school"].nunique(),
            "first": a["administered_on"].min(), "by_grade": by_grade, "by_kind": by_kind}


def team_meeting(frames, params) -> dict:
    """One assessment: % proficient, not assessed, by standard, teacher vs team, the students' scores."""
    aid = params["aid"]
    r = frames["responses"][frames["responses"]["assessment_id"] == aid]
    sub = {**frames, "responses": r}
    overall = overall_scores(sub)
    roster = expected_roster(frames, aid)
    team = roster.merge(overall[["student_id", "score", "proficient"]], on="student_id", how="outer")
    if params.get("school"):  # the team of one school: students of that school
        here = set(frames["students"].loc[frames["students"]["school"] == params["school"], "student_id"])
        team = team[team["student_id"].isin(here)]
        roster = roster[roster["student_id"].isin(here)]
        r = r[r["student_id"].isin(here)]
    std = standard_scores({**sub, "responses": r})
    std = std.merge(roster[["student_id", "teacher_id"]], on="student_id", how="left")
    by_standard = std.groupby("standard_code")["proficient"].mean()
    by_teacher = std.groupby(["teacher_id", "standard_code"])["proficient"].agg(["mean", "size"])
    return {"assessed": int(team["score"].notna().sum()), "proficient": int(team["proficient"].fillna(False).sum()),
            "not_assessed": int(team["score"].isna().sum()), "by_standard": by_standard,
            "by_teacher": by_teacher, "scores": team.sort_values("score")}


def student(frames, params) -> dict:
    """One student: every result overall and by standard over time, attendance."""
    sid = params["sid"]
    r = frames["responses"][frames["responses"]["student_id"] == sid]
    sub = {**frames, "responses": r}
    overall = overall_scores(sub)
    by_std = standard_scores(sub)
    att = frames["attendance"][frames["attendance"]["student_id"] == sid]
    rate = 1 - att["days_absent"].sum() / max(att["days_enrolled"].sum(), 1)
    return {"assessed": len(overall), "proficient": int(overall["proficient"].sum()), "by_standard": by_std,
            "attendance_rate": rate}


def within(dates: pd.Series, params) -> pd.Series:
    """Which dates fall in the page's date window (params date_from / date_to; None is open)."""
    when = pd.to_datetime(dates)
    ok = pd.Series(True, index=dates.index)
    if params.get("date_from"):
        ok &= when >= pd.Timestamp(params["date_from"])
    if params.get("date_to"):
        ok &= when <= pd.Timestamp(params["date_to"])
    return ok


def school_year(dates: pd.Series) -> pd.Series:
    """The school year (July to June) of each date, as its first calendar year."""
    d = pd.to_datetime(dates)
    return d.dt.year.where(d.dt.month >= 7, d.dt.year - 1)


def school_trends(frames, params) -> dict:
    """Benchmark/summative results: % proficient per assessment over time, each student's latest result per
    subject in the chosen year (the headline), and each grade's latest assessment with its change in the
    year and year over year."""
    kinds = params.get("kinds") or ("benchmark", "summative")
    a = frames["assessments"]
    ids = a.loc[a["kind"].isin(kinds), "assessment_id"]
    overall = overall_scores(frames, ids)
    per = overall.groupby(["assessment_id", "grade_level", "subject", "kind", "administered_on"]).agg(
        assessed=("score", "size"), proficient=("proficient", "sum")).reset_index()
    per["pct"] = per["proficient"] / per["assessed"]
    latest = (overall[within(overall["administered_on"], params)].sort_values(["administered_on", "assessment_id"])
              .groupby(["student_id", "subject"]).tail(1))
    headline = latest.groupby("subject")["proficient"].agg(["size", "sum", "mean"])
    per["school_year"] = school_year(per["administered_on"])
    per = per.sort_values(["administered_on", "assessment_id"])
    keys = ["subject", "grade_level", "kind"]
    per["nth"] = per.groupby(keys + ["school_year"]).cumcount()
    per["prev_pct"] = per.groupby(keys + ["school_year"])["pct"].shift()
    ago = per[keys + ["nth", "school_year", "pct"]].assign(school_year=per["school_year"] + 1)
    last = per.groupby(keys).tail(1).merge(ago.rename(columns={"pct": "year_ago_pct"}),
                                           on=keys + ["nth", "school_year"], how="left")
    last["change_in_year"] = last["pct"] - last["prev_pct"]
    last["change_year_over_year"] = last["pct"] - last["year_ago_pct"]
    return {"assessed": int(per["assessed"].sum()), "proficient": int(per["proficient"].sum()),
            "per": per, "headline": headline, "changes": last}


def standards(frames, params) -> dict:
    """The chosen standards in a date window: each student's latest result, % proficient, by assessment and
    grade, and how many are not yet proficient."""
    codes = params["codes"]
    a = frames["assessments"]
    std = standard_scores(frames, a.loc[within(a["administered_on"], params), "assessment_id"], codes)
    latest = std.sort_values(["administered_on", "assessment_id"]).groupby(["standard_code", "student_id"]).tail(1)
    by_assessment = std.groupby(["assessment_id", "standard_code"])["proficient"].mean()
    grades = latest.merge(a[["assessment_id", "grade_level"]], on="assessment_id")
    by_grade = grades.groupby(["grade_level", "standard_code"])["proficient"].mean()
    # The page's first screen counts who is not yet proficient per standard (the list is a tab of its own).
    not_yet = (~latest["proficient"].astype(bool)).groupby(latest["standard_code"]).sum()
    return {"students": len(latest), "proficient": int(latest["proficient"].sum()), "by_assessment": by_assessment,
            "by_grade": by_grade, "not_yet_by_standard": not_yet, "not_yet": int(not_yet.sum())}


def goals(frames, params) -> dict:
    """Each goal: % proficient of the matching students on the matching assessments, baseline and now, by month."""
    out = []
    ov = None
    for g in frames["goals"].itertuples():
        a = frames["assessments"]
        sel = a["kind"].eq(g.assessment_kind) if isinstance(g.assessment_kind, str) else pd.Series(True, index=a.index)
        if isinstance(g.subject, str):
            sel &= a["subject"] == g.subject
        if isinstance(g.grade_level, str):
            sel &= a["grade_level"] == g.grade_level
        ov = overall_scores(frames, a.loc[sel, "assessment_id"])
        if isinstance(g.school, str):
            ov = ov[ov["student_id"].isin(frames["students"].loc[frames["students"]["school"] == g.school,
                                                                  "student_id"])]
        when = pd.to_datetime(ov["administered_on"])
        base = ov[(when >= pd.Timestamp(g.baseline_from)) & (when <= pd.Timestamp(g.baseline_to))]
        now = ov[when >= pd.Timestamp(g.measure_from)] if pd.notna(g.measure_from) else ov.iloc[0:0]
        monthly = ov.groupby(when.dt.to_period("M"))["proficient"].mean()
        out.append((g.goal_id, base["proficient"].mean(), now["proficient"].mean(), monthly))
    return {"goals": out}


def risk(frames, params) -> dict:
    """Early-warning features per student and year, a logistic model trained on last year's summative."""
    from sklearn.linear_model import LogisticRegression

    a = frames["assessments"]
    ov = overall_scores(frames)
    ov["year"] = pd.to_datetime(ov["administered_on"]).map(lambda d: d.year if d.month >= 8 else d.year - 1)
    att = frames["attendance"].copy()
    att["year"] = pd.to_datetime(att["period_start"]).map(lambda d: d.year if d.month >= 8 else d.year - 1)
    rate = att.groupby(["student_id", "year"])[["days_absent", "days_enrolled"]].sum()
    rate["absence"] = rate["days_absent"] / rate["days_enrolled"].clip(lower=1)
    form = ov[ov["kind"] == "formative"].groupby(["student_id", "year", "subject"]).agg(
        mean_cfa=("score", "mean"), below=("proficient", lambda s: (~s).mean()))
    bench = ov[ov["kind"] == "benchmark"].sort_values("administered_on").groupby(
        ["student_id", "year", "subject"])["score"].last().rename("last_benchmark")
    feat = form.join(bench, how="left").join(rate["absence"], on=["student_id", "year"], how="left").fillna(0)
    summ = ov[ov["kind"] == "summative"].set_index(["student_id", "year", "subject"])["proficient"]
    years = sorted(feat.index.get_level_values("year").unique())
    train = feat[feat.index.get_level_values("year") == years[0]].join(summ.rename("y"), how="inner")
    current = feat[feat.index.get_level_values("year") == years[-1]]
    cols = ["mean_cfa", "below", "last_benchmark", "absence"]
    if len(train) and train["y"].nunique() > 1:
        model = LogisticRegression(max_iter=500).fit(train[cols], ~train["y"].astype(bool))
        p = model.predict_proba(current[cols])[:, 1]
    else:
        p = np.zeros(len(current))
    del a
    return {"flagged": int((p >= 0.5).sum()), "n": len(current)}


def interventions(frames, params) -> dict:
    """Open interventions by tier, and one intervention's student before and after its start."""
    iv = frames["interventions"]
    open_by_tier = iv.groupby(["status", "tier"]).size()
    before = after = None
    if params.get("intervention_id") is not None and len(iv):
        row = iv.set_index("intervention_id").loc[params["intervention_id"]]
        r = frames["responses"][frames["responses"]["student_id"] == row["student_id"]]
        ov = overall_scores({**frames, "responses": r})
        when = pd.to_datetime(ov["administered_on"])
        before = ov.loc[when < pd.Timestamp(row["start_date"]), "score"].mean()
        after = ov.loc[when >= pd.Timestamp(row["start_date"]), "score"].mean()
    return {"open_by_tier": open_by_tier, "before": before, "after": after}


PAGES = {
    "app": home,
    "2_Team_meeting": team_meeting,
    "3_Student": student,
    "4_School_trends": school_trends,
    "5_Standards": standards,
    "6_Goals": goals,
    "7_Early_warning": risk,
    "8_Interventions": interventions,
    "9_Model_card": risk,
}
_CORE = ["assessments", "items", "responses"]
TABLES_NEEDED = {
    "app": ["students", "assessments", "responses"],
    "2_Team_meeting": _CORE + ["sections", "enrollments", "students"],
    "3_Student": _CORE + ["attendance"],
    "4_School_trends": _CORE + ["students"],
    "5_Standards": _CORE,
    "6_Goals": _CORE + ["students", "goals"],
    "7_Early_warning": _CORE + ["attendance"],
    "8_Interventions": _CORE + ["interventions"],
    "9_Model_card": _CORE + ["attendance"],
}
# The numbers compared between pandas and the app, per page.
CHECKED = {"app": ("students", "assessments", "responses"),
           "2_Team_meeting": ("assessed", "proficient", "not_assessed"),
           "3_Student": ("assessed", "proficient"),
           "4_School_trends": ("assessed", "proficient"),
           "5_Standards": ("students", "proficient", "not_yet")}


def summary(result: dict, stem: str) -> dict | None:
    """The checked numbers of a page's pandas result (None for pages without a check)."""
    if stem not in CHECKED:
        return None
    return {k: int(result[k]) for k in CHECKED[stem]}


def app_summary(con, stem: str, params: dict) -> dict | None:
    """The same numbers from the app's own lib functions."""
    if stem not in CHECKED:
        return None
    if stem == "app":
        from lib import queries

        row = queries.run(con, "status_overview").iloc[0]
        return {k: int(row[k]) for k in CHECKED[stem]}
    if stem == "2_Team_meeting":
        from lib import meeting

        h = meeting.headline(con, params["aid"], params.get("school"))
        return {k: int(h[k]) for k in CHECKED[stem]}
    if stem == "3_Student":
        from lib import profile

        a = profile.assessments(con, params["sid"])
        a = a[a["assessed"].astype(bool)]
        return {"assessed": len(a), "proficient": int(a["proficient"].astype(bool).sum())}
    if stem == "4_School_trends":
        from lib import trends

        o = trends.over_time(con, kinds=params.get("kinds") or ("benchmark", "summative"))
        return {"assessed": int(o["assessed"].sum()), "proficient": int(o["proficient"].sum())}
    if stem == "5_Standards":
        from lib import standards_explorer

        s = standards_explorer.summary(con, params["codes"], date_from=params.get("date_from"),
                                       date_to=params.get("date_to"))
        return {"students": int(s["students"].sum()), "proficient": int(s["proficient"].sum()),
                "not_yet": int(s["not_yet"].sum())}
    return None

