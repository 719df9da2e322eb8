"""School trends: where is the school improving or slipping?"""

import pandas as pd
import streamlit as st

from lib import charts, privacy, reports, trends, ui

page = ui.setup("School trends", "📈")
f = ui.filters(("school", "grade", "subject", "teacher"))
st.title("School trends")

years = ui.data(trends.school_years)
if not years:
    st.info("No assessment results with dates yet. Import results to see trends over time.", icon="📥")
    st.page_link("pages/1_Import.py", label="Import results", icon="📥")
    st.stop()

present_kinds = ui.data(trends.kinds)
default_kinds = list(ui.data(trends.default_kinds))
st.session_state.setdefault("trends_year", years[0])
st.session_state.setdefault("trends_kinds", default_kinds)
if st.session_state["trends_year"] not in ["All years"] + years:
    st.session_state["trends_year"] = years[0]
st.session_state["trends_kinds"] = [k for k in st.session_state["trends_kinds"] if k in present_kinds] or default_kinds

# The scope lives in the sidebar with the shared filters, so the page opens on the answer.
c1 = c2 = st.sidebar
c1.selectbox("School year", ["All years"] + years, key="trends_year",
             help="Where students stand now, growth, the grade x standard map, subgroups and the drill-down use "
                  "this year. The chart over time shows every year.")
c2.multiselect("Assessments", present_kinds, key="trends_kinds",
               help="Benchmarks and summatives are the same test each window, so they compare over time. "
                    "Weekly CFAs each test different skills.")
kinds = tuple(st.session_state["trends_kinds"]) or tuple(default_kinds)
year = None if st.session_state["trends_year"] == "All years" else st.session_state["trends_year"]
date_from, date_to = trends.school_year_bounds(year)
scope = dict(subject=f["subject"], grade=f["grade"], school=f["school"], teacher=f["teacher"], kinds=kinds)
year_scope = dict(scope, date_from=date_from, date_to=date_to)
where = " · ".join(x for x in (f["school"], f"Grade {f['grade']}" if f["grade"] else None, f["subject"],
                               ui.teacher_labels(page, [f["teacher"]]).get(f["teacher"]) if f["teacher"] else None,
                               year or "all years") if x)
st.caption(f"{where} · {', '.join(kinds)}. % proficient = students at or above the assessment's cut / students "
           "with a score; students not assessed are counted separately.")


def pts(v) -> str:
    """A change in percentage points ("+12 pts")."""
    return "" if v is None or pd.isna(v) else f"{v * 100:+.0f} pts"


NO_CLASS = "(no class on roster)"

def charts_by_subject(df: pd.DataFrame, builder, title: str, name: str, key: str) -> None:
    """One chart per subject, two to a row (`title` and `name` take the subject)."""
    subjects_here = list(dict.fromkeys(df["subject"].dropna()))
    columns = st.columns(min(len(subjects_here), 2) or 1)
    for i, subject in enumerate(subjects_here):
        with columns[i % len(columns)]:
            st.markdown(title.format(subject=subject))
            ui.chart_with_png(page, builder, df[df["subject"] == subject], big=page.meeting,
                              name=name.format(subject=subject), key=f"{key}_{i}")


# --- first screenful: where students stand, what rose and what fell ------------------------------
head = ui.data(trends.headline, **year_scope)
changes = ui.data(trends.changes, **scope)
if head.empty or int(head["assessed"].sum()) == 0:
    st.warning("No results match these filters. Widen the school year, the kinds of assessment or the sidebar "
               "filters.", icon="🔎")
    st.stop()

ch = changes.copy()
ch["change"] = ch["change_in_year"].where(ch["change_in_year"].notna(), ch["change_year_over_year"])
ch["versus"] = ["the previous one this year" if pd.notna(a) else "the same one last year"
                for a in ch["change_in_year"]]
