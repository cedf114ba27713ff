"""The coverage pass: every facility or place the patterns find in the plan is classified.

``prep/coverage.py`` runs ``data/coverage/patterns.csv`` over the whole plan text; each hit must
have a row in ``data/coverage/classification.csv`` (recorded / merged with an existing record id,
or left out under a rule of ``docs/registry/coverage.md``).
"""

from __future__ import annotations

import re

from geo.paths import REPO_ROOT
from prep.coverage import (
    RULES,
    find_hits,
    load_classification,
    load_patterns,
    problems,
    record_ids,
    summary,
)

DOC = REPO_ROOT / "docs" / "registry" / "coverage.md"


def test_every_hit_is_classified_and_every_id_exists():
    hits = find_hits()
    assert len(hits) > 300
    assert problems(hits, load_classification(), record_ids()) == []


def test_patterns_find_the_items_of_issue_11():
    found = {h["hit"] for h in find_hits()}
    assert {"城区排水防涝系统", "采摘园等休闲农旅项目", "金利港", "高要港", "南兴路与大桥"} <= found


def test_recorded_ids_cover_most_records():
    rows = load_classification()
    recorded = {r["ref"] for r in rows if r["class"] == "recorded"}
    assert len(recorded) >= 0.75 * len(record_ids())


def test_doc_reports_the_current_numbers_and_every_rule():
    doc = DOC.read_text(encoding="utf-8")
    s = summary(find_hits(), load_classification())
    for key in ("hits", "recorded", "merged", "left_out"):
        assert re.search(rf"\| {key} \| {s[key]} \|", doc), f"coverage.md: {key} should be {s[key]}"
    for rule in RULES:
        assert f"| {rule} |" in doc, f"rule {rule} is not explained in coverage.md"


def test_problems_are_named():
    patterns = [("port", re.compile(r"[\u4e00-\u9fa5]{2,4}港"))]
    hits = find_hits(["新建金利港码头", "无"], patterns)
    assert [h["hit"] for h in hits] == ["金利港"]
    assert problems(hits, [], {"port-jinli"}) == [
        "line 1: hit '金利港' (port) is not classified"]
    bad = [{"line": "1", "hit": "金利港", "class": "recorded", "ref": "port-nowhere"},
           {"line": "2", "hit": "旧港", "class": "left_out", "ref": "L99"}]
    out = problems(hits, bad, {"port-jinli"})
    assert any("port-nowhere" in p and "not in projects.csv" in p for p in out)
    assert any("旧港" in p and "no longer a hit" in p for p in out)
    assert any("unknown rule 'L99'" in p for p in out)


def test_patterns_compile_and_are_documented():
    assert len(load_patterns()) >= 5
