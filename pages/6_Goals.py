"""Goals: are we on track to the goals we set?"""

from dataclasses import asdict

import pandas as pd
import streamlit as st

from lib import charts, goals, ui

page = ui.setup("Goals", "🎯")
f = ui.filters(("school", "grade", "subject"))

BADGE_COLOR = {"met": "green", "on track": "blue", "at risk": "orange", "off track": "red", "not started": "gray"}
BADGE_ICON = {"met": ":material/check_circle:", "on track": ":material/trending_up:", "at risk": ":material/warning:",
              "off track": ":material/trending_down:", "not started": ":material/schedule:"}
# Cards needing attention first.
CARD_ORDER = {"off track": 0, "at risk": 1, "on track": 2, "met": 3, "not started": 4}
# Selectboxes show no choice for a None value, so "all" and "top level" are explicit sentinels.
ALL = "(all)"
TOP = 0
SELECT_FIELDS = ("school", "grade_level", "teacher_id", "subject", "standard_code", "subgroup", "assessment_kind")


def badge(status: str) -> str:
    """A coloured status badge (the exact status word, never colour alone)."""
    return f":{BADGE_COLOR.get(status, 'gray')}-badge[{BADGE_ICON.get(status, '')} {status}]"


def pct(v) -> str:
    """A percentage 0-100 for display, or a dash."""
    return "–" if v is None or pd.isna(v) else f"{v:.1f}%".replace(".0%", "%")


def big_pct(v) -> str:
    """A metric value: whole percentages in meeting mode so they fit and read from the back of the room."""
    if page.meeting and v is not None and not pd.isna(v):
        return f"{v:.0f}%"
    return pct(v)


def day(v) -> str:
    """A date as 28 May 2027."""
    return "–" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%-d %b %Y")


options = ui.data(goals.goal_options)
tlabels = ui.teacher_labels(page, options["teacher"])


def owner_label(owner) -> str:
    """The owner, as a teacher alias in meeting mode when the owner is a teacher id."""
    if owner is None or pd.isna(owner):
        return "–"
    return tlabels.get(owner, owner)


def scope_text(spec: goals.GoalSpec) -> str:
    """The goal's scope with teacher names honouring meeting mode."""
    return goals.describe_scope(spec, tlabels)


# --- flash message from the last write ---------------------------------------------------------------
flash = st.session_state.pop("goals_flash", None)
if flash:
    st.success(flash, icon="✅")

progs = ui.data(goals.all_progress)


def in_filters(p: goals.Progress) -> bool:
    """School-wide goals always show; others when their scope fits the sidebar filters."""
    s = p.spec
    return all(want is None or have is None or str(have) == str(want)
               for want, have in ((f["school"], s.school), (f["grade"], s.grade_level), (f["subject"], s.subject)))


shown = [p for p in progs if in_filters(p)]

st.title("Goals")
st.caption("Are we on track to the goals we set? Each goal is a percentage of students measured on our own "
           "assessments. The dashed line runs straight from the baseline to the target; a point on or above "
           f"it is on track, less than {goals.AT_RISK_MARGIN:.0f} points behind it is at risk.")

if not progs:
    st.info("No goals yet. Write the first one in the **New goal** tab below: pick what to measure and the "
            "baseline is computed from your data.", icon="🎯")
else:
    counts = pd.Series([p.status for p in shown]).value_counts()
    summary = " ".join(f"{badge(s)} **{int(counts.get(s, 0))}**" for s in goals.STATUSES if counts.get(s, 0))
    hidden = len(progs) - len(shown)
    st.markdown(f"**{len(shown)} goal{'s' if len(shown) != 1 else ''}** &nbsp; {summary}"
                + (f" &nbsp; · {hidden} hidden by the sidebar filters" if hidden else ""))


def base_counts(b: goals.Baseline) -> str:
    """'20 of 31 students', or with several results per student '20 of 40 results from 14 students'."""
    if b.n_results > b.n_measured:
        return f"{b.n_meeting} of {b.n_results} results from {b.n_measured} students"
    return f"{b.n_meeting} of {b.n_measured} students"


