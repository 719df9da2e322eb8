"""Team meeting: how did our students do on this common assessment, skill by skill?"""

import pandas as pd
import streamlit as st

from lib import charts, meeting, privacy, reports, ui
from lib.formats import scale

page = ui.setup("Team meeting", "👥")
f = ui.filters(("school", "grade", "subject", "teacher", "standard", "date_from", "date_to"), one_school=True)
ui.keep("team_assessment", "team_gap", "team_exceeds", "team_compare_standard", "team_only_class", "team_grid_sort",
        "team_group_standard", "team_growth_standard")

with st.sidebar.expander("Proficiency levels"):
    st.session_state.setdefault("team_gap", int(meeting.DEFAULT_GAP * 100))
    st.session_state.setdefault("team_exceeds", int(meeting.DEFAULT_EXCEEDS * 100))
    st.number_input("Approaching: within this many points of the cut (%)", 0, 100, step=5, key="team_gap")
    st.number_input("Exceeds: from this score (%)", 0, 100, step=5, key="team_exceeds")
gap, exceeds = st.session_state["team_gap"] / 100, st.session_state["team_exceeds"] / 100

# --- which assessment ------------------------------------------------------------------------------
options = ui.data(meeting.assessment_options, f["grade"], f["subject"], f["standard"], f["date_from"],
                  f["date_to"])
if options.empty:
    st.title("Team meeting")
    st.info("No common assessment matches the filters in the sidebar. Clear a filter, or import results "
            "on the Import page.", icon="🔎")
    ui.page_link("pages/1_Import.py", label="Import results", icon="📥")
    st.stop()

ids = list(options["assessment_id"])
labels = {r["assessment_id"]: meeting.assessment_label(r) for _, r in options.iterrows()}
linked = st.query_params.get("assessment")
if linked in ids and linked != st.session_state.get("team_linked"):
    # A link from another page (or a pasted address) names an assessment: show it.
    st.session_state["team_assessment"] = linked
elif st.session_state.get("team_assessment") not in ids:
    wanted = ui.recall("assessment")
    st.session_state["team_assessment"] = wanted if wanted in ids else meeting.default_assessment(options)
head_left, head_right = st.columns([2, 3], vertical_alignment="bottom")
head_left.markdown("## Team meeting")
head_right.selectbox("Common assessment (newest first; narrow with the sidebar filters)", ids,
                     key="team_assessment", format_func=lambda a: labels.get(a, a))
aid = st.session_state["team_assessment"]
ui.remember("assessment", aid)
st.session_state["team_linked"] = aid
info = ui.data(meeting.assessment_info, aid)
school = f["school"]
if school and st.session_state.get("filter_school_defaulted") == school:
    st.caption(f"Showing the team at {school}: a team meeting is one school's team. Pick another school, or All, "
               "under School in the sidebar.")
cut = float(info["cut"]) if info and pd.notna(info["cut"]) else 0.8
# A vendor scale-score test (MAP, i-Ready, Star, Canvas) is read in the vendor's levels, not in points.
vendor = ui.data(scale.assessment_scale, aid)
st.download_button("Download PDF meeting report",
                   data=lambda a=aid: reports.meeting_pdf(page.con, a, page.meeting, school, page.name_style),
                   file_name=reports.meeting_pdf_name(page.con, aid), mime="application/pdf",
                   key="team_pdf", on_click="ignore", icon=":material/picture_as_pdf:",
                   help="Summary, by-standard chart, teacher comparison and groups; respects meeting mode.")

# --- headline ----------------------------------------------------------------------------------
head = ui.data(meeting.headline, aid, school)
tv = ui.data(meeting.teacher_vs_team, aid, school)
teacher_ids = sorted({t for t in tv["teacher_id"].dropna()} if not tv.empty else set())
missing = ui.data(meeting.not_assessed, aid, school)
all_teachers = sorted(set(teacher_ids) | set(missing["teacher_id"].dropna()))
tlabels = ui.teacher_labels(page, all_teachers, own=f["teacher"])


def tname(tid) -> str:
    """A teacher's display name (alias in meeting mode)."""
    return meeting.NO_TEACHER if tid is None or pd.isna(tid) else tlabels.get(tid, str(tid))


