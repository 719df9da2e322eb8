"""Early warning: who needs additional time and support now?"""

import pandas as pd
import streamlit as st

from lib import charts, interventions, risk, ui

page = ui.setup("Early warning", ":material/flag:")
f = ui.filters(("school", "grade", "subject"))

st.session_state.setdefault("ew_capacity", 20)
st.session_state.setdefault("ew_outcome", "summative")
OUTCOMES = {"summative": "the next summative", "benchmark": "the next benchmark"}

st.title("Early warning")
top = st.columns([2, 1, 1])
top[1].number_input("Students we can serve", min_value=1, max_value=5000, step=1, key="ew_capacity",
                    help="How many students your team can give additional time and support to now. "
                         "The list below marks that many, highest risk first.")
top[2].selectbox("Risk of missing", list(OUTCOMES), format_func=OUTCOMES.get, key="ew_outcome",
                 help="The outcome the score predicts: proficiency on the next summative, or on the next benchmark.")

with st.spinner("Scoring students (the first time after new data, the model is retrained on past years)..."):
    result = ui.shared_data(risk.cached_build, None, st.session_state["ew_outcome"])
if result.as_of is None or result.predictions.empty:
    st.info("No results for this school year yet: import common assessment results to see who needs support.",
            icon=":material/upload_file:")
    ui.page_link("pages/1_Import.py", label="Import a file", icon=":material/upload_file:")
    st.stop()

with top[0]:
    st.markdown(f"#### Who needs additional time and support now?\nRisk of **not being proficient on "
                f"{OUTCOMES[result.outcome]}**, from results up to {result.as_of - pd.Timedelta(days=1):%d %b %Y}.")
if result.mode == "model" and page.meeting:
    st.markdown(f":material/insights: **Score in use: {result.model_name} model** (calibrated), validated AUC "
                f"{risk.metrics(result)['auc']:.2f}")
elif result.mode == "model":
    m = risk.metrics(result)
    st.success(f"**Score in use: {result.model_name} model** (calibrated) · validated AUC **{m['auc']:.2f}** vs "
               f"{m['baseline']['auc']:.2f} for the rule · trained on {result.training['students']:,} students of "
               f"{', '.join(result.training['school_years'])}.", icon=":material/insights:")
else:
    st.warning(f"**Score in use: transparent rules.** {result.mode_reason} Flagged: below the cut on "
               f"{risk.RULE_BELOW} of the last {risk.RULE_LAST} checks, or attendance under "
               f"{risk.RULE_ATTENDANCE:.0%}.", icon=":material/rule:")

ranked = risk.filter_predictions(result.predictions, f.get("school"), f.get("grade"), f.get("subject")).copy()
ranked = ranked.reset_index(drop=True)
k = int(min(st.session_state["ew_capacity"], len(ranked)))
cap = risk.expected_at_capacity(result, ranked, k)
open_help = ui.data(interventions.listing, True)
year_start = risk.year_start(result.as_of - pd.Timedelta(days=1))
flagged = ranked[ranked["band"] == "high"] if result.mode == "model" else ranked[ranked["rule_flag"]]
queue = interventions.not_yet_supported(page.con, flagged, year_start)

# On a projector the list is what the room needs first; the counts follow it.
counts_box, list_box = st.container(), st.container()
if page.meeting:
    list_box, counts_box = counts_box, list_box
c = counts_box.columns(4)
c[0].metric("High risk", f"{int((ranked['band'] == 'high').sum()):,}",
            help="Students (per subject) whose chance of missing the cut is 50% or more" if result.mode == "model"
            else "Students meeting both rule conditions or below on all of the last checks")
c[1].metric("Medium risk", f"{int((ranked['band'] == 'medium').sum()):,}")
if cap["expected_precision"] is not None:
    c[2].metric(f"Top {k}: likely to miss", f"{cap['expected_students']:.0f}",
                help="The sum of the calibrated chances of the students within capacity: how many of them would "
                     "miss the cut without additional support.")
    c[2].caption(f"Expected precision at {k}: **{cap['expected_precision']:.0%}**"
                 + (f" · in validation {cap['validated_precision']:.0%}" if cap["validated_precision"] is not None
                    else ""))
elif cap["validated_precision"] is not None:
    c[2].metric(f"Precision at {k} (validated)", f"{cap['validated_precision']:.0%}",
                help="Among the same share of students ranked by the rule in a past year, how many missed the cut.")
else:
    c[2].metric("Within capacity", f"{k}")
c[3].metric("Flagged, not yet discussed", f"{len(queue):,}",
            help="Flagged students with no open intervention, none this year, and no meeting note this year.")

# --- the ranked list -------------------------------------------------------------------------------
help_by = {(r.student_id, r.subject): f"Tier {r.tier}: {r.kind}" for r in open_help.itertuples()
           if isinstance(r.subject, str)}
help_any = {r.student_id: f"Tier {r.tier}: {r.kind}" for r in open_help.itertuples() if not isinstance(r.subject, str)}


QUEUE_SHOWN = 200        # rows of the not-yet-discussed list drawn on screen (a district can have thousands)
EVERYONE_SHOWN = 2000    # rows of the whole ranked list drawn on screen (the download has them all)


