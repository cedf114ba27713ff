"""The column-wise read (`tracking.state._frame`: one JSON array per column, folded by the
database) returns exactly what a plain row-by-row read of the same query returns, on both
backends: the same rows, each value in its own row (the arrays line up), text with quotes,
newlines and Chinese intact, NULLs as missing, numbers as numbers, and no rows at all."""

from __future__ import annotations

import math

from sqlalchemy import text

from tracking.state import _frame

ROWS = [
    ("p-1", 3, "2025-03-01 08:00:00", "completion", "2025-02-28", 'say "建成"\n第二行', 99.5,
     123456789012.5),
    ("p-2", 1, "2024-01-01 00:00:00", None, None, None, None, None),
    ("p-3", 7, "2023-12-31 23:59:59.123456", "cancelled", "2023-06-01", "a,b;c\\d", 0.0,
     0),
]
KEYS = ("project_id", "version", "updated_at", "status", "status_date", "progress_text",
        "progress_pct", "investment_amount")


def _table(engine) -> None:
    ts = "TIMESTAMP" if engine.dialect.name == "postgresql" else "DATETIME"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE col_read (project_id VARCHAR(64) PRIMARY KEY, "
                          f"version INTEGER NOT NULL, updated_at {ts} NOT NULL, status TEXT, "
                          f"status_date DATE, progress_text TEXT, progress_pct FLOAT, "
                          f"investment_amount NUMERIC(18, 2))"))
        conn.execute(text("INSERT INTO col_read VALUES (:a, :b, :c, :d, :e, :f, :g, :h)"),
                     [dict(zip("abcdefgh", r, strict=True)) for r in ROWS])


def _select(where: str = "") -> str:
    return f"SELECT {', '.join(KEYS)} FROM col_read {where}"


def test_column_read_equals_row_read(engine) -> None:
    _table(engine)
    frame = _frame(engine, _select(), {}, KEYS)
    with engine.connect() as conn:
        rows = {r[0]: r for r in conn.execute(text(_select()))}
    assert sorted(frame.index) == ["p-1", "p-2", "p-3"]
    for pid, row in rows.items():
        got = frame.loc[pid]
        assert int(got["version"]) == row[1]
        assert got["status"] == row[3]
        assert got["progress_text"] == row[5]
        for col, want in (("progress_pct", row[6]), ("investment_amount", row[7])):
            if want is None:
                assert math.isnan(got[col])
            else:
                assert got[col] == float(want)
        assert got["status_date"] == (str(row[4])[:10] if row[4] is not None else None)
    assert frame.loc["p-1", "progress_text"] == 'say "建成"\n第二行'
    assert frame.loc["p-3", "progress_text"] == "a,b;c\\d"
    assert str(frame.loc["p-3", "updated_at"]) == "2023-12-31 23:59:59.123456"
    assert frame["version"].dtype == "int64"
    assert str(frame["updated_at"].dtype).startswith("datetime64")


def test_column_read_of_no_rows(engine) -> None:
    _table(engine)
    frame = _frame(engine, _select("WHERE version > 100"), {}, KEYS)
    assert len(frame) == 0
    assert list(frame.columns) == list(KEYS[1:])
