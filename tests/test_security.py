"""Security basics: SQL is parameterised (checked in the source and by running every named query with
hostile parameters), hostile names/columns/file names are stored literally, downloads escape formulas,
the upload size limit holds, XSRF protection stays on, and student data never reaches the logs."""

from __future__ import annotations

import ast
import csv
import importlib
import io
import logging
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import lib
from lib import exports, queries, store
from tests.snapshots import snapshot

ROOT = Path(__file__).resolve().parent.parent
ingest = pytest.importorskip("lib.ingest")

HOSTILE = "'; DROP TABLE students; --"


def _import_all_lib_modules() -> None:
    """Import every lib module so all named queries are registered (ui needs streamlit: fine here)."""
    for mod in pkgutil.walk_packages(lib.__path__, "lib."):
        importlib.import_module(mod.name)


# --- SQL is parameterised ------------------------------------------------------------------------

SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|WHERE|FROM|JOIN|VALUES|SET|ALTER)\b")
# Interpolations into SQL text that are reviewed as safe: identifiers fixed in code (table names from
# constant tuples, column names from code lists), never user text. (file, expression) -> why.
REVIEWED = {
    ("lib/store.py", "table"): "loops over FACT_TABLES / DIMENSION_TABLES constants",
    ("lib/store.py", "takers"): "_roster_view: the takers query is fixed SQL written in the migration list",
    ("lib/store.py", "scope"): "_roster_select: the fixed filter _ROSTER_IN_IDS or nothing",
    ("lib/store.py", "_roster_select(takers, scope)"): "_roster_points_select: fixed takers SQL and filter",
    ("lib/trends.py", "point_scope"): "_by_std: called with literal filters only",
    ("lib/trends.py", "HEATMAP_STD[_form]"): "the heatmap's two fixed forms of its std CTE (a dict constant)",
    ("lib/trends.py", "HEATMAP_STD[\"several\"]"): "the heatmap's per-student form of its std CTE (a dict constant)",
    ("lib/store.py", "name"): "_roster_view: view names written in the migration list",
    ("lib/store.py", "kept"): "stale_derived: fixed SQL from the _STALE constant",
    ("lib/store.py", "live"): "stale_derived: fixed SQL from the _STALE constant",
    ("lib/demo.py", "table"): "demo.TABLE_ORDER constant",
    ("lib/ingest.py", "table"): "internal table names passed by the writer",
    ("lib/ingest.py", "', '.join(cols)"): "column lists fixed in code",
    ("lib/goals.py", "', '.join(cols)"): "SPEC_FIELDS constant",
    ("lib/goals.py", "', '.join('?' for _ in cols)"): "placeholders only",
    ("lib/goals.py", "sets"): "'k = ?' for k in SPEC_FIELDS (checked against SPEC_FIELDS first)",
    ("lib/goals.py", "table"): "goal tables constant",
    ("lib/risk.py", "name"): "UCI loader's fixed table names",
    ("lib/formats/scale.py", "table"): "constant tuple of table names",
    ("lib/formats/scale.py", "col"): "constant tuple of rule columns",
    ("lib/store.py", "order"): "migration 36: column lists of the STUDENT_ORDER constant",
    ("lib/demo.py", "order"): "column lists of the store.STUDENT_ORDER constant",
}
_CONST = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def _safe_expression(node: ast.AST) -> bool:
    """Module constants (UPPER_CASE) and helper calls whose arguments are all literals build SQL from code only."""
    if isinstance(node, ast.Name) and _CONST.match(node.id):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("_") and \
            all(isinstance(a, ast.Constant) for a in node.args) and not node.keywords:
        return True
    return False


def sql_interpolations() -> list[tuple[str, int, str, bool]]:
    """Every value formatted into SQL-looking text in lib/: (file, line, expression, safe-by-construction)."""
    out = []
    for path in sorted((ROOT / "lib").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        src = path.read_text()
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if SQL_WORDS.search(text):
                    for v in node.values:
                        if isinstance(v, ast.FormattedValue):
                            expr = ast.get_source_segment(src, v.value)
                            out.append((rel, node.lineno, expr, _safe_expression(v.value)))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and \
                    isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) and \
                    SQL_WORDS.search(node.left.value):
                out.append((rel, node.lineno, "% formatting", False))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                    and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str) \
                    and SQL_WORDS.search(node.func.value.value):
                out.append((rel, node.lineno, ".format()", False))
    return out


