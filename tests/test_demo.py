"""Demo school: realistic shape, seeded, loads as one removable import."""

from __future__ import annotations

import pandas as pd

from lib import demo, store


def test_demo_shape(demo_con):
    c = store.counts(demo_con)
    current = store.fetch_df(demo_con, "SELECT count(*) AS n FROM students WHERE student_id IN "
                                       "(SELECT student_id FROM enrollments e JOIN sections s USING (section_id) "
                                       "WHERE s.term = '2026-27')")
    assert 360 <= current["n"].iat[0] <= 440  # about 400 students in K-5 this year
    assert c["teachers"] == 30  # five per grade
    kinds = store.fetch_df(demo_con, "SELECT kind, count(*) AS n FROM assessments GROUP BY kind")
    kinds = dict(zip(kinds["kind"], kinds["n"]))
    assert kinds["summative"] == 12 and kinds["benchmark"] == 6 * 2 * 4 and kinds["formative"] > 200
    codes = store.fetch_df(demo_con, "SELECT code FROM standards")["code"]
    assert codes.str.match(r"^(\d|K)\.[A-Z]+\.[A-C]\.\d$|^[A-Z]+\.(\d|K)\.\d$").all()
    assert c["attendance"] > 0 and c["responses"] > 100_000


def test_demo_is_seeded():
    a = demo.generate(demo.DemoConfig(students=60, seed=3))
    b = demo.generate(demo.DemoConfig(students=60, seed=3))
    pd.testing.assert_frame_equal(a["responses"], b["responses"])


def test_teacher_strengths_show_in_the_data(demo_con):
    spread = store.fetch_df(demo_con, """
        SELECT r.teacher_id, split_part(s.standard_code, '.', 2) AS domain, avg(s.score) AS mean_score
        FROM v_standard_scores s JOIN v_assessment_roster r USING (assessment_id, student_id)
        JOIN assessments a USING (assessment_id)
        WHERE a.subject = 'Math' AND a.grade_level = '3' GROUP BY ALL""")
    per_domain = spread.groupby("domain")["mean_score"].agg(lambda x: x.max() - x.min())
    assert per_domain.max() > 0.15  # some teacher clearly stronger on some domain


def test_remove_demo_and_not_reloaded(demo_con):
    assert demo.loaded_demo(demo_con) is not None
    assert demo.remove(demo_con)
    assert store.is_empty(demo_con)
    assert store.counts(demo_con)["responses"] == 0
    assert not demo.ensure_demo(demo_con)  # removed on purpose: an empty store stays empty


def test_ensure_demo_loads_into_an_empty_store(con):
    assert demo.ensure_demo(con, demo.DemoConfig(students=60))
    assert store.counts(con)["students"] > 0
    assert not demo.ensure_demo(con)
