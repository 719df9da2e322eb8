"""Model card page (AppTest, demo store): numbers equal lib.risk's, capacity, subgroups, training data, empty store."""

from __future__ import annotations

import pytest

from lib import risk, store
from tests.conftest import app_test

PAGE = "pages/9_Model_card.py"


@pytest.fixture
def result(app_demo_db):
    """The risk run computed directly on a copy of the page's store."""
    c = store.connect(app_demo_db)
    try:
        return risk.cached_build(c)
    finally:
        c.close()


def _df(at, cols: set):
    return next(d.value for d in at.dataframe if cols <= set(d.value.columns))


def test_numbers_match_the_library(result):
    """AUC, Brier, precision and recall at the default capacity, and the rule side by side, as lib.risk computes."""
    at = app_test(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    m = risk.metrics(result)
    k = m["k"]
    shown = {x.label: x.value for x in at.metric}
    assert shown["AUC"] == f"{m['auc']:.2f}"
    assert shown["Brier score"] == f"{m['brier']:.3f}"
    assert shown[f"Precision at {k}"] == f"{m['precision_at_k']:.0%}"
    assert shown[f"Recall at {k}"] == f"{m['recall_at_k']:.0%}"
    side = _df(at, {"Measure", "Score in use", "Rule flag"}).set_index("Measure")
    assert side.loc["AUC", "Rule flag"] == f"{m['baseline']['auc']:.2f}"
    assert side.loc[f"Precision at {k}", "Rule flag"] == f"{m['baseline']['precision_at_k']:.0%}"
    bins = _df(at, {"Predicted", "Students", "Actually missed"})
    assert bins["Students"].sum() == len(result.evaluation)
    assert any("In use: logistic regression" in s.value or "In use: gradient boosting" in s.value
               for s in at.success)
    text = "\n".join(x.value for x in at.markdown)
    assert "2025-26" in text and "2025-11-21" in text and "cross-validation" in text


def test_capacity_changes_precision(result):
    """A smaller capacity shows precision and recall at that number."""
    at = app_test(PAGE).run()
    at.number_input(key="mc_capacity").set_value(30).run()
    assert not at.exception
    m = risk.metrics(result, 30)
    shown = {x.label: x.value for x in at.metric}
    assert shown["Precision at 30"] == f"{m['precision_at_k']:.0%}"
    assert shown["Recall at 30"] == f"{m['recall_at_k']:.0%}"


def test_subgroups_with_small_group_warnings(result):
    """One row per subgroup value; groups too small to judge carry a warning and no AUC."""
    at = app_test(PAGE).run()
    sub = _df(at, {"Group", "AUC", "False-negative rate", "Warning"})
    expected = risk.subgroup_metrics(result)
    assert len(sub) == len(expected)
    assert sub.iloc[0]["Group"] == "Everyone" and sub.iloc[0]["Students"] == len(result.evaluation)
    assert sub["Warning"].tolist() == expected["warning"].tolist()
    warned = sub[sub["Warning"] != ""]
    assert (warned["AUC"] == "–").all()
    feats = _df(at, {"Input", "What it measures"})
    assert set(feats["Input"]) == set(result.features_used)
    assert not set(feats["Input"]) & {"ell", "iep", "frl", "gender", "ethnicity"}


def test_meeting_mode_runs(app_demo_db):
    """In meeting mode the page renders (tables become large static tables)."""
    at = app_test(PAGE)
    at.query_params["meeting"] = "1"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.table) >= 3


def test_empty_store(app_db):
    """No outcomes yet: the page explains that the rules are used until a school year is loaded."""
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("no past outcomes" in i.value for i in at.info)
