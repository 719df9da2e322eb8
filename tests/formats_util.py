"""Helpers for the vendor-format tests: the shared samples, small uploads, independent counts, page checks."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from lib import ingest, meeting, standards_explorer, store
from lib.formats import scale

SAMPLES = Path(__file__).parents[1].parent / "shared" / "samples"
FIXTURES = Path(__file__).parent / "fixtures" / "formats"
# Files in the sample folders that describe columns rather than hold results (nothing to import).
METADATA = ("column_dictionary", "objectiveAssessments")


def sample(*parts: str) -> Path:
    """A file or folder of ../shared/samples, or skip the test saying what is missing."""
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"sample {path} is not present (the real-sample tests need ../shared/samples)")
    return path


def data_files(folder: str) -> list[Path]:
    """Every CSV/TXT data file under a sample folder (metadata dictionaries left out)."""
    root = SAMPLES / folder
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in (".csv", ".txt")
                  and not any(m in p.name for m in METADATA))


def upload(name: str, data: str | bytes) -> ingest.Upload:
    """An in-memory upload."""
    return ingest.Upload(name, data.encode("utf-8") if isinstance(data, str) else data)


def plan(con, *files: tuple[str, str | bytes]) -> ingest.Plan:
    """Prepare uploads (name, text) without writing."""
    return ingest.prepare(con, [upload(n, d) for n, d in files])


def load(con, *files: tuple[str, str | bytes], strict: bool = False) -> list[ingest.FileResult]:
    """Prepare and commit uploads (name, text)."""
    return ingest.commit(con, plan(con, *files), strict=strict)


def load_paths(con, *paths: Path) -> list[ingest.FileResult]:
    """Import files or folders from disk, as the command line does."""
    return ingest.import_paths(con, list(paths))


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    """A zip archive made in memory (name -> content)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def csv_records(path: Path) -> list[dict[str, str]]:
    """An independent read of a CSV (csv module, BOM stripped, any delimiter the sniffer finds)."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0]
    delimiter = max(",\t;|", key=first.count)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def distinct(records: list[dict[str, str]], *columns: str) -> set[str]:
    """Distinct non-blank values of the first of `columns` present in the records."""
    for col in columns:
        if records and col in records[0]:
            return {r[col].strip() for r in records if (r.get(col) or "").strip()}
    raise KeyError(columns)


def assessments(con) -> pd.DataFrame:
    """Every assessment with whether it is a scale-score one."""
    return store.fetch_df(con, """SELECT a.*, sa.vendor IS NOT NULL AS is_scale FROM assessments a
                                  LEFT JOIN scale_assessments sa USING (assessment_id) ORDER BY title""")


def pages_work(con, aid: str) -> dict:
    """Run the team meeting and standards explorer functions on one assessment; return what a page shows.

    For a scale-score assessment the levels come from lib.formats.scale (vendor words, not points). First
    checks that the tables kept for speed (stored scores, rosters) agree with their definitions.
    """
    assert store.stale_derived(con) == {}, "a vendor import left the kept scores or rosters stale"
    out = {"headline": meeting.headline(con, aid), "by_standard": meeting.by_standard(con, aid),
           "teacher_vs_team": meeting.teacher_vs_team(con, aid), "scores": meeting.student_scores(con, aid),
           "items": meeting.item_analysis(con, aid), "growth": meeting.growth_students(con, aid),
           "info": meeting.assessment_info(con, aid)}
    out["grid"] = meeting.grid_wide(out["scores"])
    out["groups"] = meeting.groups(out["scores"])
    codes = tuple(out["by_standard"]["standard_code"].dropna())
    if codes:
        out["explorer_summary"] = standards_explorer.summary(con, codes)
        out["explorer_by_assessment"] = standards_explorer.by_assessment(con, codes)
        out["explorer_not_yet"] = standards_explorer.not_yet_proficient(con, codes)
        out["explorer_search"] = standards_explorer.search(con, codes[0])
    if scale.is_scale(con, aid):
        out["levels"] = scale.level_counts(con, aid)
        out["scale_results"] = scale.scale_results(con, aid)
    return out


def independent_headline(con, aid: str) -> tuple[int, int]:
    """(assessed, proficient) computed from the stored rows with pandas, not through the views."""
    if scale.is_scale(con, aid):
        v = store.fetch_df(con, "SELECT * FROM v_scale_scores WHERE assessment_id = ?", [aid])
        overall = v[v["standard_code"].isna() & v["proficient"].notna()]
        if len(overall):
            return len(overall), int(overall["proficient"].sum())
        std = v[v["standard_code"].notna() & v["proficient"].notna()]
        share = std.groupby("student_id")["proficient"].mean()
        rule = store.fetch_value(con, "SELECT overall_share FROM scale_rules WHERE vendor = ? AND scope = 'overall'",
                                 [v["vendor"].iat[0]])
        return len(share), int((share >= (rule or 0.8)).sum())
    r = store.fetch_df(con, """SELECT r.student_id, r.points_earned, i.points_possible FROM responses r
                               JOIN items i USING (assessment_id, item) WHERE r.assessment_id = ?""", [aid])
    cut = store.fetch_value(con, "SELECT proficiency_cut FROM assessments WHERE assessment_id = ?", [aid])
    per = r.groupby("student_id")[["points_earned", "points_possible"]].sum()
    score = per["points_earned"] / per["points_possible"]
    return len(score), int((score >= cut).sum())


def map_two_terms(path: Path) -> Path:
    """A store with two MAP Growth terms (fall, then winter +9 RIT) for three grade-3 students of Ms Rivera."""
    from tests.test_formats_nwea_map import ROWS, results_csv

    con = store.connect(path)
    try:
        fall = [dict(r, teacher="Ms Rivera") for r in ROWS]
        winter = [dict(r, teacher="Ms Rivera", rit=str(int(r["rit"]) + 9), pct=str(min(99, int(r["pct"]) + 5)))
                  for r in ROWS]
        load(con, ("fall.csv", results_csv(fall, style="teacher")))
        load(con, ("winter.csv", results_csv(winter, style="teacher").replace("Fall 2026-2027", "Winter 2026-2027")
                   .replace("9/10/2026", "1/12/2027")))
    finally:
        con.close()
    return path