if head["assessed"] == 0:
    st.warning("Nobody has a result on this assessment yet" + (" in this school." if school else ".") +
               f" {head['not_assessed']} students are expected to take it.", icon="⏳")
c1, c2, c3, c4 = st.columns(4)
if vendor:
    levels = ui.data(meeting.scale_levels, aid, school)
    overall_levels = levels[levels["standard_code"] == meeting.OVERALL]
    prof_words = list(dict.fromkeys(overall_levels.loc[overall_levels["proficient"].fillna(False).astype(bool),
                                                       "level"]))
    c1.metric("Proficient (vendor level)", "-" if head["assessed"] == 0 else f"{head['pct']:.0%}",
              help=f"{head['proficient']} of {head['assessed']} assessed students reached a {vendor['vendor_label']} "
                   "level counted as proficient (the mapping is on the Import page, under 'Scale-score levels'). "
                   "Students not assessed are not in the denominator.")
    c4.metric("Parts · scale", f"{int(info['n_standards'] or 0)} · {vendor.get('scale_name') or 'scale'}",
              help=f"A {vendor['vendor_label']} scale-score test: one overall result per student and one per goal "
                   "area, domain or standard. There are no item-level answers.")
else:
    c1.metric(f"Proficient (≥ {cut:.0%})", "-" if head["assessed"] == 0 else f"{head['pct']:.0%}",
              help=f"{head['proficient']} of {head['assessed']} assessed students scored at least {cut:.0%} of "
                   "the points. Students not assessed are not in the denominator.")
    c4.metric("Items · standards", f"{int(info['n_items'] or 0)} · {int(info['n_standards'] or 0)}",
              help=f"Proficiency cut: {cut:.0%} of the points on the assessment (or on a standard's items).")
c2.metric("Students assessed", f"{head['assessed']:,}")
c3.metric("Not assessed", f"{head['not_assessed']:,}",
          help="Expected (enrolled in a matching class) but no result. Listed below, never dropped silently.")
line_left, line_right = st.columns([1, 1], vertical_alignment="center")
if head["assessed"] and vendor:
    line_left.markdown(f"**{head['proficient']} of {head['assessed']}** reached a proficient level"
                       + (f" ({', '.join(prof_words)})" if prof_words else "")
                       + f" (95% interval {head['lo']:.0%}–{head['hi']:.0%})" + (f" · {school}" if school else "")
                       + ".")
elif head["assessed"]:
    line_left.markdown(f"**{head['proficient']} of {head['assessed']}** scored at least **{cut:.0%}** "
                       f"(95% interval {head['lo']:.0%}–{head['hi']:.0%})"
                       + (f" · {school}" if school else "") + ".")
with line_right.expander(f"Not assessed: {head['not_assessed']} students — who?"):
    if missing.empty:
        st.write("Everyone expected has a result.")
    else:
        shown = ui.label_students(page, missing).assign(teacher=missing["teacher_id"].map(tname).values)
        ui.table(page, shown[["student", "teacher"]].rename(columns={"student": "Student", "teacher": "Class"}),
                 key="team_missing_table")

# --- by standard ---------------------------------------------------------------------------------
bys = ui.data(meeting.by_standard, aid, school, gap, exceeds)
st.markdown("### By standard" if not vendor else "### Overall and by goal area, in the vendor's levels")
if vendor:
    st.caption(f"Each bar = the students with a {vendor['vendor_label']} result. Right of the black line: levels "
               "counted as proficient; left: levels below, the lowest outermost. Bold = % proficient.")
    if levels.empty:
        st.info("No result on this test has a level yet.")
    else:
        ui.chart(page, charts.vendor_levels_chart, levels, big=page.meeting, key="team_levels_chart")
        undecided = levels[levels["proficient"].isna()]
        if not undecided.empty:
            st.warning(f"{int(undecided['students'].sum())} results have a level nothing decides ("
                       + ", ".join(sorted(set(undecided["level"]))) + "): they are left out of the percentages. "
                       "Say whether they count as proficient on the Import page, under 'Scale-score levels'.",
                       icon="🧭")
        with st.expander("Levels table"):
            lt = levels.rename(columns={"standard_code": "Result", "level": "Level", "students": "Students",
                                        "share": "Share", "mean_scale_score": "Average scale score"})
            lt["Counts as proficient"] = lt["proficient"].map({True: "yes", False: "no"}).fillna("not decided")
            lt["Average scale score"] = lt["Average scale score"].round(0)
            lt = lt[["Result", "Level", "Counts as proficient", "Students", "Share", "Average scale score"]]
            ui.table(page, lt, percent_cols=("Share",), key="team_levels_table")
            ui.download_buttons(lt, f"levels_{aid}", key="team_levels_dl")
