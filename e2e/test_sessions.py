"""Two people using the app at the same time: both sessions run at once against the one database,
neither sees an exception, and one session's settings (meeting mode) never leak into the other."""

from __future__ import annotations

from e2e.conftest import (
    MEETING_TOGGLE,
    RUN_TIMEOUT_MS,
    VIEWPORT,
    app_pages,
    assert_no_exception,
    click_checkbox,
    meeting_on,
    rerun_wait,
    screenshot,
    wait_idle,
)

PAGES = app_pages()
# Pairs (session A, session B) loaded at the same moment: the busiest pages against each other.
PAIRS = [("Team_meeting", "Standards")]


def _new_page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    return context, context.new_page()


def test_two_sessions_at_once(browser, server):
    """Two browser sessions load pages concurrently; meeting mode in one stays out of the other."""
    known = {p.url_path for p in PAGES}
    ctx_a, a = _new_page(browser)
    ctx_b, b = _new_page(browser)
    try:
        for path_a, path_b in PAIRS:
            path_a = path_a if path_a in known else ""
            path_b = path_b if path_b in known else ""
            # Start both runs before waiting for either, so the server computes them at the same time.
            a.goto(f"{server.url}/{path_a}", wait_until="commit")
            b.goto(f"{server.url}/{path_b}?meeting=1", wait_until="commit")
            wait_idle(a)
            wait_idle(b)
            assert_no_exception(a, f"session A on /{path_a}")
            assert_no_exception(b, f"session B on /{path_b}")
            assert not meeting_on(a), "session B's meeting mode leaked into session A"
            assert meeting_on(b), "?meeting=1 did not switch meeting mode on in session B"
        # Flip meeting mode on in A and off in B at the same time: each session keeps its own state.
        click_checkbox(b.locator(MEETING_TOGGLE))
        click_checkbox(a.locator(MEETING_TOGGLE))
        rerun_wait(a)
        rerun_wait(b)
        assert meeting_on(a) and not meeting_on(b)
        assert "meeting=1" in a.url and "meeting=1" not in b.url
        assert_no_exception(a, "session A after toggling")
        assert_no_exception(b, "session B after toggling")
        screenshot(a, "two_sessions_A")
        screenshot(b, "two_sessions_B")
    finally:
        ctx_a.close()
        ctx_b.close()