ch = ch.dropna(subset=["change"])
cols = st.columns(max(len(head), 1) + 2)
for i, (_, r) in enumerate(head.iterrows()):
    value = "-" if pd.isna(r["pct_proficient"]) else f"{r['pct_proficient']:.0%}"
    cols[i].metric(f"{r['subject']}: proficient now", value,
                   help=f"{int(r['proficient'])} of {int(r['assessed'])} students, each on their most recent "
                        f"result; {int(r['not_assessed'])} expected but not assessed.")
if not ch.empty:
    up = ch.loc[ch["change"].idxmax()]
    down = ch.loc[ch["change"].idxmin()]
    cols[-2].metric("Biggest rise", f"Gr {up['grade_level']} {up['subject']}", pts(up["change"]),
                    help=f"{up['title']} vs {up['versus']}.")
    cols[-1].metric("Biggest drop", f"Gr {down['grade_level']} {down['subject']}", pts(down["change"]),
                    help=f"{down['title']} vs {down['versus']}.")

over = ui.data(trends.over_time, **scope)
over = over[over["assessed"] > 0]
if over.empty:
    st.info("No scored results for these assessments yet.")
elif over["assessment_id"].nunique() == 1:
    st.info("Only one assessment matches, so there is no trend yet: it appears after the second.", icon="📈")
charts_by_subject(over, charts.trend_lines_chart, "**{subject}: % proficient over time, by grade**",
                  name="trend_{subject}", key="trends_chart")

ui.hold("trends_report_assessment", "trends_flag", "trends_drill_school", "trends_drill_grade",
        "trends_drill_teacher", "trends_drill_student")
tab_change, tab_growth, tab_heat, tab_sub, tab_drill, tab_summary = ui.tabs(
    ["What changed", "Growth", "Grade × standard", "Subgroups", "Drill down", "Early warning & goals"],
    key="trends_tab")

# --- what changed ------------------------------------------------------------------------------
with tab_change:
    if tab_change.open:
        st.caption("The latest assessment of each kind per grade and subject, against the previous one this school "
                   "year and the same one (same window) last year. Different students take a grade each year.")
        if changes.empty:
            st.info("No results yet.")
        else:
            t = changes.rename(columns={
                "subject": "Subject", "grade_level": "Grade", "kind": "Kind", "title": "Latest", "assessed": "Assessed",
                "pct_proficient": "% proficient", "prev_title": "Previous this year", "prev_pct": "Previous %",
                "change_in_year": "Change in year", "year_ago_title": "Same one last year",
                "year_ago_pct": "Last year %", "change_year_over_year": "Change on last year"})
            t = t[["Subject", "Grade", "Kind", "Latest", "Assessed", "% proficient", "Previous this year", "Previous %",
                   "Change in year", "Same one last year", "Last year %", "Change on last year"]]
            ui.table(page, ui.shown_dates(t),
                     percent_cols=("% proficient", "Previous %", "Last year %", "Change in year",
                                   "Change on last year"), key="trends_changes_table")
            ui.download_buttons(ui.shown_dates(t), "trends_changes", key="trends_changes_dl")
        st.markdown("**Meeting report for one assessment** (PDF: summary, by-standard chart, teacher comparison, "
                    "intervention and extension groups" + ("; names hidden" if page.meeting else "") + ")")
        recent = over.sort_values("administered_on", ascending=False)
        aids = recent["assessment_id"].tolist()
        if aids:
            titles = dict(zip(recent["assessment_id"], recent["title"]))
            st.session_state.setdefault("trends_report_assessment", aids[0])
            if st.session_state["trends_report_assessment"] not in aids:
                st.session_state["trends_report_assessment"] = aids[0]
            r1, r2 = st.columns([3, 2])
            r1.selectbox("Assessment", aids, key="trends_report_assessment", format_func=lambda a: titles.get(a, a),
                         label_visibility="collapsed")
            rid = st.session_state["trends_report_assessment"]
            r2.download_button("Download PDF meeting report",
                               data=lambda a=rid: reports.meeting_pdf(page.con, a, page.meeting, f["school"],
                                                                      page.name_style),
                               file_name=reports.meeting_pdf_name(page.con, rid), mime="application/pdf",
                               key="trends_pdf", on_click="ignore", icon="📄")
        with st.expander("Every assessment over time (the chart's numbers)"):
            t = over.rename(columns={"title": "Assessment", "subject": "Subject", "grade_level": "Grade",
                                     "kind": "Kind", "administered_on": "Date", "assessed": "Assessed",
                                     "not_assessed": "Not assessed", "proficient": "Proficient",
                                     "pct_proficient": "% proficient", "mean_score": "Average score"})
            t = t[["Date", "Assessment", "Subject", "Grade", "Kind", "Assessed", "Not assessed", "Proficient",
                   "% proficient", "Average score"]]
            ui.table(page, ui.shown_dates(t), percent_cols=("% proficient", "Average score"), key="trends_over_table")
            ui.download_buttons(ui.shown_dates(t), "trends_over_time", key="trends_over_dl")

