"""Standards: how are students doing on this standard everywhere?"""

import pandas as pd
import streamlit as st

from lib import charts, privacy, reports, trends, ui
from lib import standards_explorer as se

page = ui.setup("Standards", "🔎")
f = ui.filters(("school", "grade", "subject", "teacher", "standard"))
st.title("Standards")

NO_CLASS = "(no class on roster)"


# --- find standards ----------------------------------------------------------------------------
years = ui.data(trends.school_years)
# Search and picker share a row; the year sits with the filters in the sidebar.
s1, s3 = st.columns([1, 2])
s2 = st.sidebar
s1.text_input("Find a standard by code or words", key="standards_search",
              placeholder="e.g. 3.NF, fractions, main idea")
st.session_state.setdefault("standards_year", years[0] if years else "All years")
if st.session_state["standards_year"] not in ["All years"] + years:
    st.session_state["standards_year"] = "All years"
s2.selectbox("School year", ["All years"] + years, key="standards_year",
             help="Results, 'where students stand' and the not-yet-proficient list use this year.")
found = ui.data(se.search, st.session_state.get("standards_search", ""), f["subject"], f["grade"])
if found.empty and not st.session_state.get("standards_search"):
    st.info("No standards yet: import results with a standard column (or a standards list) to explore them.",
            icon="📥")
    st.page_link("pages/1_Import.py", label="Import results", icon="📥")
    st.stop()

described = dict(zip(found["code"], found["description"]))
n_assess = dict(zip(found["code"], found["assessments"]))
if "standards_pick" not in st.session_state:
    first = f["standard"] or next((c for c, n in zip(found["code"], found["assessments"]) if n > 0), None)
    st.session_state["standards_pick"] = [first] if first else []
picked = [c for c in st.session_state["standards_pick"] if c]
options = list(dict.fromkeys(picked + found["code"].tolist()))


def fmt(code: str) -> str:
    desc = described.get(code)
    return f"{code} · {desc}" if isinstance(desc, str) and desc else code


s3.multiselect("Standards", options, key="standards_pick", format_func=fmt,
               help="Pick one or several standards; the search box narrows this list.")
codes = tuple(st.session_state["standards_pick"])
if not codes:
    st.markdown(f"**{len(found)} standard(s) match.** Pick one or more above.")
    t = found.rename(columns={"code": "Standard", "subject": "Subject", "grade_level": "Grade",
                              "description": "Skill", "assessments": "Assessments", "items": "Items",
                              "last_assessed": "Last assessed"})
    ui.table(page, ui.shown_dates(t), key="standards_found_table")
    ui.download_buttons(ui.shown_dates(t), "standards", key="standards_found_dl")
    st.stop()

year = None if st.session_state["standards_year"] == "All years" else st.session_state["standards_year"]
date_from, date_to = trends.school_year_bounds(year)
scope = dict(school=f["school"], grade=f["grade"], subject=f["subject"], teacher=f["teacher"],
             date_from=date_from, date_to=date_to)
summary = ui.data(se.summary, codes, **scope)
if summary.empty:
    where = year or "any year"
    st.info(f"No results on {', '.join(codes)} in {where} for these filters. Try 'All years' or widen the sidebar "
            "filters.", icon="🔎")
    st.stop()
multi = len(codes) > 1


def where_students_stand(df: pd.DataFrame, by: str, label: str, name: str, key: str,
                         extra: dict[str, str] | None = None) -> None:
    """% proficient per group (`by`, shown as `label`): a bar chart, the table and its downloads."""
    df = df.rename(columns={"students": "assessed"})
    ui.chart_with_png(page, charts.pct_bars_chart, df, by, big=page.meeting,
                      color_col="standard_code" if multi else None, name=name, key=f"{key}_chart")
    names = {by: label, "standard_code": "Standard", "assessed": "Students", "proficient": "Proficient",
             "pct_proficient": "% proficient", "mean_score": "Average score", **(extra or {})}
    t = df.rename(columns=names)[list(names.values())]
    ui.table(page, ui.shown_dates(t), percent_cols=("% proficient", "Average score"), key=f"{key}_table")
    ui.download_buttons(ui.shown_dates(t), name, key=f"{key}_dl")


