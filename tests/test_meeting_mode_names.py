"""With meeting mode on, no page shows a real student name or id, nor a non-opted-in teacher's name.

Every page in pages/ (found at run time, so pages still being built are covered) plus app.py runs
under AppTest with `?meeting=1` on the demo store. The scan reads every rendered element's protobuf
bytes, which hold markdown, captions, metrics, expander and tab labels, selectbox and radio options,
link targets, and the Arrow bytes of dataframes, tables and chart datasets; it also reads the URL.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from lib import profile
from tests.conftest import app_pointed_at, demo_copy

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
PROBE_STUDENT = "S100300"   # a demo grade 3 student with two years of results and attendance


@pytest.fixture(scope="module")
def demo_app(demo_db_file, tmp_path_factory):
    """One copy of the demo store shared by every page run here (warm caches keep the runs fast)."""
    path = demo_copy(demo_db_file, tmp_path_factory.mktemp("meeting_names"))
    with app_pointed_at(path):
        yield path


@pytest.fixture(scope="module")
def secrets(demo_db_file) -> dict[str, re.Pattern]:
    """Patterns for what must never be projected: student names (full and last) and ids, teacher names."""
    c = duckdb.connect(str(demo_db_file), read_only=True)
    try:
        students = c.execute("SELECT student_id, first_name, last_name FROM students").fetchall()
        teachers = c.execute("SELECT name FROM teachers WHERE NOT coalesce(show_name, FALSE)").fetchall()
    finally:
        c.close()
    assert PROBE_STUDENT in {s[0] for s in students}
    full = {f"{f} {la}" for _, f, la in students if f and la}
    last = {la for _, _, la in students if la}
    ids = {sid for sid, _, _ in students}

    def pattern(words: set[str]) -> re.Pattern:
        alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        return re.compile(rf"(?<![\w])(?:{alts})(?![\w])")

    return {"student names": pattern(full | last), "student ids": pattern(ids),
            "teacher names": pattern({t[0] for t in teachers if t[0]})}


def walk(node):
    """Every node of an AppTest element tree."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def rendered_text(at) -> str:
    """All rendered content of an AppTest run as one text (protobuf bytes decoded leniently) plus the URL."""
    parts = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "SerializeToString"):
            parts.append(proto.SerializeToString().decode("utf-8", errors="ignore"))
        # Tables also as decoded text, in case Arrow ever stores strings out of line. (A selectbox's
        # `value` is the raw option, which never reaches the browser, so widget values are not read.)
        if getattr(node, "type", "") in ("dataframe", "table", "arrow_data_frame", "arrow_table"):
            try:
                parts.append(node.value.to_csv())
            except Exception:  # noqa: BLE001 - fall back to the bytes above
                pass
    parts.append(" ".join(f"{k}={v}" for k, v in at.query_params.items()))
    return "\n".join(parts)


def leaks(text: str, secrets: dict[str, re.Pattern]) -> dict[str, list[str]]:
    """What of each kind of secret appears in the text."""
    out = {}
    for kind, pat in secrets.items():
        found = sorted(set(pat.findall(text)))
        if found:
            out[kind] = found
    return out


def run_page(script: str, params: dict[str, str]):
    """Run one page as the app does (app.py is the entry point, so page links resolve)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    if script != "app.py":
        at.switch_page(script)
    at.run()
    return at


def test_scanner_sees_every_kind_of_element():
    """A positive control: the scan finds a name wherever Streamlit can put one."""
    from streamlit.testing.v1 import AppTest

    def script():
        import altair as alt
        import pandas as pd
        import streamlit as st

        st.markdown("md Alpha")
        st.metric("Bravo", "1")
        st.dataframe(pd.DataFrame({"a": ["Charlie"]}))
        st.table(pd.DataFrame({"a": ["Delta"]}))
        st.selectbox("pick", ["x", "y"], format_func=lambda v: {"x": "Echo", "y": "Foxtrot"}[v])
        with st.expander("Golf"):
            st.write("inside")
        t1, _ = st.tabs(["Hotel", "other"])
        st.altair_chart(alt.Chart(pd.DataFrame({"n": ["India"], "v": [1]})).mark_bar().encode(x="v", y="n"))
        st.radio("r", ["Juliet"])
        st.caption("Kilo")
        st.query_params["q"] = "Lima"

    at = AppTest.from_function(script, default_timeout=60)
    at.run()
    text = rendered_text(at)
    words = "Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliet Kilo Lima".split()
    pat = {"w": re.compile("|".join(words))}
    assert set(words) - set(leaks(text, pat).get("w", [])) == set()


def test_scanner_finds_real_names_when_meeting_mode_is_off(demo_app, secrets):
    """Without meeting mode the student page shows the student's name and the grid shows names."""
    at = run_page("pages/3_Student.py", {"student": PROBE_STUDENT})
    assert not at.exception
    assert "student names" in leaks(rendered_text(at), secrets)


@pytest.mark.parametrize("script", PAGES)
def test_meeting_mode_hides_names_on_every_page(demo_app, secrets, script):
    at = run_page(script, {"meeting": "1", "student": profile.link_token(PROBE_STUDENT)})
    assert not at.exception, f"{script} failed in meeting mode: {at.exception[0].message}"
    found = leaks(rendered_text(at), secrets)
    assert not found, f"{script} shows in meeting mode: { {k: v[:10] for k, v in found.items()} }"