elif bys.empty:
    st.info("This assessment's items are not aligned to standards, so there is no skill-by-skill view.")
else:
    bys = bys.assign(label=[meeting.standard_axis_label(c, n) for c, n in zip(bys["standard_code"], bys["n_items"])])
    st.caption(f"Each bar = the students with a result on that standard. Right of the black line: at or above "
               f"the cut ({cut:.0%} of the standard's points). Bold = % proficient.")
    ui.chart(page, charts.standard_levels_chart, bys, cut, big=page.meeting, key="team_std_chart")
    if bys["thin"].any():
        st.caption(f"⚠ thin = fewer than {meeting.THIN_EVIDENCE_ITEMS} items behind the standard: read it as a "
                   "signal to check, not a verdict.")
    with st.expander("By-standard table"):
        t = bys[["standard_code", "description", "n_items", "students", "proficient", "pct", "mean_score"]].rename(
            columns={"standard_code": "Standard", "description": "Skill", "n_items": "Items",
                     "students": "Students", "proficient": "Proficient", "pct": "% proficient",
                     "mean_score": "Average score"})
        t["Evidence"] = ["thin" if x else "" for x in bys["thin"]]
        ui.table(page, t, percent_cols=("% proficient", "Average score"), key="team_std_table")
        ui.download_buttons(t, f"by_standard_{aid}", key="team_std_dl")

# --- teacher next to the rest of the team -----------------------------------------------------------
st.markdown("### Whose strategies can we learn from?")
st.caption("Each class's % proficient beside the rest of the team, with 95% intervals. We call a difference "
           "notable only when the two intervals do not overlap; classes (or the rest of the team) under "
           f"{privacy.MIN_GROUP_TEAM} students are hidden. This is for sharing what worked, not for ranking.")
if tv.empty:
    st.info("No class rosters match this assessment, so there is no teacher-by-teacher view.")
else:
    notable = meeting.notable_differences(tv)
    if notable.empty:
        st.info("No class differs from the rest of the team by more than the uncertainty of groups this size. "
                "Differences you see below may be chance.", icon="🤝")
    for i, (_, r) in enumerate(notable.iterrows()):
        if i == 4:
            st.caption(f"…and {len(notable) - 4} more: see 'Every class on every standard' below.")
            break
        what = "all standards" if r["standard_code"] == meeting.ALL_STANDARDS else r["standard_code"]
        if r["difference"] == "notably higher":
            st.success(f"**{tname(r['teacher_id'])}**'s class: {r['pct']:.0%} proficient on {what}, rest of "
                       f"the team {r['rest_pct']:.0%}. What did they try that others could use?", icon="💡")
        else:
            st.warning(f"**{tname(r['teacher_id'])}**'s class: {r['pct']:.0%} on {what}, rest of the team "
                       f"{r['rest_pct']:.0%}. Which of the team's strategies could help here?", icon="🤝")
    codes = list(dict.fromkeys(tv["standard_code"]))
    st.session_state.setdefault("team_compare_standard",
                                f["standard"] if f["standard"] in codes else meeting.ALL_STANDARDS)
    if st.session_state["team_compare_standard"] not in codes:
        st.session_state["team_compare_standard"] = meeting.ALL_STANDARDS
    if len(codes) <= 7:
        st.radio("Compare on", codes, key="team_compare_standard", horizontal=True)
    else:
        st.selectbox("Compare on", codes, key="team_compare_standard")
    sel = tv[tv["standard_code"] == st.session_state["team_compare_standard"]]
    rows = []
    for _, r in sel.iterrows():
        label = tname(r["teacher_id"])
        if r["suppressed"]:
            continue
        note = r["difference"] or "within the uncertainty"
        rows.append({"teacher": label, "who": "This class", "pct": r["pct"], "lo": r["lo"], "hi": r["hi"],
                     "n": int(r["n"]), "note": note})
        rows.append({"teacher": label, "who": "Rest of team", "pct": r["rest_pct"], "lo": r["rest_lo"],
                     "hi": r["rest_hi"], "n": int(r["rest_n"]), "note": ""})
    hidden = int(sel["suppressed"].sum())
    if rows:
        ui.chart(page, charts.teacher_team_chart, pd.DataFrame(rows), big=page.meeting, key="team_teacher_chart")
    if hidden:
        st.caption(f"{hidden} class(es) hidden: fewer than {privacy.MIN_GROUP_TEAM} students with a result.")
    with st.expander("Every class on every standard"):
        st.caption("Cells: % proficient of the class's students with a result. ▲ / ▼ notably higher / lower "
                   "than the rest of the team (intervals do not overlap).")
        ui.table(page, meeting.teacher_matrix(tv, {t: tname(t) for t in teacher_ids}), key="team_teacher_table")

