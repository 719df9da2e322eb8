"""Reports: every table as CSV/XLSX, any chart as PNG, and a one-click PDF meeting report for an assessment.

The PDF uses the team meeting's own functions (lib/meeting.py) so its numbers are the ones the team
sees on the wall, and honours meeting mode: pseudonyms (or initials) for students, Teacher A/B for
colleagues who have not opted in, and small groups hidden.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd

from lib import exports, privacy, queries

# A meeting report is for one team: past these sizes (a whole district's grade) lists and per-class
# comparisons stop being readable, so the report gives counts and asks for a school instead.
MAX_CLASSES = 12
MAX_LISTED = 300
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# Characters a core PDF font (Latin-1) cannot draw, with plain stand-ins.
_PLAIN = {"≥": ">=", "≤": "<=", "–": "-", "—": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
          "…": "...", "▲": "^", "▼": "v", "⚠": "!", "·": "·", "→": "->", "✓": "v"}


# --- tables and charts --------------------------------------------------------------------------


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A formula-safe CSV of a table (UTF-8 with BOM for Excel)."""
    return exports.to_csv_bytes(df)


def xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """A formula-safe XLSX of a table."""
    return exports.to_xlsx_bytes(df, sheet)


def workbook(tables: dict[str, pd.DataFrame]) -> bytes:
    """One XLSX with a formula-safe sheet per table (sheet names cut to Excel's 31 characters, made unique)."""
    buf = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, df in tables.items():
            sheet = "".join(ch for ch in str(name) if ch not in '[]:*?/\\')[:31] or "sheet"
            base, k = sheet, 2
            while sheet.lower() in used:
                suffix = f" ({k})"
                sheet = base[: 31 - len(suffix)] + suffix
                k += 1
            used.add(sheet.lower())
            frame = exports.safe_frame(df)
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                    frame[col] = frame[col].dt.tz_localize(None)
            frame.to_excel(writer, index=False, sheet_name=sheet)
    return buf.getvalue()


def _fix_width(spec, width: int):
    """Replace "container" widths (which need a browser) with a fixed width, recursively."""
    if isinstance(spec, dict):
        return {k: (width if k == "width" and v == "container" else _fix_width(v, width)) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_fix_width(v, width) for v in spec]
    return spec


def chart_spec(chart: alt.TopLevelMixin, width: int = 900, big: bool = False) -> dict:
    """The Vega-Lite spec of a chart, styled like the app, with a fixed width for rendering off-screen."""
    from lib import charts

    # A chart that already carries a config (styled by the caller) is rendered as it is.
    configured = getattr(chart, "config", alt.Undefined) is not alt.Undefined
    styled = chart if configured else charts.styled(chart, big)
    spec = _fix_width(styled.to_dict(), width)
    spec.setdefault("background", "white")
    return spec


