"""An import killed with SIGKILL part-way (power cut, OOM killer, closed laptop) leaves the database
with all of that import or none of it, and the file opens afterwards — in the store and in the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import streamlit as st

from lib import store
from tests.conftest import app_test
from tests.snapshots import snapshot

ingest = pytest.importorskip("lib.ingest")

ROOT = Path(__file__).resolve().parent.parent
N_STUDENTS, N_ITEMS = 4000, 20  # 80,000 rows: long enough that a kill lands inside the write

CHILD = textwrap.dedent("""
    import sys, time
    from lib import ingest, store
    db, path, pause_at = sys.argv[1:4]
    con = store.connect(db)
    def progress(frac, text):
        print(f"PROGRESS {frac:.2f} {text}", flush=True)
        if pause_at != "-" and pause_at in text:
            print("PAUSED", flush=True)
            time.sleep(120)
    res = ingest.import_paths(con, [path], progress=progress)
    print("DONE", res[0].status, res[0].rows_loaded, flush=True)
    time.sleep(120)
""")


def _results_csv(path: Path) -> int:
    """A long results file for one new assessment; returns its number of data rows."""
    lines = ["Student ID,First Name,Last Name,Grade,Teacher,Assessment,Test Date,Item,Standard,Score,"
             "Points Possible,Subject"]
    for s in range(N_STUDENTS):
        for i in range(1, N_ITEMS + 1):
            lines.append(f"K{s:05d},Kay{s},Crash{s % 97},4,Teacher {s % 8},Crash test quiz,2026-11-03,{i},"
                         f"4.NF.A.{i % 3 + 1},{(s + i) % 2},1,Math")
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


@pytest.fixture(scope="module")
def crash_files(tmp_path_factory):
    """A small base database (one earlier import) and the big results file to import into it."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.duckdb"
    con = store.connect(base)
    seed = folder / "seed.csv"
    seed.write_text("Student ID,First Name,Last Name,Assessment,Item,Score,Points Possible\n"
                    + "".join(f"P{s},Pre{s},Existing,Seed quiz,{i},1,1\n" for s in range(30) for i in (1, 2)))
    assert ingest.import_paths(con, [seed])[0].status == "loaded"
    con.close()
    results = folder / "results.csv"
    rows = _results_csv(results)
    return base, results, rows


def _snapshot(path: Path) -> dict:
    con = store.connect(path)
    try:
        return snapshot(con)
    finally:
        con.close()


def _run_and_kill(db: Path, csv: Path, pause_at: str | None, after_seconds: float | None) -> list[str]:
    """Run an import in a child process and SIGKILL it when it pauses at `pause_at` (or after a delay)."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(csv), pause_at or "-"], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    started = time.monotonic()
    try:
        if after_seconds is not None:
            time.sleep(after_seconds)
        else:
            for line in proc.stdout:
                lines.append(line.strip())
                if line.startswith(("PAUSED", "DONE")):
                    break
                assert time.monotonic() - started < 120, "the child import never reached the pause point"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stdout:
            rest = proc.stdout.read()
            lines.extend(x.strip() for x in rest.splitlines())
            proc.stdout.close()
    assert proc.returncode in (-signal.SIGKILL, 0, None) or after_seconds is not None, lines
    return lines


def _assert_all_or_none(db: Path, before: dict, rows: int) -> str:
    """The store opens; it holds either none of the import (data as before, no loaded import row) or
    all of it (every row and a loaded import row). Returns "none" or "all"."""
    con = store.connect(db)
    try:
        # The tables kept for speed (stored scores, rosters) agree with the data either way.
        assert store.stale_derived(con) == {}
        after = snapshot(con)
        loaded = con.execute("SELECT import_id, rows_loaded FROM imports WHERE filename = 'results.csv' "
                             "AND status = 'loaded'").fetchall()
        if after == before:
            assert loaded == [], "an import row says loaded but none of its data is there"
            return "none"
        assert len(loaded) == 1, f"data changed but the import log says {loaded}"
        import_id = loaded[0][0]
        n = con.execute("SELECT count(*) FROM responses WHERE import_id = ?", [import_id]).fetchone()[0]
        assert n == rows, f"partial import: {n} of {rows} responses"
        for table, old in before.items():
            assert set(old) <= set(after[table]), f"rows of {table} from before the import are gone"
        return "all"
    finally:
        con.close()


@pytest.mark.parametrize("pause_at", ["Writing students", "Writing teachers", "responses"])
def test_kill_inside_the_transaction_leaves_none(crash_files, tmp_path, pause_at):
    """Killed after part of the import is written inside its transaction: none of it survives."""
    base, results, rows = crash_files
    db = tmp_path / "db.duckdb"
    db.write_bytes(base.read_bytes())
    before = _snapshot(db)
    lines = _run_and_kill(db, results, pause_at, None)
    assert any(x.startswith("PAUSED") for x in lines), lines[-5:]
    assert _assert_all_or_none(db, before, rows) == "none"


def test_kill_after_commit_keeps_all(crash_files, tmp_path):
    """Killed right after the commit returned (before any checkpoint): all of it survives the restart."""
    base, results, rows = crash_files
    db = tmp_path / "db.duckdb"
    db.write_bytes(base.read_bytes())
    before = _snapshot(db)
    lines = _run_and_kill(db, results, None, None)
    assert any(x.startswith("DONE loaded") for x in lines), lines[-5:]
    assert _assert_all_or_none(db, before, rows) == "all"


@pytest.mark.parametrize("after", [1.5, 3.5])
def test_kill_at_an_arbitrary_moment(crash_files, tmp_path, after):
    """Killed at a moment chosen by the clock, wherever the import is: all or none, never part."""
    base, results, rows = crash_files
    db = tmp_path / "db.duckdb"
    db.write_bytes(base.read_bytes())
    before = _snapshot(db)
    _run_and_kill(db, results, None, after)
    _assert_all_or_none(db, before, rows)


def test_app_opens_after_a_crash(crash_files, tmp_path, monkeypatch):
    """After a kill mid-import the home page runs on the file without an exception."""
    base, results, _ = crash_files
    db = tmp_path / "db.duckdb"
    db.write_bytes(base.read_bytes())
    _run_and_kill(db, results, "responses", None)
    monkeypatch.setenv("PLC_LENS_DB", str(db))
    monkeypatch.setenv("PLC_LENS_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = app_test("app.py")
        at.run()
        assert not at.exception, at.exception
        assert "30" in " ".join(str(m.value) for m in at.metric)  # the 30 students from before
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
