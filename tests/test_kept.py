"""lib.kept: rows kept per connection while the data is unchanged, catalogues, and the question runner."""

from __future__ import annotations

import pyarrow as pa
import pytest

from lib import kept, queries, store
from tests import trends_fixtures as tf


@pytest.fixture
def tiny(con):
    """The hand-worked grade 3 Math school (students s1-s6)."""
    return tf.tiny_school(con)


def _schools(con) -> int:
    return int(kept.lookup(con, "filter_options").query("field == 'school'").shape[0])


def test_kept_rows_are_dropped_after_a_write_through_lib(tiny):
    """A bumped data version empties the connection's kept rows at once (no waiting for FRESH_S)."""
    kept.current(tiny)["probe"] = "old"
    assert kept.current(tiny)["probe"] == "old"
    store.bump_data_version(tiny)
    assert "probe" not in kept.current(tiny)


def test_a_write_around_lib_is_noticed_once_the_fingerprint_is_taken_again(tiny, monkeypatch):
    """Rows added without bumping the version change the counts in the fingerprint: noticed within FRESH_S."""
    monkeypatch.setattr(kept, "FRESH_S", 3600.0)
    kept.current(tiny)["probe"] = "old"
    tf.insert(tiny, "students", [dict(student_id="s9", first_name="Ivy", last_name="Oak", grade_level="3",
                                      school="West", ell=False, iep=False, frl=False, gender="F")])
    assert kept.current(tiny).get("probe") == "old"  # trusted for FRESH_S: the version did not move
    monkeypatch.setattr(kept, "FRESH_S", 0.0)
    assert "probe" not in kept.current(tiny)


def test_connections_keep_their_own_rows(tiny, demo_con):
    kept.current(tiny)["probe"] = "tiny"
    assert "probe" not in kept.current(demo_con)


def test_a_catalogue_is_kept_and_each_caller_gets_a_copy(tiny):
    first = kept.lookup(tiny, "filter_options")
    first.loc[:, "value"] = "changed by the caller"
    again = kept.lookup(tiny, "filter_options")
    assert "changed by the caller" not in set(again["value"])
    direct = queries.run(tiny, "filter_options")
    assert sorted(map(tuple, again.to_numpy().tolist())) == sorted(map(tuple, direct.to_numpy().tolist()))


def test_a_catalogue_follows_an_import(tiny):
    before = _schools(tiny)
    tf.insert(tiny, "students", [dict(student_id="s9", first_name="Ivy", last_name="Oak", grade_level="3",
                                      school="Elsewhere", ell=False, iep=False, frl=False, gender="F")])
    store.bump_data_version(tiny)
    assert _schools(tiny) == before + 1


def test_only_catalogues_are_looked_up(tiny):
    with pytest.raises(ValueError, match="not a catalogue"):
        kept.lookup(tiny, "student_names")
    # query(): a catalogue from what is kept, anything else (or anything with parameters) asked afresh
    assert kept.query(tiny, "recent_imports", limit=5).equals(queries.run(tiny, "recent_imports", limit=5))


def test_the_least_recently_used_table_goes_first(tiny):
    space: dict = {}
    for i in range(kept.MAX_TABLES):
        kept.get(space, i, lambda i=i: pa.table({"i": [i]}))
    kept.get(space, 0, lambda: pytest.fail("0 is kept"))  # used again: now the most recent
    kept.get(space, "new", lambda: pa.table({"i": [-1]}))
    assert len(space) == kept.MAX_TABLES and 0 in space and 1 not in space


def test_run_passes_only_the_parameters_a_question_names(tiny):
    """A question over kept rows gets the parameters its SQL names (DuckDB refuses unused ones)."""
    queries.define("kept_test_question", "SELECT sum(x) AS total FROM kept_test_rows WHERE x >= $low")
    rows = pa.table({"x": [1, 2, 3]})
    df = kept.run(tiny, "kept_test_question", {"kept_test_rows": rows}, {"low": 2, "unused": "ignored"})
    assert int(df["total"].iat[0]) == 5


def test_the_data_version_is_read_again_only_after_a_write_through_lib(tiny, monkeypatch):
    """Questions between writes ask the database nothing to know their kept rows are current; a write through
    lib (a transaction, a bumped version) or FRESH_S makes the next one read the version again."""
    monkeypatch.setattr(kept, "FRESH_S", 3600.0)
    reads = []
    real = kept._data_version
    monkeypatch.setattr(kept, "_data_version", lambda con: reads.append(1) or real(con))
    kept.current(tiny)
    first = len(reads)
    for _ in range(5):
        kept.current(tiny)
        kept.lookup(tiny, "teacher_names")
    assert len(reads) == first
    with store.transaction(tiny):
        pass
    kept.current(tiny)
    assert len(reads) == first + 1
    store.bump_data_version(tiny)
    assert kept.data_version(tiny) == str(store.data_version(tiny))
    assert len(reads) == first + 2
    monkeypatch.setattr(kept, "FRESH_S", 0.0)
    kept.current(tiny)
    assert len(reads) == first + 3


def test_a_version_bumped_in_a_transaction_is_seen_once_it_commits(tiny):
    """A reader that looks while the write is still open sees the old version, and the new one after COMMIT."""
    before = kept.data_version(tiny)
    cur = tiny.cursor()
    try:
        with store.transaction(cur):
            store.bump_data_version(cur)
            assert kept.data_version(tiny) == before  # not committed: other cursors still see the old version
    finally:
        cur.close()
    assert kept.data_version(tiny) != before
