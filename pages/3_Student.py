"""Student: how is this one student doing, and what are we doing about it?"""

import pandas as pd
import streamlit as st

from lib import charts, profile, risk, ui

page = ui.setup("Student", "👤")
f = ui.filters(("school", "grade", "subject"))

# --- which student ---------------------------------------------------------------------------------
ref = ui.recall("student")
sid_from_ref = ui.data(profile.resolve_student, ref) if ref else None
if page.meeting and sid_from_ref and not str(ref).startswith(profile.TOKEN_PREFIX):
    # A bookmarked link may carry the id: on a projector the address bar shows only the token.
    ref = profile.student_ref(sid_from_ref, True)
    ui.remember("student", ref)
ui.keep("student_subject", "student_year", "student_search")
if st.session_state.get("student_last_ref") != ref or "student_pick" not in st.session_state:
    # A new link (or a first visit): show the student it names.
    st.session_state["student_last_ref"] = ref
    st.session_state["student_pick"] = sid_from_ref
else:
    st.session_state["student_pick"] = st.session_state["student_pick"]   # kept across page changes

search = None
if not page.meeting:
    search = st.sidebar.text_input("Find a student (name or id)", key="student_search") or None
options = ui.data(profile.student_options, f["grade"], f["school"], search, 2000)
labels = {str(r["student_id"]): ui.student_label(page, str(r["student_id"]), r["first_name"], r["last_name"])
          for _, r in options.iterrows()}
current = st.session_state.get("student_pick")
if current and current not in labels:
    info0 = ui.data(profile.student_info, current)
    if info0:
        labels = {current: ui.student_label(page, current, info0["first_name"], info0["last_name"]), **labels}
    else:
        st.session_state["student_pick"] = None

top_left, top_right = st.columns([2, 3], vertical_alignment="bottom")
top_left.markdown("## Student profile")
top_right.selectbox(f"Student ({len(options):,} shown; narrow with grade/school filters"
                    + ("" if page.meeting else " or search") + ")",
                    list(labels), key="student_pick", index=None, placeholder="Choose a student",
                    format_func=lambda s: labels.get(s, "?"))
sid = st.session_state.get("student_pick")
# The address always names the student shown (a token in meeting mode), so a copied link reproduces it.
new_ref = profile.student_ref(sid, page.meeting) if sid else None
ui.remember("student", new_ref)
st.session_state["student_last_ref"] = new_ref

if not sid:
    st.info("Choose a student above, or open one from the team meeting grid or groups.", icon="👤")
    ui.page_link("pages/2_Team_meeting.py", label="Open the team meeting view", icon="👥")
    st.stop()

record = ui.data(profile.student_record, sid)
info, history, taken, periods, classes = (record[k] for k in ("info", "history", "taken", "periods", "classes"))
name = ui.student_label(page, sid, info["first_name"], info["last_name"])
# Letters over the whole grade-level team, so "Teacher B" matches the team meeting page.
team = record["team"]
tlabels = ui.teacher_labels(page, team)
if not classes.empty:
    others = sorted(set(classes["teacher_id"].dropna()) - set(team))
    # Earlier years' teachers: their own letters would clash with the team's, so no letter at all.
    tlabels.update({t: n if not page.meeting or not n.startswith("Teacher ") else "a teacher (earlier year)"
                    for t, n in ui.teacher_labels(page, others).items()})


def school_year(d) -> int | None:
    """The school year (its starting calendar year) of a date."""
    if d is None or pd.isna(d):
        return None
    d = pd.Timestamp(d)
    return d.year if d.month >= 7 else d.year - 1


for frame in (history, taken):
    frame["school_year"] = [school_year(d) for d in frame["administered_on"]]
years = sorted({y for y in list(history["school_year"]) + list(taken["school_year"]) if y is not None},
               reverse=True)

# --- header --------------------------------------------------------------------------------------
st.markdown(f"### {name}")
facts = [f"Grade {info['grade_level']}" if info.get("grade_level") else None, info.get("school")]
if not classes.empty:
    latest_term = classes["term"].iat[0]
    now = classes[classes["term"] == latest_term]
    facts.append(", ".join(f"{r['subject']}: {tlabels.get(r['teacher_id'], r['teacher_id'])}"
                           for _, r in now.iterrows()))
if not page.meeting:
    # Programme flags are for the team at a desk, not for a projected room.
    flags = [k.upper() for k in ("ell", "iep", "frl") if info.get(k) is True]
    if flags:
        facts.append("flags: " + ", ".join(flags))
st.caption(" · ".join(str(x) for x in facts if x))

year = years[0] if years else None
yr_taken = taken[taken["school_year"] == year] if year is not None else taken
yr_hist = history[history["school_year"] == year] if year is not None else history
latest = profile.latest_by_standard(yr_hist)
att_years = profile.attendance_by_year(periods)
att_now = att_years[att_years["school_year"] == year] if year is not None else att_years.head(1)

c1, c2, c3, c4 = st.columns(4)
done = yr_taken[yr_taken["assessed"]]
if not done.empty:
    last = done.iloc[-1]
    c1.metric(f"Latest: {last['subject']} {last['kind']}", f"{last['score']:.0%}",
              help=f"{last['title']} ({last['administered_on']:%d %b %Y}): {last['level']}; cut {last['cut']:.0%}.")
else:
    c1.metric("Latest result", "-")
if not latest.empty:
    c2.metric("Standards proficient", f"{int(latest['proficient'].sum())} of {len(latest)}",
              help="Most recent result on each standard measured this school year.")
else:
    c2.metric("Standards proficient", "-")