# --- students, groups, items, growth --------------------------------------------------------------
codes = list(bys["standard_code"]) if not bys.empty else []
only_class = None
if f["teacher"]:
    st.session_state.setdefault("team_only_class", True)
    if st.toggle(f"Only {tname(f['teacher'])}'s class in the student views below", key="team_only_class"):
        only_class = f["teacher"]


def class_scores() -> pd.DataFrame:
    """Each student's scores for the grid and the groups (only the chosen class when asked); read by those
    two tabs only, so the item analysis and growth tabs do not wait for them."""
    out = ui.data(meeting.student_scores, aid, school, gap, exceeds)
    return out[out["teacher_id"] == only_class] if only_class is not None and not out.empty else out


tab_grid, tab_groups, tab_items, tab_growth = ui.tabs(
    ["Students × standards", "Who needs time and support", "Item analysis", "Growth"], key="team_tab")


def student_table(styler, student_ids: list[str], labels_: list[str], key: str, max_height: int = 600) -> None:
    """A table of students, each opening its profile.

    At a desk: a sortable grid; click a row for the profile link. On a projector (meeting mode): a
    large static table (readable from the back) and a picker for the profile.
    """
    if page.meeting:
        st.table(styler.hide(axis="index"))
        choice = st.selectbox("Open a student's profile", list(range(len(student_ids))), index=None,
                              key=f"{key}_open", format_func=lambda i: labels_[i], placeholder="Choose a student")
        if choice is not None:
            ui.student_link(page, student_ids[choice], f"Open {labels_[choice]}'s profile")
        return
    slot = st.container()
    event = st.dataframe(styler, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                         key=key, height=min(38 + 35 * len(student_ids), max_height))
    rows = getattr(getattr(event, "selection", None), "rows", None) or []
    if rows and rows[0] < len(student_ids):
        with slot:
            ui.student_link(page, student_ids[rows[0]], f"Open {labels_[rows[0]]}'s profile")


LEVEL_STYLE = {lvl: f"background-color: {col}; color: {'#ffffff' if lvl in ('Exceeds', 'Beginning') else '#000000'}"
               for lvl, col in zip(charts.LEVELS, charts.LEVEL_COLORS)}


def style_levels(df: pd.DataFrame, score_cols: list[str]):
    """Colour score cells by level (same palette as the charts) and show them as percentages."""
    def colour(v):
        lvl = charts.level_of(v, cut, gap, exceeds)
        return LEVEL_STYLE.get(lvl, "")
    return (df.style.map(colour, subset=score_cols)
            .format({c: (lambda v: "" if pd.isna(v) else f"{v:.0%}") for c in score_cols}))


# Light tints with black text: a whole grid of strong colour is hard to read on a projector.
PROF_STYLE = {True: "background-color: #CFE8F7; color: #000000", False: "background-color: #F9DDB1; color: #000000"}


def style_proficient(df: pd.DataFrame, prof: pd.DataFrame, cols: list[str]):
    """Colour scale-result cells: blue when the level counts as proficient, amber when not."""
    def colour(col: pd.Series) -> list[str]:
        flags = prof[col.name] if col.name in prof else pd.Series([None] * len(col))
        return [PROF_STYLE.get(None if pd.isna(f) else bool(f), "") for f in flags]
    return df.style.apply(colour, subset=cols)


