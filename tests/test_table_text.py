"""The trial table's text: rows replaced in place, columns added as metrics first appear."""

import io

import pandas as pd

from nasbench.storage.table_text import TableText


def test_rows_are_replaced_and_new_columns_reach_every_line():
    table = TableText()
    table.put(1, {"number": 1, "state": "RUNNING", "error": None})
    table.put(0, {"number": 0, "state": "COMPLETE", "error": None, "accuracy": 0.1 + 0.2})
    table.put(2, {"number": 2, "state": "FAIL", "error": "a metric is NaN", "accuracy": float("nan")})
    table.put(1, {"number": 1, "state": "FAIL", "error": 'diverged, "NaN" loss'})
    frame = pd.read_csv(io.StringIO(table.text()), keep_default_na=False, na_values=[""])  # as RunFolder reads it
    assert list(frame.columns) == ["number", "state", "error", "accuracy"]
    assert list(frame.number) == [0, 1, 2] and list(frame.state) == ["COMPLETE", "FAIL", "FAIL"]
    assert frame.accuracy[0] == 0.1 + 0.2  # repr: reads back exactly
    assert pd.isna(frame.accuracy[1]) and pd.isna(frame.error[0])
    assert pd.isna(frame.accuracy[2]) and frame.accuracy.dtype == float  # NaN is an empty cell, not the text "nan"
    assert frame.error[1] == 'diverged, "NaN" loss'