def test_no_user_text_is_formatted_into_sql():
    """SQL text in lib/ only interpolates code constants or reviewed identifier loops, never values."""
    found = sql_interpolations()
    assert found, "the scanner found no SQL at all: it is broken"
    unreviewed = [f"{f}:{line}: {{{expr}}}" for f, line, expr, safe in found
                  if not safe and (f, expr) not in REVIEWED]
    assert not unreviewed, ("values formatted into SQL text (use $params / ?; or, for a fixed identifier, "
                            "add it to REVIEWED with the reason):\n" + "\n".join(unreviewed))


def test_scanner_catches_formatted_values():
    """Guard for the scanner: an f-string with a value in SQL is reported as unsafe."""
    tree = ast.parse('con.execute(f"SELECT * FROM students WHERE last_name = \'{name}\'")')
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr))
    value = next(v.value for v in node.values if isinstance(v, ast.FormattedValue))
    assert not _safe_expression(value)


def test_named_queries_take_parameters_not_text():
    """No registered query text carries a Python format leftover or a quoted parameter."""
    _import_all_lib_modules()
    assert len(queries.QUERIES) > 20
    for name, sql in queries.QUERIES.items():
        assert "%s" not in sql and "{" not in sql.replace("{'", "").replace("'}", ""), name
        assert not re.search(r"'\$[a-z_]+'", sql), f"{name}: a $parameter inside quotes is text, not a parameter"


def test_every_named_query_survives_hostile_parameters(demo_con):
    """Each named query run with SQL-injection text in every parameter either answers or refuses with a
    DuckDB error; afterwards every table and row is still there."""
    _import_all_lib_modules()
    before = snapshot(demo_con)
    ran = 0
    for name, sql in sorted(queries.QUERIES.items()):
        params = sorted(set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql)))
        if not params:
            continue
        for value in (HOSTILE, [HOSTILE, "x' OR '1'='1"]):
            try:
                queries.run(demo_con, name, **{p: value for p in params})
                ran += 1
            except duckdb.Error:
                pass  # a type error (text where a date belongs) is a refusal, not an injection
    assert ran > 10, "too few queries accepted text parameters for this test to mean anything"
    assert snapshot(demo_con) == before
    assert demo_con.execute("SELECT count(*) FROM students").fetchone()[0] > 0


# --- hostile names, columns and file names -------------------------------------------------------

def test_hostile_names_columns_and_file_names_are_stored_literally(con):
    """A roster row, a column header and a file name made of SQL and formulas are stored as given."""
    name = "x'); DROP TABLE responses; --.csv"
    header = ["Student ID", "First Name", "Last Name", "Assessment", "Item", "Score", "Points Possible",
              "=cmd|' /C calc'!A0", "'; DELETE FROM students; --"]
    rows = [["S'1", "=HYPERLINK(\"http://x\")", "Robert'); DROP TABLE students;--", "Quiz'; --", "Q'1", "1", "1",
             "junk", "junk"]]
    buf = io.StringIO()
    pd.DataFrame(rows, columns=header).to_csv(buf, index=False)
    (r,) = ingest.commit(con, ingest.prepare(con, [ingest.Upload(name, buf.getvalue().encode())]))
    assert r.status == "loaded", r
    assert con.execute("SELECT filename FROM imports WHERE import_id = ?", [r.import_id]).fetchone()[0] == name
    assert con.execute("SELECT student_id, first_name, last_name FROM students").fetchall() == \
        [("S'1", "=HYPERLINK(\"http://x\")", "Robert'); DROP TABLE students;--")]
    assert con.execute("SELECT title FROM assessments").fetchall() == [("Quiz'; --",)]
    assert con.execute("SELECT item FROM responses").fetchall() == [("Q'1",)]
    # A saved column mapping keeps hostile headers literally too.
    ingest.save_mapping(con, header, {header[7]: "teacher", header[8]: "section"})
    saved = ingest.saved_mappings(con)
    assert {header[7]: "teacher", header[8]: "section"} in saved.values()


# --- exports -------------------------------------------------------------------------------------

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]


def test_csv_export_escapes_formulas():
    """Every text cell and header starting with = + - @ tab or CR is neutralised with an apostrophe."""
    df = pd.DataFrame({"=name": FORMULAS, "n": range(len(FORMULAS))})
    text = exports.to_csv_bytes(df).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["'=name", "n"]
    assert [r[0] for r in rows] == ["'" + f for f in FORMULAS]
    assert [r[1] for r in rows] == [str(i) for i in range(len(FORMULAS))]  # numbers stay numbers


