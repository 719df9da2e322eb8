"""The only lib module that imports streamlit: cached connection, cached data, shared filters, meeting mode."""

from __future__ import annotations

import datetime as dt
import importlib
import os
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from lib import demo, kept, privacy, store

FILTER_KEYS = ("school", "grade", "subject", "teacher", "standard", "date_from", "date_to")
# Values carried in the URL so a copied link reproduces the view.
URL_KEYS = FILTER_KEYS + ("assessment", "student", "meeting")


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    con = store.connect(path)
    if os.environ.get("PLC_LENS_DEMO", "1") != "0":
        demo.ensure_demo(con)
    return con


def connection():
    """The app's one DuckDB connection (queries use their own cursors); stops the page if the file is locked."""
    path = str(store.db_path())
    try:
        return _connection(path)
    except store.StoreOpenError as exc:
        st.error(str(exc))
        st.stop()


@st.cache_data(ttl=600, max_entries=512, show_spinner=False)
def _cached_query(path: str, name: str, params: tuple) -> pd.DataFrame:
    return kept.query(_connection(path), name, **dict(params))


def query(name: str, **params) -> pd.DataFrame:
    """A named query's result, cached (bounded) until the next write."""
    return _cached_query(str(store.db_path()), name, tuple(sorted(params.items())))


def _call(path: str, module: str, func: str, args: tuple, kwargs: tuple):
    return getattr(importlib.import_module(module), func)(_connection(path), *args, **dict(kwargs))


def _call_key(fn, args: tuple, kwargs: dict) -> tuple:
    """The plain, hashable arguments the cached callers take for `fn(con, *args, **kwargs)`."""
    return str(store.db_path()), fn.__module__, fn.__name__, tuple(args), tuple(sorted(kwargs.items()))


@st.cache_data(ttl=600, max_entries=512, show_spinner=False)
def _cached_call(path: str, module: str, func: str, args: tuple, kwargs: tuple):
    return _call(path, module, func, args, kwargs)


# Big read-only results (the early-warning model and its predictions for a district) are kept as objects:
# st.cache_data pickles a result when it is stored and unpickles it on every rerun, which for ~100,000
# predictions cost seconds per click.
@st.cache_resource(ttl=600, max_entries=16, show_spinner=False)
def _shared_call(path: str, module: str, func: str, args: tuple, kwargs: tuple):
    return _call(path, module, func, args, kwargs)


def data(fn, *args, **kwargs):
    """Call a lib function `fn(con, *args, **kwargs)` with plain arguments, cached until the next write."""
    return _cached_call(*_call_key(fn, args, kwargs))


def shared_data(fn, *args, **kwargs):
    """Like data(), but every session gets the same object (no copy): callers must not change it."""
    return _shared_call(*_call_key(fn, args, kwargs))


def clear_caches() -> None:
    """Forget cached query results (call after every write)."""
    _cached_query.clear()
    _cached_call.clear()
    _shared_call.clear()


# --- meeting mode ------------------------------------------------------------------------------

MEETING_CSS = """
<style>
/* Meeting mode: read from the back of the room on a 1280x720 projector. Big type, black on white,
   thicker rules, less chrome. */
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stAppViewContainer"], [data-testid="stMain"] { background: #ffffff; color: #000000; }
[data-testid="stHeader"] { background: #ffffff; }
[data-testid="stDecoration"] { display: none; }
.block-container { padding-top: 3rem; padding-left: 1.8rem; padding-right: 1.8rem; max-width: 100%; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.2rem; color: #000; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1.0rem !important;
  color: #222 !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] div, [data-testid="stMetricValue"] p {
  font-size: 3.4rem !important; font-weight: 800; color: #000000; line-height: 1.15; }
[data-testid="stMetricLabel"] p { font-size: 1.15rem !important; color: #000000; font-weight: 600; }
h1 { font-size: 2.3rem !important; color: #000 !important; }
h2 { font-size: 1.9rem !important; color: #000 !important; }
h3 { font-size: 1.55rem !important; color: #000 !important; }
[data-testid="stTable"] table { font-size: 1.1rem; }
[data-testid="stTable"] td, [data-testid="stTable"] th { color: #000; padding: 0.35rem 0.6rem; }
[data-testid="stExpander"] summary p { font-size: 1.15rem; font-weight: 600; }
[data-testid="stTabs"] button p { font-size: 1.15rem; font-weight: 600; }
[data-testid="stSelectbox"] div[data-baseweb="select"] { font-size: 1.1rem; }
[data-testid="stAlert"] p { font-size: 1.15rem; }
.plc-banner { background: #000; color: #fff; padding: 0.25rem 0.8rem; border-radius: 4px; display: inline-block;
              font-weight: 700; font-size: 0.95rem; }
</style>
"""