with tab_grid:
    if tab_grid.open:
        scores = class_scores()
        if vendor:
            srows = ui.data(meeting.scale_students, aid, school)
            if only_class is not None and not srows.empty:
                srows = srows[srows["teacher_id"] == only_class]
            if srows.empty:
                st.info("No student has a result on this test yet.")
            else:
                wide, prof = meeting.scale_grid_wide(srows, codes)
                st.caption("Scale score, percentile and the vendor's level for every student, lowest overall score "
                           "first. Blue = a level counted as proficient; amber = below it." +
                           ("" if page.meeting else " Click a row to open that student's profile."))
                sids = wide["student_id"].astype(str).tolist()
                shown = ui.label_students(page, wide)
                shown["Class"] = wide["teacher_id"].map(tname).values
                rcodes = [c for c in wide.columns if c not in ("student_id", "first_name", "last_name", "teacher_id")]
                display = shown[["student", "Class"] + rcodes].rename(columns={"student": "Student"})
                student_table(style_proficient(display, prof, rcodes), sids, display["Student"].tolist(), "team_grid")
                ui.download_buttons(display, f"students_by_result_{aid}", key="team_grid_dl")
        elif scores.empty:
            st.info("No student has a result on this assessment yet.")
        else:
            wide = meeting.grid_wide(scores, codes)
            sort_options = ["Overall score, lowest first", "Overall score, highest first", "Name"] + codes
            st.session_state.setdefault("team_grid_sort", sort_options[0])
            g1, g2 = st.columns([2, 3])
            g1.selectbox("Sort by", sort_options, key="team_grid_sort")
            g2.markdown("  ".join(f"<span style='{LEVEL_STYLE[lv]};padding:2px 8px;border-radius:3px'>{lv}</span>"
                                  for lv in charts.LEVELS) + f"<br><small>cut {cut:.0%}</small>",
                        unsafe_allow_html=True)
            how = st.session_state["team_grid_sort"]
            if how == "Overall score, highest first":
                wide = wide.sort_values(["overall", "student_id"], ascending=[False, True])
            elif how == "Name":
                wide = wide.sort_values(["last_name", "first_name", "student_id"])
            elif how in codes:
                wide = wide.sort_values([how, "overall", "student_id"], na_position="first")
            wide = wide.reset_index(drop=True)
            sids = wide["student_id"].astype(str).tolist()
            shown = ui.label_students(page, wide)
            shown["Class"] = wide["teacher_id"].map(tname).values
            display = shown[["student", "Class", "overall"] + codes].rename(
                columns={"student": "Student", "overall": "Overall"})
            if not page.meeting:
                st.caption("Click a row to open that student's profile; click a column header to sort.")
            student_table(style_levels(display, ["Overall"] + codes), sids, display["Student"].tolist(), "team_grid")
            ui.download_buttons(display, f"students_by_standard_{aid}", key="team_grid_dl")

