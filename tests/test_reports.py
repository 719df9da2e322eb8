"""Reports: formula-safe CSV/XLSX, chart PNGs, and the PDF meeting report (opened with pypdf)."""

from __future__ import annotations

import io
import re

import altair as alt
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from lib import meeting, privacy, reports, store
from tests import trends_fixtures as tf


@pytest.fixture
def tiny(con):
    """The hand-worked grade 3 Math school."""
    return tf.tiny_school(con)


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    """The parsed PDF and all its text."""
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(p.extract_text() or "" for p in reader.pages)


def n_images(reader: PdfReader) -> int:
    return sum(len(p.images) for p in reader.pages)


# --- tables and charts ---------------------------------------------------------------------------

def test_csv_is_formula_safe():
    text = reports.csv_bytes(pd.DataFrame({"name": ["=1+1", "Ann", "@SUM(A1)"]})).decode("utf-8-sig")
    assert "'=1+1" in text and "'@SUM(A1)" in text and "\nAnn" in text


def test_workbook_has_a_safe_sheet_per_table():
    tables = {"By grade": pd.DataFrame({"a": [1, 2]}), "by grade": pd.DataFrame({"b": ["-cmd"]}),
              "x" * 40: pd.DataFrame({"when": pd.to_datetime(["2026-01-01"]).tz_localize("UTC")})}
    wb = load_workbook(io.BytesIO(reports.workbook(tables)))
    assert wb.sheetnames == ["By grade", "by grade (2)", "x" * 31]
    assert wb["by grade (2)"]["A2"].value == "'-cmd"
    assert wb["By grade"]["A3"].value == 2


def test_xlsx_bytes_round_trip():
    wb = load_workbook(io.BytesIO(reports.xlsx_bytes(pd.DataFrame({"v": ["+x"]}), "s")))
    assert wb["s"]["A2"].value == "'+x"