def more_text(p: goals.Progress) -> str:
    """'N more students' in words for a goal card."""
    cp = p.current_point
    by = f"by **{day(p.spec.target_date)}**"
    if cp is None:
        first = goals.progress_start(p.spec)
        return f"Target {pct(p.target_pct)} {by}. No measurement yet: points count from **{day(first)}**."
    n, expected = int(cp["n_measured"]), int(cp["n_expected"])
    missing = max(expected - n, 0)
    where = f"{n} measured" + (f", {missing} not assessed" if missing else "") + f" · {day(cp['point_date'])}"
    if p.more_needed == 0:
        return f"Target {pct(p.target_pct)} {by}: reached at the latest point ({where})."
    per_check = int(cp["n_results"]) > n
    verb = "stop failing" if p.spec.kind == "reduce_failure" else (
        "grow enough" if p.spec.kind == "growth" else "reach the cut")
    who = f"{p.more_needed} more student{'s' if p.more_needed != 1 else ''}"
    return (f"Target {pct(p.target_pct)} {by}: **{'about ' if per_check else ''}{who}** must {verb}"
            + (" on each check" if per_check else "") + f" ({where}).")


def trajectory_chart(p: goals.Progress, height: int, y_title: bool = True) -> None:
    """Show the goal's chart (baseline marker, or for growth a last-period reference line)."""
    growth = p.spec.kind == "growth"
    ui.chart(page, charts.goal_trajectory_chart, p.points, p.trajectory, (p.spec.target_date, p.target_pct),
             p.status, baseline=None if growth else (p.baseline.date, p.baseline.used_pct),
             reference_pct=p.baseline.used_pct if growth else None, metric=p.metric, big=page.meeting,
             height=height, y_title=y_title)


def card(p: goals.Progress) -> None:
    """One goal card: status, baseline -> now -> target, N more students, trajectory."""
    s = p.spec
    with st.container(border=True):
        st.markdown(f"**{s.title}**  \n{badge(p.status)} &nbsp; **{p.metric}** · {s.level} · {scope_text(s)} · "
                    f"owner {owner_label(s.owner)}")
        c1, c2, c3 = st.columns(3)
        base_help = ("Overridden: " + (s.baseline_override_reason or "")) if p.baseline.overridden else \
            f"From the data: {base_counts(p.baseline)}, {day(p.baseline.date)}"
        c1.metric("Baseline", big_pct(p.baseline.used_pct),
                  help=("Last period's result. " if s.kind == "growth" else "") + base_help)
        delta = None
        if p.current and p.expected_pct is not None:
            delta = f"{p.current[1] - p.expected_pct:+.1f} vs line"
        c2.metric("Now", big_pct(p.current[1] if p.current else None), delta=delta,
                  delta_color="inverse" if s.kind == "reduce_failure" else "normal")
        c3.metric("Target", big_pct(p.target_pct),
                  help=f"By {day(s.target_date)}" + (f"; {s.reduce_by_pct:g}% lower than the baseline (relative)"
                                                      if s.kind == "reduce_failure" else ""))
        st.markdown(more_text(p))
        # The metric is in the card's header, so the small chart needs no axis title.
        trajectory_chart(p, 190 if not page.meeting else 240, y_title=False)


cards = sorted(shown, key=lambda p: CARD_ORDER.get(p.status, 9))
for i in range(0, len(cards), 2):
    cols = st.columns(2)
    for col, p in zip(cols, cards[i:i + 2]):
        with col:
            card(p)

# --- tabs: detail, the principal's table, new goal, edit goal ------------------------------------------
# The forms' fields live in closed tabs between visits (buttons are never held).
ui.hold(*[f"goals_{form}_{name}" for form in ("new", "edit")
          for name in goals.SPEC_FIELDS + ("override_on",)],
        "goals_edit_goal", "goals_edit_by", "goals_edit_reason", "goals_edit_confirm_delete", "goals_detail_goal",
        "goals_feasibility")
st.session_state.setdefault("goals_feasibility", False)
tab_detail, tab_all, tab_new, tab_edit = ui.tabs(["Goal detail", "All goals (alignment)", "New goal", "Edit goal"],
                                                  key="goals_tab")
