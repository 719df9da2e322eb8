"""Import: did my file load, exactly? Upload -> recognised layout -> preview -> confirm -> result; history with undo."""

import hashlib

import streamlit as st

from lib import demo, ingest, store, ui

page = ui.setup("Import", "📥")
st.title("Import results, rosters and attendance")
st.caption("CSV (any delimiter, UTF-8 or Latin-1) or XLSX (every sheet). Nothing is written until you confirm; "
           "a file loads completely or not at all, and every rejected row is kept with its reason.")

for key, default in (("import_plan", None), ("import_plan_key", None), ("import_results", None),
                     ("import_mappings", {}), ("import_uploader_n", 0)):
    st.session_state.setdefault(key, default)

uploads = st.file_uploader(
    "Drop one or more files (a wide results file can come with its item key file or sheet)",
    type=["csv", "tsv", "txt", "xlsx", "xlsm", "zip"], accept_multiple_files=True,
    key=f"import_files_{st.session_state['import_uploader_n']}")
strict = st.checkbox("Strict: refuse a whole file if any row would be rejected", key="import_strict")


def _progress_bar(label: str):
    bar = st.progress(0.0, text=label)

    def update(frac: float, text: str) -> None:
        bar.progress(min(max(frac, 0.0), 1.0), text=text)
    return bar, update


def _plan_key(files, mappings) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.getvalue()).digest())
    h.update(repr(sorted((k, sorted(v.items())) for k, v in mappings.items())).encode())
    return h.hexdigest()


if uploads:
    key = _plan_key(uploads, st.session_state["import_mappings"])
    if st.session_state["import_plan_key"] != key:
        bar, update = _progress_bar("Reading and checking every row...")
        plan = ingest.prepare(page.con, [ingest.Upload(f.name, f.getvalue()) for f in uploads],
                              mappings=st.session_state["import_mappings"], progress=update)
        bar.empty()
        st.session_state["import_plan"] = plan
        st.session_state["import_plan_key"] = key
        st.session_state["import_results"] = None
    plan = st.session_state["import_plan"]

    st.subheader("Preview")
    for n, fp in enumerate(plan.files):
        with st.container(border=True):
            st.markdown(f"#### {fp.name}")
            if fp.unchanged:
                st.info("This exact file was already imported. Importing it again changes nothing.",
                        icon=":material/sync:")
                continue
            if fp.paired_with:
                if fp.layout == "item_key":
                    st.markdown(f"Item key for **{fp.paired_with}**: its items score that file and load with it.")
                else:
                    st.markdown(f"Part of **{fp.label or fp.layout}**; loads with **{fp.paired_with}**.")
            elif fp.label:
                st.markdown(f"Recognised layout: **{fp.label}**")
            if fp.fatal:
                st.error(fp.fatal, icon=":material/block:")
            c = st.columns(4)
            c[0].metric("Rows in file", f"{fp.rows_total:,}")
            c[1].metric("Will load", f"{0 if fp.fatal else fp.rows_ok:,}")
            c[2].metric("Will be rejected", f"{fp.rows_total if fp.fatal else fp.rows_rejected:,}")
            c[3].metric("Exact duplicates (load once)", f"{fp.rows_duplicate:,}")
            for note in fp.notes:
                st.caption(note)
            if len(fp.rejects):
                st.markdown("**Rows that will be rejected, and why** (first 50)")
                st.dataframe(fp.rejects.head(50), hide_index=True, width="stretch")
            if fp.header and (fp.unmatched or fp.fatal):
                with st.expander("Map columns (remembered for files with the same header)", expanded=bool(fp.fatal)):
                    options = ["(not mapped)", "(ignore)"] + sorted(ingest.SYNONYMS)
                    current = st.session_state["import_mappings"].get(fp.name, {})
                    choice = {}
                    for col_n, h in enumerate(fp.header):
                        matched = next((f for f, pos in fp.fields.items() if pos == col_n), None)
                        default = current.get(h) or matched or "(not mapped)"
                        choice[h] = st.selectbox(f"Column '{h}'", options, index=options.index(default)
                                                 if default in options else 0, key=f"import_map_{n}_{col_n}")
                    if st.button("Apply mapping", key=f"import_map_apply_{n}"):
                        st.session_state["import_mappings"][fp.name] = {
                            h: f for h, f in choice.items() if f != "(not mapped)"}
                        st.session_state["import_plan_key"] = None
                        st.rerun()

    loadable = [fp for fp in plan.files if not fp.unchanged and not fp.fatal and not fp.paired_with]
    b1, b2 = st.columns([1, 1])
    confirm = b1.button("Confirm import", type="primary", key="import_confirm", disabled=not loadable)
    cancel = b2.button("Cancel", key="import_cancel")
    if cancel:
        st.session_state["import_plan"] = st.session_state["import_plan_key"] = None
        st.session_state["import_uploader_n"] += 1
        st.rerun()
    if confirm:
        bar, update = _progress_bar("Importing...")
        results = ingest.commit(page.con, plan, strict=strict, progress=update)
        for fp in plan.files:
            if fp.name in st.session_state["import_mappings"] and fp.header:
                ingest.save_mapping(page.con, fp.header, st.session_state["import_mappings"][fp.name])
        ui.clear_caches()
        bar.empty()
        st.session_state["import_results"] = [r.as_dict() for r in results]
        st.session_state["import_plan"] = st.session_state["import_plan_key"] = None
        st.session_state["import_uploader_n"] += 1
        st.rerun()

