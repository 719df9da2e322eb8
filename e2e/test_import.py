"""The Import page in a real browser: a CSV goes through the real uploader, the preview says exactly
what will load and what will be rejected, the confirmed import shows up in the team meeting view, and
undo takes it away again. Runs on its own server (it writes)."""

from __future__ import annotations

import pytest

from e2e.conftest import Leaks, assert_no_exception, open_page, rerun_wait, screenshot

ingest = pytest.importorskip("lib.ingest")

TITLE = "E2E upload quiz"
N_STUDENTS = 12
NAMES = [("Philippa", "Upload"), ("Barnaby", "Browser")]


def _csv(tmp_path):
    lines = ["Student ID,First Name,Last Name,Grade,Teacher,Assessment,Subject,Test Date,Item,Standard,Score,"
             "Points Possible"]
    for s in range(N_STUDENTS):
        first, last = NAMES[s % 2]
        for item in (1, 2):
            lines.append(f"E2E{s:03d},{first}{s},{last},3,Ms. Upload,{TITLE},Math,2026-11-19,{item},3.OA.A.1,"
                         f"{(s + item) % 2},1")
    lines.append("E2E999,Bad,Row,3,Ms. Upload,E2E upload quiz,Math,2026-11-19,1,3.OA.A.1,lots,1")
    path = tmp_path / "e2e_upload.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _metric(pg, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]', has=pg.locator('[data-testid="stMetricLabel"]', has_text=label))
    return box.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_upload_preview_confirm_appears_and_undo(page, writable_server, tmp_path):
    """Upload -> preview (24 load, 1 rejected and why) -> confirm -> result -> the team meeting view shows
    the new assessment with 12 students -> undo removes it."""
    server = writable_server
    leaks = Leaks(page)  # the rejects table draws on canvas: read what the server sent
    open_page(page, server, "Import")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(_csv(tmp_path)))
    page.get_by_text("Preview", exact=True).first.wait_for()
    rerun_wait(page)
    assert_no_exception(page, "Import preview")
    assert _metric(page, "Rows in file") == str(2 * N_STUDENTS + 1)
    assert _metric(page, "Will load") == str(2 * N_STUDENTS)
    assert _metric(page, "Will be rejected") == "1"
    assert "not a number" in leaks.text(), "the preview does not say why the row is rejected"
    screenshot(page, "Import_preview")
    screenshot(page, "Import_preview", tall=True)

    page.locator(".st-key-import_confirm button").click()
    page.get_by_text(f"{2 * N_STUDENTS} of {2 * N_STUDENTS + 1} rows loaded").first.wait_for()
    rerun_wait(page)
    assert_no_exception(page, "Import result")
    screenshot(page, "Import_result")

    aid = ingest.assessment_key(TITLE, "Math", "3")
    open_page(page, server, "Team_meeting", query=f"assessment={aid}")
    assert_no_exception(page, "Team meeting on the uploaded assessment")
    shown = page.inner_text("body") + " ".join(
        page.locator('[data-testid="stMain"] input').evaluate_all("els => els.map(e => e.value || '')"))
    assert TITLE in shown, "the uploaded assessment is not the one shown in the team meeting view"
    assert _metric(page, "Students assessed") == str(N_STUDENTS)
    screenshot(page, "Team_meeting_uploaded")

    open_page(page, server, "Import")
    page.locator(".st-key-import_undo button").click()
    page.get_by_text("undone").first.wait_for()
    rerun_wait(page)
    assert_no_exception(page, "Import undo")


def test_unreadable_upload_is_refused_on_screen(page, writable_server, tmp_path):
    """A file that is not a table gets a plain refusal in the preview, no exception, and no confirm."""
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    open_page(page, writable_server, "Import")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
    page.get_by_text("Preview", exact=True).first.wait_for()
    rerun_wait(page)
    assert_no_exception(page, "Import of a binary file")
    assert page.locator('[data-testid="stAlertContainer"]').count() >= 1
    assert page.locator(".st-key-import_confirm button").is_disabled()
    screenshot(page, "Import_refused")
