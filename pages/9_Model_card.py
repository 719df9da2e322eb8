"""Model card: can we trust the risk score?"""

import pandas as pd
import streamlit as st

from lib import charts, risk, ui

page = ui.setup("Model card", ":material/fact_check:")

OUTCOMES = {"summative": "the next summative", "benchmark": "the next benchmark"}
st.session_state.setdefault("mc_outcome", st.session_state.get("ew_outcome", "summative"))

st.title("Model card")
head = st.columns([3, 1])
head[0].markdown("#### Can we trust the risk score?")
head[1].selectbox("Risk of missing", list(OUTCOMES), format_func=OUTCOMES.get, key="mc_outcome")
with st.spinner("Checking the score against past years..."):
    result = ui.shared_data(risk.cached_build, None, st.session_state["mc_outcome"])
ev = result.evaluation
if ev.empty:
    st.info("There are no past outcomes to check a score against yet: the early warning uses the transparent "
            "rules until a school year with summative (or benchmark) results is loaded.", icon=":material/rule:")
    st.stop()

n_eval = len(ev)
st.session_state.setdefault("mc_capacity", risk.default_k(n_eval))
m = risk.metrics(result, int(min(st.session_state["mc_capacity"], n_eval)))
k = m["k"]
b = m["baseline"]

if result.mode == "model":
    st.success(f"**In use: {result.model_name} model, calibrated.** {result.mode_reason} Checked by "
               f"{result.validation}.", icon=":material/insights:")
else:
    st.warning(f"**In use: transparent rules.** {result.mode_reason}", icon=":material/rule:")


def pct(v) -> str:
    """A fraction as a whole percentage (a dash when missing)."""
    return "–" if v is None or pd.isna(v) else f"{v:.0%}"


def num(v, digits: int = 2) -> str:
    """A number with fixed digits (a dash when missing)."""
    return "–" if v is None or pd.isna(v) else f"{v:.{digits}f}"


c = st.columns(4)
c[0].metric("AUC", num(m["auc"]), delta=None if m["auc"] is None or b["auc"] is None or result.mode != "model"
            else f"{m['auc'] - b['auc']:+.2f} vs rule",
            help="The chance that a student who missed the cut is ranked above one who met it (0.5 = a coin toss).")
c[1].metric("Brier score", num(m["brier"], 3), delta=None if result.mode != "model" or b["brier"] is None
            else f"{m['brier'] - b['brier']:+.3f} vs rule", delta_color="inverse",
            help=f"Mean squared error of the probabilities: lower is better. Saying the base rate "
                 f"({m['base_rate']:.0%}) to everyone would score {m['base_rate'] * (1 - m['base_rate']):.3f}.")
c[2].metric(f"Precision at {k}", pct(m["precision_at_k"]),
            help="Of the k students ranked highest, the share who went on to miss the cut.")
c[3].metric(f"Recall at {k}", pct(m["recall_at_k"]),
            help="Of all the students who missed the cut, the share found within the top k.")

left, right = st.columns([3, 2])
with left:
    st.subheader("Calibration: does a 70% mean 70%?")
    bins = risk.calibration(result)
    if bins.empty:
        st.info("The rules give a yes/no flag, not a probability, so there is nothing to calibrate.",
                icon=":material/rule:")
    else:
        ui.chart(page, charts.calibration_chart, bins, big=page.meeting, key="mc_calibration")
        st.caption("Each point is a group of students with similar predicted chances (size = how many); on the "
                   "dashed diagonal, predicted and actual agree. Out-of-sample predictions only.")