BASE_CSS = """
<style>
[data-testid="stMetricValue"] { font-size: 2.4rem; font-weight: 650; }
.block-container { padding-top: 2.2rem; }
</style>
"""

# Print-friendly: a browser's Print command drops the sidebar, header and buttons.
# Streamlit names the entry page after its file ("app"); show "Home" in the page list instead.
NAV_CSS = """
<style>
[data-testid="stSidebarNav"] span[label="app"], [data-testid="stSidebarNav"] span[label="app"] div { overflow: visible !important; }
[data-testid="stSidebarNav"] span[label="app"] p { visibility: hidden; position: relative; display: inline-block; min-width: 3.5em; }
[data-testid="stSidebarNav"] span[label="app"] p::after { content: "Home"; visibility: visible; position: absolute; left: 0; top: 0; white-space: nowrap; }
</style>
"""  # noqa: E501  (one rule per line: st.markdown would treat an indented line as text)

PRINT_CSS = """
<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDownloadButton"], [data-testid="stPageLink"], .stButton { display: none !important; }
  .block-container { padding: 0 !important; max-width: 100% !important; }
  [data-testid="stExpander"] details { border: none; }
}
</style>
"""


def _query_param(key: str) -> str | None:
    value = st.query_params.get(key)
    return value if value not in ("", None) else None


# Streamlit forgets a widget's state when another page is shown (and the sidebar's page links drop
# the URL's parameters), so each shared setting is mirrored in a plain session key ("_keep_...") that
# survives page changes. Without it, meeting mode would switch itself off on the next page.
def _keep(key: str) -> str:
    return f"_keep_{key}"


def _carry(key: str, url_value=None) -> None:
    """Set a shared widget's value before it is drawn: the URL's, else this session's, else the kept copy.

    Re-assigning the session's own value is what makes Streamlit keep it for the new page's widget.
    """
    if url_value is not None:
        st.session_state[key] = url_value
    elif key in st.session_state:
        st.session_state[key] = st.session_state[key]
    elif _keep(key) in st.session_state:
        st.session_state[key] = st.session_state[_keep(key)]


def keep(*keys: str) -> None:
    """Keep these page widgets' values when the user comes back from another page (call before drawing them)."""
    for key in keys:
        _carry(key)
        if key in st.session_state:
            st.session_state[_keep(key)] = st.session_state[key]