by_id = {p.goal_id: p for p in progs}
ids = [p.goal_id for p in progs]


def goal_name(gid) -> str:
    """#id title for selectboxes."""
    if gid is None or gid == TOP:
        return "(none: a top-level goal)"
    p = by_id.get(gid)
    return f"#{gid} {p.spec.title}" if p else f"#{gid}"


with tab_detail:
    if tab_detail.open:
        if not ids:
            st.info("Create a goal first.")
        else:
            if st.session_state.get("goals_detail_goal") not in ids:
                st.session_state["goals_detail_goal"] = (cards or progs)[0].goal_id
            gid = st.selectbox("Goal", ids, key="goals_detail_goal", format_func=goal_name)
            p = by_id[gid]
            s = p.spec
            st.markdown(f"### {s.title}  \n{badge(p.status)}")
            st.markdown(f"**Scope:** {scope_text(s)} · **level:** {s.level} · **owner:** {owner_label(s.owner)}"
                        + (f" · **aligned under:** {goal_name(s.parent_goal_id)}" if s.parent_goal_id else ""))
            st.markdown(f"**How it is measured:** {goals.describe_measure(s)}")
            cohort = (f"Fixed cohort of **{p.cohort_size}** students stored when the goal was set; students who leave "
                      "stay in the count as not assessed." if s.cohort == "fixed" else
                      "Rolling: each point counts whoever is in scope and has a score then.")
            st.markdown(f"**Cohort:** {cohort}")
            b = p.baseline
            if b.data_pct is not None:
                btxt = (f"{pct(b.data_pct)} from the data ({base_counts(b)}"
                        + (f", {b.n_expected - b.n_measured} expected but not assessed" if b.n_expected > b.n_measured
                           else "") + f"; {b.label}, {day(b.date)})")
            else:
                btxt = "no result in the baseline window"
            if b.overridden:
                btxt += f"; **overridden to {pct(b.used_pct)}** — reason kept: “{b.reason}”"
            st.markdown(f"**Baseline:** {btxt}.")
            if s.kind == "reduce_failure":
                st.markdown(f"**Target:** {s.reduce_by_pct:g}% fewer than the baseline's {pct(b.used_pct)} "
                            f"(relative) = {pct(p.target_pct)}.")
            st.markdown(more_text(p))
            trajectory_chart(p, 300)
            st.caption("Each point pools the matching assessments given on one date (or in one month). Its value is "
                       "the share of those results at or above each assessment's cut (score ≥ cut), so a point with "
                       "one assessment is its % proficient and a month is the average of its checks. Students "
                       "expected but not assessed are counted and shown, never in the denominator."
                       if s.kind != "growth" else
                       "Each point compares every student's score there with their score in the starting window; "
                       "the share who gained at least the set number of points (students with both scores).")
            if not p.points.empty:
                t = p.points.assign(not_assessed=(p.points["n_expected"] - p.points["n_measured"]).clip(lower=0))
                cols = ["point_date", "label", "n_expected", "n_measured", "not_assessed", "n_results", "n_meeting",
                        "value_pct"]
                if (t["n_results"] == t["n_measured"]).all():
                    cols.remove("n_results")
                st.dataframe(t[cols].rename(columns={
                    "point_date": "Date", "label": "Measured on", "n_expected": "Students expected",
                    "n_measured": "Students measured", "not_assessed": "Not assessed", "n_results": "Results",
                    "n_meeting": "Meeting the bar", "value_pct": p.metric}),
                    hide_index=True, width="stretch",
                    column_config={p.metric: st.column_config.NumberColumn(format="%.1f%%")})

            left, right = st.columns(2)
            with left:
                st.markdown("#### Students nearest the bar")
                near = ui.data(goals.nearest_students, gid)
                if near.empty:
                    st.write("Nobody below the bar at the latest point." if p.current_point else
                             "No measurement yet.")
                else:
                    st.caption(f"At the latest point ({day(p.current_point['point_date'])}), the students below the "
                               f"bar who are closest to it. {p.more_needed or 0} more needed for the target.")
                    labelled = ui.label_students(page, near)
                    # Scores as fractions (shown as whole %), gaps in points of score.
                    for c in ("start_pct", "score_pct", "cut_pct"):
                        if c in labelled:
                            labelled[c] = labelled[c] / 100
                    for c in ("gain_pts", "gap_pts"):
                        if c in labelled:
                            labelled[c] = labelled[c].round(1)
                            if page.meeting:
                                labelled[c] = labelled[c].map(lambda v: f"{v:.0f}")
                    if s.kind == "growth":
                        cols = {"student": "Student", "start_pct": "Start", "score_pct": "Now",
                                "gain_pts": "Gain (points)", "gap_pts": "Still needed"}
                    else:
                        cols = {"student": "Student", "score_pct": "Score", "cut_pct": "Cut",
                                "gap_pts": "Below the cut (points)"}
                        if int(p.current_point["n_assessments"]) > 1:
                            cols = {"student": "Student", "assessment": "Closest miss on", **{
                                k2: v for k2, v in cols.items() if k2 != "student"}}
                    ui.table(page, labelled[list(cols)].rename(columns=cols),
                             percent_cols=("Start", "Now", "Score", "Cut"), key="goals_nearest_table")
            with right:
                st.markdown("#### Is the target realistic?")
                # Asked for, not computed with every look at a goal: it compares the plan with the history of
                # every similar group (~0.25 s at district scale), and the form shows it while a goal is written.
                st.toggle("Compare with similar groups", key="goals_feasibility",
                          help="The planned gain next to the gains that similar groups (each grade on the same kind "
                               "of assessment and subject) made in the data over a similar span.")
                if not st.session_state["goals_feasibility"]:
                    st.caption("Switch on to compare this goal's planned gain with what similar groups achieved. "
                               "The same check appears while a goal is written or edited.")
                else:
                    feas = ui.data(goals.feasibility_of, gid)
                    st.markdown(feas.verdict)
                    if feas.n_compared:
                        st.caption(f"Planned: {feas.planned:+.1f} {feas.unit}. Compared with {feas.n_compared} "
                                   "changes by similar groups (each grade on the same kind of assessment and subject, "
                                   f"over a similar span): median {feas.median:+.1f}, top 10% {feas.p90:+.1f}, "
                                   f"best {feas.best:+.1f}.")
                        with st.expander("The comparisons"):
                            st.dataframe(feas.comparisons, hide_index=True, width="stretch")

