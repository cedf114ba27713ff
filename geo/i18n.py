"""The UI translation table (``data/i18n.csv``: key,zh,en) and a tiny lookup.

Chinese is the default language; a key missing in English falls back to Chinese, a key missing
altogether is returned as ``⟦key⟧`` so the gap is visible (and caught by the tests).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from geo.paths import I18N_CSV

LANGS = ("zh", "en")


def load_table(path: Path | str = I18N_CSV) -> dict[str, dict[str, str]]:
    """``{key: {"zh": ..., "en": ...}}`` from the CSV; raises ValueError on a duplicate key
    and on a row with more or fewer fields than the header (an unquoted comma in a text would
    otherwise cut it and shift its rest into the next language), naming the key and line."""
    table: dict[str, dict[str, str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            key = (row.get("key") or "").strip()
            if not key:
                continue
            if None in row or None in row.values():
                raise ValueError(f"{path}, line {reader.line_num}: the row of key {key!r} has "
                                 f"not {len(reader.fieldnames or [])} fields (quote a text "
                                 "that contains a comma)")
            if key in table:
                raise ValueError(f"{path}: duplicate key {key!r}")
            table[key] = {lang: row.get(lang) or "" for lang in LANGS}
    return table


@dataclass(frozen=True)
class I18n:
    """Translator for one language: ``tr("map.title")``, ``tr("n_shown", n=3)``."""

    table: dict[str, dict[str, str]]
    lang: str = "zh"

    def __call__(self, key: str, **fmt: object) -> str:
        row = self.table.get(key)
        if row is None:
            return f"⟦{key}⟧"
        text = row.get(self.lang) or row.get("zh") or key
        return text.format(**fmt) if fmt else text

    def other(self) -> I18n:
        """The same table in the other language."""
        return I18n(self.table, "en" if self.lang == "zh" else "zh")

    def both(self, key: str, **fmt: object) -> str:
        """``"中文 / English"`` for bilingual labels."""
        zh = I18n(self.table, "zh")(key, **fmt)
        en = I18n(self.table, "en")(key, **fmt)
        return zh if zh == en else f"{zh} / {en}"


def translator(lang: str, path: Path | str = I18N_CSV) -> I18n:
    """An I18n for `lang` (unknown languages fall back to Chinese)."""
    return I18n(load_table(path), lang if lang in LANGS else "zh")
