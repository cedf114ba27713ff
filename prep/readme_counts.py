"""Rewrite the counts block of data/README.md from the built data/projects.geojson.

``python -m prep.readme_counts`` (``--check`` only compares and exits 1 when stale). The block
sits between ``<!-- counts:start -->`` and ``<!-- counts:end -->``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from geo.codelists import load_codelists
from geo.paths import DATA_README, PROJECTS_GEOJSON

README = DATA_README
BUILT = PROJECTS_GEOJSON
START, END = "<!-- counts:start -->", "<!-- counts:end -->"


def counts_block(features: list[dict]) -> str:
    """Markdown tables of the features by category, status and precision."""
    codes = load_codelists()
    props = [f["properties"] for f in features]
    out = [START, f"{len(props)} records in `projects.csv`, all built into `projects.geojson`.", ""]
    tables = (
        ("category", "category", lambda k: codes.categories.at[k, "label_en"]),
        ("status", "status", lambda k: codes.status.at[k, "label_en"]),
        ("precision", "precision", lambda k: f"{k} {codes.precision.at[k, 'label_en']}"),
    )
    for title, key, label in tables:
        counts = Counter(p[key] for p in props)
        out += [f"| {title} | meaning | records |", "|---|---|---:|"]
        out += [f"| `{k}` | {label(k)} | {counts[k]} |" for k in sorted(counts)]
        out.append("")
    out.append(END)
    return "\n".join(out)


def updated_readme(text: str, block: str) -> str:
    """README text with its counts block replaced."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + block + tail


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    features = json.loads(BUILT.read_text(encoding="utf-8"))["features"]
    current = README.read_text(encoding="utf-8")
    new = updated_readme(current, counts_block(features))
    if "--check" in argv:
        if new != current:
            print(f"{README}: counts are stale; run python -m prep.readme_counts", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
