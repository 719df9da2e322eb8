"""Browser-test fixtures: a real `streamlit run app.py` on a free loopback port with a temporary demo
database, and Debian's Chromium driven by Playwright (never `playwright install`).

Every test here is marked `browser`. The suite skips (rather than fails) only when Chromium itself is
missing, so a developer without it still gets the rest of the tests; CI installs it first.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lib import demo, store

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "pages"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = os.environ.get("PLC_LENS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 720}
TALL_VIEWPORT = {"width": 1280, "height": 2400}
STARTUP_TIMEOUT = 60.0
RUN_TIMEOUT_MS = int(os.environ.get("PLC_LENS_E2E_TIMEOUT_MS", "90000"))


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder `browser`, keep them on one xdist worker in file order (they share the
    session's server, and test_z_server_logs reads its log last), and skip them all without Chromium."""
    here = Path(__file__).resolve().parent
    missing = not Path(CHROMIUM).exists()
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} not installed (CI installs it: .ci/run)"))


# --- pages -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AppPage:
    """One page of the app as Streamlit serves it."""

    file: str  # relative to the project root
    url_path: str  # "" for the home page
    label: str


def app_pages() -> list[AppPage]:
    """Home plus every file in pages/, with the URL path Streamlit derives ("2_Team_meeting" -> "Team_meeting")."""
    out = [AppPage("app.py", "", "Home")]
    for path in sorted(PAGES_DIR.glob("*.py"), key=lambda p: (_page_number(p.stem), p.stem)):
        slug = re.sub(r"^[0-9]+[_ -]*", "", path.stem)
        out.append(AppPage(f"pages/{path.name}", slug, slug.replace("_", " ")))
    return out


def _page_number(stem: str) -> int:
    m = re.match(r"^([0-9]+)", stem)
    return int(m.group(1)) if m else 10_000


# --- the demo database and the names it holds --------------------------------------------------

@dataclass
class DemoData:
    """A demo database file (never opened by the server: each server gets a copy) and the identities in it."""

    path: Path
    student_names: set[str] = field(default_factory=set)
    student_ids: set[str] = field(default_factory=set)
    assessment_titles: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> DemoData:
    """The default demo school built once with lib.demo into a temporary file, plus its names and ids."""
    path = tmp_path_factory.mktemp("e2e_demo") / "demo.duckdb"
    con = store.connect(path)
    try:
        demo.load(con)
        names = con.execute(
            "SELECT DISTINCT first_name FROM students WHERE first_name IS NOT NULL "
            "UNION SELECT DISTINCT last_name FROM students WHERE last_name IS NOT NULL"
        ).fetchall()
        ids = con.execute("SELECT student_id FROM students").fetchall()
        titles = con.execute("SELECT title FROM assessments ORDER BY administered_on DESC").fetchall()
    finally:
        con.close()
    return DemoData(path, {n for (n,) in names if len(n) >= 3}, {i for (i,) in ids}, [t for (t,) in titles])


# --- the server ----------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nobody listens on right now (loopback only)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running `streamlit run app.py` and where to reach it."""

    url: str
    db: Path
    proc: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        """What the server printed so far (for failure messages)."""
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


# Every server started in this session, so a last test can read all their logs.
STARTED: list[Server] = []


def start_server(db: Path, log: Path, extra_env: dict | None = None) -> Server:
    """Start Streamlit on a free loopback port against `db`; return once /_stcore/health answers ok."""
    port = free_port()
    env = dict(os.environ, PLC_LENS_DB=str(db), PLC_LENS_DEMO="0", PYTHONUNBUFFERED="1", **(extra_env or {}))
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    out = open(log, "wb")  # noqa: SIM115 (kept open for the life of the server)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", db, proc, log)
    STARTED.append(server)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"streamlit did not become healthy in {STARTUP_TIMEOUT}s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    """Stop the server we started, by its PID (its own process group), politely then firmly."""
    proc = server.proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _server_fixture(demo_data: DemoData, tmp_path_factory, name: str):
    folder = tmp_path_factory.mktemp(name)
    db = folder / "app.duckdb"
    shutil.copy(demo_data.path, db)
    server = start_server(db, folder / "streamlit.log")
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def server(demo_data, tmp_path_factory):
    """A server on a copy of the demo database for tests that only read."""
    yield from _server_fixture(demo_data, tmp_path_factory, "e2e_server")


@pytest.fixture(scope="module")
def writable_server(demo_data, tmp_path_factory):
    """A separate server on its own copy of the demo database, for a module whose tests write (imports)."""
    yield from _server_fixture(demo_data, tmp_path_factory, "e2e_writable")


# --- the browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, launched once for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (own cookies and Streamlit session) and page at 1280x720."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


# --- helpers used by the tests -------------------------------------------------------------------

class Leaks:
    """Collects what the server sends over the websocket so it can be searched for names."""

    def __init__(self, pg):
        self.frames: list[bytes] = []
        pg.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        ws.on("framereceived", lambda payload: self.frames.append(
            payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")))

    def reset(self) -> None:
        """Forget what was received so far."""
        self.frames.clear()

    def text(self) -> str:
        """Everything received, decoded leniently (Arrow stores strings as plain UTF-8)."""
        return b"\n".join(self.frames).decode("utf-8", "ignore")


EXCEPTION = '[data-testid="stException"]'
STATUS = '[data-testid="stStatusWidget"]'


def _app_state(pg) -> tuple[str | None, str | None]:
    """(connection state, script state) of the Streamlit app element."""
    return pg.evaluate(
        """() => { const a = document.querySelector('[data-testid="stApp"]');
                   return a ? [a.getAttribute('data-test-connection-state'),
                               a.getAttribute('data-test-script-state')] : [null, null]; }"""
    )


def _wait_skeletons(pg, soft_timeout: float = 5.0) -> None:
    """Give the browser a moment to draw elements still shown as loading placeholders (skeletons); some
    stay until scrolled into view, so this never fails."""
    deadline = time.monotonic() + soft_timeout
    while time.monotonic() < deadline and pg.locator('[data-testid="stSkeleton"]').count():
        time.sleep(0.1)


def wait_idle(pg, settle: float = 0.25, timeout: float = RUN_TIMEOUT_MS / 1000) -> None:
    """Wait until the script run is over: connected, script state `notRunning` and no running indicator,
    steadily for `settle` seconds."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        connection, script = _app_state(pg)
        idle = (connection == "CONNECTED" and script == "notRunning"
                and pg.locator(STATUS).count() == 0)
        if not idle:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settle:
            _wait_skeletons(pg)
            return
        time.sleep(0.05)
    raise AssertionError(f"the page was still running after {timeout}s ({_app_state(pg)}): {pg.url}")