with tab_all:
    if tab_all.open:
        rows = goals.table_rows(progs)
        if not rows:
            st.info("No goals yet.")
        else:
            df = pd.DataFrame(rows)
            table = pd.DataFrame({
                "Goal": ["\u2003" * d + ("↳ " if d else "") + t for d, t in zip(df["depth"], df["title"])],
                "Status": df["status"],
                "Level": df["level"],
                "Owner": [owner_label(o) for o in df["owner"]],
                "Aligned under": df["parent_title"].fillna(""),
                "Metric": df["metric"],
                "Baseline": df["baseline_pct"],
                "Now": df["current_pct"],
                "On the line now": df["expected_pct"],
                "Target": df["target_pct"],
                "By": df["target_date"],
                "More students needed": df["more_students_needed"],
                "Measured": df["n_measured"],
            })
            st.caption("Every goal, each followed by the goals aligned under it (individual → team → school → system).")
            pct_cfg = {c: st.column_config.NumberColumn(format="%.1f%%")
                       for c in ("Baseline", "Now", "On the line now", "Target")}
            st.dataframe(table, hide_index=True, width="stretch", column_config=pct_cfg, key="goals_all_table")
            ui.download_buttons(table, "goals", key="goals_all_dl")

# --- the goal form (new and edit share it) ---------------------------------------------------------------
DEFAULTS = {"title": "", "kind": "raise_proficiency", "level": "team", "owner": "", "parent_goal_id": None,
            "school": None, "grade_level": None, "teacher_id": None, "subject": None, "standard_code": None,
            "subgroup": None, "assessment_kind": None, "bucket": "date", "baseline_pre_from": None,
            "baseline_pre_to": None, "pre_from": None, "pre_to": None, "measure_from": None, "target_pct": 80.0,
            "reduce_by_pct": 50.0, "growth_points": 10.0, "baseline_override": None,
            "baseline_override_reason": "", "cohort": "rolling", "notes": ""}