# --- first screenful: where students stand on each standard, and over time -------------------------
st.caption("Where students stand = each student's most recent result on the standard"
           f"{' in ' + year if year else ''}; proficient = at or above that assessment's cut.")
if len(summary) == 1:
    r = summary.iloc[0]
    cols = st.columns(4)
    cols[0].metric(f"{r['standard_code']}: proficient now", f"{r['pct_proficient']:.0%}",
                   help=f"{int(r['proficient'])} of {int(r['students'])} students, most recent result each.")
    cols[1].metric("Students with a result", f"{int(r['students']):,}")
    cols[2].metric("Not yet proficient", f"{int(r['not_yet']):,}")
    cols[3].metric("Assessments", f"{int(r['assessments']):,}",
                   help=f"Assessments that measured it{' in ' + year if year else ''}; last on "
                        f"{r['last_assessed']:%d %b %Y}.")
    if isinstance(r["description"], str):
        st.caption(f"{r['standard_code']}: {r['description']}")
else:
    cols = st.columns(min(len(summary), 4))
    for i, (_, r) in enumerate(summary.head(4).iterrows()):
        n_not = int(r["not_yet"])
        cols[i].metric(f"{r['standard_code']}: proficient now", f"{r['pct_proficient']:.0%}",
                       help=f"{int(r['proficient'])} of {int(r['students'])} students; {n_not} not yet proficient; "
                            f"assessed on {int(r['assessments'])} assessment(s).")
        cols[i].caption(f"{n_not} not yet proficient · {int(r['assessments'])} assessment(s)")
    if len(summary) > 4:
        st.caption(f"{len(summary) - 4} more standard(s) in the tables below.")

# Vendor scale-score results (MAP goal areas, i-Ready domains, Star standards) read in the vendor's levels.
vendor_levels = ui.data(se.levels, codes, **scope)
if not vendor_levels.empty:
    st.markdown("**Where students stand in the vendor's levels** (latest scale-score result each)")
    st.caption("Right of the black line: levels counted as proficient (the mapping is on the Import page, under "
               "'Scale-score levels'); left: levels below, the lowest outermost. Bold = % proficient.")
    ui.chart(page, charts.vendor_levels_chart, vendor_levels, big=page.meeting, key="standards_levels_chart")

# The trend shows every year, so a new year's first check sits next to last year's; the chosen dates' rows
# are those of it.
by_a_all = ui.data(se.by_assessment, codes, **dict(scope, date_from=None, date_to=None))
by_a = se.within_dates(by_a_all, scope["date_from"], scope["date_to"])
if by_a_all["assessment_id"].nunique() > 1:
    st.markdown("**% proficient at each assessment over time (all years)**")
    ui.chart_with_png(page, charts.standard_time_chart, by_a_all, big=page.meeting, name="standard_over_time",
                      key="standards_time_chart")
else:
    st.info("Only one assessment has measured this so far: the trend appears after the next one.", icon="📈")

tab_grade, tab_teacher, tab_assess, tab_items, tab_students = ui.tabs(
    ["By grade", "By teacher", "Assessments", "Items", "Not yet proficient"], key="standards_tab")

with tab_grade:
    if tab_grade.open:
        bg = ui.data(se.by_grade, codes, **scope)
        bg = bg.assign(grade=["Grade " + str(g) for g in bg["grade_level"]])
        where_students_stand(bg, "grade", "Grade", "standard_by_grade", "standards_grade")

