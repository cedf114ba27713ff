"""Tables the app shows (pandas frames with translated headers and labels; no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geo.codelists import Codelists
from geo.i18n import I18n


def projects_table(df: pd.DataFrame, codelists: Codelists, tr: I18n) -> pd.DataFrame:
    """The project list: id, title, category, status (as of), towns, precision, length and
    plan reference, with headers and codes in `tr`'s language."""
    lang = tr.lang
    cat = codelists.categories[f"label_{lang}"]
    sta = codelists.status[f"label_{lang}"]
    prec = codelists.precision[f"label_{lang}"]
    return pd.DataFrame({
        tr("col.id"): df["id"],
        tr("col.title"): df["title_zh" if lang == "zh" else "title_en"],
        tr("col.category"): df["category"].map(cat).fillna(df["category"]),
        tr("col.status"): df["status"].map(sta).fillna(df["status"]),
        tr("col.as_of"): df["status_as_of"],
        tr("col.towns"): df["towns_all"].str.replace(";", "、"),
        tr("col.precision"): df["precision"].astype(str) + " " + df["precision"].map(prec)
        .fillna(""),
        tr("col.length_km"): df["length_km"].round(1),
        tr("col.plan_ref"): df["plan_ref"],
    }).reset_index(drop=True)


def count_frame(counts: Mapping[str, int], labels: Mapping[str, str] | pd.Series, tr: I18n,
                head: str) -> pd.DataFrame:
    """Counts as a two-column table: `head` (the code's label) and the count."""
    return pd.DataFrame({
        head: [labels.get(k, k) for k in counts],
        tr("col.count"): list(counts.values()),
    })
