"""The project table paged and sorted on the server (layers/table_page.py, ui/tabs.py)."""

from __future__ import annotations

import pandas as pd

from layers import table_page as tp


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"p{i:03d}" for i in range(n)],
                         "title_zh": [f"项目{(i * 7) % n:03d}" for i in range(n)],
                         "title_en": ["" if i % 3 == 0 else f"Project {(i * 7) % n:03d}"
                                      for i in range(n)],
                         "status": [None if i % 5 == 0 else "s" + str(i % 4) for i in range(n)]},
                        index=[i * 2 for i in range(n)])


def test_pages_and_clamping():
    assert tp.n_pages(0) == 1 and tp.n_pages(100) == 1 and tp.n_pages(101) == 2
    assert tp.clamp_page(0, 250) == 1 and tp.clamp_page(9, 250) == 3
    assert tp.clamp_page("x", 250) == 1 and tp.clamp_page(None, 250) == 1


def test_pages_cover_every_row_once():
    df = frame(250)
    seen = pd.concat([tp.page_rows(df, p) for p in range(1, 4)])
    assert list(seen["id"]) == list(df["id"])
    assert len(tp.page_rows(df, 3)) == 50 and len(tp.page_rows(df, 99)) == 50


def test_sorting_is_stable_missing_last_and_plan_order_by_default():
    df = frame(40)
    assert list(tp.sort_rows(df, "table.sort_plan", "zh")["id"]) == list(df["id"])
    by_status = tp.sort_rows(df, "col.status", "zh")
    status = list(by_status["status"])
    known = [s for s in status if not pd.isna(s)]
    assert known == sorted(known) and all(pd.isna(s) for s in status[len(known):])
    desc = tp.sort_rows(df, "col.status", "zh", descending=True)
    assert [s for s in desc["status"] if not pd.isna(s)] == sorted(known, reverse=True)
    titles = list(tp.sort_rows(df, "col.title", "zh")["title_zh"])
    assert titles == sorted(titles)
    en = tp.sort_rows(df, "col.title", "en")  # an English title, else the Chinese one
    shown = [e if e else z for e, z in zip(en["title_en"], en["title_zh"], strict=True)]
    assert shown == sorted(shown)


def test_the_app_sends_one_page_and_a_row_click_selects_from_it(app):
    at = app()
    assert not at.exception
    table = next(d for d in at.dataframe if d.value.columns[-1] == "编号")
    assert len(table.value) <= tp.PAGE_SIZE
    assert at.session_state["gy_table_ids"] == list(table.value["编号"])
    at.selectbox(key="w_table_sort").set_value("col.id").run()
    at.toggle(key="w_table_desc").set_value(True).run()
    table = next(d for d in at.dataframe if d.value.columns[-1] == "编号")
    ids = list(table.value["编号"])
    assert ids == sorted(ids, reverse=True)
    assert at.session_state["gy_table_ids"] == ids