with tab_groups:
    if tab_groups.open:
        scores = class_scores()
        grp = meeting.groups(scores)
        if grp.empty:
            st.info("No student has a result on a standard yet.")
        else:
            gsids = grp["student_id"].astype(str).tolist()
            gshown = ui.label_students(page, grp)
            gshown["teacher"] = grp["teacher_id"].map(tname).values
            gshown["student_id_"] = gsids
            if vendor:
                # The vendor's words, not 0% / 100%: '198 · 31st pct · LoAvg'.
                srows_g = ui.data(meeting.scale_students, aid, school)
                cells = {(str(a), b): meeting.scale_cell(sc_, lv, pc) for a, b, sc_, lv, pc in zip(
                    srows_g["student_id"], srows_g["standard_code"], srows_g["scale_score"], srows_g["level"],
                    srows_g["percentile"])}
                gshown["result"] = [cells.get((a, b), "") for a, b in zip(gsids, grp["standard_code"])]
            st.session_state.setdefault("team_group_standard", f["standard"] if f["standard"] in codes else codes[0])
            if st.session_state["team_group_standard"] not in codes:
                st.session_state["team_group_standard"] = codes[0]
            st.radio("Standard", codes, key="team_group_standard", horizontal=True,
                     format_func=lambda c: meeting.standard_axis_label(
                         c, int(bys.loc[bys["standard_code"] == c, "n_items"].iat[0])))
            code = st.session_state["team_group_standard"]
            desc = bys.loc[bys["standard_code"] == code, "description"]
            if len(desc) and isinstance(desc.iat[0], str):
                st.caption(f"{code}: {desc.iat[0]}")
            left, right = st.columns(2)
            for col, name, key in ((left, meeting.INTERVENTION, "team_group_int"),
                                   (right, meeting.EXTENSION, "team_group_ext")):
                members = gshown[(gshown["standard_code"] == code) & (gshown["group"] == name)].reset_index(drop=True)
                with col:
                    st.markdown(f"#### {name}: {len(members)}")
                    if members.empty:
                        st.write("No students.")
                        continue
                    if vendor:
                        view = members[["student", "teacher", "result"]].rename(
                            columns={"student": "Student", "teacher": "Class", "result": "Result"})
                        styled = view.style
                    else:
                        view = members[["student", "teacher", "score", "level"]].rename(
                            columns={"student": "Student", "teacher": "Class", "score": "Score", "level": "Level"})
                        styled = style_levels(view, ["Score"])
                    student_table(styled, members["student_id_"].tolist(), view["Student"].tolist(), key,
                                  max_height=460)
            shown_cols = ["result"] if vendor else ["score", "level"]
            export = gshown[["standard_code", "group", "student", "teacher"] + shown_cols].rename(
                columns={"standard_code": "standard"})
            st.markdown("**Take the groups with you** (every standard)" +
                        (" — names as shown: meeting mode is on." if page.meeting else ""))
            ui.download_buttons(export.rename(columns={"score": "score (0-1)"}), f"groups_{aid}", key="team_groups_dl")
            cut_words = ("Below a proficient level" if vendor else f"Below the cut ({cut:.0%})")
            html_groups = meeting.groups_html(
                export.rename(columns={"standard": "standard_code"}), f"Groups: {info['title']}",
                f"{cut_words} = {meeting.INTERVENTION}; at or above = {meeting.EXTENSION}.",
                descriptions=dict(zip(bys["standard_code"], bys["description"])))
            ui.printable_download(html_groups, f"groups_{aid}", key="team_groups_print")

with tab_items:
    if tab_items.open:
        dis = ui.data(meeting.distractors, aid, school)
        items = meeting.flag_items(ui.data(meeting.item_stats, aid, school), dis)
        if items.empty and vendor:
            st.info(f"{vendor['vendor_label']} reports a scale score per student and goal area, not the answers to "
                    "each question, so there is no item analysis for this test.")
        elif items.empty:
            st.info("No item-level responses for this assessment.")
        else:
            st.caption(f"Difficulty = average share of the item's points earned (below {meeting.TOO_HARD:.0%}: too "
                       f"hard; above {meeting.TOO_EASY:.0%}: too easy). Discrimination = correlation of the item "
                       "with the rest of the test: near 0 tells strong and weak students apart poorly; below 0 "
                       "usually means a wrong key or a confusing item.")
            for _, r in items[items["flag"].fillna("").str.contains("key|chose")].iterrows():
                st.error(f"Item {r['item']} ({r['standard_code']}): {r['flag']}. Key on file: "
                         f"{r['correct_response'] or '-'}" +
                         (f"; the students who did best on the rest of the test mostly chose {r['likely_key']}."
                          if isinstance(r['likely_key'], str) and r['likely_key'] != r['correct_response'] else "."),
                         icon="🔑")
            if len(items) >= 2:
                ui.chart(page, charts.item_map_chart, items, meeting.TOO_HARD, meeting.TOO_EASY, big=page.meeting,
                         key="team_item_chart")
            it = items[["item", "standard_code", "points_possible", "correct_response", "students", "difficulty",
                        "discrimination", "flag"]].rename(
                columns={"item": "Item", "standard_code": "Standard", "points_possible": "Points",
                         "correct_response": "Key", "students": "Students", "difficulty": "Difficulty",
                         "discrimination": "Discrimination", "flag": "Flag"})
            it["Discrimination"] = it["Discrimination"].round(2)
            ui.table(page, it, percent_cols=("Difficulty",), key="team_items_table")
            if not dis.empty:
                st.markdown("#### Which answers did students choose?")
                st.caption("Share of students choosing each answer; ✓ marks the key on file.")
                ui.table(page, meeting.distractor_matrix(dis).rename(columns={"item": "Item"}), key="team_dis_table")
            ui.download_buttons(it, f"items_{aid}", key="team_items_dl")