def test_chart_png_renders_without_a_browser():
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_bar().encode(x="x:Q", y="y:Q").properties(
        width="container", height=120)
    png = reports.chart_png(chart, width=400, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    w, h = Image.open(io.BytesIO(png)).size
    assert 400 <= w <= 520 and 120 <= h <= 220


def test_chart_spec_replaces_container_width():
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").properties(width="container")
    layered = chart + chart
    spec = reports.chart_spec(layered, width=333)
    assert "container" not in str(spec) and spec["width"] == 333


# --- the PDF meeting report -----------------------------------------------------------------------

@pytest.mark.parametrize("meeting_mode", [False, True])
def test_meeting_pdf_hand_worked(tiny, meeting_mode):
    """B1: 2 of 5 proficient (40%), 1 not assessed; by-standard chart embedded; names per meeting mode."""
    data = reports.meeting_pdf(tiny, "B1", meeting_mode)
    assert data[:5] == b"%PDF-"
    reader, text = pdf_text(data)
    assert len(reader.pages) >= 1 and n_images(reader) >= 1
    h = meeting.headline(tiny, "B1")
    assert (h["proficient"], h["assessed"], h["not_assessed"]) == (2, 5, 1)
    assert "40%" in text and "proficient: 2 of 5" in text and "Results by standard" in text
    assert "3.NF.A.1" in text and "3.OA.A.1" in text
    names = [f"{s['first_name']} {s['last_name']}" for s in tf.TINY_STUDENTS]
    if meeting_mode:
        for s in tf.TINY_STUDENTS:
            assert not re.search(rf"\b({s['first_name']}|{s['last_name']})\b", text)
        assert privacy.pseudonym("s1") in text
        assert "Ms. One" not in text and "Teacher A" in text
        assert "names hidden" in text
    else:
        assert "Ada Quill" in text and "Ed Umber" in text  # Ed is listed as not assessed
        assert "Ms. One" in text
        assert any(n in text for n in names)


def test_meeting_pdf_initials_style(tiny):
    _, text = pdf_text(reports.meeting_pdf(tiny, "B1", True, name_style="initials"))
    assert "A.Q." in text and "Quill" not in text


def test_meeting_pdf_groups_match_the_team_meeting(tiny):
    """Per standard, the intervention/extension counts are those of meeting.groups."""
    _, text = pdf_text(reports.meeting_pdf(tiny, "B2", False))
    grp = meeting.groups(meeting.student_scores(tiny, "B2"))
    for code, block in grp.groupby("standard_code"):
        need = int((block["group"] == meeting.INTERVENTION).sum())
        ready = int((block["group"] == meeting.EXTENSION).sum())
        assert f"{code}: {need} need support, {ready} ready for extension" in text


def test_meeting_pdf_on_demo_has_both_charts_and_the_team_numbers(demo_con):
    aid = "A2025-3-M-b02"
    data = reports.meeting_pdf(demo_con, aid, True)
    reader, text = pdf_text(data)
    assert n_images(reader) == 2  # by standard, teacher comparison
    h = meeting.headline(demo_con, aid)
    assert f"{h['pct']:.0%}" in text and f"proficient: {h['proficient']} of {h['assessed']}" in text
    names = store.fetch_df(demo_con, "SELECT DISTINCT last_name FROM students")["last_name"]
    assert not [n for n in names if n in text]
    teachers = store.fetch_df(demo_con, "SELECT name FROM teachers")["name"]
    assert not [t for t in teachers if t in text]


def test_meeting_pdf_unknown_assessment(tiny):
    with pytest.raises(ValueError):
        reports.meeting_pdf(tiny, "NOPE", False)


def test_meeting_pdf_name(tiny):
    assert reports.meeting_pdf_name(tiny, "B1") == "meeting_report_gr-3-math-boy-benchmark.pdf"


@pytest.mark.parametrize("kind", ["no items (results per standard)", "no teachers", "a single student"])
def test_meeting_pdf_on_stores_that_lack_parts(con, kind):
    tf.sparse_store(con, **tf.SPARSE_KINDS[kind])
    reader, text = pdf_text(reports.meeting_pdf(con, "E1", False))
    assert len(reader.pages) >= 1 and "Results by standard" in text
    if kind == "no teachers":
        assert "no teacher-by-teacher comparison" in text


def test_meeting_pdf_with_no_results_yet(con):
    iid = tf.begin_import(con)
    tf.insert(con, "assessments", [dict(assessment_id="Z", title="Not given yet", subject="Math")], iid)
    _, text = pdf_text(reports.meeting_pdf(con, "Z", False))
    assert "No results by standard" in text and "No student has a result" in text


def test_meeting_pdf_without_unicode_fonts(tiny, monkeypatch):
    """On a machine without DejaVu the core font is used and accents are simplified, not crashed on."""
    tiny.execute("UPDATE students SET first_name = 'Zoë', last_name = 'Nguyễn' WHERE student_id = 's1'")
    monkeypatch.setattr(reports, "_font_files", lambda: None)
    _, text = pdf_text(reports.meeting_pdf(tiny, "B1", False))
    assert "Zoe Nguyen" in text


def test_meeting_pdf_for_a_whole_district_gives_counts_not_lists(tiny, monkeypatch):
    """Past one team's size the report asks for a school instead of listing thousands of names."""
    monkeypatch.setattr(reports, "MAX_LISTED", 2)
    monkeypatch.setattr(reports, "MAX_CLASSES", 1)
    _, text = pdf_text(reports.meeting_pdf(tiny, "B2", False))
    assert "too many to list" in text and "too many for one team" in text
    assert "Ada Quill" not in text
    assert "3.NF.A.1: 4 need support, 1 ready for extension" in text


def test_meeting_pdf_for_a_vendor_test_speaks_in_levels(tmp_path):
    """A MAP test's report names the vendor scale and levels, never 'cut 100% of points'."""

    from tests.formats_util import map_two_terms

    path = map_two_terms(tmp_path / "map.duckdb")
    con = store.connect(path)
    try:
        aid = store.fetch_value(con, "SELECT assessment_id FROM assessments WHERE title LIKE '%Winter%'")
        data = reports.meeting_pdf(con, aid, meeting=False)
    finally:
        con.close()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "NWEA MAP scale scores (RIT)" in text and "vendor's levels" in text
    assert "100% of points" not in text and "below a proficient level" in text