# --- growth ------------------------------------------------------------------------------------
with tab_growth:
    if tab_growth.open:
        growth_kind = "benchmark" if "benchmark" in present_kinds else (kinds[0] if kinds else "benchmark")
        g = ui.data(trends.growth, growth_kind, **year_scope)
        if g.empty and year:
            # Early in a year there is only one benchmark: show the most recent year that has growth.
            every = ui.data(trends.growth, growth_kind, **scope)
            if not every.empty:
                last = every["school_year_label"].max()
                st.info(f"No {growth_kind} growth in {year} yet (it needs two). Showing {last}.", icon="🌱")
                g = every[every["school_year_label"] == last]
        st.caption(f"From one {growth_kind} to the next in the same school year, for the students who took both "
                   "(so the same children are compared). Grey = before, blue = after.")
        if g.empty:
            st.info(f"Growth needs two {growth_kind} assessments of the same subject and grade in one school year, "
                    "taken by the same students. None match these filters yet.", icon="🌱")
        else:
            g["label"] = [f"{s} Gr {gr} · {fd:%b} → {td:%b %Y}" for s, gr, fd, td in
                          zip(g["subject"], g["grade_level"], pd.to_datetime(g["from_date"]),
                              pd.to_datetime(g["to_date"]))]
            ui.chart_with_png(page, charts.growth_dumbbell_chart, g, big=page.meeting, name="growth",
                              key="trends_growth_chart")
            t = g.rename(columns={"subject": "Subject", "grade_level": "Grade", "from_title": "From", "to_title": "To",
                                  "matched": "Students with both", "pct_from": "% proficient before",
                                  "pct_to": "% proficient after", "mean_growth": "Mean change in score",
                                  "became_proficient": "Became proficient", "fell_below": "Fell below"})
            t = t[["Subject", "Grade", "From", "To", "Students with both", "% proficient before", "% proficient after",
                   "Mean change in score", "Became proficient", "Fell below"]]
            ui.table(page, ui.shown_dates(t), key="trends_growth_table",
                     percent_cols=("% proficient before", "% proficient after", "Mean change in score"))
            ui.download_buttons(ui.shown_dates(t), "trends_growth", key="trends_growth_dl")

