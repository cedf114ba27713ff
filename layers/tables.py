"""Tables the app shows (pandas frames with translated headers and labels; no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geo.codelists import CODELIST_DIR, Codelists, read_codelist
from geo.i18n import I18n
from geo.plain import DASH, is_missing, location_body, text_or_dash, town_list


def group_labels(lang: str) -> dict[str, str]:
    """{group code: label} of ``data/codelists/groups.csv`` in `lang`."""
    groups = read_codelist(CODELIST_DIR / "groups.csv")
    col = "label_en" if lang == "en" else "label_zh"
    return dict(zip(groups["code"], groups[col], strict=False))


def _length(value: object) -> str:
    return "" if is_missing(value) else f"{float(value):,.1f}"  # type: ignore[arg-type]


def _no_town(row: pd.Series, tr: I18n) -> str:
    return tr("table.district") if str(row.get("precision")) == "4" else DASH


def projects_table(df: pd.DataFrame, codelists: Codelists, tr: I18n,
                   town_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The project list for people: title, town(s), status, group · category, location (the
    plain phrase of `geo.plain`), status date, drawn length (only where a line is drawn), plan
    reference and, last, the id. Headers, labels and town names (`town_names`: Chinese name ->
    shown name) in `tr`'s language; an unknown value is "—" (never "None")."""
    lang = tr.lang
    cats = codelists.categories
    cat = cats[f"label_{lang}"]
    groups = group_labels(lang)
    cat_group = cats["group"].map(groups) if "group" in cats.columns else pd.Series(dtype=str)
    sta = codelists.status[f"label_{lang}"]
    title = df["title_zh" if lang == "zh" else "title_en"].where(
        ~df["title_zh" if lang == "zh" else "title_en"].map(is_missing), df["title_zh"])
    rows = [row for _, row in df.iterrows()]

    def kind(code: object) -> str:
        c, g = cat.get(code, str(code)), cat_group.get(code)
        return f"{g} · {c}" if isinstance(g, str) and g else str(c)

    return pd.DataFrame({
        tr("col.title"): title.map(text_or_dash).to_list(),
        tr("col.towns"): [town_list(r, lang, town_names) or _no_town(r, tr) for r in rows],
        tr("col.status"): df["status"].map(sta).fillna(df["status"]).map(text_or_dash).to_list(),
        tr("table.kind"): df["category"].map(kind).to_list(),
        tr("table.location"): [location_body(r, lang, town_names) for r in rows],
        tr("col.as_of"): df["status_as_of"].map(text_or_dash).to_list(),
        tr("col.length_km"): df["length_km"].map(_length).to_list()
        if "length_km" in df.columns else [""] * len(df),
        tr("col.plan_ref"): df["plan_ref"].map(text_or_dash).to_list(),
        tr("col.id"): df["id"].to_list(),
    })


def count_frame(counts: Mapping[str, int], labels: Mapping[str, str] | pd.Series, tr: I18n,
                head: str) -> pd.DataFrame:
    """Counts as a two-column table: `head` (the code's label) and the count."""
    return pd.DataFrame({
        head: [labels.get(k, k) for k in counts],
        tr("col.count"): list(counts.values()),
    })