def open_page(pg, server: Server, app_page: AppPage | str, query: str = "") -> None:
    """Navigate to a page (an AppPage or a URL path) and wait for its run to finish."""
    path = app_page.url_path if isinstance(app_page, AppPage) else app_page
    url = f"{server.url}/{path}" + (f"?{query}" if query else "")
    pg.goto(url, wait_until="domcontentloaded")
    wait_idle(pg)


def exceptions(pg) -> list[str]:
    """Text of every Streamlit exception element on the page (empty when the page ran cleanly)."""
    return [e.inner_text()[:2000] for e in pg.locator(EXCEPTION).all()]


def assert_no_exception(pg, what: str) -> None:
    """Fail with the exception text when the page shows a Streamlit exception element."""
    found = exceptions(pg)
    assert not found, f"{what}: Streamlit exception on {pg.url}:\n" + "\n---\n".join(found)


def screenshot(pg, name: str, tall: bool = False) -> Path:
    """Save a screenshot under e2e/screenshots/ (git-ignored) at 1280x720, or a tall full page."""
    SCREENSHOTS.mkdir(exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = SCREENSHOTS / f"{safe}{'_tall' if tall else ''}.png"
    if tall:
        old = pg.viewport_size
        pg.set_viewport_size(TALL_VIEWPORT)
        time.sleep(0.5)  # let charts reflow to the new size
        pg.screenshot(path=str(path), full_page=True)
        pg.set_viewport_size(old)
    else:
        pg.screenshot(path=str(path))
    return path


MEETING_TOGGLE = '[data-testid="stSidebar"] [data-testid="stCheckbox"]:has-text("Meeting mode")'


def open_sidebar(pg) -> None:
    """Expand the sidebar when it is collapsed (meeting mode starts with it closed)."""
    box = pg.locator('[data-testid="stSidebar"]').bounding_box()
    button = pg.locator('[data-testid="stExpandSidebarButton"]')
    if (box is None or box["width"] < 10 or box["x"] < 0) and button.count():
        button.first.click()
        pg.wait_for_function(
            """() => { const s = document.querySelector('[data-testid="stSidebar"]');
                       return s && s.getBoundingClientRect().x >= 0 && s.getBoundingClientRect().width > 10; }""")
        time.sleep(0.3)  # the slide-in animation


def click_checkbox(checkbox) -> None:
    """Flip a Streamlit checkbox/toggle by clicking its label text (the input itself is visually hidden)."""
    if checkbox.first.evaluate("e => !!e.closest('[data-testid=\"stSidebar\"]')"):
        open_sidebar(checkbox.page)
    label = checkbox.locator('[data-testid="stWidgetLabel"]')
    (label.first if label.count() else checkbox).click()


def meeting_on(pg) -> bool:
    """Whether the sidebar's meeting-mode toggle is on."""
    box = pg.locator(MEETING_TOGGLE).locator("input")
    # On a loaded machine the sidebar can render a moment after the page reports idle.
    deadline = time.time() + 20
    while box.count() == 0 and time.time() < deadline:
        time.sleep(0.25)
    return box.count() > 0 and box.first.is_checked()


def rerun_wait(pg) -> None:
    """After touching a widget: give Streamlit a moment to start the rerun, then wait for it to end."""
    time.sleep(0.3)
    wait_idle(pg)
