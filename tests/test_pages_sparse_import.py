"""Every page runs on imported data that has only one standard per subject, no items and no sections.

The store is built the way a data lead would build it: one long CSV through lib/ingest.py (see
tests/trends_fixtures.LONG_CSV). Pages may explain what is missing; they must not fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lib import store
from tests import trends_fixtures as tf
from tests.conftest import app_pointed_at

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture(scope="module")
def sparse_app(tmp_path_factory):
    """The app pointed at a store holding only the imported long CSV."""
    tmp = tmp_path_factory.mktemp("sparse_import")
    path = tmp / "app.duckdb"
    con = store.connect(path)
    tf.imported_long_csv(con, tmp)
    con.close()
    with app_pointed_at(path):
        yield path


@pytest.mark.parametrize("script", PAGES)
def test_page_runs_on_a_sparse_import(sparse_app, script):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if script != "app.py":
        at.switch_page(script)
    at.run()
    assert not at.exception, f"{script}: {at.exception[0].message}"
