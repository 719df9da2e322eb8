"""Interventions: who is getting what help, and is it working?"""

import datetime as dt

import pandas as pd
import streamlit as st

from lib import charts, interventions, profile, risk, ui

page = ui.setup("Interventions", ":material/support:")
f = ui.filters(("school", "grade", "subject"))

flash = st.session_state.pop("iv_flash", None)
st.title("Interventions")
st.markdown("#### Who is getting what help, and is it working?")
if flash:
    st.success(flash, icon=":material/check_circle:")

as_of = ui.data(risk.data_as_of) or dt.date.today()
st.session_state.setdefault("iv_today", as_of)
opts, every_iv = ui.data(interventions.opening)  # asked together
teachers = opts["teachers"]
tlabels = ui.teacher_labels(page, teachers["teacher_id"].tolist())
OTHER_OWNERS = ["Reading specialist", "Math coach", "Interventionist", "Counselor"]


def owner_label(owner) -> str:
    """A teacher id as the teacher's name (Teacher A/B in meeting mode); other owners as written."""
    if owner is None or pd.isna(owner):
        return "–"
    return tlabels.get(owner, owner)


def scoped(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in the sidebar's school, grade and subject (interventions for any subject always show)."""
    out = df
    if f.get("grade"):
        out = out[out["grade_level"].astype(str) == f["grade"]]
    if f.get("subject"):
        out = out[out["subject"].isna() | (out["subject"] == f["subject"])]
    if f.get("school"):
        out = out[out["school"] == f["school"]]
    return out


def show(df: pd.DataFrame, key: str, extra: tuple = ()) -> None:
    """Interventions as a table: names honour meeting mode; notes are hidden on a projector."""
    if df.empty:
        st.caption("None.")
        return
    out = pd.DataFrame({"student_id": df["student_id"].astype(str), "first_name": df["first_name"],
                        "last_name": df["last_name"], "Grade": df["grade_level"], "Subject": df["subject"],
                        "Tier": df["tier"], "Help": df["kind"], "Standard": df["standard_code"],
                        "Owner": [owner_label(o) for o in df["owner"]], "Start": df["start_date"],
                        "Next review": df["next_review"], "Status": df["status"]})
    for col in extra:
        out[col] = df[col].to_numpy()
    if not page.meeting:
        out["Notes"] = df["notes"].fillna("").to_numpy()
    shown = ui.label_students(page, out).rename(columns={"student": "Student", "student_id": "ID"})
    # What the review needs first; the ID (never in meeting mode) last.
    first = ["Student", "Next review", "Subject", "Tier", "Help", "Standard", "Owner", "Status"]
    rest = [c for c in shown.columns if c not in first and c != "ID"]
    ui.table(page, shown[first + rest + (["ID"] if "ID" in shown else [])], key=key)


# One listing (every intervention, from `opening`): the open ones are a part of it.
all_open = every_iv[every_iv["status"].isin(interventions.OPEN_STATUSES)].reset_index(drop=True)
open_iv = scoped(all_open)
today = st.session_state["iv_today"]
due = open_iv[open_iv["next_review"] <= today]
soon = open_iv[(open_iv["next_review"] > today) & (open_iv["next_review"] <= today + dt.timedelta(days=7))]

c = st.columns(4)
c[0].metric("Open interventions", f"{len(open_iv):,}")
c[1].metric("Students getting help", f"{open_iv['student_id'].nunique():,}")
c[2].metric("Tier 3 (intensive)", f"{int((open_iv['tier'] == 3).sum()):,}")
c[3].metric("Review due", f"{len(due):,}", help=f"Every open intervention is reviewed at least every "
            f"{interventions.REVIEW_DAYS // 7} weeks, or on its re-check date if sooner.")

# --- the three-weekly review ------------------------------------------------------------------------
st.subheader("Review list")
rc = st.columns([1, 3])
rc[0].date_input("Review meeting on", key="iv_today",
                 help="Defaults to the day after the latest results; interventions whose review date has come "
                      "are listed.")
rc[1].caption(f"Each open intervention comes up for review {interventions.REVIEW_DAYS} days after its start or its "
              "last review, or on its re-check date if that is sooner: decide keep going, change it, or close it.")
if due.empty:
    st.success("No review is due.", icon=":material/check_circle:")
else:
    show(due.sort_values("next_review"), "iv_due")
if not soon.empty:
    st.markdown(f"**Coming up in the next 7 days ({len(soon)})**")
    show(soon.sort_values("next_review"), "iv_soon")

# --- open interventions by tier and owner ------------------------------------------------------------
st.subheader("Open interventions by tier and owner")
if open_iv.empty:
    st.info("No open interventions. Assign one below, or start from the Early warning queue.",
            icon=":material/support:")
else:
    summary = (open_iv.assign(Owner=[owner_label(o) for o in open_iv["owner"]])
               .pivot_table(index="Owner", columns="tier", values="intervention_id", aggfunc="count", fill_value=0)
               .rename(columns=lambda t: f"Tier {t}").reset_index())
    ui.table(page, summary, key="iv_by_owner")
    with st.expander(f"Every open intervention ({len(open_iv)})", expanded=not page.meeting):
        show(open_iv, "iv_open")
ui.page_link("pages/7_Early_warning.py", label="Flagged but not yet discussed (Early warning)", icon=":material/flag:")

# --- assign -----------------------------------------------------------------------------------------
students = scoped(opts["students"].assign(subject=None))
student_ids = students["student_id"].astype(str).tolist()
names = dict(zip(student_ids, ui.label_students(page, students.assign(student_id=students["student_id"].astype(str)),
                                                drop_names=True)["student"]))
wanted = profile.resolve_student(page.con, ui.recall("student"))  # an id, or a meeting-mode token
if wanted in names and st.session_state.get("iv_new_from_url") != wanted:
    # Arriving from Early warning or a profile: prefill the student and subject once.
    st.session_state["iv_new_from_url"] = wanted
    st.session_state["iv_new_student"] = wanted
    if st.query_params.get("subject") in opts["subjects"]:
        st.session_state["iv_new_subject"] = st.query_params.get("subject")

st.subheader("Assign help")
with st.form("iv_new", border=True):
    a, b, c3 = st.columns(3)
    a.selectbox("Student", student_ids, format_func=lambda s: f"{names.get(s, s)}", key="iv_new_student",
                index=None, placeholder="Choose a student")
    b.selectbox("Subject", opts["subjects"], key="iv_new_subject", index=None, placeholder="Any subject")
    c3.radio("Tier", [1, 2, 3], format_func=lambda t: interventions.TIERS[t].split(":")[0], key="iv_new_tier",
             horizontal=True, index=1, help="\n".join(interventions.TIERS.values()))
    a.selectbox("Kind of help", interventions.KINDS, key="iv_new_kind", accept_new_options=True)
    standards = opts["standards"]
    b.selectbox("Skill or standard", standards["code"].tolist(), key="iv_new_standard", index=None,
                placeholder="Optional", accept_new_options=False,
                format_func=lambda code: code)
    owners = teachers["teacher_id"].tolist() + OTHER_OWNERS
    c3.selectbox("Owner", owners, format_func=owner_label, key="iv_new_owner", accept_new_options=True)
    a.date_input("Start", key="iv_new_start", value=today)
    b.date_input("Re-check on", key="iv_new_recheck", value=today + dt.timedelta(days=interventions.REVIEW_DAYS))
    c3.selectbox("Status", interventions.STATUSES, key="iv_new_status", index=1)
    st.text_area("Notes", key="iv_new_notes", placeholder="What, how often, how progress will be checked")
    st.text_input("Your name", key="iv_new_author")
    submitted = st.form_submit_button("Assign", type="primary", key="iv_new_submit")
if submitted:
    sid = st.session_state["iv_new_student"]
    if sid is None:
        st.error("Choose a student first.")
    else:
        try:
            new_id = interventions.add(
                page.con, sid, int(st.session_state["iv_new_tier"]), st.session_state["iv_new_kind"] or "",
                st.session_state["iv_new_start"], subject=st.session_state["iv_new_subject"],
                standard_code=st.session_state["iv_new_standard"], owner=st.session_state["iv_new_owner"],
                recheck_date=st.session_state["iv_new_recheck"], status=st.session_state["iv_new_status"],
                notes=st.session_state["iv_new_notes"], author=st.session_state["iv_new_author"])
        except ValueError as exc:
            st.error(str(exc))
        else:
            ui.clear_caches()
            st.session_state["iv_pick"] = new_id
            st.session_state["iv_flash"] = f"Saved: {names.get(sid, sid)} now has intervention #{new_id}."
            st.rerun()

# --- one intervention: update, history, before/after ---------------------------------------------------
st.subheader("Is it working?")
every = scoped(every_iv)
if every.empty:
    st.info("No interventions yet.", icon=":material/support:")
    st.stop()
labels = {int(r.intervention_id): f"#{int(r.intervention_id)} {names.get(str(r.student_id), r.student_id)} · "
          f"{r.subject or 'any subject'} · {r.kind} ({r.status})" for r in every.itertuples()}
ids = list(labels)
if wanted in names and st.session_state.get("iv_pick_from_url") != wanted:
    st.session_state["iv_pick_from_url"] = wanted
    mine = every[every["student_id"].astype(str) == wanted]
    if not mine.empty:
        st.session_state["iv_pick"] = int(mine["intervention_id"].iloc[0])
if st.session_state.get("iv_pick") not in ids:
    st.session_state["iv_pick"] = ids[0]
pick = st.selectbox("Intervention", ids, format_func=labels.get, key="iv_pick")
row = every[every["intervention_id"] == pick].iloc[0]

results, summary = ui.data(interventions.before_after, int(pick), today)
left, right = st.columns([3, 2])
with left:
    scope = f"standard {summary['standard_code']}" if summary["scope"] == "standard" else f"{summary['subject']}"
    if summary["scope"] == "subject" and isinstance(summary["standard_code"], str):
        scope += (f" overall (fewer than {interventions.MIN_AFTER} results on {summary['standard_code']} "
                  "since the start)")
    if results.empty:
        st.info(f"No results on {scope} around the start date yet.", icon=":material/inbox:")
    else:
        ui.chart(page, charts.before_after_chart, results, summary["start_date"], big=page.meeting, key="iv_chart")
        st.caption(f"Results on {scope}. Means: the last {summary['n_before']} results before the start "
                   f"({summary['start_date']:%d %b %Y}) and all {summary['n_after']} since. A before/after view is "
                   "not proof the help caused the change: compare with the student's classmates and the team's "
                   "judgement.")
with right:
    m = st.columns(2)
    m[0].metric("Mean before", "–" if summary["mean_before"] is None else f"{summary['mean_before']:.0%}")
    m[1].metric("Mean after", "–" if summary["mean_after"] is None else f"{summary['mean_after']:.0%}",
                delta=None if summary["change"] is None else f"{summary['change'] * 100:+.0f} points")
    m[0].metric("At the cut before", "–" if summary["proficient_before"] is None
                else f"{summary['proficient_before']:.0%}")
    m[1].metric("At the cut after", "–" if summary["proficient_after"] is None
                else f"{summary['proficient_after']:.0%}")
    st.markdown(f"**Tier {row['tier']}** · {row['kind']} · owner {owner_label(row['owner'])} · "
                f"started {row['start_date']:%d %b %Y} · status **{row['status']}**")
    ui.student_link(page, str(row["student_id"]), "Open the student's profile", icon=":material/person:")

with st.form("iv_update", border=True):
    st.markdown("**Record a review**")
    u1, u2 = st.columns(2)
    status_now = row["status"] if row["status"] in interventions.STATUSES else "active"
    u1.selectbox("Status", interventions.STATUSES, index=interventions.STATUSES.index(status_now),
                 key=f"iv_upd_status_{pick}")
    u2.date_input("Next re-check", key=f"iv_upd_recheck_{pick}",
                  value=today + dt.timedelta(days=interventions.REVIEW_DAYS))
    st.text_area("Note", key=f"iv_upd_note_{pick}", placeholder="What the team saw and decided")
    st.text_input("Your name", key=f"iv_upd_author_{pick}")
    saved = st.form_submit_button("Save review", type="primary", key="iv_upd_submit")
if saved:
    try:
        interventions.update(page.con, int(pick), status=st.session_state[f"iv_upd_status_{pick}"],
                             recheck_date=st.session_state[f"iv_upd_recheck_{pick}"],
                             note=st.session_state[f"iv_upd_note_{pick}"],
                             author=st.session_state[f"iv_upd_author_{pick}"], noted_on=today)
    except ValueError as exc:
        st.error(str(exc))
    else:
        ui.clear_caches()
        st.session_state["iv_flash"] = f"Review saved for intervention #{pick}."
        st.rerun()

st.markdown("**History**")
hist = ui.data(interventions.history, int(pick))
shown = pd.DataFrame({"Date": hist["noted_on"], "What": hist["action"], "Status": hist["status"]})
if not page.meeting:
    shown["Note"] = hist["note"].fillna("").to_numpy()
    shown["By"] = hist["author"].fillna("").to_numpy()
ui.table(page, shown, key="iv_history")
if page.meeting:
    st.caption("Notes and authors are hidden in meeting mode (they may name students or colleagues).")