with right:
    st.subheader("Score vs rule, side by side")
    st.number_input("Capacity (students the team can serve)", min_value=1, max_value=max(1, n_eval), step=1,
                    key="mc_capacity", help=f"Out of the {n_eval} validated students (per subject).")
    side = pd.DataFrame({
        "Measure": ["AUC", "Brier score", f"Precision at {k}", f"Recall at {k}", "Flag rate"],
        "Score in use": [num(m["auc"]), num(m["brier"], 3), pct(m["precision_at_k"]), pct(m["recall_at_k"]),
                         pct(m.get("flag_rate"))],
        "Rule flag": [num(b["auc"]), num(b["brier"], 3), pct(b["precision_at_k"]), pct(b["recall_at_k"]),
                      pct(b["flag_rate"])],
    })
    ui.table(page, side, key="mc_side_by_side")
    st.caption(f"Rule: {b['name']}. Flag rate for the score = share with a chance of {risk.HIGH_FROM:.0%} or more "
               f"(the high band). {m['n']} students (per subject) with a known outcome; {m['base_rate']:.0%} "
               "missed the cut.")
    if bins is not None and not bins.empty:
        ui.table(page, bins.rename(columns={"bin": "Predicted", "n": "Students", "predicted": "Mean predicted",
                                            "observed": "Actually missed"}),
                 percent_cols=("Mean predicted", "Actually missed"), key="mc_bins")

st.subheader("By subgroup")
sub = risk.subgroup_metrics(result)
shown = pd.DataFrame({
    "Group": [f"{a}: {g}" if a != "All" else "Everyone" for a, g in zip(sub["attribute"], sub["group"])],
    "Students": sub["n"], "Missed": sub["missed"],
    "AUC": [num(v) for v in sub["auc"]],
    "Flag rate": sub["flag_rate"], "False-negative rate": sub["false_negative_rate"],
    "Rule flag rate": sub["rule_flag_rate"], "Rule false-negative rate": sub["rule_false_negative_rate"],
    "Warning": sub["warning"],
})
ui.table(page, shown, percent_cols=("Flag rate", "False-negative rate", "Rule flag rate",
                                    "Rule false-negative rate"), key="mc_subgroups")
small = sub[sub["warning"] != ""]
st.caption("False-negative rate = of the students who missed the cut, the share the score did not flag. "
           "Subgroups are used only to check the score, never as inputs. "
           + (f"{len(small)} group(s) are too small to judge reliably (see Warning)." if len(small) else ""))

st.subheader("What data trained it")
t = result.training
lines = [
    f"- **Outcome:** not proficient on {OUTCOMES[result.outcome]} in a subject "
    f"({', '.join(t['subjects']) or '–'}); {t['outcome_assessments']} outcome assessment(s).",
    f"- **School year(s):** {', '.join(t['school_years']) or '–'}; features cut at "
    f"{', '.join(t['prediction_dates']) or '–'} (the same point in the year as today's list, "
    f"{result.as_of:%d %b %Y}).",
    f"- **Rows:** {t['rows']:,} (student, subject) from {t['students']:,} students; {t['missed']:,} missed the cut "
    f"({t['base_rate']:.0%}).",
    f"- **Validation:** {result.validation}.",
]
if result.candidates:
    lines.append("- **Candidates (validated AUC):** " + ", ".join(
        f"{name} {v:.3f}" for name, v in result.candidates.items()) + f"; chosen: **{result.model_name}** "
        "(logistic regression is kept unless boosting is clearly better: it is simpler to explain).")
st.markdown("\n".join(lines))
used = pd.DataFrame({"Input": result.features_used,
                     "What it measures": [risk.FEATURE_WORDS[f] for f in result.features_used]})
unused = [f for f in risk.FEATURES if f not in result.features_used]
ui.table(page, used, key="mc_features")
if unused:
    st.caption("Not used (no values in the training year): "
               + "; ".join(risk.FEATURE_WORDS[f] for f in unused) + ".")
st.caption("Never used as inputs: English learner, IEP, free or reduced lunch, gender, ethnicity, or any other "
           f"demographic field. Bands: high = {risk.HIGH_FROM:.0%} or more, medium = {risk.MEDIUM_FROM:.0%} to "
           f"{risk.HIGH_FROM:.0%}. Too little data (under {risk.MIN_STUDENTS} students with an outcome or under "
           f"{risk.MIN_MISSED} who missed) switches to the rules.")
ui.page_link("pages/7_Early_warning.py", label="Back to the early-warning list", icon=":material/flag:")
