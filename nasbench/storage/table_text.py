"""The CSV text of a trial table, kept line by line.

A search rewrites its whole table, atomically, whenever it writes (a slow evaluation starting or
ending, or a batch of fast ones); rendering only the rows that changed since keeps each rewrite a
string join instead of re-formatting thousands of rows.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any


class TableText:
    """Rows by trial number; columns in order of first appearance across rows in trial order."""

    def __init__(self) -> None:
        self._rows: dict[int, dict[str, Any]] = {}
        self._lines: dict[int, str] = {}
        self._columns: list[str] = []
        self._known: set[str] = set()

    def put(self, number: int, row: dict[str, Any]) -> None:
        """Add or replace the row of trial ``number``."""
        self._rows[number] = row
        if row.keys() <= self._known:
            self._lines[number] = self._render(row)
            return
        # a new column (a metric first reported): every line gains a field
        self._columns = list(dict.fromkeys(key for n in sorted(self._rows) for key in self._rows[n]))
        self._known = set(self._columns)
        self._lines = {n: self._render(r) for n, r in self._rows.items()}

    def text(self) -> str:
        """The table: a header, then one line per row in trial order. Floats are written by
        ``repr``, so they read back exactly."""
        return self._render_list(self._columns) + "".join(self._lines[n] for n in sorted(self._lines))

    def _render(self, row: dict[str, Any]) -> str:
        return self._render_list([_cell(row.get(c)) for c in self._columns])

    @staticmethod
    def _render_list(fields: list[Any]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(fields)  # None is written empty
        return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A missing or NaN value is an empty cell, which pandas reads back as NaN (not the text 'nan')."""
    return None if isinstance(value, float) and math.isnan(value) else value