# --- grade x standard --------------------------------------------------------------------------
with tab_heat:
    if tab_heat.open:
        st.caption("% proficient on each standard, each student's most recent result on it. Columns line up the "
                   "same strand across grades (3.OA.A.1 and 4.OA.A.1 share the column OA.A.1). Orange = few "
                   "proficient, blue = most.")
        heat = ui.data(trends.heatmap, **year_scope)
        if heat.empty:
            st.info("No results by standard for these filters: the assessments have no items aligned to standards.",
                    icon="🧩")
        else:
            for i, subject in enumerate(dict.fromkeys(heat["subject"].dropna())):
                st.markdown(f"**{subject}**")
                ui.chart_with_png(page, charts.grade_standard_heatmap, heat[heat["subject"] == subject],
                                  big=page.meeting, name=f"grade_by_standard_{subject}", key=f"trends_heat_{i}")
            if heat["standard_code"].nunique() == 1:
                st.caption("Only one standard has results: the map has a single column.")
            lowest = heat.sort_values("pct_proficient").head(5)
            st.markdown("**Lowest five:** " + "; ".join(
                f"{r.standard_code} (Gr {r.grade_level}) {r.pct_proficient:.0%}" for r in lowest.itertuples()))
            st.page_link("pages/5_Standards.py", label="Explore a standard across grades, teachers and time", icon="🔎",
                         query_params=ui.link_params(standard=str(lowest["standard_code"].iat[0])))
            t = heat.rename(columns={"subject": "Subject", "grade_level": "Grade", "standard_code": "Standard",
                                     "description": "Skill", "students": "Students", "proficient": "Proficient",
                                     "pct_proficient": "% proficient", "mean_score": "Average score",
                                     "last_assessed": "Last assessed"})
            t = t[["Subject", "Grade", "Standard", "Skill", "Students", "Proficient", "% proficient", "Average score",
                   "Last assessed"]]
            with st.expander("The map as a table"):
                ui.table(page, ui.shown_dates(t), percent_cols=("% proficient", "Average score"),
                         key="trends_heat_table")
            ui.download_buttons(ui.shown_dates(t), "grade_by_standard", key="trends_heat_dl")

# --- subgroups ---------------------------------------------------------------------------------
with tab_sub:
    if tab_sub.open:
        st.caption(f"Each student's most recent result in the year. Gap = the group's % proficient minus the other "
                   f"students'. Groups under {privacy.MIN_GROUP_SUBGROUP} students are hidden (and, when one group "
                   "of a flag is hidden, the next smallest too, so totals cannot give it away).")
        sub = ui.data(trends.subgroups, **year_scope)
        if sub.empty:
            st.info("The roster has no flags that split these students into groups (ELL, IEP, FRL, gender...). "
                    "Import a roster with those columns to see gaps.", icon="👥")
        else:
            sub = sub.assign(label=[f"{trends.FLAG_LABELS.get(fl, fl)}: {g}" if trends.FLAG_LABELS.get(fl, fl) not in g
                                    else g for fl, g in zip(sub["flag"], sub["group"])])
            charts_by_subject(sub, charts.subgroup_gap_chart, "**{subject}**", name="subgroups_{subject}",
                              key="trends_sub")
            flags = trends.order_flags(sub["flag"])
            if flags:
                st.session_state.setdefault("trends_flag", flags[0])
                if st.session_state["trends_flag"] not in flags:
                    st.session_state["trends_flag"] = flags[0]
                st.selectbox("Gap over time for", flags, key="trends_flag",
                             format_func=lambda fl: trends.FLAG_LABELS.get(fl, fl))
                sot = ui.data(trends.subgroups_over_time, st.session_state["trends_flag"], **scope)
                for i, subject in enumerate(dict.fromkeys(sot["subject"])):
                    part = sot[sot["subject"] == subject]
                    if part["pct_proficient"].notna().any():
                        st.markdown(f"**{subject}: % proficient over time**")
                        ui.chart_with_png(page, charts.subgroup_trend_chart, part, big=page.meeting,
                                          name=f"subgroup_trend_{subject}", key=f"trends_subtrend_{i}")
            t = sub.rename(columns={"subject": "Subject", "label": "Group", "students": "Students",
                                    "proficient": "Proficient", "pct_proficient": "% proficient",
                                    "rest_pct_proficient": "Other students %", "gap": "Gap",
                                    "suppressed": "Hidden (small group)"})
            t = t[["Subject", "Group", "Students", "Proficient", "% proficient", "Other students %", "Gap",
                   "Hidden (small group)"]]
            with st.expander("Subgroups as a table"):
                ui.table(page, ui.shown_dates(t), percent_cols=("% proficient", "Other students %", "Gap"),
                         key="trends_sub_table")
            ui.download_buttons(ui.shown_dates(t), "subgroups", key="trends_sub_dl")

