"""Read uploaded bytes into plain tables of text: CSV in any delimiter and encoding, or every sheet of an XLSX.

Nothing here guesses meaning; a Table is a header, the data rows as text and the source row
number of each, so every later message can name the file, row and column a person will find.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DELIMITERS = [",", ";", "\t", "|"]


class ReadError(Exception):
    """A file that cannot be read at all (message names the file)."""

    def __init__(self, message: str, unreadable: bool = True):
        super().__init__(message)
        self.unreadable = unreadable


@dataclass
class Table:
    """One header plus rows of text from a file (or one sheet of a workbook)."""

    source: str
    sheet: str | None
    header: list[str]
    data: pd.DataFrame  # columns are positions 0..n-1, every cell text ("" when blank)
    rows: list[int]  # source row number of each data row (1-based, as a spreadsheet shows it)
    header_row: int = 1
    delimiter: str = ","
    encoding: str = "utf-8"
    problems: list[tuple[int, str | None, str, str]] = field(default_factory=list)  # rows set aside while reading

    @property
    def name(self) -> str:
        """The file name, with the sheet when the file has several."""
        return f"{self.source} [{self.sheet}]" if self.sheet else self.source

    def raw(self, position: int) -> str:
        """The text of one data row as it appeared (cells joined by the file's delimiter)."""
        cells = [str(v) for v in self.data.iloc[position].tolist()]
        while cells and cells[-1] == "":
            cells.pop()
        buf = io.StringIO()
        csv.writer(buf, delimiter=self.delimiter if len(self.delimiter) == 1 else ",",
                   lineterminator="").writerow(cells)
        return buf.getvalue()


def is_xlsx(data: bytes) -> bool:
    """XLSX files are zip archives."""
    return data[:4] == b"PK\x03\x04"


def is_workbook(data: bytes) -> bool:
    """A zip that is an Excel workbook (rather than a zip of CSVs such as a OneRoster bundle)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return any(n in ("xl/workbook.xml", "[Content_Types].xml") for n in z.namelist())
    except zipfile.BadZipFile:
        return True  # let the workbook reader report the damage


def read_zip(data: bytes, name: str) -> list[Table]:
    """One Table per CSV/TXT inside a zip (OneRoster bundle, NWEA data-file zip), sheet = member path."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError(f"{name}: cannot open this zip file ({exc})") from exc
    tables = []
    with z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            member = info.filename
            base = member.rsplit("/", 1)[-1]
            if info.is_dir() or member.startswith("__MACOSX/") or base.startswith(".") \
                    or not base.lower().endswith((".csv", ".txt", ".tsv")):
                continue
            raw = z.read(info)
            if not raw.strip():
                continue  # an empty member (e.g. a bundle's unused results.csv)
            text, encoding = decode(raw, f"{name} [{member}]")
            try:
                t = read_csv_text(text, name, encoding)
            except ReadError as exc:
                if exc.unreadable:
                    raise ReadError(f"{name} [{member}]: {exc}") from exc
                continue
            t.sheet = member
            tables.append(t)
    if not tables:
        raise ReadError(f"{name}: the zip holds no CSV files", unreadable=False)
    return tables


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Text and encoding of a CSV: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError:
            # A UTF-8 mark on a file saved in a Windows code page: read the rest as Windows-1252.
            return data[len(codecs.BOM_UTF8):].decode("latin-1"), "latin-1"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ReadError(f"{name}: the file says it is UTF-16 but cannot be decoded ({exc.reason})") from exc
    if b"\x00" in data[:4096]:
        raise ReadError(f"{name}: this is not a CSV or XLSX file (it contains binary data)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample lines into the most, most consistent, columns."""
    best, best_score = ",", (0, 0)
    sample = [ln for ln in lines if ln.strip()][:50]
    for delim in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=delim)]
        except csv.Error:
            continue
        if not counts or max(counts) < 2:
            continue
        header_n = counts[0]
        consistent = sum(1 for c in counts if c == header_n)
        score = (consistent, header_n)
        if score > best_score:
            best, best_score = delim, score
    return best


_COMMENT = re.compile(r"^\s*#")


