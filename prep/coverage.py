"""Coverage pass: run the facility and place patterns over the whole plan text.

``python -m prep.coverage`` prints every hit (line, pattern, text) and a summary against the
classification; ``--check`` exits 1 when a hit is unclassified, a classification row matches no
hit, or a classified id is not in the registry; ``--template`` prints CSV rows for unclassified
hits (to paste into ``data/coverage/classification.csv`` and fill in).

Patterns: ``data/coverage/patterns.csv`` (``id, group, regex, what``). Each regex is run on each
line of ``data/sources/plan/gaoyao-14th-fyp-2021.txt`` (``re.finditer``, leftmost matches); a
match is trimmed of leading function words and verbs (``TRIM``: 推进, 加快, 建设, 依托 …, so that
``谋划建设金利港`` is reported as ``金利港``). A hit is ``(line, pattern, text)``; identical
``(line, text)`` found by two patterns is one hit. The glossary (附件三, from the line starting
``附件三``) is skipped: definitions only.

Classification (``data/coverage/classification.csv``): ``line, hit, pattern, class, ref, note`` with
``class`` ∈ ``recorded`` (``ref`` = the record id whose evidence is this mention), ``merged``
(``ref`` = the record id of the same thing mentioned elsewhere or folded into it), ``left_out``
(``ref`` = a rule code of ``docs/registry/coverage.md``, L1–L8).
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from pathlib import Path

from geo.paths import REPO_ROOT

PLAN = REPO_ROOT / "data" / "sources" / "plan" / "gaoyao-14th-fyp-2021.txt"
PATTERNS = REPO_ROOT / "data" / "coverage" / "patterns.csv"
CLASSIFICATION = REPO_ROOT / "data" / "coverage" / "classification.csv"
PROJECTS = REPO_ROOT / "data" / "projects.csv"
CLASSES = ("recorded", "merged", "left_out")
RULES = ("L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8")
TRIM = re.compile(
    r"^(?:加快|推进|推动|建设|谋划|依托|支持|打造|实施|重点|积极|全力|配合|完成|新建|改造|提升|"
    r"加强|完善|优化|大力|全面|做好|开展|构建|促进|探索|培育|发展|形成|实现|进一步|着力|力争|"
    r"充分|利用|挖掘|推广|保护|创建|申报|成为|高水准|高质量|高标准|率先|有序|统筹|逐步|以|在|和|"
    r"与|及|等|的|为|对|将|把|通过|围绕|结合|针对|向|从|至|了|是|并|同|由|于|中|内|、)+"
)
GLOSSARY_START = "附件三"


def load_patterns(path: Path = PATTERNS) -> list[tuple[str, re.Pattern[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["id"], re.compile(r["regex"])) for r in csv.DictReader(fh)]


def plan_lines(path: Path = PLAN) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if line.startswith(GLOSSARY_START) and i > 200:
            return lines[:i]
    return lines


def find_hits(lines: list[str] | None = None,
              patterns: list[tuple[str, re.Pattern[str]]] | None = None) -> list[dict[str, str]]:
    """Every hit as ``{'line', 'hit', 'pattern'}``, in line order; one per (line, text)."""
    lines = plan_lines() if lines is None else lines
    patterns = load_patterns() if patterns is None else patterns
    seen: dict[tuple[int, str], dict[str, str]] = {}
    for number, line in enumerate(lines, 1):
        for pid, rx in patterns:
            for m in rx.finditer(line):
                text = TRIM.sub("", m.group())
                if len(text) < 2:
                    continue
                key = (number, text)
                if key not in seen:
                    seen[key] = {"line": str(number), "hit": text, "pattern": pid}
    return sorted(seen.values(), key=lambda h: (int(h["line"]), h["hit"]))


def load_classification(path: Path = CLASSIFICATION) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def record_ids(path: Path = PROJECTS) -> set[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["id"] for r in csv.DictReader(fh)}


def problems(hits: list[dict[str, str]], rows: list[dict[str, str]], ids: set[str]) -> list[str]:
    """Unclassified hits, classification rows without a hit, bad classes and unknown ids."""
    out = []
    classified = {(r["line"], r["hit"]) for r in rows}
    found = {(h["line"], h["hit"]) for h in hits}
    for h in hits:
        if (h["line"], h["hit"]) not in classified:
            out.append(f"line {h['line']}: hit {h['hit']!r} ({h['pattern']}) is not classified")
    counts = Counter((r["line"], r["hit"]) for r in rows)
    for r in rows:
        key = (r["line"], r["hit"])
        if key not in found:
            out.append(f"line {r['line']}: classified {r['hit']!r} is no longer a hit")
        if counts[key] > 1:
            out.append(f"line {r['line']}: {r['hit']!r} is classified more than once")
        if r["class"] not in CLASSES:
            out.append(f"line {r['line']}: {r['hit']!r}: unknown class {r['class']!r}")
        elif r["class"] in ("recorded", "merged") and r["ref"] not in ids:
            out.append(f"line {r['line']}: {r['hit']!r}: {r['class']} id {r['ref']!r} "
                       "is not in projects.csv")
        elif r["class"] == "left_out" and r["ref"] not in RULES:
            out.append(f"line {r['line']}: {r['hit']!r}: unknown rule {r['ref']!r}")
    return sorted(set(out))


def summary(hits: list[dict[str, str]], rows: list[dict[str, str]]) -> dict[str, int]:
    found = {(h["line"], h["hit"]) for h in hits}
    rows = [r for r in rows if (r["line"], r["hit"]) in found]
    c = Counter(r["class"] for r in rows)
    out = {"hits": len(hits), **{k: c[k] for k in CLASSES}}
    out["records_hit"] = len({r["ref"] for r in rows if r["class"] == "recorded"})
    for rule in RULES:
        out[rule] = sum(1 for r in rows if r["class"] == "left_out" and r["ref"] == rule)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m prep.coverage", description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 on any coverage problem")
    ap.add_argument("--template", action="store_true", help="CSV rows for unclassified hits")
    args = ap.parse_args(argv)
    hits = find_hits()
    rows = load_classification()
    if args.template:
        done = {(r["line"], r["hit"]) for r in rows}
        w = csv.writer(sys.stdout, lineterminator="\n")
        for h in hits:
            if (h["line"], h["hit"]) not in done:
                w.writerow([h["line"], h["hit"], h["pattern"], "", "", ""])
        return 0
    bad = problems(hits, rows, record_ids())
    if not args.check:
        for h in hits:
            print(f"{h['line']:>4}  {h['pattern']:<15} {h['hit']}")
    print(" ".join(f"{k}={v}" for k, v in summary(hits, rows).items()))
    for p in bad:
        print(p, file=sys.stderr)
    return 1 if (args.check and bad) else 0


if __name__ == "__main__":
    raise SystemExit(main())