if st.session_state["import_results"]:
    st.subheader("Result")
    for r in st.session_state["import_results"]:
        text = (f"**{r['file']}**: {r['rows_loaded']:,} of {r['rows_total']:,} rows loaded, "
                f"{r['rows_rejected']:,} rejected")
        if r["status"] == "loaded":
            st.success(text + (f" (import {r['import_id']})" if r["import_id"] else ""), icon=":material/check_circle:")
        elif r["status"] == "unchanged":
            st.info(f"**{r['file']}**: already imported, nothing changed.", icon=":material/sync:")
        else:
            st.error(text + ". " + (r["errors"][0]["message"] if r["errors"] else ""), icon=":material/block:")

flash = st.session_state.pop("import_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

st.divider()
st.subheader("Import history")
history = ui.query("recent_imports", limit=200)
if history.empty:
    st.caption("No imports yet.")
else:
    st.dataframe(history, hide_index=True, width="stretch",
                 column_config={"import_id": st.column_config.NumberColumn("Import", format="%d"),
                                "message": st.column_config.TextColumn("Notes", width="large")})
    h1, h2 = st.columns(2)
    with h1:
        loaded = history[history["status"] == "loaded"]
        if len(loaded):
            labels = {int(r.import_id): f"{int(r.import_id)}: {r.filename}" for r in loaded.itertuples()}
            undo_id = st.selectbox("Undo an import (removes exactly its rows, restores what it replaced)",
                                   list(labels), format_func=labels.get, key="import_undo_id")
            if st.button("Undo this import", key="import_undo"):
                try:
                    removed = store.undo_import(page.con, int(undo_id))
                except ValueError as exc:
                    st.session_state["import_flash"] = ("error", str(exc))
                else:
                    st.session_state["import_flash"] = (
                        "success", f"Import {undo_id} undone: removed {removed.get('responses', 0):,} responses, "
                        f"{removed.get('attendance', 0):,} attendance rows and {removed.get('students', 0):,} "
                        "students it had created; responses it had replaced are back.")
                ui.clear_caches()
                st.rerun()
    with h2:
        with_rejects = history[history["rows_rejected"] > 0]
        if len(with_rejects):
            labels = {int(r.import_id): f"{int(r.import_id)}: {r.filename} ({int(r.rows_rejected)} rejected)"
                      for r in with_rejects.itertuples()}
            rid = st.selectbox("Rejected rows of", list(labels), format_func=labels.get, key="import_rejects_id")
            rejects = ui.query("import_rejects", import_id=int(rid), limit=5000)
            st.dataframe(rejects, hide_index=True, width="stretch")
            ui.download_buttons(rejects, f"rejected_rows_import_{rid}", key="import_rejects_dl")

if demo.loaded_demo(page.con) is not None:
    st.divider()
    st.markdown("**Demo data** is loaded: a generated school, not real students.")
    if st.button("Remove demo data", key="import_remove_demo"):
        demo.remove(page.con)
        ui.clear_caches()
        st.session_state["import_flash"] = ("success", "Demo data removed. Import your own files above.")
        st.rerun()

# --- Scale-score levels (vendor formats): which vendor level words count as proficient -----------------
# Shown only when a MAP, i-Ready, Star or Canvas assessment is stored; the logic is in lib/formats/scale.py.
import pandas as pd  # noqa: E402

from lib.formats import scale  # noqa: E402


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


scale_vendors = ui.data(scale.vendors_on_file)
if scale_vendors:
    st.divider()
    unmapped = ui.data(scale.unmapped_levels)
    # A vendor with level words nothing decides comes first: its tab is the one open.
    scale_vendors = sorted(scale_vendors, key=lambda v: v not in set(unmapped["vendor"]))
    levels_flash = st.session_state.pop("import_levels_flash", None)
    with st.expander("Scale-score levels: what counts as proficient",
                     expanded=bool(len(unmapped)) or levels_flash is not None):
        if levels_flash:
            st.success(levels_flash, icon=":material/check_circle:")
        st.caption("NWEA MAP, i-Ready, Star and Canvas results are the vendor's level words, not points. Tick the "
                   "words that count as proficient; when no word decides, the cuts under each table do. The team "
                   "meeting, trends, goals and standards pages all use this.")
        if len(unmapped):
            listed = "; ".join(f"{scale.VENDOR_LABELS.get(r.vendor, r.vendor)} · {scale.SCOPE_LABELS[r.scope]}: "
                               f"'{r.level}' ({_count(int(r.undecided), 'result')})" for r in unmapped.itertuples())
            st.warning(f"**Level words nothing decides yet** (their results count in no % proficient): {listed}. "
                       "They are at the bottom of the vendor's table, marked 'not decided yet': tick the ones that "
                       "count as proficient and save; unticked ones are saved as not proficient.",
                       icon=":material/help:")
        show_all = st.toggle("Show every known level word and cut, not only those your files use",
                             key="import_levels_all")
        rules_before = ui.data(scale.rules)
        rules_after = rules_before.copy()
        levels_before, levels_after = [], []
        for vendor, tab in zip(scale_vendors, st.tabs([scale.VENDOR_LABELS.get(v, v) for v in scale_vendors])):
            with tab:
                frame = ui.data(scale.level_editor_frame, vendor, show_all)
                levels_before.append(frame)
                levels_after.append(st.data_editor(
                    frame, key=f"import_levels_editor_{vendor}", hide_index=True, width="stretch",
                    # The note column only when a word is still undecided (else it is an empty column).
                    column_order=("applies_to", "level", "results", "proficient")
                    + (("note",) if (~frame["mapped"]).any() else ()),
                    disabled=("applies_to", "level", "results", "note"),
                    column_config={"applies_to": st.column_config.TextColumn("Result"),
                                   "level": st.column_config.TextColumn("Level word", width="medium"),
                                   "results": st.column_config.NumberColumn("Results on file", format="%d"),
                                   "proficient": st.column_config.CheckboxColumn("Counts as proficient"),
                                   "note": st.column_config.TextColumn("")}))
                st.markdown("**When no level word decides**")
                on_file = ui.data(scale.scopes_on_file, vendor)
                for i, r in rules_before[rules_before["vendor"] == vendor].iterrows():
                    fields = scale.rule_fields(vendor, r["scope"])
                    if not fields or not (show_all or r["scope"] in on_file):
                        continue
                    cols = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
                    cols[0].markdown(scale.SCOPE_LABELS[r["scope"]])
                    key = f"import_rule_{vendor}_{r['scope']}"
                    if "percentile_cut" in fields:
                        rules_after.at[i, "percentile_cut"] = cols[1].number_input(
                            "Percentile at least", 0.0, 100.0, None if pd.isna(r["percentile_cut"])
                            else float(r["percentile_cut"]), step=1.0, format="%.0f", key=f"{key}_pct",
                            placeholder="no cut", help="Proficient when the national percentile is at least this")
                    if "score_cut" in fields:
                        rules_after.at[i, "score_cut"] = cols[2].number_input(
                            "Scale score at least", 0.0, None, None if pd.isna(r["score_cut"])
                            else float(r["score_cut"]), step=1.0, format="%.0f", key=f"{key}_score",
                            placeholder="no cut", help="Else proficient when the scale score is at least this")
                    if "prefer_projected" in fields:
                        rules_after.at[i, "prefer_projected"] = cols[3].toggle(
                            "Projected level decides first", bool(r["prefer_projected"]), key=f"{key}_projected",
                            help="Use the export's projected state-test level (for example Level 3, Met) "
                                 "before the level word, when the file has one")
                    if "overall_share" in fields:
                        share = cols[1].number_input(
                            "Outcomes at mastery for proficient overall (%)", 0.0, 100.0,
                            80.0 if pd.isna(r["overall_share"]) else float(r["overall_share"]) * 100,
                            step=5.0, format="%.0f", key=f"{key}_share")
                        rules_after.at[i, "overall_share"] = None if share is None else share / 100
        if st.button("Save what counts as proficient", type="primary", key="import_levels_save"):
            done = scale.save_mapping(page.con, pd.concat(levels_before), pd.concat(levels_after),
                                      rules_before, rules_after)
            ui.clear_caches()
            for vendor in scale_vendors:
                st.session_state.pop(f"import_levels_editor_{vendor}", None)
            parts = [f"{_count(done[k], w)} {how}" for k, w, how in (
                ("now_proficient", "result", "now proficient"), ("no_longer", "result", "no longer proficient"),
                ("now_not_proficient", "undecided result", "now not proficient"),
                ("now_undecided", "result", "now undecided")) if done[k]]
            saved = [_count(done[k], w) for k, w in (("words", "level word"), ("rules", "cut setting")) if done[k]]
            st.session_state["import_levels_flash"] = (
                f"Saved {' and '.join(saved) or 'nothing (no change)'}. "
                + (f"Results of {_count(done['students'], 'student')} changed: " + ", ".join(parts)
                   + f" (proficient results on file: {done['proficient_before']:,} → {done['proficient_after']:,})."
                   if done["results"] else "No stored result changed."))
            st.rerun()
