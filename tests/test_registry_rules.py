"""Every record's status follows its plan verb (`status_zh`) by the verb table.

The table is data, ``data/codelists/status_verbs.csv``; the rules are explained in
``docs/registry/status-rules.md``. ``status_zh`` is the plan's own wording; several verbs are
separated by ``;`` or ``/`` and the **first** one governs the status. A verb matches when the
table's ``verb`` occurs in it literally (``…`` stands for the object, as in ``推进…建设``); the
table is read in ``order`` and the first match wins. ``period`` ``13th`` rows apply only to the
plan's review of 2016–2020 (``plan_ref`` 第一章第一节), ``14th`` rows only elsewhere.
"""

from __future__ import annotations

import csv
import re

import pytest

from geo.codelists import load_codelists
from geo.paths import REPO_ROOT
from geo.registry import read_records

VERBS = REPO_ROOT / "data" / "codelists" / "status_verbs.csv"
REVIEW_SECTION = "第一章第一节"  # the plan's review of the 13th FYP (2016–2020)


def load_verbs() -> list[dict[str, str]]:
    with VERBS.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sorted(rows, key=lambda r: int(r["order"]))


def status_of(verb: str, plan_ref: str, table: list[dict[str, str]]) -> str | None:
    """The status the table gives ``verb`` (one segment of ``status_zh``), or None."""
    period = "13th" if plan_ref == REVIEW_SECTION else "14th"
    for row in table:
        if row["period"] in ("any", period) and row["verb"] in verb:
            return row["status"]
    return None


def segments(status_zh: str) -> list[str]:
    return [s for s in re.split(r"[;/]", status_zh) if s.strip()]


def test_verb_table_is_well_formed():
    table = load_verbs()
    statuses = set(load_codelists().status.index)
    assert [int(r["order"]) for r in table] == list(range(1, len(table) + 1))
    keys = [(r["verb"], r["period"]) for r in table]
    assert len(keys) == len(set(keys)), "a verb is listed twice for the same period"
    for r in table:
        assert r["status"] in statuses, r
        assert r["period"] in ("any", "13th", "14th"), r
        assert r["verb"].strip() and r["meaning"].strip(), r


@pytest.mark.parametrize(("verb", "plan_ref", "expected"), [
    ("继续推进", "第十二章第一节", "implementation"),
    ("继续共同推动…建设", "第五章第一节", "implementation"),
    ("加快推进…建设", "第七章第二节", "preparation"),
    ("重点加快…建设", "第五章第四节", "implementation"),
    ("谋划建设", "第六章第一节", "identification"),
    ("顺利实施", REVIEW_SECTION, "completion"),
    ("实施", "第六章第三节", "implementation"),
    ("完成", "第六章第二节", "implementation"),
    ("获评", REVIEW_SECTION, "maintenance"),
    ("为核心", "第十一章第四节", "maintenance"),
])
def test_examples(verb, plan_ref, expected):
    assert status_of(verb, plan_ref, load_verbs()) == expected


def test_every_record_status_follows_its_verb():
    table = load_verbs()
    records = read_records()
    problems = []
    for r in records:
        parts = segments(r["status_zh"])
        if not parts:
            problems.append(f"{r['id']}: status_zh is empty")
            continue
        for part in parts:
            if status_of(part, r["plan_ref"], table) is None:
                problems.append(f"{r['id']}: verb {part!r} is not in status_verbs.csv")
        expected = status_of(parts[0], r["plan_ref"], table)
        if expected is not None and expected != r["status"]:
            problems.append(f"{r['id']}: status {r['status']!r} but {parts[0]!r} -> {expected!r}")
    assert problems == []