def hold(*keys: str) -> None:
    """Keep these widgets' values while they are not drawn (inside a closed tab), for this session.

    Streamlit forgets the value of a widget that a run does not draw; re-assigning it makes it a session
    value that the widget picks up when its tab opens again. Call before the tabs; never for buttons.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def tabs(labels: list[str], key: str) -> list:
    """Tabs that draw only the open one: the page wraps each tab's content in `if tab.open:`.

    A page then computes the data of the tab in front of the team, not of every tab; a click on another
    tab reruns the page for that one. Widgets drawn inside a tab are not drawn while it is closed, so a
    page keeps their values with `hold(...)` (or `keep(...)`, which also carries them to other pages),
    called before the tabs. The open tab is
    `st.session_state[key]` (its label).
    """
    return st.tabs(labels, key=key, on_change="rerun")


def meeting_mode() -> bool:
    """True when names must be hidden (sidebar toggle, `?meeting=1`, or still on from another page)."""
    url = _query_param("meeting")
    _carry("meeting_mode", None if url is None else url in ("1", "true", "yes"))
    st.session_state.setdefault("meeting_mode", False)
    st.session_state[_keep("meeting_mode")] = bool(st.session_state["meeting_mode"])
    return bool(st.session_state["meeting_mode"])


def _sync_meeting() -> None:
    st.session_state[_keep("meeting_mode")] = bool(st.session_state.get("meeting_mode"))
    if st.session_state.get("meeting_mode"):
        st.query_params["meeting"] = "1"
    elif "meeting" in st.query_params:
        del st.query_params["meeting"]


@dataclass
class Page:
    """What every page gets from `setup`: the connection and whether meeting mode is on."""

    con: object
    meeting: bool
    name_style: str


def setup(title: str, icon: str = "📊") -> Page:
    """Configure the page, the sidebar (meeting mode, demo banner) and return the page context."""
    meeting = meeting_mode()
    # A projected meeting starts with the sidebar folded away: the room sees the page, not the menu.
    st.set_page_config(page_title=f"{title} · PLC Lens", page_icon=icon, layout="wide",
                       initial_sidebar_state="collapsed" if meeting else "auto")
    con = connection()
    _carry("meeting_name_style")
    st.session_state.setdefault("meeting_name_style", "pseudonym")
    with st.sidebar:
        st.toggle("Meeting mode (hide names)", key="meeting_mode", on_change=_sync_meeting,
                  help="Larger type, high contrast; student names become pseudonyms; other teachers "
                       "become Teacher A/B; small groups are hidden. Bookmark with ?meeting=1.")
        if st.session_state["meeting_mode"]:
            st.radio("Show students as", ["pseudonym", "initials"], key="meeting_name_style", horizontal=True)
    meeting = bool(st.session_state["meeting_mode"])
    st.session_state[_keep("meeting_mode")] = meeting
    st.session_state[_keep("meeting_name_style")] = st.session_state["meeting_name_style"]
    if meeting and _query_param("meeting") is None:
        st.query_params["meeting"] = "1"
    st.markdown((MEETING_CSS if meeting else BASE_CSS) + PRINT_CSS, unsafe_allow_html=True)
    st.markdown(NAV_CSS, unsafe_allow_html=True)
    if demo.loaded_demo(con) is not None:
        st.sidebar.info("Demo data: a generated school, not real students. Remove it on the Import page.",
                        icon=":material/science:")
    return Page(con=con, meeting=meeting, name_style=st.session_state["meeting_name_style"])


def student_label(page: Page, student_id: str, first: str | None, last: str | None) -> str:
    """A student's display name honouring meeting mode."""
    return privacy.student_label(student_id, first, last, page.meeting, page.name_style)


