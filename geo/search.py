"""Free-text project search: Chinese substrings, English words and prefixes, synonyms, ranking.

A query is split on white space into terms; a project matches when EVERY term matches one of
its searched fields. A term matches:

- Chinese text (any CJK character): as a substring of the Chinese fields (``金利`` finds
  ``金利港``);
- Latin text: as the start of a word in the English fields, case-insensitively (``port`` finds
  "Port" and "ports" but not "airport", "sports" or "support");
- or through one of its synonyms (``data/search_synonyms.csv``: ``wharf`` → 港口;码头;泊位…),
  each matched by the same rules; a synonym written ``re:…`` in the table is a regular
  expression (``re:(?<![空粤香])港(?!澳)`` is 港 but not 空港, the airport, nor 粤港澳 or
  香港). User text is never a regex.

The score of a project is the sum over terms of the weight of the best field the term (or a
synonym) matched: the title counts most, then place fields, then the rest; a synonym match
counts half. No CRS is involved.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

#: field → weight; Chinese fields are searched by substring, English ones by word prefix
ZH_FIELDS = {"title_zh": 4.0, "location_text": 2.0, "towns_all": 2.0, "evidence": 1.0,
             "description_zh": 1.0, "id": 0.5}
EN_FIELDS = {"title_en": 4.0, "location_text_en": 2.0, "description": 1.0, "id": 0.5}
SYNONYM_FACTOR = 0.5
MAX_TERMS = 8
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

Synonyms = Mapping[str, tuple[str, ...]]


def load_synonyms(path: Path | str) -> dict[str, tuple[str, ...]]:
    """``{term: (alternative, ...)}`` from a CSV with ``term`` and ``expands_to`` (``;``-
    separated); terms are case-folded. Raises ValueError naming the line of a duplicate."""
    table: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            term = (row.get("term") or "").strip().casefold()
            if not term:
                continue
            if term in table:
                raise ValueError(f"{path}, line {line}: duplicate term {term!r}")
            alts = tuple(a.strip().casefold() for a in (row.get("expands_to") or "").split(";"))
            table[term] = tuple(a for a in alts if a and a != term)
    return table


def is_chinese(term: str) -> bool:
    return bool(_CJK.search(term))


def _field_text(projects: pd.DataFrame, field: str) -> pd.Series:
    if field not in projects.columns:
        return pd.Series("", index=projects.index)
    return projects[field].map(lambda v: "" if v is None or v != v else str(v)).str.casefold()


def _term_weights(texts: Mapping[str, pd.Series], term: str, index: pd.Index,
                  table_regex: bool = False) -> pd.Series:
    """Best field weight per project for one term (0 where it does not match). The term is
    literal text, or (`table_regex`, synonyms written ``re:…`` in the table) a pattern."""
    if table_regex and term.startswith("re:"):
        term, pattern, regex = term[3:], term[3:], True
        fields = ZH_FIELDS if is_chinese(term) else EN_FIELDS
    elif is_chinese(term):
        fields, pattern, regex = ZH_FIELDS, term, False
    else:
        fields, regex = EN_FIELDS, True
        pattern = r"(?<![a-z0-9])" + re.escape(term)
    best = pd.Series(0.0, index=index)
    for field, weight in fields.items():
        hit = texts[field].str.contains(pattern, regex=regex)
        best = best.where(~hit | (best >= weight), weight)
    return best


def search_scores(projects: pd.DataFrame, text: str,
                  synonyms: Synonyms | None = None) -> pd.Series:
    """A score per project (index of `projects`): > 0 where every term of `text` matches,
    higher for better matches; 0 elsewhere. An empty query gives 1 for every project."""
    terms = [t.casefold() for t in str(text).split()][:MAX_TERMS]
    if not terms:
        return pd.Series(1.0, index=projects.index)
    texts = {f: _field_text(projects, f) for f in {*ZH_FIELDS, *EN_FIELDS}}
    total = pd.Series(0.0, index=projects.index)
    matched_all = pd.Series(True, index=projects.index)
    for term in terms:
        best = _term_weights(texts, term, projects.index)
        for alt in (synonyms or {}).get(term, ()):
            alt_best = _term_weights(texts, alt, projects.index, table_regex=True)
            best = best.combine(alt_best * SYNONYM_FACTOR, max)
        matched_all &= best > 0
        total += best
    return total.where(matched_all, 0.0)


def search_mask(projects: pd.DataFrame, text: str,
                synonyms: Synonyms | None = None) -> pd.Series:
    """True where every term of `text` matches (see `search_scores`)."""
    return search_scores(projects, text, synonyms) > 0