# --- drill down --------------------------------------------------------------------------------
with tab_drill:
    if tab_drill.open:
        st.caption("From the school to a grade to a class to the students: each student's most recent result in the "
                   f"year. Classes under {privacy.MIN_GROUP_TEAM} students are hidden.")
        d_school = ui.data(trends.drilldown, "school", **year_scope)
        schools = [s for s in d_school["school"].unique()]
        pick = st.columns(3)
        st.session_state.setdefault("trends_drill_school", schools[0] if len(schools) == 1 else "All schools")
        if st.session_state["trends_drill_school"] not in ["All schools"] + schools:
            st.session_state["trends_drill_school"] = "All schools"
        pick[0].selectbox("School", ["All schools"] + schools, key="trends_drill_school")
        school_pick = None if st.session_state["trends_drill_school"] in ("All schools", "(no school)") \
            else st.session_state["trends_drill_school"]
        s_scope = dict(year_scope, school=school_pick or year_scope["school"])
        d_grade = ui.data(trends.drilldown, "grade", **s_scope)
        grades = list(dict.fromkeys(d_grade["grade_level"].dropna().astype(str)))
        st.session_state.setdefault("trends_drill_grade", "All grades")
        if st.session_state["trends_drill_grade"] not in ["All grades"] + grades:
            st.session_state["trends_drill_grade"] = "All grades"
        pick[1].selectbox("Grade", ["All grades"] + grades, key="trends_drill_grade")
        grade_pick = None if st.session_state["trends_drill_grade"] == "All grades" else st.session_state[
            "trends_drill_grade"]
        g_scope = dict(s_scope, grade=grade_pick or s_scope["grade"])
        d_teacher = ui.data(trends.drilldown, "teacher", **g_scope) if grade_pick else pd.DataFrame()
        teacher_ids = [t for t in d_teacher["teacher_id"].dropna().unique()] if not d_teacher.empty else []
        labels = ui.teacher_labels(page, teacher_ids)
        st.session_state.setdefault("trends_drill_teacher", "All classes")
        if st.session_state["trends_drill_teacher"] not in ["All classes"] + teacher_ids:
            st.session_state["trends_drill_teacher"] = "All classes"
        pick[2].selectbox("Class", ["All classes"] + teacher_ids, key="trends_drill_teacher",
                          format_func=lambda t: labels.get(t, t), disabled=not grade_pick,
                          help="Choose a grade first." if not grade_pick else None)
        teacher_pick = None if st.session_state["trends_drill_teacher"] == "All classes" else st.session_state[
            "trends_drill_teacher"]
        multi_subject = d_grade["subject"].nunique() > 1 if not d_grade.empty else False

        def level_view(df: pd.DataFrame, label_col: str, name: str, key: str) -> None:
            """Bars and a table for one drill-down level."""
            if df.empty:
                st.info("No students at this level.")
                return
            ui.chart_with_png(page, charts.pct_bars_chart, df, label_col, big=page.meeting,
                              color_col="subject" if multi_subject else None, name=name, key=key)
            t = df.rename(columns={label_col: label_col.replace("_", " ").capitalize(), "subject": "Subject",
                                   "assessed": "Assessed", "not_assessed": "Not assessed", "proficient": "Proficient",
                                   "pct_proficient": "% proficient", "mean_score": "Average score"})
            t = t.drop(columns=[c for c in ("grade_rank", "teacher_id", "suppressed") if c in t])
            first = label_col.replace("_", " ").capitalize()
            t = t[[first] + [c for c in t.columns if c != first]]
            ui.table(page, ui.shown_dates(t), percent_cols=("% proficient", "Average score"), key=f"{key}_table")
            ui.download_buttons(ui.shown_dates(t), name, key=f"{key}_dl")

        if teacher_pick:
            students = ui.data(trends.drilldown, "student", **dict(g_scope, teacher=teacher_pick))
            st.markdown(f"#### {labels.get(teacher_pick, teacher_pick)}: students")
            if students.empty:
                st.info("No students in this class for these filters.")
            else:
                shown = ui.label_students(page, students)
                shown["score"] = students["score"].values
                t = shown.rename(columns={"student": "Student", "grade_level": "Grade", "subject": "Subject",
                                          "latest_assessment": "Most recent assessment", "latest_date": "Date",
                                          "score": "Score", "cut": "Cut", "proficient": "Proficient",
                                          "assessed": "Assessed"})
                t = t[["Student", "Subject", "Most recent assessment", "Date", "Score", "Cut", "Proficient",
                       "Assessed"]]
                st.caption("Lowest first; students with no result in the year (not assessed) at the top.")
                ui.table(page, ui.shown_dates(t), percent_cols=("Score", "Cut"), key="trends_drill_students_table")
                ui.download_buttons(ui.shown_dates(t), "students", key="trends_drill_students_dl")
                if not page.meeting and hasattr(ui, "student_link"):
                    with st.expander("Open a student's profile"):
                        sids = students["student_id"].astype(str).tolist()
                        st.selectbox("Student", sids, key="trends_drill_student",
                                     format_func=lambda s: dict(zip(sids, t["Student"])).get(s, s))
                        ui.student_link(page, st.session_state["trends_drill_student"], "Open profile")
        elif grade_pick:
            d = d_teacher.copy()
            d["class"] = [labels.get(t, t) if isinstance(t, str) else NO_CLASS for t in d["teacher_id"]]
            st.markdown(f"#### Grade {grade_pick}: classes")
            if d["teacher_id"].isna().all():
                st.info("No class rosters (sections) are loaded, so the grade cannot be split by teacher.", icon="🏫")
            level_view(d, "class", f"grade_{grade_pick}_classes", "trends_drill_teachers")
        elif school_pick or len(schools) == 1:
            d = d_grade.assign(grade=["Grade " + str(g) for g in d_grade["grade_level"]])
            st.markdown(f"#### {school_pick or schools[0]}: grades")
            level_view(d.drop(columns=["grade_level"]), "grade", "grades", "trends_drill_grades")
        else:
            st.markdown("#### Schools")
            level_view(d_school, "school", "schools", "trends_drill_schools")

