"""Eight threads run the pages' query functions on the app's one connection (each query on its own
cursor, as Streamlit sessions do) while an import writes through the same connection: no errors, and
every result is exactly the one that query gives when run alone (no rows from another query)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from lib import queries

ingest = pytest.importorskip("lib.ingest")
meeting = pytest.importorskip("lib.meeting")
profile = pytest.importorskip("lib.profile")
explorer = pytest.importorskip("lib.standards_explorer")

THREADS = 8
CALLS_PER_THREAD = 25


def _tasks(con) -> list[tuple[str, object]]:
    """(label, fn(con) -> DataFrame) for queries whose answer the import below cannot change: the
    demo's assessments, students and standards (the import brings a new grade-9 assessment)."""
    aids = [r[0] for r in con.execute(
        "SELECT assessment_id FROM assessments ORDER BY administered_on DESC, assessment_id LIMIT 4").fetchall()]
    sids = [r[0] for r in con.execute("SELECT student_id FROM students ORDER BY student_id LIMIT 3").fetchall()]
    codes = [r[0] for r in con.execute(
        "SELECT DISTINCT standard_code FROM items WHERE standard_code IS NOT NULL ORDER BY 1 LIMIT 2").fetchall()]
    tasks: list[tuple[str, object]] = []
    for aid in aids:
        tasks += [
            (f"headline {aid}", lambda c, a=aid: pd.DataFrame([meeting.headline(c, a)])),
            (f"by_standard {aid}", lambda c, a=aid: meeting.by_standard(c, a)),
            (f"student_scores {aid}", lambda c, a=aid: meeting.student_scores(c, a)),
            (f"item_analysis {aid}", lambda c, a=aid: meeting.item_analysis(c, a)),
            (f"assessment_info {aid}", lambda c, a=aid: pd.DataFrame([meeting.assessment_info(c, a)])),
        ]
    for sid in sids:
        tasks += [
            (f"standard_history {sid}", lambda c, s=sid: profile.standard_history(c, s)),
            (f"attendance {sid}", lambda c, s=sid: profile.attendance(c, s)),
        ]
    for code in codes:
        tasks += [
            (f"explorer summary {code}", lambda c, k=code: explorer.summary(c, (k,))),
            (f"explorer by_teacher {code}", lambda c, k=code: explorer.by_teacher(c, (k,))),
        ]
    tasks.append(("teacher_names", lambda c: queries.run(c, "teacher_names")))
    return tasks


def _import_file(path: Path, students: int = 3000, items: int = 20) -> int:
    lines = ["Student ID,First Name,Last Name,Grade,Teacher,Assessment,Test Date,Item,Standard,Score,"
             "Points Possible,Subject"]
    for s in range(students):
        for i in range(1, items + 1):
            lines.append(f"C{s:05d},Cee{s},Thread{s % 50},9,Teacher Nine {s % 6},Concurrency quiz,2026-11-18,{i},"
                         f"9.CC.{i % 4 + 1},{(s * i) % 2},1,Math")
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def test_queries_in_threads_while_an_import_runs(demo_con, tmp_path):
    """8 threads x 25 calls on cursors of one connection during an 60,000-row import: no errors and
    every result equal to the same query run alone."""
    con = demo_con
    tasks = _tasks(con)
    expected = {label: fn(con) for label, fn in tasks}
    csv = tmp_path / "concurrent.csv"
    rows = _import_file(csv)

    errors: list[str] = []
    mismatches: list[str] = []
    calls = [0] * THREADS
    during_import = [0]
    importing = threading.Event()
    start = threading.Barrier(THREADS + 1)

    def worker(k: int) -> None:
        rng = random.Random(k)
        start.wait()
        for _ in range(CALLS_PER_THREAD):
            label, fn = rng.choice(tasks)
            try:
                got = fn(con)
            except Exception as exc:  # noqa: BLE001 (every error is a finding)
                errors.append(f"{label}: {type(exc).__name__}: {exc}")
                continue
            calls[k] += 1
            if importing.is_set():
                during_import[0] += 1
            try:
                pd.testing.assert_frame_equal(got.reset_index(drop=True), expected[label].reset_index(drop=True),
                                              check_dtype=False)
            except AssertionError as exc:
                mismatches.append(f"{label}: {str(exc)[:300]}")

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(THREADS)]
    for t in threads:
        t.start()
    start.wait()
    importing.set()
    t0 = time.monotonic()
    results = ingest.import_paths(con, [csv])
    import_seconds = time.monotonic() - t0
    importing.clear()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a query thread hung"

    assert not errors, f"{len(errors)} query errors during the import, e.g. {errors[:3]}"
    assert not mismatches, f"{len(mismatches)} results differed from the query run alone, e.g. {mismatches[:3]}"
    assert sum(calls) == THREADS * CALLS_PER_THREAD
    assert results[0].status == "loaded" and results[0].rows_loaded == rows, results
    assert con.execute("SELECT count(*) FROM responses WHERE student_id LIKE 'C%' AND import_id = ?",
                       [results[0].import_id]).fetchone()[0] == rows
    # The import took long enough for the threads to overlap it (otherwise this proves little).
    assert import_seconds > 0.2 and during_import[0] > 0, (import_seconds, during_import[0])


def test_import_and_undo_are_invisible_until_committed(demo_con, tmp_path):
    """A reader polling counts on its own cursor never sees part of an import: only before or after."""
    con = demo_con
    csv = tmp_path / "visible.csv"
    rows = _import_file(csv, students=2000, items=10)
    before = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    seen: set[int] = set()
    done = threading.Event()
    failures: list[str] = []

    def reader() -> None:
        cur = con.cursor()
        try:
            while not done.is_set():
                seen.add(cur.execute("SELECT count(*) FROM responses").fetchone()[0])
        except Exception as exc:  # noqa: BLE001
            failures.append(repr(exc))
        finally:
            cur.close()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    (result,) = ingest.import_paths(con, [csv])
    from lib import store

    store.undo_import(con, result.import_id)
    done.set()
    t.join(timeout=60)
    assert not failures, failures
    assert seen <= {before, before + rows}, f"a reader saw a partial import: {sorted(seen)[:10]}"