def chart_png(chart: alt.TopLevelMixin, width: int = 900, scale: float = 2.0, big: bool = False) -> bytes:
    """A PNG of an Altair chart (rendered with vl-convert, no browser needed)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart_spec(chart, width, big), scale=scale)


# --- the PDF meeting report ---------------------------------------------------------------------


def _font_files() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold when installed (full Unicode); None means use the core font."""
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class _Report:
    """A thin wrapper over FPDF with the report's headings, paragraphs, metrics, tables and images."""

    def __init__(self, title: str, footer: str):
        from fpdf import FPDF

        report = self

        class _PDF(FPDF):
            def footer(self):  # noqa: D401 - FPDF hook
                self.set_y(-12)
                report.font(8)
                self.set_text_color(90, 90, 90)
                self.cell(0, 6, report.text(f"{footer}   ·   page {self.page_no()}/{{nb}}"), align="C")
                self.set_text_color(0, 0, 0)

        self.pdf = _PDF(orientation="P", unit="mm", format="Letter")
        self.pdf.set_title(title)
        self.pdf.set_creator("PLC Lens")
        self.pdf.set_auto_page_break(True, margin=16)
        self.pdf.alias_nb_pages()
        files = _font_files()
        self.unicode = files is not None
        if files:
            self.pdf.add_font("DejaVu", "", str(files[0]))
            self.pdf.add_font("DejaVu", "B", str(files[1]))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.pdf.set_margins(14, 14, 14)
        self.pdf.add_page()
        self.images = 0

    def text(self, value) -> str:
        """Text the current font can draw (core fonts only know Latin-1)."""
        s = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        if self.unicode:
            return s
        s = "".join(_PLAIN.get(ch, ch) for ch in s)
        s = unicodedata.normalize("NFKD", s)
        return s.encode("latin-1", "ignore").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def heading(self, text: str, size: float = 15) -> None:
        if self.pdf.get_y() > self.pdf.h - 40:
            self.pdf.add_page()
        self.pdf.ln(2)
        self.font(size, bold=True)
        self.pdf.multi_cell(0, size * 0.5, self.text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def para(self, text: str, size: float = 10.5) -> None:
        self.font(size)
        self.pdf.multi_cell(0, size * 0.48, self.text(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def banner(self, text: str) -> None:
        self.font(10, bold=True)
        self.pdf.set_fill_color(0, 0, 0)
        self.pdf.set_text_color(255, 255, 255)
        self.pdf.cell(self.pdf.get_string_width(self.text(text)) + 6, 7, self.text(text), fill=True,
                      new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)
        self.pdf.ln(2)

    def metrics(self, items: list[tuple[str, str]]) -> None:
        """A row of big numbers with small labels under them."""
        w = self.width / max(len(items), 1)
        y = self.pdf.get_y()
        for i, (value, label) in enumerate(items):
            self.pdf.set_xy(self.pdf.l_margin + i * w, y)
            self.font(22, bold=True)
            self.pdf.cell(w, 10, self.text(value), align="C")
            self.pdf.set_xy(self.pdf.l_margin + i * w, y + 10)
            self.font(9)
            self.pdf.multi_cell(w, 4.2, self.text(label), align="C")
        self.pdf.set_xy(self.pdf.l_margin, y + 20)
        self.pdf.ln(2)

    def image(self, png: bytes, width_mm: float | None = None) -> None:
        """Place a PNG at full text width (or `width_mm`), starting a new page if it does not fit."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            px_w, px_h = im.size
        w = min(width_mm or self.width, self.width)
        h = w * px_h / px_w
        room = self.pdf.h - self.pdf.b_margin - self.pdf.get_y()
        if h > room:
            if h > self.pdf.h - self.pdf.t_margin - self.pdf.b_margin:
                h = self.pdf.h - self.pdf.t_margin - self.pdf.b_margin - 4
                w = h * px_w / px_h
            self.pdf.add_page()
        self.pdf.image(io.BytesIO(png), x=self.pdf.l_margin, w=w, h=h)
        self.pdf.ln(2)
        self.images += 1

    def _fit(self, text: str, width: float) -> str:
        """Cut text with an ellipsis so it fits a cell of `width` mm in the current font."""
        if self.pdf.get_string_width(text) <= width:
            return text
        dots = "..." if not self.unicode else "…"
        while text and self.pdf.get_string_width(text + dots) > width:
            text = text[:-1]
        return text + dots

    def table(self, df: pd.DataFrame, widths: list[float] | None = None, size: float = 9) -> None:
        """A fast ruled table (one line per row, long text cut), header repeated after page breaks."""
        if df.empty:
            self.para("(none)")
            return
        cols = [self.text(c) for c in df.columns]
        widths = widths or [self.width / len(cols)] * len(cols)
        scale = min(1.0, self.width / sum(widths))
        widths = [w * scale for w in widths]
        row_h = size * 0.5 + 1.6

        def header():
            self.font(size, bold=True)
            self.pdf.set_fill_color(235, 235, 235)
            for c, w in zip(cols, widths):
                self.pdf.cell(w, row_h, self._fit(c, w - 1.5), border="B", fill=True)
            self.pdf.ln(row_h)
            self.font(size)

        header()
        for r in df.itertuples(index=False):
            if self.pdf.get_y() + row_h > self.pdf.h - self.pdf.b_margin:
                self.pdf.add_page()
                header()
            for v, w in zip(r, widths):
                self.pdf.cell(w, row_h, self._fit(self.text(v), w - 1.5), border="B")
            self.pdf.ln(row_h)
        self.pdf.set_draw_color(0, 0, 0)
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _pct(v) -> str:
    return "-" if v is None or pd.isna(v) else f"{v:.0%}"


def _teacher_names(con: duckdb.DuckDBPyConnection, ids: list[str], meeting_mode: bool) -> dict[str, str]:
    """Teacher display names honouring meeting mode and each teacher's opt-in."""
    t = queries.run(con, "teacher_names")
    names = dict(zip(t["teacher_id"], t["name"]))
    shown = dict(zip(t["teacher_id"], t["show_name"].astype(bool)))
    out = privacy.teacher_aliases([i for i in ids if isinstance(i, str)], names, shown, meeting_mode)
    return out


def meeting_pdf(con: duckdb.DuckDBPyConnection, assessment_id: str, meeting: bool,
                school: str | None = None, name_style: str = "pseudonym",
                gap: float | None = None, exceeds: float | None = None) -> bytes:
    """A PDF for one assessment: summary, by-standard chart, teacher comparison, intervention and extension groups."""
    from lib import charts
    from lib import meeting as mt

    meeting_mode = meeting
    gap = mt.DEFAULT_GAP if gap is None else gap
    exceeds = mt.DEFAULT_EXCEEDS if exceeds is None else exceeds
    info = mt.assessment_info(con, assessment_id)
    if info is None:
        raise ValueError(f"There is no assessment {assessment_id!r}.")
    cut = float(info["cut"]) if info["cut"] is not None and not pd.isna(info["cut"]) else 0.8
    day = info["administered_on"]
    when = f"{day:%d %B %Y}" if isinstance(day, (dt.date, pd.Timestamp)) and not pd.isna(day) else "no date"
    footer = f"PLC Lens · {info['title']} · printed {dt.date.today():%d %b %Y}" + \
        (" · names hidden" if meeting_mode else " · contains student names: keep confidential")
    rep = _Report(f"{info['title']}: team meeting report", footer)

    # 1. Summary.
    rep.heading(f"{info['title']}", 18)
    subject = info.get("subject") or ""
    grade = info.get("grade_level")
    from lib.formats import scale

    vendor = scale.assessment_scale(con, assessment_id)
    measure = (f"{vendor['vendor_label']} scale scores ({vendor.get('scale_name') or 'scale'}) · proficient = a "
               f"level the mapping counts as proficient · {int(info['n_standards'] or 0)} goal area(s)/domain(s)"
               if vendor else f"cut {cut:.0%} of points · {int(info['n_items'] or 0)} items on "
                              f"{int(info['n_standards'] or 0)} standard(s)")
    rep.para(f"{'Grade ' + str(grade) + ' ' if grade else ''}{subject} · {info['kind']} · {when} · {measure}"
             + (f" · {school}" if school else ""))
    if meeting_mode:
        rep.banner("Meeting mode: student names are pseudonyms; colleagues are Teacher A, B...")
    h = mt.headline(con, assessment_id, school)
    interval = "" if pd.isna(h["lo"]) else f" (95% interval {h['lo']:.0%}-{h['hi']:.0%})"
    rep.metrics([
        (_pct(h["pct"]), f"proficient: {h['proficient']} of {h['assessed']} assessed"),
        (f"{h['assessed']}", "students assessed"),
        (f"{h['not_assessed']}", "expected but not assessed"),
        (_pct(h["mean_score"]), "average score") if not vendor else ("-", "(no points: vendor levels)"),
    ])
    rep.para(f"% proficient = students at or above the cut / students with a score{interval}. "
             "Students not assessed are listed at the end and are not in the denominator.", 9)

    # 2. By standard.
    bys = mt.by_standard(con, assessment_id, school, gap, exceeds)
    rep.heading("Results by standard" if not vendor else "Overall and by goal area, in the vendor's levels", 14)
    levels = mt.scale_levels(con, assessment_id, school, list(bys["standard_code"])) if vendor else None
    if vendor and not levels.empty:
        rep.image(chart_png(charts.vendor_levels_chart(levels), width=820))
        t = levels[levels["proficient"].notna()]
        rep.table(pd.DataFrame({"Result": t["standard_code"], "Level": t["level"],
                                "Proficient": t["proficient"].map({True: "yes", False: "no"}),
                                "Students": t["students"], "Share": [_pct(p) for p in t["share"]]}),
                  widths=[70, 50, 24, 24, 24], size=8.5)
    elif bys.empty or int(bys["students"].sum()) == 0:
        rep.para("No results by standard: the assessment has no items aligned to a standard, or no one has "
                 "taken it yet.")
    else:
        bys = bys.assign(label=[mt.standard_axis_label(c, int(n)) for c, n in zip(bys["standard_code"],
                                                                                  bys["n_items"])])
        rep.image(chart_png(charts.standard_levels_chart(bys, cut), width=820))
        t = pd.DataFrame({
            "Standard": bys["standard_code"], "Skill": bys["description"].fillna(""),
            "Items": bys["n_items"], "Students": bys["students"],
            "% proficient": [_pct(p) for p in bys["pct"]], "Average": [_pct(p) for p in bys["mean_score"]],
        })
        rep.table(t, widths=[24, 78, 14, 18, 24, 20], size=8.5)

    # 3. Teacher comparison.
    rep.heading("Each class beside the rest of the team", 14)
    tv = mt.teacher_vs_team(con, assessment_id, school)
    n_classes = tv["teacher_id"].nunique() if not tv.empty else 0
    if tv.empty:
        rep.para("No class rosters match this assessment, so there is no teacher-by-teacher comparison.")
    elif n_classes > MAX_CLASSES:
        rep.para(f"{n_classes} classes took this assessment: too many for one team's comparison. Choose a school "
                 "to print each class beside the rest of its team.")
    else:
        names = _teacher_names(con, list(tv["teacher_id"].unique()), meeting_mode)
        overall = tv[tv["standard_code"] == mt.ALL_STANDARDS]
        rows = []
        for _, r in overall.iterrows():
            if r["suppressed"]:
                continue
            label = names.get(r["teacher_id"], r["teacher_id"])
            rows.append({"teacher": label, "who": "This class", "pct": r["pct"], "lo": r["lo"], "hi": r["hi"],
                         "n": int(r["n"]), "note": r["difference"] or "within the uncertainty"})
            rows.append({"teacher": label, "who": "Rest of team", "pct": r["rest_pct"], "lo": r["rest_lo"],
                         "hi": r["rest_hi"], "n": int(r["rest_n"]), "note": ""})
        rep.para("Dots are % proficient on the whole assessment; lines are 95% intervals. A difference is notable "
                 "only when the intervals do not overlap. Classes (or the rest of the team) under "
                 f"{privacy.MIN_GROUP_TEAM} students are hidden. For learning from each other, not ranking.", 9)
        if rows:
            rep.image(chart_png(charts.teacher_team_chart(pd.DataFrame(rows)), width=1000))
        hidden = int(overall["suppressed"].sum())
        if hidden:
            rep.para(f"{hidden} class(es) hidden: fewer than {privacy.MIN_GROUP_TEAM} students with a result.", 9)
        # Standards down the side, classes across: a team has a handful of classes but may test many standards.
        matrix = mt.teacher_matrix(tv, names).set_index("Class").T
        matrix.index.name = "Standard"
        matrix = matrix.reset_index()
        matrix.columns = [str(c) for c in matrix.columns]
        n_cols = len(matrix.columns)
        first = 30.0
        rest = (rep.width - first) / max(n_cols - 1, 1)
        rep.para("Cells: % proficient of the class's students with a result; ▲ / ▼ notably higher / lower than the "
                 "rest of the team.", 9)
        rep.table(matrix, widths=[first] + [rest] * (n_cols - 1), size=8.5 if n_cols <= 7 else 7)

    # 4. Groups.
    scores = mt.student_scores(con, assessment_id, school, gap, exceeds)
    grp = mt.groups(scores)
    rep.heading("Who needs more time and support, who is ready for extension", 14)
    if grp.empty:
        rep.para("No student has a result on a standard yet.")
    else:
        names = _teacher_names(con, list(grp["teacher_id"].dropna().unique()), meeting_mode)
        shown = privacy.label_students(grp, meeting_mode, name_style)
        shown["teacher"] = grp["teacher_id"].map(lambda t: names.get(t, mt.NO_TEACHER)).values
        below = "below a proficient level" if vendor else f"below the cut ({cut:.0%})"
        rep.para(f"Per standard: {below} = {mt.INTERVENTION}; at or above = {mt.EXTENSION}.", 9)
        n_students = shown["student"].nunique()
        listed = n_students <= MAX_LISTED
        rep.para("Students are listed by class, lowest score first in the support group." if listed else
                 f"{n_students} students: too many to list here, so only the counts follow. Choose a school to "
                 "print the names.", 9)
        for code in list(dict.fromkeys(shown["standard_code"])):
            block = shown[shown["standard_code"] == code]
            need = block[block["group"] == mt.INTERVENTION]
            ready = block[block["group"] == mt.EXTENSION]
            rep.heading(f"{code}: {len(need)} need support, {len(ready)} ready for extension", 11.5)
            if not listed:
                continue
            for title, members in ((mt.INTERVENTION, need), (mt.EXTENSION, ready)):
                rep.font(9.5, bold=True)
                rep.pdf.cell(0, 5, rep.text(f"{title} ({len(members)})"), new_x="LMARGIN", new_y="NEXT")
                if members.empty:
                    rep.para("No students.", 9)
                    continue
                for teacher, m in members.groupby("teacher", sort=True):
                    m = m.sort_values(["score", "student"], ascending=[title == mt.INTERVENTION, True])
                    names = ", ".join(n if vendor else f"{n} {_pct(v)}" for n, v in zip(m["student"], m["score"]))
                    rep.para(f"{teacher} ({len(m)}): {names}", 8.5)

    # 5. Not assessed.
    na = mt.not_assessed(con, assessment_id, school)
    rep.heading(f"Expected but not assessed: {len(na)}", 13)
    if na.empty:
        rep.para("Every student on the roster has a result.")
    else:
        names = _teacher_names(con, list(na["teacher_id"].dropna().unique()), meeting_mode)
        shown = privacy.label_students(na, meeting_mode, name_style)
        t = pd.DataFrame({"Student": shown["student"],
                          "Class": na["teacher_id"].map(lambda t: names.get(t, mt.NO_TEACHER)).values})
        rep.table(t.head(MAX_LISTED), widths=[90, 92], size=8.5)
        if len(t) > MAX_LISTED:
            rep.para(f"... and {len(t) - MAX_LISTED} more (choose a school to list them all).", 9)
    return rep.output()


def meeting_pdf_name(con: duckdb.DuckDBPyConnection, assessment_id: str) -> str:
    """A file name for an assessment's meeting report ("meeting_report_gr3-math-cfa-4.pdf")."""
    from lib import meeting as mt

    info = mt.assessment_info(con, assessment_id) or {"title": assessment_id}
    slug = "".join(ch.lower() if ch.isalnum() else "-" for ch in str(info["title"]))
    slug = "-".join(p for p in slug.split("-") if p)[:60] or "assessment"
    return f"meeting_report_{slug}.pdf"