def label_students(page: Page, df: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Replace name columns of a table with one display column honouring meeting mode."""
    return privacy.label_students(df, page.meeting, page.name_style, **kwargs)


def teacher_labels(page: Page, teacher_ids: list[str], own: str | None = None) -> dict[str, str]:
    """Display names for teachers honouring meeting mode and each teacher's opt-in."""
    t = query("teacher_names")
    names = dict(zip(t["teacher_id"], t["name"]))
    shown = dict(zip(t["teacher_id"], t["show_name"].astype(bool)))
    labels = privacy.teacher_aliases(list(teacher_ids), names, shown, page.meeting, own)
    return privacy.unique_labels(labels)


# --- shared filters ----------------------------------------------------------------------------

def _options(field: str) -> list[str]:
    opts = query("filter_options")
    values = sorted(opts.loc[opts["field"] == field, "value"].dropna().astype(str).unique())
    if field == "grade":
        values.sort(key=lambda g: (-1 if g == "PK" else 0 if g == "K" else int(g) if g.isdigit() else 99, g))
    return values


def _init_from_url(key: str) -> None:
    state_key = f"filter_{key}"
    value = _query_param(key)
    if key in ("date_from", "date_to") and value is not None:
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = None
    _carry(state_key, value)
    st.session_state.setdefault(state_key, None)


def _write_url(key: str) -> None:
    value = st.session_state.get(f"filter_{key}")
    if value in (None, "", "All"):
        if key in st.query_params:
            del st.query_params[key]
    else:
        st.query_params[key] = value.isoformat() if isinstance(value, dt.date) else str(value)


def filters(fields: tuple[str, ...] = ("school", "grade", "subject", "teacher", "standard"),
            one_school: bool = False) -> dict:
    """Shared sidebar filters kept in session state and the URL; returns {field: value or None}. With
    `one_school`, a store holding several schools opens on the first one, once a session (a team meeting is
    one school's team; the whole district's grade on one projector is unreadable); "All" stays a choice."""
    out: dict = {}
    labels = {"school": "School", "grade": "Grade", "subject": "Subject", "teacher": "Teacher",
              "standard": "Standard"}
    with st.sidebar:
        st.markdown("**Filters**")
        for field in fields:
            _init_from_url(field)
            if field in ("date_from", "date_to"):
                st.date_input("From" if field == "date_from" else "To", key=f"filter_{field}",
                              on_change=_write_url, args=(field,))
                out[field] = st.session_state.get(f"filter_{field}")
                st.session_state[_keep(f"filter_{field}")] = out[field]
                if out[field] is not None and _query_param(field) != out[field].isoformat():
                    st.query_params[field] = out[field].isoformat()
                continue
            options = ["All"] + _options(field)
            if field == "school" and one_school and not st.session_state.get("filter_school_offered"):
                st.session_state["filter_school_offered"] = True
                if len(options) > 2 and st.session_state.get("filter_school") in (None, "All"):
                    st.session_state["filter_school"] = options[1]
                    st.session_state["filter_school_defaulted"] = options[1]
                    _write_url("school")
            current = st.session_state.get(f"filter_{field}")
            if current not in options:
                st.session_state[f"filter_{field}"] = "All"
            fmt = str
            if field == "teacher":
                page = Page(None, bool(st.session_state.get("meeting_mode")),
                            st.session_state.get("meeting_name_style", "pseudonym"))
                labels_map = teacher_labels(page, options[1:])
                fmt = lambda v, m=labels_map: m.get(v, v)  # noqa: E731
            st.selectbox(labels[field], options, key=f"filter_{field}", format_func=fmt,
                         on_change=_write_url, args=(field,))
            value = st.session_state[f"filter_{field}"]
            st.session_state[_keep(f"filter_{field}")] = value
            out[field] = None if value == "All" else value
            if out[field] is not None and _query_param(field) != out[field]:
                st.query_params[field] = out[field]
    return out


def remember(key: str, value: str | None) -> None:
    """Carry a page selection (assessment, student) in session state and the URL for links."""
    st.session_state[f"current_{key}"] = value
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def recall(key: str) -> str | None:
    """The current assessment/student from the URL or session state."""
    return _query_param(key) or st.session_state.get(f"current_{key}")


def link_params(**extra) -> dict:
    """Query parameters for a link to another page that keeps the current filters and meeting mode."""
    params = {k: v for k in URL_KEYS if (v := _query_param(k)) is not None}
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


def download_buttons(df, name: str, key: str) -> None:
    """CSV and XLSX downloads of a table (or of a function returning one) with spreadsheet formulas escaped."""
    from lib import exports

    frame = df if callable(df) else (lambda: df)

    c1, c2 = st.columns(2)
    # Built on click, not on every run: an XLSX of a district's 100,000 rows takes half a minute.
    c1.download_button("Download CSV", lambda: exports.to_csv_bytes(frame()), file_name=f"{name}.csv", mime="text/csv",
                       key=f"{key}_csv", on_click="ignore")
    c2.download_button("Download XLSX", lambda: exports.to_xlsx_bytes(frame()), file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}_xlsx", on_click="ignore")


# --- links, charts and printable views shared by the pages ---------------------------------------

STUDENT_PAGE = "pages/3_Student.py"


def student_params(page: Page, student_id: str) -> dict:
    """Link parameters that open a student's profile (an opaque token instead of the id in meeting mode)."""
    from lib import profile

    return link_params(student=profile.student_ref(str(student_id), page.meeting))


def page_link(target: str, label: str, icon: str | None = None, query_params: dict | None = None) -> None:
    """st.page_link that keeps the current filters, and degrades to plain text when the page is unknown.

    (A page script run on its own, as AppTest.from_file("pages/x.py") does, has no page registry.)
    """
    from streamlit.errors import StreamlitPageNotFoundError

    params = link_params() if query_params is None else query_params
    try:
        st.page_link(target, label=label, icon=icon, query_params=params)
    except StreamlitPageNotFoundError:
        st.caption(f"{label} (open it from the sidebar)")


def student_link(page: Page, student_id: str, label: str, icon: str = "👤") -> None:
    """A link to one student's profile that keeps the current filters and meeting mode."""
    page_link(STUDENT_PAGE, label=label, icon=icon, query_params=student_params(page, student_id))


def open_student(page: Page, student_id: str) -> None:
    """Go to a student's profile now (for a button or a selection)."""
    st.session_state["current_student"] = str(student_id)
    st.switch_page(STUDENT_PAGE, query_params=student_params(page, student_id))


# A chart's Vega-Lite spec is cached on its builder and inputs: building and validating an Altair chart
# costs 30-60 ms, and a page with a dozen charts paid that on every click.
@st.cache_data(ttl=600, max_entries=256, show_spinner=False)
def _chart_spec(module: str, func: str, args: tuple, kwargs: tuple, big: bool) -> dict:
    import altair as alt

    from lib import charts

    built = getattr(importlib.import_module(module), func)(*args, **dict(kwargs))
    # Inline data as st.altair_chart sends it, without Altair's 5,000-row guard.
    with alt.data_transformers.enable("default", max_rows=None):
        return charts.styled(built, big).to_dict()


def chart(page: Page, builder, *args, key: str | None = None, **kwargs) -> None:
    """Show `builder(*args, **kwargs)` (a lib.charts function) full width with readable fonts (bigger in
    meeting mode); the spec is cached on the inputs."""
    spec = _chart_spec(builder.__module__, builder.__name__, args, tuple(sorted(kwargs.items())), page.meeting)
    st.vega_lite_chart(spec=spec, width="stretch", key=key)


def chart_with_png(page: Page, builder, *args, name: str, key: str, **kwargs) -> None:
    """A chart (see chart) with a PNG download under it (the PNG is rendered only when clicked)."""
    from lib import reports

    chart(page, builder, *args, key=key, **kwargs)
    st.download_button("PNG", data=lambda: reports.chart_png(builder(*args, **kwargs), big=page.meeting),
                       file_name=f"{name}.png", mime="image/png", key=f"{key}_png", on_click="ignore", icon="🖼️")


def shown_dates(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as plain days (no 00:00:00) for display and download."""
    out = df.copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime64"):
            out[col] = out[col].dt.date
    return out


def table(page: Page, df: pd.DataFrame, percent_cols: tuple[str, ...] = (), key: str | None = None,
          **kwargs) -> None:
    """A table readable on a projector: large static HTML in meeting mode, a sortable grid otherwise.

    Columns in `percent_cols` hold fractions and show as whole percentages either way.
    """
    present = [c for c in percent_cols if c in df.columns]
    if page.meeting:
        fmt = {c: (lambda v: "" if pd.isna(v) else f"{v:.0%}") for c in present}
        for c in df.columns:
            if c not in fmt and pd.api.types.is_float_dtype(df[c]):
                whole = bool(((df[c].dropna() % 1) == 0).all())
                fmt[c] = (lambda v: "" if pd.isna(v) else f"{v:,.0f}") if whole else \
                    (lambda v: "" if pd.isna(v) else f"{v:,.2f}")
        st.table(df.style.format(fmt, na_rep="").hide(axis="index"))
        return
    config = dict(kwargs.pop("column_config", None) or {})
    shown = df
    if present:
        # Whole percentages that still sort as numbers: show 100 x the fraction with a % sign.
        shown = df.copy()
        for c in present:
            shown[c] = shown[c].astype("float64") * 100
            config.setdefault(c, st.column_config.NumberColumn(c, format="%.0f%%"))
    st.dataframe(shown, width="stretch", hide_index=kwargs.pop("hide_index", True), column_config=config, key=key,
                 **kwargs)


def printable_download(html_text: str, name: str, key: str, label: str = "Printable view (HTML)") -> None:
    """Offer a print-ready HTML page (open it and use the browser's Print command)."""
    st.download_button(label, html_text.encode("utf-8"), file_name=f"{name}.html", mime="text/html", key=key,
                       icon="🖨️")
