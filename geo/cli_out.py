"""What the command-line tools print: errors on stderr, and a list of records either as JSON
(``--json``) or as aligned text lines with a count (one definition for ``python -m geo``
and its ``users``/``db`` sub-commands)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any


def err(msg: str) -> None:
    """``error: <msg>`` on stderr."""
    print(f"error: {msg}", file=sys.stderr)


def print_rows(rows: Sequence[dict[str, Any]], as_json: bool, line: Callable[[dict], str],
               noun: str, header: str | None = None) -> None:
    """`rows` as indented JSON (Chinese kept as is), or `header`, one `line(row)` each and
    ``<n> <noun>``."""
    if as_json:
        print(json.dumps(list(rows), ensure_ascii=False, indent=1))
        return
    if header is not None:
        print(header)
    for r in rows:
        print(line(r))
    print(f"{len(rows)} {noun}")
