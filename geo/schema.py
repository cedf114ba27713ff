"""The registry's column schema and cell formats.

``;``-separated list cells (``towns``, ``towns_all``, ``town_codes``, ...) are read by
`split_list`.
"""

from __future__ import annotations


def split_list(value: object) -> list[str]:
    """``'a;b; c'`` -> ``['a', 'b', 'c']``; blanks and NaN -> ``[]``."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]
