"""Geocoding notes in Chinese and English from one definition, ``data/codelists/geocode_notes.csv``.

Each row is a template: ``key``, ``text_zh``, ``text_en`` with ``{placeholders}``, and for the
gazetteer's place methods the English ``gazetteer_method`` pattern the ``method`` column of
``data/gazetteer.csv`` is read with (so a place's own note is written in both languages without a
second, Chinese, method column). A key may have variants ``<key>@<placement>`` (placements of
`geo.aggregate`: marker, shape, town, district, unplaced): what the note says then depends on how
the map really shows the project (a town-level project is counted in its town's summary, not
drawn at the seat). The geocoder builds a note as a sequence of `Note` values and part
separators (`PART`); `render` writes it in one language.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from geo.paths import CODELIST_DIR

NOTES_CSV = CODELIST_DIR / "geocode_notes.csv"
LANGS = ("zh", "en")
#: between two notes, between the notes of several located parts, between list items
NOTE_SEP = {"zh": "；", "en": "; "}
PART_SEP = {"zh": "；", "en": " | "}
LIST_SEP = {"zh": "、", "en": ", "}
#: marker in a note sequence: the notes around it belong to different located parts
PART = "|"
#: compass abbreviations of the English notes -> Chinese direction words
#: (a single direction takes 以: 以北, 西南)
DIR_ZH = {"N": "以北", "NE": "东北", "E": "以东", "SE": "东南", "S": "以南", "SW": "西南",
          "W": "以西", "NW": "西北"}

Param = str | tuple[str, ...]


@dataclass(frozen=True)
class Template:
    """One row of the notes file."""

    key: str
    gazetteer_method: str
    text_zh: str
    text_en: str

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Note:
    """A note template key with its parameters (strings, or tuples joined per language)."""

    key: str
    params: tuple[tuple[str, Param], ...] = ()

    def render(self, lang: str, placement: str | None = None) -> str:
        values = {k: (LIST_SEP[lang].join(v) if isinstance(v, tuple) else v)
                  for k, v in self.params}
        return template(self.key, placement).text(lang).format(**values)


def note(key: str, **params: Param) -> Note:
    """``Note(key, params)``; the key must exist in the notes file."""
    template(key)
    return Note(key, tuple(params.items()))


Notes = tuple["Note | str", ...]


@cache
def templates() -> dict[str, Template]:
    """All templates by key, in file order."""
    with open(NOTES_CSV, encoding="utf-8", newline="") as fh:
        return {r["key"]: Template(r["key"], r["gazetteer_method"], r["text_zh"], r["text_en"])
                for r in csv.DictReader(fh)}


def template(key: str, placement: str | None = None) -> Template:
    """The template of `key`, or of its variant for `placement` when the file has one."""
    table = templates()
    if placement and f"{key}@{placement}" in table:
        return table[f"{key}@{placement}"]
    try:
        return table[key]
    except KeyError:
        raise KeyError(f"geocode note {key!r} not in {NOTES_CSV}") from None


def render(notes: Iterable[Note | str], lang: str, placement: str | None = None) -> str:
    """A note sequence in `lang` (``zh``/``en``) for a project shown as `placement`."""
    out: list[str] = []
    sep = NOTE_SEP[lang]
    for item in notes:
        if isinstance(item, str):
            sep = PART_SEP[lang]
            continue
        if out:
            out.append(sep)
        out.append(item.render(lang, placement))
        sep = NOTE_SEP[lang]
    return "".join(out)


@cache
def _method_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    pats = []
    for t in templates().values():
        if not t.gazetteer_method:
            continue
        parts = re.split(r"\{(\w+)\}", t.gazetteer_method)
        rx = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^ ]+?)"
                     for i, p in enumerate(parts))
        pats.append((t.key, re.compile(rx)))
    return tuple(pats)


def method_params(method: str) -> tuple[str, Mapping[str, str]] | None:
    """(template key, parameters) of a gazetteer ``method`` string, or None if no template of
    the notes file describes it."""
    for key, rx in _method_patterns():
        m = rx.fullmatch(method.strip())
        if m:
            params = dict(m.groupdict())
            if "dir_en" in params:
                if params["dir_en"] not in DIR_ZH:
                    continue
                params["dir_zh"] = DIR_ZH[params["dir_en"]]
            return key, params
    return None


def place_note(name_zh: str, method: str) -> Note:
    """The note of a gazetteer place drawn at its own point (its ``method`` in both languages;
    a method no template describes keeps its English text and a plain Chinese note)."""
    hit = method_params(method)
    if hit is None:
        return note("place.other", place=name_zh, method=method)
    key, params = hit
    return note(key, place=name_zh, **params)