with tab_growth:
    if tab_growth.open:
        sources = ui.data(meeting.growth_sources, aid)
        if sources.empty:
            st.info("No earlier assessment measured these standards, so there is nothing to compare with yet.")
        else:
            rows = ui.data(meeting.growth_rows, aid, school, meeting.growth_pairs(sources))
            if only_class is not None and not rows.empty:
                rows = rows[rows["teacher_id"] == only_class]
            summary = meeting.growth_summary(rows, sources)
            st.caption("Each standard against the most recent earlier assessment that measured it, for the students "
                       "who took both. Earlier results use that assessment's own cut.")
            if not summary.empty:
                ui.chart(page, charts.growth_chart, summary, big=page.meeting, key="team_growth_chart")
                gs = summary.rename(columns={
                    "standard_code": "Standard", "prev_title": "Compared with", "matched": "Students with both",
                    "matched_before_pct": "Proficient before", "matched_now_pct": "Proficient now",
                    "became_proficient": "Became proficient", "slipped": "Slipped"})
                if vendor:
                    scale_name = vendor.get("scale_name") or "scale"
                    gs["Average change"] = ["" if pd.isna(v) else f"{v:+.0f} {scale_name}"
                                            for v in summary["mean_scale_change"]]
                else:
                    gs["Average change"] = ["" if pd.isna(v) else f"{v * 100:+.0f} points"
                                            for v in summary["mean_change"]]
                gs["Compared with"] = [f"{t} ({d:%d %b %Y})"
                                       for t, d in zip(summary["prev_title"], summary["prev_date"])]
                ui.table(page, gs[["Standard", "Compared with", "Students with both", "Proficient before",
                                   "Proficient now", "Average change", "Became proficient", "Slipped"]],
                         percent_cols=("Proficient before", "Proficient now"), key="team_growth_table")
                both = rows.dropna(subset=["before", "now"]).reset_index(drop=True)
                if not both.empty:
                    st.markdown("#### Student by student")
                    gsel = st.selectbox("Standard", list(summary["standard_code"]), key="team_growth_standard")
                    one = (both[both["standard_code"] == gsel].sort_values(["change", "student_id"])
                           .reset_index(drop=True))
                    oshown = ui.label_students(page, one)
                    if vendor:
                        # Scale scores and the vendor's words, not 0% / 100%.
                        view = pd.DataFrame({"Student": oshown["student"], "Class": one["teacher_id"].map(tname),
                                             "Before": [meeting.scale_cell(a, b) for a, b in
                                                        zip(one["before_scale"], one["before_level"])],
                                             "Now": [meeting.scale_cell(a, b) for a, b in
                                                     zip(one["now_scale"], one["now_level"])],
                                             "Change": one["now_scale"] - one["before_scale"]})
                        styled = view.style.format({"Change": lambda v: "" if pd.isna(v) else f"{v:+.0f}"})
                    else:
                        view = pd.DataFrame({"Student": oshown["student"], "Class": one["teacher_id"].map(tname),
                                             "Before": one["before"], "Now": one["now"], "Change": one["change"]})
                        pct = lambda v: "" if pd.isna(v) else f"{v:.0%}"  # noqa: E731
                        signed = lambda v: "" if pd.isna(v) else f"{v * 100:+.0f} points"  # noqa: E731
                        styled = view.style.format({"Before": pct, "Now": pct, "Change": signed})
                    student_table(styled,
                                  one["student_id"].astype(str).tolist(), view["Student"].tolist(),
                                  "team_growth_students", max_height=460)
                    ui.download_buttons(view, f"growth_{aid}_{gsel}", key="team_growth_dl")
