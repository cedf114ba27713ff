"""Issue 10: every filtered project is accounted for on screen (AppTest on the fixture data),
the group toggles filter the map and the counts, and the category groups are one definition
(`Codelists.groups`)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from geo import codelists as gc

ACCT = re.compile(r"图上 (\d+) 个点位 \+ (\d+) 条线/面 \+ (\d+) 个镇级项目\(计入镇街统计\) \+ "
                  r"(\d+) 个全区性 \+ (\d+) 个未定位 = (\d+)")


def shown(at: AppTest) -> int:
    return int(next(m.value for m in at.metric if m.label == "显示项目"))


def parts(at: AppTest) -> tuple[list[int], int]:
    hit = next(ACCT.search(m.value) for m in at.markdown if ACCT.search(m.value))
    nums = [int(x) for x in hit.groups()]
    return nums[:5], nums[5]


def popover_labels(node) -> list[str]:
    """Labels of the st.popover blocks under `node` (AppTest has no popover accessor)."""
    out = []
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        if getattr(child, "type", None) == "popover" and proto is not None:
            out.append(proto.popover.label)
        out += popover_labels(child)
    return out


def check(at: AppTest) -> list[int]:
    assert not at.exception
    counts, total = parts(at)
    assert sum(counts) == total == shown(at)
    return counts


@pytest.mark.parametrize("widget,value", [
    (None, None),
    ("w_cat", ["port"]),
    ("w_cat", ["road", "highway", "railway"]),
    ("w_status", ["identification"]),
    ("w_town", ["441204100"]),
    ("w_prec", [3, 4, 9]),
])
def test_accounting_adds_up_to_the_filtered_total(app, widget, value):
    at = app()
    if widget:
        at.multiselect(key=widget).set_value(value).run()
    check(at)


def test_accounting_on_the_fixture_and_off_map_lists(app):
    at = app()
    assert check(at) == [6, 3, 2, 2, 1]
    labels = popover_labels(at._tree)
    assert "全区 2 项" in labels and "未定位 1 项" in labels


def test_group_toggles_filter_map_and_counts(app):
    at = app()
    pills = at.get("button_group")[0]
    assert pills.value == list(gc.load_codelists().groups.index)
    at.session_state["w_groups"] = ["transport"]
    at.run()
    counts = check(at)
    # transport in the fixture: 2 ports (markers), road + highway (shapes), railway (district)
    assert counts == [2, 2, 0, 1, 0] and shown(at) == 5


def test_english_accounting(app):
    at = app(lang="en")
    line = next(m.value for m in at.markdown if "On the map:" in m.value)
    assert "= 14" in line and "town-level projects" in line


def test_groups_codelist_is_one_definition():
    cl = gc.load_codelists()
    assert list(cl.groups.columns[:4]) == ["label_zh", "label_en", "color", "symbol"]
    assert list(cl.groups["order"]) == sorted(cl.groups["order"])
    assert set(cl.group_of) == set(cl.categories.index)
    assert set(cl.group_of.values()) <= set(cl.groups.index)
    assert cl.group_of["port"] == "transport" and cl.group_of["health"] == "public_services"
    assert cl.group_label("transport", "en") == "Transport"


def test_group_toggles_are_in_the_url(app):
    """Groups switched off are in the link (``?off=``), so a shared link shows the same map;
    unknown groups in a link are ignored; all on is the clean default."""
    groups = list(gc.load_codelists().groups.index)
    at = app(off="water,energy,nonsense")
    assert at.get("button_group")[0].value == [g for g in groups if g not in ("water", "energy")]
    assert at.query_params["off"] == "water,energy"
    assert check(at)
    at.session_state["w_groups"] = ["transport"]
    at.run()
    assert at.query_params["off"] == ",".join(g for g in groups if g != "transport")
    assert shown(at) == 5
    at.session_state["w_groups"] = groups
    at.run()
    assert "off" not in at.query_params


def test_off_map_lists_are_built_only_when_opened(app):
    """issue 13: the lists beside the map are built and sent only while their popover is
    open (st.popover(on_change="rerun") in a fragment), not with every run of the page."""
    at = app()
    closed = [len(d.value) for d in at.dataframe]  # the project table, statistics ...
    at.session_state["w_pop_district"] = True
    at.run()
    opened = [len(d.value) for d in at.dataframe]
    # one more table, first on the page (the figures come before the tabs): the fixture's
    # two district-wide projects
    assert len(opened) == len(closed) + 1 and opened[0] == 2 and opened[1:] == closed
