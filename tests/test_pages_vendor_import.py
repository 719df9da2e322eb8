"""Every page runs on a store holding only real vendor exports (NWEA MAP, i-Ready, Star samples from
../shared/samples), and the team meeting shows each scale-score test in the vendor's levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from lib import ingest, meeting, store
from tests.conftest import app_pointed_at
from tests.formats_util import sample
from tests.test_page_school_trends import open_page as _run

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))
FILES = [("nwea_map", "edanalytics_earthmover", "MAP_Growth_sample_anonymized_file.csv"),
         ("iready", "edanalytics_earthmover", "sample_anonymized_file_math.csv"),
         ("renaissance_star", "edanalytics_earthmover", "SR_sample_anonymized_file.csv")]


@pytest.fixture(scope="module")
def vendor_app(tmp_path_factory):
    """The app pointed at a store built from the MAP, i-Ready and Star sample exports (skips without them);
    yields the stored assessment ids."""
    paths = [sample(*f) for f in FILES]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"vendor sample files not present ({', '.join(missing)}); they live in ../shared/samples")
    path = tmp_path_factory.mktemp("vendor_import") / "app.duckdb"
    con = store.connect(path)
    results = ingest.import_paths(con, paths)
    assert [r.status for r in results] == ["loaded"] * len(paths), [r.errors[:2] for r in results]
    # Read here: while the app holds the file, another connection with other settings cannot open it.
    aids = list(meeting.assessment_options(con)["assessment_id"])
    con.close()
    with app_pointed_at(path):
        yield aids


@pytest.mark.parametrize("script", PAGES)
def test_page_runs_on_vendor_exports(vendor_app, script):
    _run(script)


def test_each_vendor_test_reads_in_levels_in_the_team_meeting(vendor_app):
    """Every stored test is a scale-score one: the headline says 'vendor level', the levels chart replaces
    the points chart, and no caption speaks of a cut in points."""
    assert len(vendor_app) >= 10
    for aid in vendor_app:
        at = _run("pages/2_Team_meeting.py", assessment=aid)
        labels = [m.label for m in at.metric]
        assert "Proficient (vendor level)" in labels, (aid, labels)
        assert not any("of the points" in c.value for c in at.caption), aid
        assert any("vendor's levels" in m.value for m in at.markdown), aid