with tab_teacher:
    if tab_teacher.open:
        bt = ui.data(se.by_teacher, codes, **scope)
        st.caption(f"Each class's students, their most recent result. Classes under {privacy.MIN_GROUP_TEAM} students "
                   "are hidden. For learning from colleagues, not ranking them.")
        if bt.empty or bt["teacher_id"].isna().all():
            st.info("No class rosters (sections) match these results, so they cannot be split by teacher.", icon="🏫")
        else:
            labels = ui.teacher_labels(page, list(bt["teacher_id"].dropna().unique()))
            bt = bt.assign(teacher=[labels.get(t, t) if isinstance(t, str) else NO_CLASS for t in bt["teacher_id"]])
            where_students_stand(bt, "teacher", "Class", "standard_by_teacher", "standards_teacher",
                                 extra={"suppressed": "Hidden (small class)"})

with tab_assess:
    if tab_assess.open:
        t = by_a.rename(columns={"administered_on": "Date", "title": "Assessment", "kind": "Kind",
                                 "grade_level": "Grade", "standard_code": "Standard", "n_items": "Items",
                                 "students": "Students", "proficient": "Proficient", "pct_proficient": "% proficient",
                                 "mean_score": "Average score", "cut": "Cut"})
        t = t[["Date", "Assessment", "Kind", "Grade", "Standard", "Items", "Students", "Proficient", "% proficient",
               "Average score", "Cut"]].sort_values(["Date", "Standard"], ascending=[False, True])
        ui.table(page, ui.shown_dates(t), percent_cols=("% proficient", "Average score", "Cut"),
                 key="standards_assess_table")
        ui.download_buttons(ui.shown_dates(t), "standard_by_assessment", key="standards_assess_dl")
        aids = list(dict.fromkeys(by_a.sort_values("administered_on", ascending=False)["assessment_id"]))
        titles = dict(zip(by_a["assessment_id"], by_a["title"]))
        st.session_state.setdefault("standards_assessment", aids[0])
        if st.session_state["standards_assessment"] not in aids:
            st.session_state["standards_assessment"] = aids[0]
        a1, a2 = st.columns([3, 2])
        a1.selectbox("Assessment", aids, key="standards_assessment", format_func=lambda a: titles.get(a, a))
        aid = st.session_state["standards_assessment"]
        with a2:
            st.page_link("pages/2_Team_meeting.py", label="Open in the team meeting view", icon="👥",
                         query_params=ui.link_params(assessment=aid, standard=codes[0]))
            st.download_button("Download PDF meeting report",
                               data=lambda a=aid: reports.meeting_pdf(page.con, a, page.meeting, f["school"],
                                                                      page.name_style),
                               file_name=reports.meeting_pdf_name(page.con, aid), mime="application/pdf",
                               key="standards_pdf", on_click="ignore", icon="📄",
                               help="Summary, by-standard chart, teacher comparison, intervention and extension "
                                    "groups" + (" (names hidden: meeting mode is on)." if page.meeting else "."))

with tab_items:
    if tab_items.open:
        it = ui.data(se.items, codes, f["school"], f["grade"], f["subject"], date_from, date_to)
        if it.empty:
            st.info("No items are aligned to this standard in the chosen year.")
        elif it["synthetic"].all():
            st.info("These results were loaded per standard (no item-level data), so there are no item statistics: "
                    "each 'item' is the standard itself.", icon="🧩")
        if not it.empty:
            st.caption("Difficulty = average share of points earned (higher = easier). Discrimination = correlation of "
                       "the item with the rest of the test (below 0.15 is weak; below 0 suggests a wrong key). "
                       "Every student in the school who took the assessment counts.")
            real = it[~it["synthetic"]]
            if len(real) and real["discrimination"].notna().any():
                shown = real.assign(item=[f"{a.split('-')[-1]}#{i}"
                                          for a, i in zip(real["assessment_id"], real["item"])])
                ui.chart_with_png(page, charts.item_map_chart, shown, se.TOO_HARD, se.TOO_EASY, big=page.meeting,
                                  name="items", key="standards_items_chart")
            t = it.rename(columns={"administered_on": "Date", "title": "Assessment", "item": "Item",
                                   "standard_code": "Standard", "points_possible": "Points",
                                   "correct_response": "Key", "students": "Students", "difficulty": "Difficulty",
                                   "discrimination": "Discrimination", "top_wrong": "Most common wrong answer",
                                   "top_wrong_share": "Chosen by", "flag": "Look at"})
            t = t[["Date", "Assessment", "Item", "Standard", "Points", "Key", "Students", "Difficulty",
                   "Discrimination", "Most common wrong answer", "Chosen by", "Look at"]]
            ui.table(page, ui.shown_dates(t), percent_cols=("Difficulty", "Chosen by"), key="standards_items_table")
            ui.download_buttons(ui.shown_dates(t), "items", key="standards_items_dl")

