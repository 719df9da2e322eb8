"""Every vendor layout is recognised from its header in any serialisation, and the preview says which."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from lib import ingest
from tests.formats_util import FIXTURES, SAMPLES, load_paths, plan, zip_bytes
from tests.test_formats_iready import MATH as IREADY
from tests.test_formats_nwea_map import ROWS, STUDENTS_BY_SCHOOL, results_csv

CASES = {
    "mastery_connect_items": ("Unit3.csv", (FIXTURES / "mastery_connect_items.csv").read_text()),
    "mastery_connect_standards": ("mc.csv", (FIXTURES / "mastery_connect_standard_scores.csv").read_text()),
    "nwea_map_results": ("AssessmentResults.csv", results_csv(ROWS)),
    "nwea_map_students": ("StudentsBySchool.csv", STUDENTS_BY_SCHOOL),
    "iready": ("diagnostic_results_math.csv", IREADY.lstrip("\ufeff")),
    "star": ("star.csv", (FIXTURES / "star_enterprise_report.csv").read_text()),
    "canvas_mastery": ("Outcomes-Grade_3_Math.csv",
                       (FIXTURES / "Outcomes-Grade_3_Math.csv").read_text("utf-8-sig").replace(";", ",")),
    "canvas_gradebook": ("gradebook.csv", (FIXTURES / "canvas_gradebook.csv").read_text()),
    "standards_list": ("standards.csv", "Standard,Description\nMGSE3.NBT.2,Add within 1000\n7.50.a,Main idea\n"),
}


def serialise(text: str, variant: str) -> bytes:
    """The same table written the ways exports differ: tab, all quoted, BOM + CRLF, Latin-1, short rows."""
    rows = list(csv.reader(io.StringIO(text)))
    buf = io.StringIO()
    if variant == "short_rows":  # trailing blank cells dropped, as some tools write
        rows = [rows[0]] + [r[:max(i for i, v in enumerate(r) if v) + 1] for r in rows[1:]]
    csv.writer(buf, delimiter="\t" if variant == "tab" else ",",
               quoting=csv.QUOTE_ALL if variant == "quoted" else csv.QUOTE_MINIMAL,
               lineterminator="\r\n" if variant == "bom_crlf" else "\n").writerows(rows)
    out = buf.getvalue()
    if variant == "bom_crlf":
        return ("\ufeff" + out).encode("utf-8")
    if variant == "latin1":
        return out.encode("latin-1", errors="replace")
    return out.encode("utf-8")


@pytest.mark.parametrize("variant", ["plain", "tab", "quoted", "bom_crlf", "latin1", "short_rows"])
@pytest.mark.parametrize("layout", sorted(CASES))
def test_layout_recognised_in_every_serialisation(con, layout, variant):
    name, text = CASES[layout]
    fp = plan(con, (name, serialise(text, variant))).files[0]
    label = next(x.label for x in ingest.LAYOUTS if x.name == layout)
    assert (fp.layout, fp.label, fp.rows_rejected, fp.fatal) == (layout, label, 0, None)


@pytest.mark.parametrize("renamed", [
    {"StudentID": "Student_Number"}, {"StudentID": "Student_StateID"}, {"Subject": "MeasurementScale"},
    {"Course": "Discipline"},
])
def test_map_columns_renamed_across_years(con, renamed):
    text = results_csv(ROWS)
    head, rest = text.split("\n", 1)
    for old, new in renamed.items():
        head = ",".join(new if h == old else h for h in head.split(","))
    fp = plan(con, ("AssessmentResults.csv", head + "\n" + rest)).files[0]
    assert (fp.layout, fp.rows_ok, fp.rows_rejected) == ("nwea_map_results", 3, 0)


def test_zip_of_csvs_is_read_member_by_member_and_a_workbook_is_not(con):
    z = zip_bytes({"x/AssessmentResults.csv": results_csv(ROWS), "__MACOSX/._junk": b"\x00\x01",
                   "notes.pdf": b"%PDF", "empty.csv": ""})
    fp = plan(con, ("cdf.zip", z)).files[0]
    assert fp.tables == ["cdf.zip [x/AssessmentResults.csv]"] and fp.layout == "nwea_map_results"
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active.append(["Student ID", "Assessment", "Points Earned", "Points Possible"])
    wb.active.append(["S1", "CFA", 1, 1])
    buf = io.BytesIO()
    wb.save(buf)
    fp = plan(con, ("book.xlsx", buf.getvalue())).files[0]
    assert fp.layout == "long"


def test_generic_files_keep_the_generic_layouts(con):
    long = "Student ID,Assessment,Item,Standard,Points Earned,Points Possible\nS1,CFA,1,3.OA.A.1,1,1\n"
    assert plan(con, ("cfa.csv", long)).files[0].layout == "long"
    roster = "Student ID,First Name,Last Name,Grade\nS1,Ana,Lopez,3\n"
    assert plan(con, ("students.csv", roster)).files[0].layout == "students"


# Not results, rosters or standards lists: column dictionaries and a prerequisite graph (no table for it).
NOT_DATA = ("column_dictionary", "objectiveAssessments", "ccssm-dependencies")


def _sample_units() -> list[Path]:
    """Every importable unit in ../shared/samples: a OneRoster folder as a whole, else each CSV/TXT."""
    if not SAMPLES.exists():
        return []
    units = []
    for p in sorted(SAMPLES.rglob("*")):
        if p.is_dir() and p.parent.name == "oneroster":
            units.append(p)
        elif p.suffix.lower() in (".csv", ".txt") and p.parent.parent.name != "oneroster" \
                and not any(x in p.name for x in NOT_DATA):
            units.append(p)
    return units


@pytest.mark.parametrize("unit", _sample_units() or [None], ids=lambda p: p.name if p else "absent")
def test_every_sample_data_file_imports_without_rejects(con, unit):
    if unit is None:
        pytest.skip("../shared/samples is not present")
    res = load_paths(con, unit)
    assert [(r.status, r.rows_rejected) for r in res] == [("loaded", 0)] * len(res)
    assert all(r.layout for r in res)
