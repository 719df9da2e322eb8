"""Downloads that are safe to open in a spreadsheet: formula cells escaped, CSV and XLSX."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of the table with every text cell (and header) formula-escaped."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(escape_cell)
    out.columns = [escape_cell(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM so Excel reads accents) of a formula-safe table."""
    # CRLF rows (the CSV standard) make the writer quote any cell holding a bare carriage return,
    # so such a cell can never split its row.
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """An XLSX workbook of a formula-safe table."""
    buf = io.BytesIO()
    frame = safe_frame(df)
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_localize(None)
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()
