"""Every page, in a real browser, on demo data: it loads without an exception, its main controls work,
and screenshots are saved for a person to look at (e2e/screenshots/, git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.conftest import (
    app_pages,
    assert_no_exception,
    click_checkbox,
    open_page,
    open_sidebar,
    rerun_wait,
    screenshot,
    wait_idle,
)

PAGES = app_pages()


def _main(pg):
    return pg.locator('[data-testid="stMain"]')


def _choose_option(pg, selectbox, index: int) -> bool:
    """Open a Streamlit selectbox and pick the option at `index`; False when it has too few options.
    A click that lands while a rerun redraws the widget does not open the list, so it is retried."""
    options = pg.locator('[role="listbox"] [role="option"]')
    for _attempt in range(3):
        wait_idle(pg)
        if selectbox.evaluate("e => !!e.closest('[data-testid=\"stSidebar\"]')"):
            open_sidebar(pg)
        target = selectbox.locator('[data-baseweb="select"]')
        (target.first if target.count() else selectbox).click()
        try:
            options.first.wait_for(timeout=5000)
            break
        except Exception:
            pg.keyboard.press("Escape")
    else:
        return False
    n = options.count()
    if n <= index:
        pg.keyboard.press("Escape")
        return False
    options.nth(index).click()
    return True


TABBED = {"Team_meeting", "School_trends", "Standards", "Goals"}


def exercise_generic_controls(pg, label: str, max_each: int = 3) -> int:
    """Use the page's visible main-area controls: pick another option in selectboxes, click every tab,
    flip toggles/checkboxes, and check the page after each; returns how many controls were used."""
    used = 0
    main = _main(pg)
    for i in range(min(main.locator('[data-testid="stSelectbox"]').count(), max_each)):
        box = main.locator('[data-testid="stSelectbox"]').nth(i)
        if not box.is_visible() or box.locator("input[disabled]").count():
            continue
        if _choose_option(pg, box, 1):
            used += 1
            rerun_wait(pg)
            assert_no_exception(pg, f"{label}: selectbox {i}")
    tabs = main.locator('[data-testid="stTab"]')
    for i in range(tabs.count()):
        tab = tabs.nth(i)
        if tab.is_visible():
            tab.click()  # the page reruns to draw the tab it opens (lib.ui.tabs)
            used += 1
            rerun_wait(pg)
            assert_no_exception(pg, f"{label}: tab {i}")
            assert tab.get_attribute("aria-selected") == "true", f"{label}: tab {i} did not open"
            panel = main.locator('[role="tabpanel"]:visible')
            assert panel.count() and panel.first.inner_text().strip(), f"{label}: tab {i} drew nothing"
            screenshot(pg, f"{Path(label).stem}_tab_{i}")
    boxes = main.locator('[data-testid="stCheckbox"]')
    for i in range(min(boxes.count(), max_each)):
        box = boxes.nth(i)
        if box.is_visible() and not box.locator("input[disabled]").count():
            click_checkbox(box)
            used += 1
            rerun_wait(pg)
            assert_no_exception(pg, f"{label}: checkbox/toggle {i}")
    radios = main.locator('[data-testid="stRadio"]')
    for i in range(min(radios.count(), max_each)):
        options = radios.nth(i).locator('label:has(input[type="radio"])')
        if options.count() > 1 and options.nth(1).is_visible():
            options.nth(1).click()
            used += 1
            rerun_wait(pg)
            assert_no_exception(pg, f"{label}: radio {i}")
    return used


@pytest.mark.parametrize("app_page", PAGES, ids=[p.label for p in PAGES])
def test_page_loads_and_its_controls_work(page, server, app_page):
    """The page runs to the end on demo data with a heading and no exception; then its selectboxes, tabs,
    toggles and radios are used, each rerun clean. Screenshots before (1280x720 and tall) and after."""
    open_page(page, server, app_page)
    assert_no_exception(page, app_page.file)
    assert page.locator("h1, h2").count() >= 1, f"{app_page.file} shows no heading"
    screenshot(page, app_page.label)
    screenshot(page, app_page.label, tall=True)
    if app_page.url_path in TABBED:  # these pages draw one tab at a time (lib.ui.tabs)
        assert page.locator('[data-testid="stTab"]').count() >= 4, f"{app_page.file}: no tabs found"
    exercise_generic_controls(page, app_page.file, max_each=1)
    assert_no_exception(page, app_page.file)
    screenshot(page, f"{app_page.label}_after_controls")


def test_sidebar_filter_changes_the_page(page, server):
    """Choosing a grade in the shared sidebar filters reruns the page cleanly and lands in the URL."""
    target = next((p for p in PAGES if p.url_path == "Team_meeting"), PAGES[0])
    open_page(page, server, target)
    sidebar = page.locator('[data-testid="stSidebar"]')
    boxes = sidebar.locator('[data-testid="stSelectbox"]')
    if boxes.count() == 0:
        pytest.skip(f"{target.file} shows no sidebar filters yet")
    grade = sidebar.locator('[data-testid="stSelectbox"]:has-text("Grade")')
    box = grade.first if grade.count() else boxes.first
    assert _choose_option(page, box, 1)
    rerun_wait(page)
    assert_no_exception(page, f"{target.file}: sidebar filter")
    assert "?" in page.url, f"the filter did not reach the URL: {page.url}"


def test_page_links_navigate(page, server):
    """The home page's links point at real pages, and following one opens it without an exception."""
    open_page(page, server, PAGES[0])
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stPageLink"] a')
    links = page.locator('[data-testid="stMain"] [data-testid="stPageLink"] a')
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    known = {p.url_path for p in PAGES}
    assert hrefs and {h.strip("/").split("?")[0] for h in hrefs if h} <= known, hrefs
    links.first.click()
    page.wait_for_url(lambda url: url.rstrip("/") != server.url)
    rerun_wait(page)
    assert_no_exception(page, f"after following the link to {page.url}")
