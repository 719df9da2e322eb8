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