def load_state(prefix: str, values: dict) -> None:
    """Put a goal's values into the form's widget state."""
    for k in goals.SPEC_FIELDS:
        v = values.get(k)
        st.session_state[f"{prefix}_{k}"] = "" if v is None and k in ("title", "owner", "notes",
                                                                      "baseline_override_reason") else v
    for k in SELECT_FIELDS:
        if st.session_state[f"{prefix}_{k}"] is None:
            st.session_state[f"{prefix}_{k}"] = ALL
    if st.session_state[f"{prefix}_parent_goal_id"] is None:
        st.session_state[f"{prefix}_parent_goal_id"] = TOP
    st.session_state[f"{prefix}_override_on"] = values.get("baseline_override") is not None
    if st.session_state[f"{prefix}_baseline_override"] is None:
        st.session_state[f"{prefix}_baseline_override"] = 50.0


def pick(label: str, key: str, values: list, fmt=None, **kw):
    """A selectbox with an "(all)" choice that keeps an unknown stored value selectable."""
    opts = [ALL] + list(values)
    if st.session_state.get(key) not in opts:
        opts.append(st.session_state.get(key))
    return st.selectbox(label, opts, key=key, format_func=lambda v: v if v == ALL or fmt is None else fmt(v), **kw)


def goal_form(prefix: str, editing: int | None = None) -> dict:
    """The goal's fields; returns the values as a dict of GoalSpec fields."""
    k = lambda name: f"{prefix}_{name}"  # noqa: E731
    st.text_input("Goal (a sentence the team would say)", key=k("title"),
                  placeholder="Grade 3 ELA: from 76% to 85% proficient on the spring benchmark")
    st.radio("Kind of goal", goals.KINDS, key=k("kind"), format_func=goals.KIND_LABELS.get, horizontal=True)
    kind = st.session_state[k("kind")]
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Whose students**")
        pick("School", k("school"), options["school"])
        pick("Grade", k("grade_level"), options["grade"])
        pick("Teacher (an individual goal)", k("teacher_id"), options["teacher"], fmt=lambda t: tlabels.get(t, t))
        pick("Subject", k("subject"), options["subject"])
        pick("Standard", k("standard_code"), options["standard"])
        pick("Subgroup", k("subgroup"), list(goals.SUBGROUPS), fmt=goals.SUBGROUPS.get)
        st.radio("Cohort", list(goals.COHORTS), key=k("cohort"), format_func=goals.COHORTS.get,
                 help="Fixed: the students measured at the baseline (growth: at the start), stored when the goal "
                      "is saved and followed wherever they go. Rolling: whoever is in scope at each point.")
    with c2:
        st.markdown("**Measured on**")
        pick("Assessment kind", k("assessment_kind"), options["kind"])
        st.radio("A measurement point is", list(goals.BUCKETS), key=k("bucket"), format_func=goals.BUCKETS.get,
                 horizontal=True, help="Weekly CFAs read better by month; benchmarks by date.")
        if kind == "growth":
            st.number_input("Improve by at least (points of score)", min_value=0.0, max_value=100.0, step=1.0,
                            key=k("growth_points"))
            a, b = st.columns(2)
            a.date_input("Growth counted from (start window)", key=k("pre_from"))
            b.date_input("… to", key=k("pre_to"))
            a.date_input("Baseline: last period's start from", key=k("baseline_pre_from"))
            b.date_input("… to", key=k("baseline_pre_to"))
        a, b = st.columns(2)
        a.date_input("Baseline window from" if kind != "growth" else "Baseline: last period's end from",
                     key=k("baseline_from"))
        b.date_input("… to", key=k("baseline_to"))
        st.date_input("Count progress from (empty: the day after the baseline / start)", key=k("measure_from"))
    with c3:
        st.markdown("**Target**")
        if kind == "reduce_failure":
            st.number_input("Reduce the % not proficient by (relative %)", min_value=0.0, max_value=100.0,
                            step=5.0, key=k("reduce_by_pct"), help="50 halves it: 20% failing becomes 10%.")
        else:
            st.number_input("Target (% of students)", min_value=0.0, max_value=100.0, step=1.0, key=k("target_pct"))
        st.date_input("Target date", key=k("target_date"))
        st.selectbox("Level", goals.LEVELS, key=k("level"))
        st.text_input("Owner", key=k("owner"))
        parents = [TOP] + [g for g in ids if g != editing]
        if st.session_state.get(k("parent_goal_id")) not in parents:
            st.session_state[k("parent_goal_id")] = TOP
        st.selectbox("Aligned under", parents, key=k("parent_goal_id"), format_func=goal_name)
        st.checkbox("Override the baseline", key=k("override_on"),
                    help="The baseline comes from the data; override it only with a reason, which is kept.")
        if st.session_state[k("override_on")]:
            st.number_input("Baseline to use (%)", min_value=0.0, max_value=100.0, step=1.0,
                            key=k("baseline_override"))
            st.text_input("Why (kept with the goal)", key=k("baseline_override_reason"))
        st.text_area("Notes", key=k("notes"), height=68)
    return form_values(prefix)


