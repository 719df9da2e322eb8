"""Import page under AppTest: upload through the file uploader, preview, confirm, history, undo, demo removal."""

from __future__ import annotations

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
