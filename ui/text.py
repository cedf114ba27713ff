"""Text on the page: data values as literal markdown text, labels of codes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.codelists import Codelists

#: ASCII punctuation except ``, . /`` (kept so that file names stay readable in notices)
_MD_SPECIAL = re.compile(r"[!-+\-:-@\[-`{-~]")


def md_text(value: object) -> str:
    """`value` as literal text inside Streamlit markdown (st.subheader/st.info/st.error).

    ASCII punctuation other than ``, . /`` becomes a numeric character reference (``&#58;``),
    which markdown shows as that character but never parses as markup, HTML, a link, LaTeX
    (``$``) or a directive (``:red[...]``); line breaks are flattened. Streamlit also turns
    bare URLs and e-mail addresses in the *decoded* text into links (GFM autolink literals),
    so an invisible word joiner (U+2060) goes after ``:`` and before ``@`` and the ``.`` of
    ``www.``. A town name like ``![x](http://...)`` would otherwise load an external image on
    the kiosk, and a bare URL would be a link leading the kiosk away."""
    text = " ".join(str(value).split())
    text = text.replace(":", ":\u2060").replace("@", "\u2060@")
    text = re.sub(r"(?i)\b(www)\.", "\\1\u2060.", text)
    return _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", text)


@dataclass(frozen=True)
class Labels:
    """What the page shows for codes in the current language: town names by code and the
    category, status and precision labels of the codelists."""

    towns: dict[str, str]
    categories: pd.Series
    statuses: pd.Series
    precisions: pd.Series

    @classmethod
    def of(cls, towns: gpd.GeoDataFrame | None, codelists: Codelists, lang: str) -> Labels:
        names = {} if towns is None else dict(zip(
            towns["code"], towns["name_zh" if lang == "zh" else "name_en"], strict=False))
        return cls(names, codelists.categories[f"label_{lang}"],
                   codelists.status[f"label_{lang}"], codelists.precision[f"label_{lang}"])