def form_values(prefix: str) -> dict:
    """The form's values (from widget state) as GoalSpec fields, blanks as None, unused fields cleared."""
    k = lambda name: f"{prefix}_{name}"  # noqa: E731
    kind = st.session_state.get(k("kind"))
    values = {name: st.session_state.get(k(name)) for name in goals.SPEC_FIELDS}
    for name in SELECT_FIELDS:
        if values[name] == ALL:
            values[name] = None
    if values["parent_goal_id"] == TOP:
        values["parent_goal_id"] = None
    if not st.session_state.get(k("override_on")):
        values["baseline_override"] = None
        values["baseline_override_reason"] = None
    if kind != "reduce_failure":
        values["reduce_by_pct"] = None
    else:
        values["target_pct"] = None
    if kind != "growth":
        for name in ("growth_points", "pre_from", "pre_to", "baseline_pre_from", "baseline_pre_to"):
            values[name] = None
    return {n: (None if isinstance(v, str) and not v.strip() else v) for n, v in values.items()}


def show_preview(values: dict, editing: int | None = None) -> list[str]:
    """What the goal would say with these values; returns the problems that block saving."""
    pv = ui.data(goals.preview, editing_goal_id=editing, **values)
    with st.container(border=True):
        prog = pv["progress"]
        if prog is None:
            st.markdown("Set the baseline window to see the baseline from the data.")
        else:
            b = prog.baseline
            base = (f"**{pct(b.data_pct)}** {prog.metric.removeprefix('% ')} ({base_counts(b)}"
                    + (f", {b.n_expected - b.n_measured} not assessed" if b.n_expected > b.n_measured else "")
                    + f"; {b.label or 'no assessment'}, {day(b.date)})" if b.data_pct is not None
                    else "**no result** in the baseline window (check the kind, subject, grade and dates)")
            st.markdown(f"Baseline from the data: {base}."
                        + (f" Overridden to **{pct(b.used_pct)}**." if b.overridden else ""))
            if prog.target_pct is not None:
                st.markdown(f"Target **{pct(prog.target_pct)}** by {day(values.get('target_date'))} · "
                            f"if saved now: {badge(prog.status)}"
                            + (" (a fixed cohort is stored on save)" if values.get("cohort") == "fixed" else ""))
            if (prog.target_pct is not None and prog.baseline.used_pct is not None and values.get("kind") != "growth"
                    and goals.direction(values["kind"]) * (prog.target_pct - prog.baseline.used_pct) <= 0):
                st.warning("The target is not beyond the baseline: this goal only holds the line.", icon="↔️")
            if pv["feasibility"] is not None:
                st.markdown(f"Feasibility: {pv['feasibility'].verdict}")
        for e in pv["errors"]:
            st.markdown(f"- ⚠ {e}")
    return pv["errors"]


