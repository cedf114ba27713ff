"""The Streamlit app under streamlit.testing (AppTest) on the fixture data set."""

from __future__ import annotations

import html
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.fixtures.app_support import ROOT

APP = str(ROOT / "streamlit_app.py")
T1, T2 = "441204001", "441204100"


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def id_tables(at: AppTest) -> list:
    """Dataframes listing projects (they have the ID column), in page order."""
    return [d.value for d in at.dataframe if d.value.columns[-1] in ("编号", "ID")]


def test_starts_in_chinese_with_all_projects(app):
    at = app()
    assert not at.exception
    assert metric(at, "显示项目") == "14"
    acct = "图上 6 个点位 + 3 条线/面 + 2 个镇级项目(计入镇街统计) + 2 个全区性 + 1 个未定位 = 14"
    assert any(acct in m.value for m in at.markdown)
    assert at.title[0].value == "高要区“十四五”规划项目地图"
    assert any("模拟边界" in w.value for w in at.warning)
    assert dict(at.query_params) == {}


def test_filters_change_counts_and_table(app):
    at = app()
    at.multiselect(key="w_cat").set_value(["port"]).run()
    assert metric(at, "显示项目") == "2"
    assert sorted(id_tables(at)[0]["编号"]) == ["port-gaoyao-berths", "port-jinli-new"]
    at.multiselect(key="w_status").set_value(["identification"]).run()
    assert metric(at, "显示项目") == "1"
    at.multiselect(key="w_cat").set_value([]).run()
    at.multiselect(key="w_status").set_value([]).run()
    at.multiselect(key="w_town").set_value([T2]).run()
    assert metric(at, "显示项目") == "4"
    at.text_input(key="w_q").set_value("port").run()
    assert metric(at, "显示项目") == "1"
    at.multiselect(key="w_prec").set_value([5]).run()
    assert metric(at, "显示项目") == "0"
    at.button(key="w_reset").click().run()
    assert metric(at, "显示项目") == "14"
    assert at.text_input(key="w_q").value == ""


def stats_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "泊位" in m.value or "Berths" in m.value)


def test_statistics_follow_filters(app):
    at = app(cat="port")
    text = stats_text(at)
    assert "泊位&#58;\u20606 个" in text and "22,000 DWT" in text
    assert "道路与高速&#58;\u2060筛选结果中没有此类项目" in text
    assert "0.0" not in text
    at.multiselect(key="w_cat").set_value(["road", "highway"]).run()
    assert "52.9 km" in stats_text(at)


def test_statistics_never_show_zero_for_unknown_lengths(app):
    at = app()
    at.multiselect(key="w_prec").set_value([3, 4]).run()  # points and district-wide only
    text = stats_text(at)
    assert "长度未知" in text or "没有此类项目" in text
    assert not re.search(r"(^|[^\d.,])0\.0\b", text) and "None" not in text


