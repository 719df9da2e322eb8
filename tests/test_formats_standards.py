"""Standard codes of any framework work everywhere; standards lists (Common Core included) seed descriptions."""

from __future__ import annotations

import pytest

from lib import meeting, standards_explorer, store
from lib.formats import standards_lists
from tests.formats_util import assessments, csv_records, load, load_paths, pages_work, sample

# State and free-text codes next to a Common Core one, in the lead's long layout.
LONG = ("Student ID,Student Name,Grade,Teacher,Assessment,Date,Item,Standard,Points Earned,Points Possible\n"
        "S1,Ana Lopez,3,Ms. Kim,Mixed CFA,2026-10-02,1,MGSE3.NBT.2,1,1\n"
        "S1,Ana Lopez,3,Ms. Kim,Mixed CFA,2026-10-02,2,7.50.a,0,1\n"
        "S1,Ana Lopez,3,Ms. Kim,Mixed CFA,2026-10-02,3,Reading: Key Ideas (informational),1,1\n"
        "S1,Ana Lopez,3,Ms. Kim,Mixed CFA,2026-10-02,4,3.OA.A.1,1,1\n"
        "S2,Ben Ode,3,Ms. Kim,Mixed CFA,2026-10-02,1,MGSE3.NBT.2,1,1\n"
        "S2,Ben Ode,3,Ms. Kim,Mixed CFA,2026-10-02,2,7.50.a,1,1\n"
        "S2,Ben Ode,3,Ms. Kim,Mixed CFA,2026-10-02,3,Reading: Key Ideas (informational),0,1\n"
        "S2,Ben Ode,3,Ms. Kim,Mixed CFA,2026-10-02,4,3.OA.A.1,0,1\n")
CODES = ["3.OA.A.1", "7.50.a", "MGSE3.NBT.2", "Reading: Key Ideas (informational)"]
LIST = ("Standard,Description,Subject,Grade\n"
        "MGSE3.NBT.2,\"Fluently add and subtract within 1000\",Math,3\n"
        "7.50.a,Identify the main idea,ELA,7\n")


def test_every_kind_of_code_works_in_views_meeting_and_explorer(con):
    load(con, ("mixed.csv", LONG))
    aid = assessments(con)["assessment_id"].iat[0]
    v = store.fetch_df(con, "SELECT standard_code, sum(earned) AS e FROM v_standard_scores GROUP BY 1 ORDER BY 1")
    assert v.values.tolist() == [["3.OA.A.1", 1.0], ["7.50.a", 1.0], ["MGSE3.NBT.2", 2.0],
                                 ["Reading: Key Ideas (informational)", 1.0]]
    out = pages_work(con, aid)
    assert sorted(out["by_standard"]["standard_code"]) == CODES
    assert sorted(out["explorer_summary"]["standard_code"]) == CODES
    for code in CODES:
        assert code in standards_explorer.search(con, code)["code"].tolist()
        s = standards_explorer.summary(con, (code,))
        assert s["students"].tolist() == [2]
    assert meeting.by_standard(con, aid).set_index("standard_code").loc["MGSE3.NBT.2", "proficient"] == 2


def test_a_standards_list_seeds_descriptions_of_codes_already_used(con):
    load(con, ("mixed.csv", LONG))
    r = load(con, ("state_standards.csv", LIST))[0]
    assert (r.layout, r.rows_loaded, r.rows_rejected) == ("standards_list", 2, 0)
    d = store.fetch_df(con, "SELECT code, description FROM standards WHERE description IS NOT NULL ORDER BY 1")
    assert d.values.tolist() == [["7.50.a", "Identify the main idea"],
                                 ["MGSE3.NBT.2", "Fluently add and subtract within 1000"]]
    assert standards_explorer.search(con, "main idea")["code"].tolist() == ["7.50.a"]


@pytest.mark.parametrize("raw,short", [("CCSS.Math.Content.3.OA.A.1", "3.OA.A.1"),
                                       ("CCSS.ELA-Literacy.RL.3.1", "RL.3.1"), ("CCSS.Math.Practice.MP1", "MP1"),
                                       ("MGSE3.NBT.2", "MGSE3.NBT.2"), ("7.50.a", "7.50.a")])
def test_short_code(raw, short):
    assert standards_lists.short_code(raw) == short


@pytest.mark.parametrize("link,code", [("http://corestandards.org/ELA-Literacy/L/K/3/", "L.K.3"),
                                       ("http://corestandards.org/ELA-Literacy/RL/9-10/8/", "RL.9-10.8"),
                                       ("http://corestandards.org/Math/Content/3/NF/A/3/a/", "3.NF.A.3a"),
                                       ("https://example.org/x", None)])
def test_code_from_link(link, code):
    assert standards_lists.code_from_link(link) == code


# --- the Common Core samples ------------------------------------------------------------------------

@pytest.mark.parametrize("path,layout", [(("standardX", "CommonCoreMath.csv"), "standards_list"),
                                         (("standardX", "CommonCoreELA.csv"), "standards_list"),
                                         (("flywheelmath_ccssm", "ccssm-k8.csv"), "standards_parts"),
                                         (("flywheelmath_ccssm", "ccssm-hs.csv"), "standards_parts")])
def test_common_core_lists_import_with_exact_counts(con, path, layout):
    p = sample("ccss", *path)
    recs = csv_records(p)
    r = load_paths(con, p)[0]
    assert (r.status, r.layout, r.rows_total, r.rows_loaded, r.rows_rejected) == \
        ("loaded", layout, len(recs), len(recs), 0)
    if layout == "standards_list":
        expected = {standards_lists.short_code(x["Standard"]) if x["Standard"] else
                    standards_lists.code_from_link(x["Link"]) for x in recs}
    else:
        expected = {(f"HS{x['category_code']}-{x['domain_code']}" if x["grade_level_code"] == "HS"
                     else f"{x['grade_level_code']}.{x['domain_code']}")
                    + f".{x['cluster_code']}.{x['standard_counter']}{x['substandard_counter']}" for x in recs}
    got = store.fetch_df(con, "SELECT code, description FROM standards")
    assert set(got["code"]) == expected and len(got) == len(expected)
    assert got["description"].notna().all() and not got["description"].str.contains("<i>|&gt;").any()
    assert r.rows_duplicate == len(recs) - len(expected)


def test_common_core_math_seeds_the_demo_codes(demo_con):
    p = sample("ccss", "standardX", "CommonCoreMath.csv")
    used = set(store.fetch_df(demo_con, "SELECT DISTINCT standard_code FROM items WHERE standard_code "
                                        "SIMILAR TO '[K0-9]\\..*'")["standard_code"])
    load_paths(demo_con, p)
    d = store.fetch_df(demo_con, "SELECT code, description FROM standards")
    described = set(d[d["description"].notna()]["code"])
    assert len(used & described) / len(used) > 0.9