def test_csv_export_keeps_carriage_returns_inside_their_cell():
    """A cell holding a bare carriage return is quoted, so a spreadsheet cannot split the row there and
    start a new cell with `=...` (which would bypass the apostrophe)."""
    df = pd.DataFrame({"note": ["fine\r=HYPERLINK(\"http://evil.example\")", "a\nb"], "n": [1, 2]})
    rows = list(csv.reader(io.StringIO(exports.to_csv_bytes(df).decode("utf-8-sig"), newline="")))
    assert rows == [["note", "n"], ["fine\r=HYPERLINK(\"http://evil.example\")", "1"], ["a\nb", "2"]]


def test_xlsx_export_escapes_formulas():
    """An XLSX download holds no formula cell: hostile text is stored as text."""
    from openpyxl import load_workbook

    df = pd.DataFrame({"student": FORMULAS, "score": [-1.5] * len(FORMULAS)})
    wb = load_workbook(io.BytesIO(exports.to_xlsx_bytes(df)))
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s" and row[0].value.startswith("'"), row[0].value
        assert row[1].data_type == "n" and row[1].value == -1.5  # a negative number is not a formula


# --- upload size -------------------------------------------------------------------------------

def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_upload_size_limit_is_configured_and_enforced(con):
    """The uploader's limit (server.maxUploadSize) matches the importer's, and the importer refuses a
    larger file without reading or writing anything."""
    max_mb = _config()["server"]["maxUploadSize"]
    assert 1 <= max_mb <= 1000
    assert ingest.MAX_UPLOAD_MB == max_mb
    before = snapshot(con)
    big = b"Student ID,Assessment,Item,Score,Points Possible\n" + b"A1,Quiz,1,1,1\n" * 150_000  # ~2 MB
    plan = ingest.prepare(con, [ingest.Upload("big.csv", big)], max_mb=1)
    (fp,) = plan.files
    assert fp.fatal and "limit" in fp.fatal
    (r,) = ingest.commit(con, plan)
    assert r.status == "rejected"
    assert snapshot(con) == before


# --- XSRF ----------------------------------------------------------------------------------------

def test_xsrf_protection_stays_on():
    """XSRF protection is on and nothing turns off what it relies on (CORS) or exposes the server."""
    server = _config().get("server", {})
    assert server.get("enableXsrfProtection") is True
    assert server.get("enableCORS", True) is True, "XSRF protection needs CORS protection on"
    assert server.get("address") in (None, "127.0.0.1", "localhost"), "the app listens on loopback by default"


def test_streamlit_reads_xsrf_on_from_the_project_config():
    """Streamlit itself, started in the project folder, reports XSRF protection on."""
    code = ("from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(config.get_option('server.enableXsrfProtection'), config.get_option('server.maxUploadSize'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    xsrf, size = out.stdout.split()[-2:]
    assert xsrf == "True" and int(size) == _config()["server"]["maxUploadSize"]


# --- logs ----------------------------------------------------------------------------------------

LOG_NAMES = ["Zebediah", "Quackenbush", "Xanthippe", "Ormsby"]


def _log_csv() -> bytes:
    return ("Student ID,First Name,Last Name,Assessment,Item,Score,Points Possible\n"
            "L1,Zebediah,Quackenbush,Log quiz,1,1,1\n"
            "L2,Xanthippe,Ormsby,Log quiz,1,abc,1\n"  # rejected: the raw row holds the name
            ",Nameless,Nobody,Log quiz,1,1,1\n").encode()


def test_student_names_never_reach_the_logs(con, caplog, capsys):
    """An import with loaded and rejected rows logs (at any level) and prints no student name."""
    caplog.set_level(logging.DEBUG)
    plan = ingest.prepare(con, [ingest.Upload("log.csv", _log_csv())])
    results = ingest.commit(con, plan)
    assert results[0].status == "loaded" and results[0].rows_rejected == 2
    store.undo_import(con, results[0].import_id)
    captured = capsys.readouterr()
    text = caplog.text + captured.out + captured.err
    for n in LOG_NAMES:
        assert n not in text, f"student name {n!r} written to a log or the console"
    for r in results:
        for e in r.errors:  # messages are shown to the user and printed by the CLI
            assert not any(n in e["message"] for n in LOG_NAMES), e


def test_cli_import_prints_no_student_names(tmp_path):
    """The command line's report (text and --json) names files, rows and columns, never students."""
    path = tmp_path / "log.csv"
    path.write_bytes(_log_csv())
    for extra in ([], ["--json"]):
        out = subprocess.run([sys.executable, "-m", "lib.cli", "import", str(path), "--db",
                              str(tmp_path / f"cli{len(extra)}.duckdb"), *extra],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode in (0, 1), out.stderr[-2000:]
        for n in LOG_NAMES:
            assert n not in out.stdout + out.stderr, f"{n!r} printed by `cli import {' '.join(extra)}`"