def test_project_link_opens_the_card(monkeypatch):
    monkeypatch.delenv("GAOYAO_DATA_DIR", raising=False)
    monkeypatch.delenv("GAOYAO_OFFICIAL_TOWNS", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["project"] = "port-jinli-container-berths"
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "金利港5000吨级标准集装箱码头泊位"
    md = "\n".join(m.value for m in at.markdown)
    for needle in ("交通 · 港口码头", "前期", "推进…建设", "2021&#45;12", "金利镇",
                   "第六章第一节", "“4 个5000吨级标准集装箱码头泊位”", "泊位数 4",
                   "5,000", "地名库匹配", "进展记录"):
        assert needle in md, needle
    assert "None" not in md and "nan" not in md
    assert "位置有多精确**: 估计/示意" in md.replace("&#45;", "-"), "precision in words, no code"
    assert any("port&#45;jinli&#45;container&#45;berths" in c.value for c in at.caption)
    assert at.query_params["project"] == "port-jinli-container-berths"
    at.button(key="w_card_close").click().run()
    assert "project" not in at.query_params
    assert not any(s.value.startswith("金利港5000") for s in at.subheader)


@pytest.mark.parametrize("lang, shown, hidden", [
    ("zh", "金利港：取西江距金利镇驻地最近的岸边点（估计）", "nearest point of the Xi River"),
    ("en", "nearest point of the Xi River to 金利镇 seat", "取西江距金利镇驻地"),
])
def test_card_shows_the_geocoding_note_in_its_language(monkeypatch, lang, shown, hidden):
    """Issue 10: the card's 依据 line gives the note in the page's language."""
    monkeypatch.delenv("GAOYAO_DATA_DIR", raising=False)
    monkeypatch.delenv("GAOYAO_OFFICIAL_TOWNS", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["project"] = "port-jinli-container-berths"
    if lang == "en":
        at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    md = html.unescape("\n".join(m.value for m in at.markdown)).replace("\u2060", "")
    assert shown in md
    assert hidden not in md


def test_unknown_project_is_ignored_with_notice(app):
    at = app(project="no-such-project")
    assert not at.exception
    assert any("不存在" in i.value for i in at.info)
    assert "project" not in at.query_params


def test_table_row_click_selects_the_project(app, monkeypatch):
    import streamlit

    from ui.tabs import on_table_select

    at = app()
    table = next(d for d in at.dataframe if d.value.columns[-1] == "编号")
    ids = list(table.value["编号"])
    # what a click on row 2 leaves in session state before the callback runs
    fake = {"w_table": {"selection": {"rows": [2], "columns": []}}, "gy_table_ids": ids}
    with monkeypatch.context() as m:
        m.setattr(streamlit, "session_state", fake)
        on_table_select()
    assert fake["gy_project"] == ids[2]
    at.session_state["gy_project"] = ids[2]
    at.run()
    assert at.query_params["project"] == ids[2]
    assert any(m.value.startswith(("位置", "未定位")) for m in at.markdown)


def test_town_view_lists_projects_in_or_crossing(app):
    at = app()
    at.selectbox(key="w_view").set_value(T2).run()
    assert not at.exception
    assert metric(at, "该镇街项目数") == "4"
    town_list = id_tables(at)[0]
    assert sorted(town_list["编号"]) == ["hostile-xss", "park-jinli-hitech", "port-jinli-new",
                                        "road-nanan-jinli"]
    assert any(s.value.startswith("金利镇") for s in at.subheader)
    assert at.query_params["view"] == T2
    assert next(b.label for b in at.get("download_button")).startswith("下载镇街简报")


def test_query_params_restore_widgets(app):
    at = app(lang="en", cat="port,road,bogus", status="implementation", prec="2,5",
             q="jinli", view=T1, base="osm")
    assert not at.exception
    assert at.radio(key="w_lang").value == "en"
    assert at.multiselect(key="w_cat").value == ["port", "road"]
    assert at.multiselect(key="w_status").value == ["implementation"]
    assert at.multiselect(key="w_prec").value == [2, 5]
    assert at.text_input(key="w_q").value == "jinli"
    assert at.selectbox(key="w_view").value == T1
    assert at.selectbox(key="w_base").value == "osm"
    assert metric(at, "Projects in this town") == "1"  # the Nan'an-Jinli road (town view)
    assert at.title[0].value.startswith("Gaoyao District")


def test_widgets_update_query_params(app):
    at = app()
    at.radio(key="w_lang").set_value("en").run()
    at.multiselect(key="w_cat").set_value(["road", "port"]).run()
    at.text_input(key="w_q").set_value("金利").run()
    assert dict(at.query_params) == {"lang": "en", "cat": "road,port", "q": "金利"}
    at.radio(key="w_lang").set_value("zh").run()
    assert "lang" not in at.query_params


def test_malicious_params_fall_back(app):
    at = app(lang="<script>alert(1)</script>", cat="<img src=x onerror=alert(1)>",
             view="'; drop", base="javascript:alert(1)", mode="god", prec="-1")
    assert not at.exception
    assert at.radio(key="w_lang").value == "zh"
    assert at.multiselect(key="w_cat").value == []
    assert at.selectbox(key="w_view").value == ""
    assert at.selectbox(key="w_base").value == "none"
    assert metric(at, "显示项目") == "14"
    assert dict(at.query_params) == {}


def test_exports_present_in_normal_mode(app):
    at = app()
    labels = [b.label for b in at.get("download_button")]
    assert "下载 GeoJSON" in labels and "下载 CSV" in labels
    assert "下载 OC4IDS JSON" in labels  # geo.oc4ids is importable


def test_kiosk_hides_export(app):
    at = app(mode="kiosk", view=T1)
    assert not at.exception
    assert len(at.get("download_button")) == 0
    assert len(at.tabs) == 0 and at.button(key="k_home")  # the kiosk page (ui/kiosk_page.py)
    assert any("stMainMenu" in m.value for m in at.markdown)  # the kiosk CSS
    assert at.query_params["mode"] == "kiosk"


def test_kiosk_env_switch(app, monkeypatch):
    monkeypatch.setenv("GAOYAO_KIOSK", "1")
    at = app(mode="normal")
    assert len(at.get("download_button")) == 0
    assert "mode" not in at.query_params


def test_tianditu_hidden_without_key(app, monkeypatch):
    at = app(base="tianditu")
    assert "tianditu" not in at.selectbox(key="w_base").options
    assert at.selectbox(key="w_base").value == "none"
    monkeypatch.setenv("TIANDITU_KEY", "test-key")
    at = app(base="tianditu")
    assert at.selectbox(key="w_base").value == "tianditu"


def test_missing_data_file_is_named(app, monkeypatch, tmp_path):
    monkeypatch.setenv("GAOYAO_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("projects.geojson" in e.value for e in at.error)


def test_every_ui_label_is_translated():
    import re

    from geo.i18n import load_table, translator

    table = load_table()
    sources = [ROOT / "streamlit_app.py", *sorted((ROOT / "layers").glob("*.py")),
               *sorted((ROOT / "ui").glob("*.py"))]
    used = set()
    for path in sources:
        used |= set(re.findall(r"""\btr\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
    used |= {f"stage.{s}" for s in ("proposed", "active", "done", "cancelled")}
    used |= {f"q.{k}" for k in ("voltage_kv", "length_km_stated", "area_km2_stated", "units",
                                "length_km", "area_km2")}
    assert len(used) > 60
    missing = sorted(k for k in used if k not in table)
    assert missing == []
    empty = sorted(k for k, row in table.items() if not row["zh"] or not row["en"])
    assert empty == []
    assert translator("en")("map.caption", n=3, total=4, d=1, u=0).startswith("The map shows 3")
    assert translator("xx")("app.title") == table["app.title"]["zh"]
    assert translator("en")("no.such.key") == "⟦no.such.key⟧"


REAL = ROOT / "data" / "projects.geojson"  # committed: these tests never skip


def test_runs_on_the_committed_data(monkeypatch):
    import json

    monkeypatch.delenv("GAOYAO_DATA_DIR", raising=False)
    monkeypatch.delenv("GAOYAO_OFFICIAL_TOWNS", raising=False)
    n = len(json.loads(REAL.read_text(encoding="utf-8"))["features"])
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert metric(at, "显示项目") == str(n)
    assert len(at.selectbox(key="w_view").options) == 18  # whole district + 17 towns


def test_broken_official_towns_fall_back_with_notice(monkeypatch, tmp_path):
    monkeypatch.delenv("GAOYAO_DATA_DIR", raising=False)
    monkeypatch.setenv("GAOYAO_OFFICIAL_TOWNS", str(tmp_path / "missing.gpkg"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("missing.gpkg" in i.value for i in at.info)
    assert any("模拟边界" in w.value for w in at.warning)
    assert len(at.selectbox(key="w_view").options) == 18


def test_map_centre_and_zoom_in_the_url(app):
    at = app(c="23.05,112.46", z="12")
    assert not at.exception
    assert at.query_params["c"] == "23.05,112.46" and at.query_params["z"] == "12"
    bad = app(c="51.5,-0.1", z="40")
    assert "c" not in bad.query_params and "z" not in bad.query_params
    # choosing a town forgets the old view: the map fits the town
    at.selectbox(key="w_view").set_value(T2).run()
    assert "c" not in at.query_params


def test_card_shows_hostile_text_as_data(app):
    at = app(project="hostile-xss", lang="en")
    assert not at.exception
    md = "\n".join(m.value for m in at.markdown[1:]) + "".join(s.value for s in at.subheader)
    assert "<img" not in md and "<script" not in md and "](" not in md


def test_first_run_freezes_the_warm_heap(app):
    """issue 13 (perf): after a first run the loaded data and warm caches are out of the
    cyclic garbage collector's walks (`ui.data.heap_frozen`: gc.freeze once per data file)."""
    import gc

    at = app()
    assert not at.exception
    assert gc.get_freeze_count() > 10_000  # the data, codelists, features, layers ...


def test_i18n_rows_with_a_stray_comma_are_refused(tmp_path):
    """An unquoted comma in a text cut it and moved its rest into the next language (the
    English list note read "没有具体地点"): the loader names the key and line."""
    from geo.i18n import load_table

    bad = tmp_path / "i18n.csv"
    bad.write_text("key,zh,en\nok,好,fine\nnote,甲,乙,丙,Text\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 3: the row of key 'note' has not 3 fields"):
        load_table(bad)
    short = tmp_path / "short.csv"
    short.write_text("key,zh,en\nnote,甲\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'note'"):
        load_table(short)
    table = load_table()  # the committed table: every row has its three fields
    assert table["acct.district_note"]["en"].startswith("These projects are known only")
    assert table["acct.district_note"]["zh"].endswith("不在图上标注。")
