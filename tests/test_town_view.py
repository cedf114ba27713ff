"""The town view (AppTest on the fixture data): the town's figures replace the district's, the
filters that narrow it are shown as chips that clear with one tap, the tables and exports are
the town's set, and the district table is not repeated."""

from __future__ import annotations

from tests.test_app import T1, T2, id_tables


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_town_figures_replace_the_district_figures(app):
    at = app(view=T2)
    assert not at.exception
    shown = metrics(at)
    assert shown["该镇街项目数"] == "4" and "显示项目" not in shown
    tables = id_tables(at)
    assert len(tables) == 1  # the town's table only, the district's is not repeated
    assert sorted(tables[0]["编号"]) == ["hostile-xss", "park-jinli-hitech", "port-jinli-new",
                                        "road-nanan-jinli"]
    # the group toggles count the town's 4 projects too, not the district's 14
    options = at.get("button_group")[0].proto.options
    assert sum(int(o.content.rsplit(" ", 1)[1]) for o in options) == 4
    at.selectbox(key="w_view").set_value("").run()
    assert metrics(at)["显示项目"] == "14" and len(id_tables(at)[0]) == 14


def test_filter_chips_show_what_narrows_the_town_and_clear_it(app):
    at = app(view=T2)
    assert any("未应用筛选" in c.value for c in at.caption)
    at.multiselect(key="w_town").set_value([T1]).run()
    at.multiselect(key="w_cat").set_value(["road"]).run()
    assert metrics(at)["该镇街项目数"] == "1"
    assert any("1 / 4" in i.value for i in at.info)
    chip = at.button(key="w_chip_towns")
    assert chip.label.startswith("✕ 镇街") and "南岸街道" in chip.label
    assert at.button(key="w_chip_categories").label.startswith("✕ 类别")
    chip.click().run()
    assert at.multiselect(key="w_town").value == []
    assert metrics(at)["该镇街项目数"] == "1"  # the category filter still applies
    at.button(key="w_chip_all").click().run()
    assert metrics(at)["该镇街项目数"] == "4" and at.multiselect(key="w_cat").value == []
    assert not any("1 / 4" in i.value for i in at.info)


def test_exports_are_the_towns_set_with_named_files(app, monkeypatch):
    import ui.tabs

    real = ui.tabs.download
    seen: dict[str, tuple[str, object]] = {}

    def recording(label, data, file_name, mime, key):
        seen[key] = (file_name, data)
        real(label, data, file_name, mime, key)

    monkeypatch.setattr(ui.tabs, "download", recording)
    at = app(view=T2, cat="port")
    assert not at.exception
    assert any("导出金利镇的 1 个项目" in c.value for c in at.caption)
    name, data = seen["w_dl_csv"]
    assert name == "gaoyao-projects-金利镇-port.csv"
    assert seen["w_dl_gpkg"][0] == "gaoyao-projects-金利镇-port.gpkg"
    csv_bytes = data() if callable(data) else data
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    text = csv_bytes.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("编号,") and len(text.strip().splitlines()) == 2
    assert "port-jinli-new" in text and "port-gaoyao-berths" not in text
    geojson = seen["w_dl_geojson"][1]
    assert '"port-jinli-new"' in (geojson() if callable(geojson) else geojson)


def test_english_town_view(app):
    at = app(view=T2, lang="en")
    assert metrics(at)["Projects in this town"] == "4"
    assert any("No filter applies" in c.value for c in at.caption)
    assert any("Exports the 4 projects of Jinli" in c.value for c in at.caption)