# Writes happen in button callbacks: they run before the next script run, so they may reset form state.
def create_goal() -> None:
    """Store the new goal, clear the form and show the goal."""
    values = form_values("goals_new")
    try:
        new_id = goals.create_goal(page.con, goals.spec_from_row(values), changed_by=values.get("owner"))
    except ValueError as exc:
        st.session_state["goals_new_error"] = str(exc)
        return
    ui.clear_caches()
    for key in [k for k in st.session_state if str(k).startswith("goals_new_")]:
        del st.session_state[key]
    st.session_state["goals_flash"] = f"Goal #{new_id} saved."
    st.session_state["goals_detail_goal"] = new_id
    st.session_state["goals_tab"] = "Goal detail"


def save_goal(gid: int) -> None:
    """Apply the edit form's changes to a goal, with who and why in its history."""
    values = form_values("goals_edit")
    old = asdict(goals.get_spec(page.con, gid))
    changes = {k: v for k, v in values.items() if goals.fmt_value(v) != goals.fmt_value(old.get(k))}
    try:
        changed = goals.update_goal(page.con, gid, changes, changed_by=st.session_state.get("goals_edit_by"),
                                    reason=st.session_state.get("goals_edit_reason"))
    except ValueError as exc:
        st.session_state["goals_edit_error"] = str(exc)
        return
    ui.clear_caches()
    st.session_state["goals_edit_loaded"] = None
    st.session_state["goals_edit_reason"] = ""
    st.session_state["goals_flash"] = (f"Goal #{gid}: changed {', '.join(changed)}." if changed
                                       else f"Goal #{gid}: nothing changed.")


def delete_goal(gid: int) -> None:
    """Delete a goal (after the confirmation box was ticked)."""
    goals.delete_goal(page.con, gid)
    ui.clear_caches()
    st.session_state["goals_edit_confirm_delete"] = False
    st.session_state["goals_flash"] = f"Goal #{gid} deleted."


with tab_new:
    if tab_new.open:
        if "goals_new_title" not in st.session_state:
            start = {**DEFAULTS, **ui.data(goals.default_dates)}
            start.update(school=f["school"], grade_level=f["grade"], subject=f["subject"],
                         assessment_kind="benchmark" if "benchmark" in options["kind"] else None)
            load_state("goals_new", start)
        values = goal_form("goals_new")
        errors = show_preview(values)
        st.button("Create goal", type="primary", key="goals_new_create", disabled=bool(errors), on_click=create_goal)
        if st.session_state.get("goals_new_error"):
            st.error(st.session_state.pop("goals_new_error"))

with tab_edit:
    if tab_edit.open:
        if not ids:
            st.info("Create a goal first.")
        else:
            if st.session_state.get("goals_edit_goal") not in ids:
                st.session_state["goals_edit_goal"] = ids[0]
            gid = st.selectbox("Goal to edit", ids, key="goals_edit_goal", format_func=goal_name)
            if st.session_state.get("goals_edit_loaded") != gid:
                load_state("goals_edit", asdict(by_id[gid].spec))
                st.session_state["goals_edit_loaded"] = gid
            values = goal_form("goals_edit", editing=gid)
            errors = show_preview(values, editing=gid)
            a, b = st.columns(2)
            a.text_input("Your name (kept in the history)", key="goals_edit_by")
            b.text_input("Why the change (kept in the history)", key="goals_edit_reason")
            st.button("Save changes", type="primary", key="goals_edit_save", disabled=bool(errors), on_click=save_goal,
                      args=(gid,))
            if st.session_state.get("goals_edit_error"):
                st.error(st.session_state.pop("goals_edit_error"))
            st.markdown("#### History")
            hist = ui.data(goals.history, gid)
            st.dataframe(hist.drop(columns=["history_id"]).rename(columns={
                "changed_at": "When", "changed_by": "Who", "action": "What", "field": "Field", "old_value": "Before",
                "new_value": "After", "reason": "Why"}), hide_index=True, width="stretch", key="goals_history_table")
            with st.expander("Delete this goal"):
                st.checkbox("Yes, delete it (goals aligned under it move up a level)", key="goals_edit_confirm_delete")
                st.button("Delete goal", key="goals_edit_delete", on_click=delete_goal, args=(gid,),
                          disabled=not st.session_state.get("goals_edit_confirm_delete"))
