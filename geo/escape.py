"""The one HTML escaper: every text from the data that reaches a browser goes through `esc`.

``html.escape`` with quotes (``&quot;``, ``&#x27;``), so the result is safe in element content
and in quoted attribute values; None and NaN become the empty string.
"""

from __future__ import annotations

import html
import math


def esc(value: object) -> str:
    """HTML-escaped text of `value` ('' for None/NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)
