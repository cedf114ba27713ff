"""One page of the project table, sorted on the server (no Streamlit): only the rows of the
page are turned into the table the browser receives (`layers.tables.projects_table`)."""

from __future__ import annotations

import math

import pandas as pd

#: rows per page of the project table
PAGE_SIZE = 100
#: sort keys offered (i18n key of the label -> source column; "title" is the title in the UI
#: language, the Chinese one where it is missing)
SORT_KEYS = {"table.sort_plan": "", "col.title": "title", "col.status": "status",
             "table.kind": "category", "col.as_of": "status_as_of", "col.id": "id"}


def n_pages(n_rows: int, size: int = PAGE_SIZE) -> int:
    """Pages needed for `n_rows` (at least 1: an empty table has one, empty, page)."""
    return max(1, math.ceil(n_rows / size))


def clamp_page(page: object, n_rows: int, size: int = PAGE_SIZE) -> int:
    """`page` (1-based) within 1..`n_pages`; anything not a number is page 1."""
    try:
        p = int(page)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 1
    return min(max(1, p), n_pages(n_rows, size))


def sort_rows(df: pd.DataFrame, key: str, lang: str, descending: bool = False) -> pd.DataFrame:
    """`df` sorted by the source column of the i18n label `key` (`SORT_KEYS`; "" or an unknown
    key: the file's order, the plan's), stable, missing values last."""
    column = SORT_KEYS.get(key, "")
    if not column or not len(df):
        return df.iloc[::-1] if descending and column else df
    if column == "title":
        zh = df["title_zh"].astype("string")
        en = df["title_en"].astype("string") if "title_en" in df else zh
        values = zh if lang == "zh" else en.where(en.str.strip().fillna("") != "", zh)
    elif column in df:
        values = df[column].astype("string")
    else:
        return df
    order = values.reset_index(drop=True).sort_values(ascending=not descending, kind="stable",
                                                      na_position="last")
    return df.iloc[order.index.to_numpy()]


def page_rows(df: pd.DataFrame, page: int, size: int = PAGE_SIZE) -> pd.DataFrame:
    """The rows of 1-based `page` of `df` (clamped to the pages there are)."""
    p = clamp_page(page, len(df), size)
    return df.iloc[(p - 1) * size: p * size]
