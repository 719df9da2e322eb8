"""Early warning page (AppTest, demo store): ranked list within capacity, expected precision, queue, meeting mode."""

from __future__ import annotations

import pandas as pd
import pytest

from lib import interventions, privacy, risk, store
from tests.conftest import app_test
from tests.risk_fixtures import make_school

PAGE = "pages/7_Early_warning.py"


def _texts(at) -> str:
    """Everything the page wrote as text (markdown, captions, alerts, metrics, tables, widget options)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [a.value for a in list(at.success) + list(at.warning) + list(at.info)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [df.value.to_string() for df in at.dataframe]
    parts += [str(t.proto) for t in at.table]
    for sb in at.selectbox:
        parts += [str(o) for o in sb.options]
    return "\n".join(str(p) for p in parts)


def _table(at, first_col: str = "Rank") -> pd.DataFrame:
    return next(d.value for d in at.dataframe if first_col in d.value.columns)


@pytest.fixture
def expected(app_demo_db):
    """The risk run and the not-yet-discussed queue computed directly from a copy of the page's store."""
    c = store.connect(app_demo_db)
    try:
        r = risk.cached_build(c)
        high = r.predictions[r.predictions["band"] == "high"]
        queue = interventions.not_yet_supported(c, high, risk.year_start(r.as_of))
    finally:
        c.close()
    return r, queue


def test_first_screen_answers_who_needs_support(expected):
    """Model banner, band counts, the top 20 by risk, expected precision at 20 and the queue, all as computed."""
    r, queue = expected
    at = app_test(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    assert "Score in use: logistic regression model" in text or "Score in use: gradient boosting model" in text
    metrics = {m.label: m.value for m in at.metric}
    p = r.predictions
    assert metrics["High risk"] == f"{(p['band'] == 'high').sum():,}"
    assert metrics["Medium risk"] == f"{(p['band'] == 'medium').sum():,}"
    assert metrics["Top 20: likely to miss"] == f"{p['probability'].head(20).sum():.0f}"
    assert f"Expected precision at 20: **{p['probability'].head(20).mean():.0%}**" in text
    assert metrics["Flagged, not yet discussed"] == f"{len(queue):,}"
    top = _table(at)
    assert len(top) == 20 and top["Rank"].tolist() == list(range(1, 21))
    assert top["ID"].tolist() == p["student_id"].head(20).tolist()
    assert top["Risk"].tolist() == [risk.pct_text(v) for v in p["probability"].head(20)]
    assert (top["Why"] != "–").all()
    # Students with open help say so.
    assert top["Help now"].str.startswith("Tier").any()


def test_capacity_and_subject_filter(app_demo_db):
    """The team's capacity sets how many are listed; the subject filter narrows the list."""
    at = app_test(PAGE).run()
    at.number_input(key="ew_capacity").set_value(7).run()
    assert not at.exception
    assert len(_table(at)) == 7
    assert "Top 7: likely to miss" in {m.label for m in at.metric}
    at.selectbox(key="filter_subject").set_value("ELA").run()
    assert not at.exception
    assert set(_table(at)["Subject"]) == {"ELA"}


def test_meeting_mode_shows_pseudonyms_only(app_demo_db, expected):
    """With ?meeting=1 no real student name or id appears; the top student shows as a pseudonym."""
    r, _ = expected
    at = app_test(PAGE)
    at.query_params["meeting"] = "1"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = _texts(at)
    top = r.predictions.head(40)
    for sid, first, last in zip(top["student_id"], top["first_name"], top["last_name"]):
        assert f"{first} {last}" not in text
        assert sid not in text
    assert privacy.pseudonym(top["student_id"].iloc[0]) in text


def test_rules_banner_on_thin_data(app_db):
    """With too few outcomes the page says the transparent rules are in use, and still lists students."""
    c = store.connect(app_db)
    make_school(c, n=60)
    c.close()
    at = app_test(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Score in use: transparent rules" in w.value for w in at.warning)
    top = _table(at)
    assert "Risk" not in top.columns and len(top) == 20


def test_empty_store(app_db):
    """No data: a clear next step instead of an error."""
    at = app_test(PAGE).run()
    assert not at.exception
    assert any("import" in i.value.lower() for i in at.info)