def show_list_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The ranked rows as the table shows them (names honour meeting mode)."""
    out = pd.DataFrame({
        "Rank": range(1, len(df) + 1),
        "student_id": df["student_id"].astype(str), "first_name": df["first_name"], "last_name": df["last_name"],
        "Grade": df["grade_level"], "Subject": df["subject"],
    })
    if result.mode == "model":
        out["Risk"] = [risk.pct_text(p) for p in df["probability"]]
    out["Band"] = df["band"].to_numpy()
    out["Why"] = df["reasons_text"].replace("", "–").to_numpy()
    out["Help now"] = [help_by.get((s, j), help_any.get(s, "–")) for s, j in zip(df["student_id"], df["subject"])]
    shown = ui.label_students(page, out).rename(columns={"student": "Student", "student_id": "ID"})
    # The ID (never shown in meeting mode) goes last: the words matter more on a wall.
    cols = ["Rank", "Student"] + [c for c in shown.columns if c not in ("Rank", "Student", "ID")]
    return shown[cols + (["ID"] if "ID" in shown else [])]


def show_list(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """The ranked rows as a projector-readable table; returns what it showed."""
    shown = show_list_frame(df)
    ui.table(page, shown, key=key, column_config=None if page.meeting else {
        "Rank": st.column_config.NumberColumn("Rank", width="small"),
        "Grade": st.column_config.TextColumn("Grade", width="small"),
        "Why": st.column_config.TextColumn("Why", width="large")})
    return shown


with list_box:
    st.subheader(f"Within capacity: the {k} highest-risk"
                 + (" (student, subject)" if f.get("subject") is None else ""))
    within = show_list(ranked.head(k), "ew_ranked")
    if not page.meeting:
        ui.download_buttons(within, "early_warning_within_capacity", key="ew_ranked_dl")

st.subheader(f"Flagged but not yet discussed ({len(queue)})")
if queue.empty:
    st.success("Every flagged student has an intervention or a meeting note this year.",
               icon=":material/check_circle:")
else:
    st.caption("Flagged students with no intervention and no meeting note this school year. Assign help on the "
               "Interventions page, or discuss them at the next team meeting.")
    if len(queue) > QUEUE_SHOWN:
        # A district-wide list of thousands is unreadable (and slow to draw): show the highest risk first.
        st.info(f"Showing the {QUEUE_SHOWN} highest-risk of {len(queue):,}. Narrow with the sidebar filters "
                "(school, grade, subject), or download the whole list.", icon=":material/filter_alt:")
    show_list(queue.head(QUEUE_SHOWN), "ew_queue")
    if len(queue) > QUEUE_SHOWN and not page.meeting:
        ui.download_buttons(lambda: show_list_frame(queue), "early_warning_not_yet_discussed", key="ew_queue_dl")

# --- act on one student --------------------------------------------------------------------------
st.subheader("Act on a student")
pick_from = pd.concat([queue.head(QUEUE_SHOWN), ranked.head(k)]).drop_duplicates(["student_id", "subject"])
if not pick_from.empty:
    labels = ui.label_students(page, pick_from[["student_id", "first_name", "last_name", "subject"]].assign(
        student_id=pick_from["student_id"].astype(str)), drop_names=True)
    options = [f"{s}|{j}" for s, j in zip(pick_from["student_id"].astype(str), pick_from["subject"])]
    names = dict(zip(options, [f"{n} · {j}" for n, j in zip(labels["student"], pick_from["subject"])]))
    choice = st.selectbox("Student", options, format_func=names.get, key="ew_pick")
    sid, subject = choice.split("|", 1)
    a, b = st.columns(2)
    with a:
        ui.page_link("pages/8_Interventions.py", label="Assign help on the Interventions page",
                     icon=":material/support:",
                     # In meeting mode the link carries an opaque token, never the student id.
                     query_params={**ui.student_params(page, sid), "subject": subject})
    with b:
        ui.student_link(page, sid, "Open the student's profile", icon=":material/person:")

# --- the whole list and the bands ------------------------------------------------------------------
with st.expander(f"Everyone, by risk ({len(ranked)})"):
    counts = ranked["band"].value_counts().reindex(charts.RISK_BANDS, fill_value=0).rename_axis("band")
    ui.chart(page, charts.risk_bands_chart, counts.reset_index(name="students"), big=page.meeting,
             key="ew_bands_chart")
    if len(ranked) > EVERYONE_SHOWN:
        st.caption(f"The {EVERYONE_SHOWN:,} highest-risk of {len(ranked):,} are listed; the download has everyone.")
    show_list(ranked.head(EVERYONE_SHOWN), "ew_everyone")
    ui.download_buttons(lambda: show_list_frame(ranked), "early_warning_everyone", key="ew_everyone_dl")

with st.expander("How the score works"):
    st.markdown(
        f"- **Outcome:** not proficient on {OUTCOMES[result.outcome]} in the subject.\n"
        f"- **Inputs (only data dated before {result.as_of:%d %b %Y}):** recent formative and benchmark results, "
        "their trend, standards not yet mastered, attendance, last year's result, and assessments missed while "
        "classmates took them. **No demographic information is used.**\n"
        f"- **Bands:** high = {risk.HIGH_FROM:.0%} chance or more, medium = {risk.MEDIUM_FROM:.0%} to "
        f"{risk.HIGH_FROM:.0%}, low = under {risk.MEDIUM_FROM:.0%}.\n"
        "- **Why:** the inputs that raise this student's chance the most, in plain words.\n"
        "- A score is a prompt for the team's judgement, never a label for a child.")
    ui.page_link("pages/9_Model_card.py", label="Can we trust it? Open the model card", icon=":material/fact_check:")
