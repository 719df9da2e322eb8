"""Store: database path rules, migrations, transactions, undo, the lock message."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from lib import store
from tests.conftest import ROOT


@pytest.mark.parametrize("cli,env,expected", [
    ("x.duckdb", "/tmp/env.duckdb", "x.duckdb"),
    (None, "/tmp/env.duckdb", "/tmp/env.duckdb"),
    (None, None, str(store.DEFAULT_DB)),
])
def test_db_path_precedence(monkeypatch, cli, env, expected):
    if env:
        monkeypatch.setenv("PLC_LENS_DB", env)
    else:
        monkeypatch.delenv("PLC_LENS_DB", raising=False)
    assert str(store.db_path(cli)) == expected


def test_new_file_is_migrated_to_the_latest_version(tmp_path):
    con = store.connect(tmp_path / "new.duckdb")
    assert store.schema_version(con) == max(v for v, _, _ in store.MIGRATIONS)
    assert store.counts(con)["students"] == 0



def test_a_file_written_before_student_order_is_put_in_it(tmp_path):
    """Migration 36 rewrites attendance and enrollments of an existing file in student order, keeping every row."""
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO attendance VALUES ('S9', DATE '2026-09-01', DATE '2026-09-30', 20, 1, 1), "
                "('S1', DATE '2026-10-01', DATE '2026-10-31', 20, 2, 1), ('S1', DATE '2026-09-01', NULL, 20, 0, 1)")
    con.execute("INSERT INTO enrollments VALUES ('S9', 'X', 1), ('S1', 'Y', 1), ('S1', 'X', 1)")
    con.execute("DELETE FROM schema_migrations WHERE version = 36")
    con.close()
    con = store.connect(path)
    assert store.schema_version(con) >= 36
    assert store.fetch_df(con, "SELECT student_id, period_start::VARCHAR AS d, days_absent FROM attendance "
                               "ORDER BY rowid").values.tolist() == [
        ["S1", "2026-09-01", 0.0], ["S1", "2026-10-01", 2.0], ["S9", "2026-09-01", 1.0]]
    assert store.fetch_df(con, "SELECT student_id, section_id FROM enrollments ORDER BY rowid").values.tolist() == [
        ["S1", "X"], ["S1", "Y"], ["S9", "X"]]

def test_older_file_is_upgraded_on_open(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description VARCHAR, "
                "applied_at TIMESTAMP DEFAULT current_timestamp)")
    version, description, statements = store.MIGRATIONS[0]
    for sql in statements:
        con.execute(sql)
    con.execute("INSERT INTO schema_migrations (version, description) VALUES (?, ?)", [version, description])
    con.execute("INSERT INTO students (student_id, first_name) VALUES ('S1', 'Ann')")
    con.close()
    con = store.connect(path)
    assert store.schema_version(con) == max(v for v, _, _ in store.MIGRATIONS)
    assert store.fetch_value(con, "SELECT first_name FROM students") == "Ann"


def test_transaction_is_all_or_nothing(con):
    with pytest.raises(RuntimeError):
        with store.transaction(con):
            con.execute("INSERT INTO students (student_id) VALUES ('S1')")
            raise RuntimeError("boom")
    assert store.counts(con)["students"] == 0


def test_locked_file_gives_a_plain_message(tmp_path):
    path = tmp_path / "held.duckdb"
    store.connect(path).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(30)", str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(store.StoreLockedError, match="already open in another process"):
            store.connect(path)
    finally:
        holder.kill()
        holder.wait()


def test_another_databases_log_beside_the_file_gives_a_plain_message(tmp_path):
    """A database copied next to another database's leftover .wal: a message naming both files and what to
    do, instead of DuckDB's replay error; both files are left as they were."""
    code = ("import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); c.execute(\"SET checkpoint_threshold='1GB'\"); "
            "c.execute('CREATE TABLE t AS SELECT range AS x FROM range(10)'); os._exit(0)")
    other = tmp_path / "other.duckdb"
    subprocess.run([sys.executable, "-c", code, str(other)], check=True)
    assert (tmp_path / "other.duckdb.wal").exists()
    path = tmp_path / "school.duckdb"
    store.connect(path).close()
    stray = tmp_path / "school.duckdb.wal"
    stray.write_bytes((tmp_path / "other.duckdb.wal").read_bytes())
    before = path.read_bytes()
    with pytest.raises(store.StoreWalMismatchError, match=r"school\.duckdb\.wal, is the change log of another"):
        store.connect(path)
    assert path.read_bytes() == before and stray.exists()
    stray.rename(tmp_path / "moved.wal")  # as the message says
    store.connect(path).close()


def test_data_version_bumps(con):
    v = store.data_version(con)
    with store.transaction(con):
        store.bump_data_version(con)
    assert store.data_version(con) == v + 1


def test_cli_module_runs_from_project_root():
    r = subprocess.run([sys.executable, "-m", "lib.cli", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "import" in r.stdout


def _load(con, name: str, text: str):
    """Prepare and commit one in-memory file."""
    from lib import ingest
    return ingest.commit(con, ingest.prepare(con, [ingest.Upload(name, text.encode())]))[0]


def _roster(con, aid: str) -> list[list]:
    return store.fetch_df(con, "SELECT student_id, section_id, assessed FROM v_assessment_roster "
                               "WHERE assessment_id = ? ORDER BY 1", [aid]).values.tolist()


def test_kept_scores_and_rosters_follow_every_write(con):
    """The tables kept for speed (point scores, rosters) equal their definitions after each kind of write,
    including writes that change an earlier assessment's roster (a new section, a late enrollment) and undo."""
    header = "Student ID,Grade,Teacher,Section ID,Subject,Assessment,Date,Item,Points Earned,Points Possible\n"
    first = _load(con, "cfa1.csv", header + "S1,3,Ms. Kim,SEC1,Math,CFA 1,2026-10-02,1,1,1\n"
                                            "S2,3,Ms. Kim,SEC1,Math,CFA 1,2026-10-02,1,0,1\n")
    assert first.status == "loaded" and store.stale_derived(con) == {}
    aid = store.fetch_value(con, "SELECT assessment_id FROM assessments")
    assert _roster(con, aid) == [["S1", "SEC1", True], ["S2", "SEC1", True]]
    # A roster file enrolls S3 in SEC1 and opens SEC2 for S4: CFA 1 now expects both (not assessed).
    _load(con, "sections.csv", "Section ID,Teacher ID,Course,Subject,Grade\nSEC2,T9,Math 3,Math,3\n")
    roster = _load(con, "enrollments.csv", "Student ID,Section ID\nS3,SEC1\nS4,SEC2\n")
    assert store.stale_derived(con) == {}
    assert _roster(con, aid) == [["S1", "SEC1", True], ["S2", "SEC1", True], ["S3", "SEC1", False],
                                 ["S4", "SEC2", False]]
    # A later test's results, and a section moved to another grade (CFA 1 no longer expects S4).
    _load(con, "cfa2.csv", header + "S3,3,Ms. Kim,SEC1,Math,CFA 2,2026-11-02,1,1,1\n")
    _load(con, "sections2.csv", "Section ID,Teacher ID,Course,Subject,Grade\nSEC2,T9,Math 4,Math,4\n")
    assert store.stale_derived(con) == {}
    assert [r[0] for r in _roster(con, aid)] == ["S1", "S2", "S3"]
    store.undo_import(con, roster.import_id)
    assert store.stale_derived(con) == {}
    assert [r[0] for r in _roster(con, aid)] == ["S1", "S2"]


def test_demo_kept_tables_match_their_definitions(demo_con):
    assert store.stale_derived(demo_con) == {}