if not att_now.empty and pd.notna(att_now["attendance_rate"].iat[0]):
    rate = att_now["attendance_rate"].iat[0]
    c3.metric("Attendance this year", f"{rate:.0%}",
              delta="chronically absent" if bool(att_now["chronic"].iat[0]) else None, delta_color="inverse",
              help=f"{att_now['days_absent'].iat[0]:.0f} of {att_now['days_enrolled'].iat[0]:.0f} days absent. "
                   f"Missing {profile.CHRONIC_ABSENCE:.0%} or more is chronic absence.")
else:
    c3.metric("Attendance this year", "-")
c4.metric("Assessments missed", f"{int((~yr_taken['assessed']).sum())} of {len(yr_taken)}",
          help="Expected (enrolled in a matching class) but no result, this school year.")

# --- results over time by standard ---------------------------------------------------------------
st.markdown("#### Results by standard over time")
subjects = sorted(history["subject"].dropna().unique())
if history.empty:
    st.info("No results for this student yet.")
else:
    s1, s2 = st.columns(2)
    st.session_state.setdefault("student_subject", f["subject"] if f["subject"] in subjects else subjects[0])
    if st.session_state["student_subject"] not in subjects:
        st.session_state["student_subject"] = subjects[0]
    s1.radio("Subject", subjects, key="student_subject", horizontal=True)
    st.session_state.setdefault("student_year", years[0])
    if st.session_state["student_year"] not in years:
        st.session_state["student_year"] = years[0]
    s2.radio("School year", years, key="student_year", horizontal=True, format_func=lambda y: f"{y}-{str(y + 1)[2:]}")
    subj, yr = st.session_state["student_subject"], st.session_state["student_year"]
    h = history[(history["subject"] == subj) & (history["school_year"] == yr)]
    if h.empty:
        st.info(f"No {subj} results in {yr}-{str(yr + 1)[2:]}.")
    else:
        ui.chart(page, charts.history_heatmap, h, big=page.meeting, key="student_heatmap")
        st.caption("Each cell: the score on that standard's items in one assessment, coloured by level "
                   "(cut = the assessment's own). Hover for the assessment.")
        where = profile.latest_by_standard(h)
        tbl = pd.DataFrame({"Standard": where["standard_code"], "Skill": where["description"],
                            "Latest score": where["score"], "Level": where["level"],
                            "Times measured": where["times"],
                            "Last measured": pd.to_datetime(where["administered_on"]).dt.strftime("%d %b %Y")})
        with st.expander("Where the student stands on each standard (latest result)"):
            ui.table(page, tbl, percent_cols=("Latest score",), key="student_latest_table")
    t = taken[(taken["subject"] == subj) & (taken["school_year"] == yr)]
    if t["assessed"].any():
        st.markdown("#### Overall score on each assessment")
        ui.chart(page, charts.score_trend_chart, t, big=page.meeting, key="student_trend")

# --- attendance ----------------------------------------------------------------------------------
st.markdown("#### Attendance")
if periods.empty:
    st.info("No attendance on file for this student.")
else:
    ui.chart(page, charts.attendance_chart, periods, big=page.meeting, key="student_attendance")
    ay = att_years.assign(year=[f"{y}-{str(y + 1)[2:]}" for y in att_years["school_year"]])
    ui.table(page, pd.DataFrame({"School year": ay["year"], "Days enrolled": ay["days_enrolled"],
                                 "Days absent": ay["days_absent"], "Attendance": ay["attendance_rate"],
                                 "Chronic absence": ["yes" if c else "no" for c in ay["chronic"]]}),
             percent_cols=("Attendance",), key="student_att_table")

# --- every assessment ------------------------------------------------------------------------------
with st.expander(f"Every assessment ({len(taken)}), including missed ones"):
    at = pd.DataFrame({"Date": pd.to_datetime(taken["administered_on"]).dt.strftime("%Y-%m-%d"),
                       "Assessment": taken["title"], "Kind": taken["kind"], "Subject": taken["subject"],
                       "Score": taken["score"], "Level": taken["level"].fillna("not assessed"),
                       "Cut": taken["cut"]}).iloc[::-1]
    ui.table(page, at, percent_cols=("Score", "Cut"), key="student_assessments_table")
    ui.download_buttons(at, "student_assessments", key="student_assessments_dl")

# --- risk and interventions --------------------------------------------------------------------------
PRIVATE_COLUMNS = {"student_id", "first_name", "last_name", "student_name", "student"}


def shown_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Drop identifying columns (the student is the page's subject) and alias teachers in meeting mode."""
    out = df.drop(columns=[c for c in df.columns if c in PRIVATE_COLUMNS or c == "import_id"])
    for col in [c for c in out.columns if c in ("teacher_id", "owner_id", "assigned_to")]:
        ids = sorted(out[col].dropna().astype(str).unique())
        names = ui.teacher_labels(page, ids)
        out[col] = out[col].map(lambda v, m=names: m.get(str(v), v) if pd.notna(v) else v)
    return out


risk_col, help_col = st.columns(2)
with risk_col:
    st.markdown("#### Early-warning risk")
    with st.spinner("Scoring early-warning risk (the first time after new data takes a while)…"):
        result = ui.data(risk.student_risk, sid)
    if result.empty:
        st.write("No risk score for this student yet.")
    else:
        ui.table(page, shown_columns(result), key="student_risk_table")
    ui.page_link("pages/7_Early_warning.py", label="Early warning list", icon="🚩")
with help_col:
    st.markdown("#### Interventions")
    iv = record["interventions"]
    if iv.empty:
        st.write("No interventions recorded for this student.")
    else:
        ui.table(page, shown_columns(iv), key="student_interventions_table")
    ui.page_link("pages/8_Interventions.py", label="Interventions", icon="🧰")
