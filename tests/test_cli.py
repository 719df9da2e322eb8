"""Command line: JSON shapes and exit codes; never a traceback for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lib import cli
from tests.conftest import ROOT

GOOD = ("Student ID,Assessment,Item,Standard,Points Earned,Points Possible\n"
        "S1,CFA 1,1,3.OA.A.1,1,1\nS2,CFA 1,1,3.OA.A.1,0,1\n")


def run(capsys, *args) -> tuple[int, str, str]:
    """Run the command line in-process and capture its output."""
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_json_and_info(capsys, tmp_path):
    db = tmp_path / "c.duckdb"
    f = tmp_path / "cfa.csv"
    f.write_text(GOOD)
    code, out, _ = run(capsys, "import", str(f), "--db", str(db), "--json")
    assert code == 0
    doc = json.loads(out)
    entry = doc["files"][0]
    assert {k: entry[k] for k in ("file", "status", "rows_total", "rows_loaded", "rows_rejected", "errors")} == \
        {"file": "cfa.csv", "status": "loaded", "rows_total": 2, "rows_loaded": 2, "rows_rejected": 0, "errors": []}
    code, out, _ = run(capsys, "import", str(f), "--db", str(db), "--json")
    assert json.loads(out)["files"][0]["status"] == "unchanged" and code == 0
    code, out, _ = run(capsys, "info", "--db", str(db), "--json")
    info = json.loads(out)
    assert code == 0
    assert {k: info[k] for k in ("students", "teachers", "assessments", "items", "responses", "standards",
                                 "imports")} == {"students": 2, "teachers": 0, "assessments": 1, "items": 1,
                                                 "responses": 2, "standards": 1, "imports": 1}


@pytest.mark.parametrize("content,strict,code,status", [
    (GOOD + "S3,CFA 1,1,3.OA.A.1,x,1\n", False, 1, "loaded"),
    (GOOD + "S3,CFA 1,1,3.OA.A.1,x,1\n", True, 1, "rejected"),
    ("Student ID,Assessment\nS1,CFA\n", False, 1, "rejected"),
    ("", False, 1, "rejected"),
])
def test_exit_codes_for_rejections(capsys, tmp_path, content, strict, code, status):
    f = tmp_path / "f.csv"
    f.write_text(content)
    args = ["import", str(f), "--db", str(tmp_path / "d.duckdb"), "--json"] + (["--strict"] if strict else [])
    rc, out, _ = run(capsys, *args)
    assert rc == code
    doc = json.loads(out)["files"][0]
    assert doc["status"] == status
    assert all({"row", "column", "message"} <= e.keys() for e in doc["errors"])


def test_unreadable_file_and_bad_arguments_exit_2(capsys, tmp_path):
    rc, _, _ = run(capsys, "import", str(tmp_path / "missing.csv"), "--db", str(tmp_path / "d.duckdb"))
    assert rc == 2
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02")
    rc, out, _ = run(capsys, "import", str(binary), "--db", str(tmp_path / "d.duckdb"))
    assert rc == 2 and "not a CSV or XLSX" in out
    rc, _, err = run(capsys, "frobnicate")
    assert rc == 2 and "invalid choice" in err
    rc, _, err = run(capsys, "demo", "--students", "lots")
    assert rc == 2


def test_locked_database_exits_2_with_a_plain_message(tmp_path):
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(30)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        r = subprocess.run([sys.executable, "-m", "lib.cli", "info", "--db", str(db)], cwd=ROOT,
                           capture_output=True, text=True)
        assert r.returncode == 2
        assert "already open in another process" in r.stderr and "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_demo_command(capsys, tmp_path):
    rc, out, _ = run(capsys, "demo", "--students", "60", "--seed", "2", "--db", str(tmp_path / "d.duckdb"), "--json")
    assert rc == 0 and json.loads(out)["students"] > 0