with tab_students:
    if tab_students.open:
        st.caption("Students whose most recent result on the standard is below the cut, lowest first: who needs "
                   "more time and support on this skill across the school.")
        not_prof = ui.data(se.not_yet_proficient, codes, **scope)  # names and classes: this tab only
        if not_prof.empty:
            st.success("Every student with a result is proficient on their most recent attempt.", icon="🎉")
        else:
            shown = ui.label_students(page, not_prof)
            tlabels = ui.teacher_labels(page, list(not_prof["teacher_id"].dropna().unique()))
            shown["class"] = [tlabels.get(t, t) if isinstance(t, str) else NO_CLASS for t in not_prof["teacher_id"]]
            # A scale-score result reads as its score and level ('198 · 31st pct · LoAvg'), not 0%.
            words = ui.data(se.latest_levels, codes, **scope)
            wmap = {(str(a), b): r for a, b, r in zip(words["student_id"], words["standard_code"], words["result"])}
            shown["latest_level"] = [wmap.get((str(a), b), "") for a, b in
                                     zip(not_prof["student_id"], not_prof["standard_code"])]
            t = shown.rename(columns={"student": "Student", "grade_level": "Grade", "class": "Class",
                                      "standard_code": "Standard", "latest_score": "Latest score",
                                      "latest_assessment": "Latest assessment", "latest_date": "Date",
                                      "attempts": "Attempts", "best_score": "Best score",
                                      "times_proficient": "Times proficient", "latest_level": "Latest level"})
            t = t[["Student", "Grade", "Class", "Standard", "Latest score", "Latest assessment", "Date", "Attempts",
                   "Best score", "Times proficient"] + (["Latest level"] if len(words) else [])]
            st.markdown(f"**{len(t)} not yet proficient**" + (f" ({t['Student'].nunique()} students)" if multi else ""))
            ui.table(page, ui.shown_dates(t), percent_cols=("Latest score", "Best score"),
                     key="standards_students_table")
            ui.download_buttons(ui.shown_dates(t), "not_yet_proficient", key="standards_students_dl")
            if not page.meeting and hasattr(ui, "student_link"):
                sids = not_prof["student_id"].astype(str).tolist()
                names = dict(zip(sids, t["Student"]))
                uniq = list(dict.fromkeys(sids))
                st.session_state.setdefault("standards_student", uniq[0])
                if st.session_state["standards_student"] not in uniq:
                    st.session_state["standards_student"] = uniq[0]
                c1, c2 = st.columns([2, 1])
                c1.selectbox("Open a student's profile", uniq, key="standards_student",
                             format_func=lambda s: names.get(s, s))
                with c2:
                    ui.student_link(page, st.session_state["standards_student"], "Open profile")


def all_tables() -> dict[str, pd.DataFrame]:
    """The page's tables for the workbook (the student list is asked for only when it is downloaded)."""
    not_prof = ui.data(se.not_yet_proficient, codes, **scope)
    return {"summary": summary, "by assessment": by_a, "not yet proficient": ui.label_students(page, not_prof)}


st.download_button("Download every table (XLSX)", data=lambda: reports.workbook(all_tables()),
                   file_name="standards.xlsx", key="standards_all_xlsx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
