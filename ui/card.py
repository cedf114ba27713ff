"""The project card: everything the registry knows about one project, in plain words, opened by
a click on a table row or by a link ``?project=<id>`` (shareable).

Data go through `ui.text.md_text` (literal text in markdown); phrases come from `geo.plain`
(one definition for the table, the card and the kiosk)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd
import streamlit as st

from geo import codelists as gc
from geo.i18n import I18n
from geo.plain import Props, is_missing, location_phrase, method_phrase, status_phrase
from layers.tables import group_labels
from ui.state import PROJECT, select_project
from ui.text import md_text

#: (registry column, i18n key, number format) of the quantities a card may show
QUANTITIES = (
    ("berths", "card.q_berths", "{:,.0f}"),
    ("berth_dwt", "card.q_berth_dwt", "{:,.0f}"),
    ("capacity", "card.q_capacity", "{:,.6g}"),
    ("voltage_kv", "card.q_voltage_kv", "{:,.0f}"),
    ("length_km_stated", "card.q_length_stated", "{:,.1f}"),
    ("area_km2_stated", "card.q_area_stated", "{:,.2f}"),
    ("units", "card.q_units", "{:,.0f}"),
    ("length_km", "card.q_length_drawn", "{:,.1f}"),
)

#: history(project_id, lang) -> lines (newest first); filled by the progress pages later
History = Callable[[str, str], Iterable[str]]


def quantities(row: Props, tr: I18n) -> list[tuple[str, str]]:
    """(label, value) of the quantities the record states (unknown ones are left out)."""
    out = []
    for col, key, fmt in QUANTITIES:
        value = row.get(col)
        if is_missing(value):
            continue
        try:
            text = fmt.format(float(value))  # type: ignore[arg-type]  # not missing: a number
        except (TypeError, ValueError):
            text = str(value)
        if col == "capacity" and not is_missing(row.get("capacity_unit")):
            text = f"{text} {row.get('capacity_unit')}"
        out.append((tr(key), text))
    return out


def geocode_note(row: Props, lang: str) -> str:
    """The geocoding note in the card's language (``geocode_note_zh`` / ``geocode_note``),
    the other language only when that one is missing; none once a progress update placed the
    project (``official_placement``: the build's note no longer describes its position)."""
    if str(row.get("geocode_method")) == "official_placement":
        return ""
    own, other = ("geocode_note_zh", "geocode_note") if lang == "zh" else \
        ("geocode_note", "geocode_note_zh")
    for col in (own, other):
        if not is_missing(row.get(col)) and str(row.get(col)).strip():
            return str(row.get(col))
    return ""


def _line(label: str, value: object) -> None:
    st.markdown(f"**{md_text(label)}**: {md_text(value)}")


def project_card(row: pd.Series, codelists: gc.Codelists, tr: I18n,
                 town_names: Mapping[str, str] | None = None,
                 history: History | None = None) -> None:
    """The card of one project (a row of the projects frame)."""
    lang = tr.lang
    pid = str(row["id"])
    cats = codelists.categories
    cat = str(row.get("category", ""))
    cat_label = cats.at[cat, f"label_{lang}"] if cat in cats.index else cat
    group = group_labels(lang).get(str(cats.at[cat, "group"]), "") \
        if cat in cats.index and "group" in cats.columns else ""
    prec = codelists.precision
    code = int(row["precision"]) if not is_missing(row.get("precision")) else 9
    with st.container(border=True, key="w_card"):
        head, close = st.columns([5, 1])
        own, other = ("title_zh", "title_en") if lang == "zh" else ("title_en", "title_zh")
        title = row.get(own) if not is_missing(row.get(own)) else row.get(other)
        head.subheader(md_text(title if not is_missing(title) else pid))
        if not is_missing(row.get(other)) and row.get(other) != title:
            head.caption(md_text(row[other]))
        close.button(tr("card.close"), key="w_card_close", on_click=select_project,
                     args=("",))
        _line(tr("card.group"), f"{group} · {cat_label!s}" if group else cat_label)
        _line(tr("card.status"), status_phrase(row, lang, codelists))
        st.markdown(md_text(location_phrase(row, lang, town_names)))
        ref = row.get("plan_ref")
        if not is_missing(ref):
            _line(tr("card.plan_ref"), ref)
        if not is_missing(row.get("evidence")):
            st.markdown(f"**{md_text(tr('card.evidence'))}**: “{md_text(row['evidence'])}”")
        q = quantities(row, tr)
        if q:
            _line(tr("card.quantities"), ";  ".join(f"{a} {b}" for a, b in q))
        desc = row.get("description_zh" if lang == "zh" else "description")
        if is_missing(desc):
            desc = row.get("description" if lang == "zh" else "description_zh")
        if not is_missing(desc):
            _line(tr("card.description"), desc)
        if code in prec.index:
            _line(tr("card.precision"), f"{prec.at[code, f'label_{lang}']!s}: "
                  f"{prec.at[code, 'meaning_zh' if lang == 'zh' else 'meaning_en']!s}")
        how = [method_phrase(row.get("geocode_method"), lang)] + [
            str(row.get("geocode_matched"))] * (not is_missing(row.get("geocode_matched")))
        if how:
            _line(tr("card.method"), " · ".join(how))
        source = [str(row.get(c)) for c in ("location_text", "coord_source")
                  if not is_missing(row.get(c))]
        note = geocode_note(row, lang)
        if note:
            source.insert(1 if not is_missing(row.get("location_text")) else 0, note)
        if source:
            _line(tr("card.source"), " · ".join(source))
        st.markdown(f"**{md_text(tr('card.history'))}**")
        lines = list(history(pid, lang)) if history else []
        if lines:
            for line in lines:
                st.markdown(f"- {md_text(line)}")
        else:
            st.caption(tr("card.history_empty"))
        st.caption(f"{md_text(tr('card.link'))}: {md_text('?project=' + pid)}  ·  "
                   f"{md_text(tr('card.id'))}: {md_text(pid)}")


def selected_card(projects: pd.DataFrame, codelists: gc.Codelists, tr: I18n,
                  town_names: Mapping[str, str] | None = None,
                  history: History | None = None) -> None:
    """The card of the selected project (``?project=``), if any; a notice once for a link
    whose project does not exist."""
    if st.session_state.pop("gy_project_bad", False):
        st.info(tr("card.unknown"))
    pid = st.session_state.get(PROJECT, "")
    if not pid:
        return
    hit = projects[projects["id"].astype(str) == pid]
    if hit.empty:
        select_project("")
        return
    project_card(hit.iloc[0], codelists, tr, town_names, history)