def read_csv_text(text: str, name: str, encoding: str = "utf-8") -> Table:
    """Parse CSV text into a Table, skipping blank and leading '#' comment lines, padding short rows."""
    lines = text.splitlines()
    # Leading comment lines (some exports carry a title or notes above the header).
    start = 0
    while start < len(lines) and (not lines[start].strip() or _COMMENT.match(lines[start])):
        start += 1
    if start >= len(lines):
        raise ReadError(f"{name}: the file is empty", unreadable=False)
    delim = sniff_delimiter(lines[start:start + 50])
    body = "\n".join(lines[start:])
    fast = _read_fast(body, lines, start, delim, name, encoding)
    if fast is not None:
        return fast
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delim)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ReadError(f"{name}: cannot read the header row ({exc})") from exc
    header = [h.strip() for h in header]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise ReadError(f"{name}: the header row is blank", unreadable=False)
    header_row = start + 1
    n = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[tuple[int, str | None, str, str]] = []
    last_line = reader.line_num
    try:
        for rec in reader:
            line_no = start + last_line + 1
            last_line = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) > n:
                extra = rec[n:]
                if any(c.strip() for c in extra):
                    problems.append((line_no, None,
                                     f"row has {len(rec)} cells but the header has {n} columns",
                                     delim.join(rec)))
                    continue
                rec = rec[:n]
            elif len(rec) < n:
                rec = rec + [""] * (n - len(rec))
            rows.append(rec)
            numbers.append(line_no)
    except csv.Error as exc:
        raise ReadError(f"{name}: row {start + reader.line_num}: cannot parse CSV ({exc})") from exc
    # One object block (not a column per header cell): a file with thousands of columns stays fast.
    data = pd.DataFrame(np.array(rows, dtype=object).reshape(len(rows), n) if rows else np.empty((0, n), dtype=object),
                        dtype=object)
    return Table(name, None, header, data, numbers, header_row, delim, encoding, problems)


def _read_fast(body: str, lines: list[str], start: int, delim: str, name: str, encoding: str) -> Table | None:
    """The C parser for well-formed files, used only when its row count provably maps rows to lines.

    When every line after the header is a non-blank record (no quoted line breaks, no blank lines),
    data row i is file line start + 2 + i. Anything else (or a row with too many cells) falls back
    to the exact, slower reader.
    """
    body_lines = lines[start + 1:]
    if not body_lines or any(not ln.strip() for ln in body_lines):
        return None
    if lines[start].count(delim) > 500:
        return None  # very wide files: the exact reader builds one block, the C parser a column each
    try:
        # header=None: the C parser then refuses a row longer than the first instead of silently
        # turning leading cells into an index.
        df = pd.read_csv(io.StringIO(body), sep=delim, dtype=str, keep_default_na=False, na_filter=False,
                         skip_blank_lines=False, engine="c", quoting=csv.QUOTE_MINIMAL, header=None,
                         index_col=False)
    except (pd.errors.ParserError, ValueError, csv.Error):
        return None
    if len(df) != len(body_lines) + 1:
        return None
    header = [str(h).strip() for h in df.iloc[0].fillna("").tolist()]
    while header and header[-1] == "":
        header.pop()
    if not header:
        return None
    extra = df.iloc[1:, len(header):]
    if extra.size and (extra.fillna("").astype(str).apply(lambda c: c.str.strip()) != "").any().any():
        return None
    df = df.iloc[1:, : len(header)].reset_index(drop=True).fillna("")
    df.columns = range(len(header))
    numbers = list(range(start + 2, start + 2 + len(df)))
    return Table(name, None, header, df.astype("str"), numbers, start + 1, delim, encoding, [])


def read_xlsx(data: bytes, name: str) -> list[Table]:
    """Every non-empty sheet of a workbook as a Table (first non-blank row is the header)."""
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ReadError(f"{name}: cannot open this workbook ({type(exc).__name__}: {exc})") from exc
    tables = []
    for sheet, df in sheets.items():
        df = df.dropna(how="all")
        if df.empty:
            continue
        df = df.map(_cell_text)
        header_pos = df.index[0]
        header = [h.strip() for h in df.loc[header_pos].tolist()]
        while header and header[-1] == "":
            header.pop()
        body = df.loc[df.index > header_pos].iloc[:, : len(header)]
        body = body[~(body == "").all(axis=1)]
        numbers = [int(i) + 1 for i in body.index]
        body = body.reset_index(drop=True).astype("str")
        body.columns = range(len(header))
        tables.append(Table(name, str(sheet) if len(sheets) > 1 else None, header, body, numbers,
                            int(header_pos) + 1, ",", "xlsx"))
    if not tables:
        raise ReadError(f"{name}: the file is empty", unreadable=False)
    return tables


def _cell_text(value) -> str:
    """A workbook cell as the text a person sees (dates as ISO, 3.0 as 3)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") or len(text) == 10 else text.replace("T", " ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_tables(name: str, data: bytes) -> list[Table]:
    """All tables in an uploaded file (one for a CSV, one per non-empty sheet for XLSX, one per CSV in a zip)."""
    if not data or not data.strip():
        raise ReadError(f"{name}: the file is empty", unreadable=False)
    lower = name.lower()
    if is_xlsx(data) and (lower.endswith(".zip") or not is_workbook(data)):
        return read_zip(data, name)
    if is_xlsx(data):
        return read_xlsx(data, name)
    if lower.endswith((".xls",)) or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError(f"{name}: old Excel (.xls) files are not supported; save it as .xlsx or .csv")
    if lower.endswith((".xlsx", ".xlsm")):
        raise ReadError(f"{name}: the file is named .xlsx but is not a valid workbook")
    text, encoding = decode(data, name)
    return [read_csv_text(text, name, encoding)]
