"""Import page under AppTest: upload through the file uploader, preview, confirm, history, undo, demo removal."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib import meeting, store
from lib.formats import scale
from tests.conftest import app_test

GOOD = ("Student ID,Student Name,Assessment,Item,Standard,Points Earned,Points Possible\n"
        "S1,Ann Lee,CFA 9,1,3.OA.A.1,1,1\nS2,Ben Ode,CFA 9,1,3.OA.A.1,0,1\nS3,Cy Po,CFA 9,1,3.OA.A.1,x,1\n")


def upload(at, name: str, data: bytes):
    """Put one file in the page's uploader and rerun."""
    at.file_uploader[0].set_value((name, data, "text/csv"))
    return at.run()


def test_upload_preview_confirm_and_undo(app_db):
    at = app_test("pages/1_Import.py").run()
    assert not at.exception
    at = upload(at, "cfa9.csv", GOOD.encode())
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows in file"], metrics["Will load"], metrics["Will be rejected"]) == ("3", "2", "1")
    rejected = at.dataframe[0].value
    assert rejected["reason"].tolist() == ["points earned 'x' is not a number"]
    assert "Long results" in " ".join(m.value for m in at.markdown)
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert "2 of 3 rows loaded, 1 rejected" in at.success[0].value
    history = at.dataframe[0].value
    assert history["status"].tolist() == ["loaded"] and history["rows_loaded"].tolist() == [2]
    at.button(key="import_undo").click().run()
    assert not at.exception
    assert any("undone" in s.value for s in at.success)
    assert at.dataframe[0].value["status"].tolist() == ["undone"]


def test_cancel_and_strict(app_db):
    at = app_test("pages/1_Import.py").run()
    at = upload(at, "cfa9.csv", GOOD.encode())
    at.button(key="import_cancel").click().run()
    assert not at.exception and not at.metric
    at = upload(at, "cfa9.csv", GOOD.encode())
    at.checkbox(key="import_strict").check().run()
    at.button(key="import_confirm").click().run()
    assert "refused by strict mode" in at.error[0].value


def test_bad_file_shows_clear_error_and_mapping(app_db):
    at = app_test("pages/1_Import.py").run()
    at = upload(at, "odd.csv", b"Kid,Quiz,Pts,Of\nS1,Q7,1,2\n")
    assert "layout was not recognised" in at.error[0].value
    for n, field in enumerate(["student_id", "assessment", "points_earned", "points_possible"]):
        at.selectbox(key=f"import_map_0_{n}").select(field)
    at.button(key="import_map_apply_0").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Will load"] == "1"


def test_remove_demo(app_demo_db):
    at = app_test("pages/1_Import.py").run()
    at.button(key="import_remove_demo").click().run()
    assert not at.exception
    assert "Demo data removed" in at.success[0].value


# --- scale-score levels: what counts as proficient ---------------------------------------------------

STAR = (Path(__file__).parent / "fixtures" / "formats" / "star_enterprise_report.csv").read_text()
LEVELS = "Scale-score levels: what counts as proficient"


def star_headline(path) -> tuple[dict, pd.DataFrame]:
    """The team-meeting headline of the one stored Star test and the Star overall mapping, read from the file."""
    c = store.connect(path)
    try:
        aid = store.fetch_value(c, "SELECT assessment_id FROM scale_assessments WHERE vendor = 'star'")
        m = scale.level_mapping(c)
        return meeting.headline(c, aid), m[(m["vendor"] == "star") & (m["scope"] == "overall")]
    finally:
        c.close()


def test_level_editor_changes_what_counts_as_proficient(app_db):
    """Import a Star file, tick 'On Watch' as proficient, save: the mapping and the team-meeting number change."""
    at = app_test("pages/1_Import.py").run()
    assert LEVELS not in [e.label for e in at.expander]  # no vendor data: no section
    at = upload(at, "star.csv", STAR.encode())
    at.button(key="import_confirm").click().run()
    assert not at.exception
    assert LEVELS in [e.label for e in at.expander]
    head, _ = star_headline(app_db)
    assert (head["assessed"], head["proficient"]) == (3, 1)
    shown = at.data_editor(key="import_levels_editor_star").value
    assert shown["level"].tolist() == ["Urgent Intervention", "On Watch", "At/Above Benchmark"]
    assert shown["proficient"].tolist() == [False, False, True]
    row = shown["level"].tolist().index("On Watch")
    at.session_state["import_levels_editor_star"] = {"edited_rows": {row: {"proficient": True}},
                                                     "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="import_levels_save").click().run()
    assert not at.exception
    text = " ".join(s.value for s in at.success)
    assert "Saved 1 level word. Results of 1 student changed: 1 result now proficient (" in text
    assert "1 → 2" in text
    head, mapping = star_headline(app_db)
    assert (head["assessed"], head["proficient"]) == (3, 2)
    assert mapping.set_index("level").at["On Watch", "proficient"]
    assert at.data_editor(key="import_levels_editor_star").value["proficient"].tolist() == [False, True, True]


def test_undecided_level_words_are_listed_and_mapped_on_save(app_db):
    """A benchmark category nothing decides (no percentile either) is named in a warning, decided by saving."""
    odd = STAR.replace("402,30,Fall,On Watch", "402,,Fall,Watch List")
    assert odd != STAR
    at = app_test("pages/1_Import.py").run()
    at = upload(at, "star.csv", odd.encode())
    at.button(key="import_confirm").click().run()
    assert "'Watch List' (1 result)" in " ".join(w.value for w in at.warning)
    shown = at.data_editor(key="import_levels_editor_star").value
    assert shown.set_index("level").at["Watch List", "note"] == "not decided yet"
    head, _ = star_headline(app_db)
    assert (head["assessed"], head["proficient"]) == (2, 1)  # the undecided result counts nowhere
    at.button(key="import_levels_save").click().run()
    assert not at.exception and not at.warning
    assert "1 undecided result now not proficient" in at.success[-1].value
    head, mapping = star_headline(app_db)
    assert (head["assessed"], head["proficient"]) == (3, 1)
    assert not mapping.set_index("level").at["Watch List", "proficient"]
