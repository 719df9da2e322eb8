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


def test_data_version_bumps(con):
    v = store.data_version(con)
    with store.transaction(con):
        store.bump_data_version(con)
    assert store.data_version(con) == v + 1


def test_cli_module_runs_from_project_root():
    r = subprocess.run([sys.executable, "-m", "lib.cli", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "import" in r.stdout
