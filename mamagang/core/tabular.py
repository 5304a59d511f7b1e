"""
Reading uploaded tables (CSV or XLSX) into rows of text, shared by the
imports (employers, social-insurance contributions). Each import keeps its
own cell conversion and row checks; this module only gets the cells out,
with one clear message when the file itself cannot be read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _


class TabularError(Exception):
    """The file cannot be read at all; `message` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (Excel on Chinese Windows saves GBK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TabularError(_("无法识别文件编码，请另存为 UTF-8 编码的 CSV 文件。")) from exc


def rows_csv(data: bytes) -> list[list[str]]:
    text = decode_csv(data)
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise TabularError(_("CSV 文件格式有误：%(e)s") % {"e": exc}) from exc


def rows_xlsx(data: bytes, *, cell_text: Callable[[Any], str], max_rows: int) -> list[list[str]]:
    """
    The first sheet's rows as text. Reading stops once more than `max_rows`
    + 1 non-empty rows were read: the caller's limit error needs no more.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise TabularError(_("无法读取该 Excel 文件，请确认是 .xlsx 格式。")) from exc
    try:
        if not workbook.worksheets:
            return []
        rows: list[list[str]] = []
        filled = 0
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            row = [cell_text(value) for value in values]
            rows.append(row)
            if any(row):
                filled += 1
            if filled > max_rows + 1:
                break
        return rows
    finally:
        workbook.close()


def read_rows(
    data: bytes, file_name: str, *, cell_text: Callable[[Any], str], max_rows: int
) -> list[list[str]]:
    """The rows of an uploaded .csv or .xlsx file, its first row the header."""
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix == "csv":
        rows = rows_csv(data)
    elif suffix == "xlsx":
        rows = rows_xlsx(data, cell_text=cell_text, max_rows=max_rows)
    elif suffix in ("xls", "et", "wps"):
        raise TabularError(_("不支持旧版 Excel 文件，请另存为 .xlsx 或 .csv 后上传。"))
    else:
        raise TabularError(_("只能导入 .csv 或 .xlsx 文件。"))
    if not rows or not any(rows[0]):
        raise TabularError(_("文件是空的，或第1行不是表头。"))
    return rows