# --- early warning and goals -------------------------------------------------------------------
with tab_summary:
    if tab_summary.open:
        left, right = st.columns(2)
        with left:
            st.markdown("#### Early warning: students by risk band")
            ready = trends.early_warning_ready(page.con)
            if ready is None:
                st.info("Early-warning counts appear here once the early-warning feature is installed.", icon="🚩")
            else:
                if not ready and not st.session_state.get("trends_ew_go"):
                    st.caption("The early-warning model trains once on the school's history (about a minute); after "
                               "that these counts are instant.")
                    st.button("Count students by risk band", key="trends_ew_go", icon="🚩")
                else:
                    ew = ui.data(trends.early_warning_summary, f["school"], f["grade"], f["subject"])
                    if ew is None or ew.empty:
                        st.info("No current students have a risk score yet.", icon="🚩")
                    else:
                        ui.table(page, ew, key="trends_ew_table")
                        ui.download_buttons(ew, "early_warning_bands", key="trends_ew_dl")
                        st.caption("High = the outcome is more likely missed than not; see the Early warning page "
                                   "for who, why, and the flagged students not yet discussed.")
            st.page_link("pages/7_Early_warning.py", label="Open early warning", icon="🚩",
                         query_params=ui.link_params())
        with right:
            st.markdown("#### Goals")
            gs = ui.data(trends.goal_summary)
            if gs is None:
                st.info("Goal progress appears here once the goals feature is installed.", icon="🎯")
            elif gs.empty:
                st.info("No goals yet. Set a percentage goal on the Goals page.", icon="🎯")
            else:
                ui.table(page, gs, key="trends_goals_table")
                ui.download_buttons(gs, "goals_by_status", key="trends_goals_dl")
            st.page_link("pages/6_Goals.py", label="Open goals", icon="🎯", query_params=ui.link_params())
