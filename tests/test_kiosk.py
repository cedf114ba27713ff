"""Kiosk lock-down and untrusted input, without a browser (AppTest + the pure renderers).

* the shipped Streamlit config (no telemetry, no developer menu, no error details);
* kiosk mode -- by URL and forced by GAOYAO_KIOSK=1, which the URL cannot undo: no exports,
  no download, only the offline basemap (even with a Tianditu key and ``base=osm``), no file
  paths in error messages;
* hostile query strings (XSS, path traversal, huge and repeated values) fall back to defaults,
  inject no HTML and touch no file;
* every accepted hostile payload (tests/hostile.py) comes out of every renderer escaped: the
  tooltips/popups and town labels of the map, the whole rendered map page, the town brief and
  the GeoJSON/CSV exports; CSV cells that a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import tomllib
from html.parser import HTMLParser

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo import codelists as gc
from geo import export, loading, viewstate
from geo.brief import town_brief_html
from geo.i18n import I18n, load_table
from layers.basemaps import get_basemap
from layers.map import build_map, render_html
from layers.projects import project_layers
from tests.fixtures.app_support import FIXTURES, ROOT
from tests.hostile import ACCEPTED, XSS_MARKER, hostile_record
from tests.layers_support import drawn_features

APP = str(ROOT / "streamlit_app.py")
T1 = "441204001"
TDT_KEY = "0123456789abcdef0123456789abcdef"
#: characters that make a payload dangerous in HTML when not escaped
HTML_SPECIAL = set("<>\"'&")
DANGEROUS = [p for p in ACCEPTED if HTML_SPECIAL & set(p.text)]


# --------------------------------------------------------------------------- helpers
def page_texts(at: AppTest) -> list[str]:
    """Every text the page shows through markdown-like elements (may carry HTML)."""
    out = []
    for group in (at.markdown, at.caption, at.title, at.header, at.subheader, at.info,
                  at.warning, at.error, at.success):
        out += [str(e.value) for e in group]
    return out


def assert_kiosk(at: AppTest) -> None:
    """The kiosk page (ui/kiosk_page.py): home, groups, no export, no table, offline map."""
    assert not at.exception
    assert len(at.get("download_button")) == 0
    assert len(at.dataframe) == 0 and len(at.tabs) == 0  # no table, no toolbar
    assert len(at.multiselect) == 0 and len(at.selectbox) == 0  # no sidebar filters
    assert any("stMainMenu" in m.value for m in at.markdown)  # the kiosk CSS hides the menu
    assert at.button(key="k_home")
    assert at.session_state["w_base"] == "none"  # the only basemap a kiosk offers


def digest(path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- config
def test_shipped_streamlit_config_is_locked_down():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["global"]["developmentMode"] is False
    assert cfg["server"]["headless"] is True
    assert cfg["server"]["runOnSave"] is False
    # the defaults (XSRF protection, CORS restriction) must not be switched off
    assert cfg["server"].get("enableXsrfProtection", True) is True
    assert cfg["server"].get("enableCORS", True) is True
    assert "maxUploadSize" not in cfg["server"] or cfg["server"]["maxUploadSize"] <= 1


def test_app_has_no_upload_or_path_input():
    """Nothing in the app takes a file or a path/URL from the user."""
    sources = [ROOT / "streamlit_app.py", *sorted((ROOT / "ui").glob("*.py"))]
    src = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    for call in ("file_uploader", "camera_input", "audio_input", "st.link_button", "st.html(",
                 "unsafe_allow_html=True)"):
        if call == "unsafe_allow_html=True)":
            # the only raw HTML is the constant CSS of ui/css (ui.kiosk.apply_css)
            assert src.count(call) == 1
            assert 'st.markdown(f"<style>\\n{page_css(kiosk)}</style>", ' + call in src
        else:
            assert call not in src, call


# --------------------------------------------------------------------------- kiosk mode
def test_kiosk_by_url_forces_offline_basemap(app):
    at = app(mode="kiosk", base="osm")
    assert_kiosk(at)
    assert "base" not in at.query_params and at.query_params["mode"] == "kiosk"


def test_normal_mode_offers_online_basemaps(app):
    """The control for the kiosk test: outside kiosk mode OSM is offered and chosen."""
    at = app(base="osm")
    assert at.selectbox(key="w_base").value == "osm"
    assert "OpenStreetMap" in at.selectbox(key="w_base").options
    assert len(at.get("download_button")) >= 2


@pytest.mark.parametrize("params", [
    {},
    {"mode": "normal"},
    {"mode": ["normal", "kiosk", "normal"]},
    {"mode": "KIOSK"},
    {"mode": "", "base": "tianditu"},
    {"mode": "normal", "base": "osm", "view": T1},
    {"base": "amap", "lang": "en"},
], ids=["bare", "normal", "repeated", "upper", "tianditu", "osm-town", "amap-en"])
def test_forced_kiosk_cannot_be_left_by_url(app, monkeypatch, params):
    monkeypatch.setenv("GAOYAO_KIOSK", "1")
    monkeypatch.setenv("TIANDITU_KEY", TDT_KEY)  # would enable Tianditu outside the kiosk
    at = app(**params)
    if params.get("lang") == "en":
        assert at.button(key="k_home").label.endswith("Back to start")
        at.button(key="k_lang").click().run()
    assert_kiosk(at)
    assert at.button(key="k_home").label.endswith("返回首页")
    assert "mode" not in at.query_params and "base" not in at.query_params
    # the town view (a harmless, validated choice) still works inside the kiosk
    if params.get("view"):
        assert at.session_state["w_view"] == T1
        assert at.button(key="k_back")  # the town's project list is open
        assert len(at.get("download_button")) == 0  # no town brief either


def test_kiosk_error_hides_file_paths(app, monkeypatch, tmp_path):
    monkeypatch.setenv("GAOYAO_DATA_DIR", str(tmp_path / "secret-dir"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["mode"] = "kiosk"
    at.run()
    assert len(at.error) == 1
    assert "secret-dir" not in at.error[0].value and "projects.geojson" not in at.error[0].value
    at = AppTest.from_file(APP, default_timeout=60).run()  # a developer still sees the path
    assert "projects.geojson" in at.error[0].value


# --------------------------------------------------------------------------- query strings
HOSTILE_PARAMS = {
    "lang": "<script>window.__xss=1</script>",
    "mode": "../../etc/passwd",
    "cat": ["../../etc/passwd", "port", "<img src=x onerror=window.__xss=1>", "port"],
    "status": "identification%00",
    "town": "441204001/../../../etc/passwd",
    "prec": ["1e9", "-1", "nan", "2"],
    "view": "file:///etc/passwd",
    "base": "javascript:window.__xss=1",
    "q": "<img src=x onerror=window.__xss=1>" + "长" * 5000,
    "unknown": "{{7*7}}",
}


def test_hostile_query_string_falls_back_and_injects_nothing(app, tmp_path):
    before = digest(FIXTURES)
    repo_files = {p.name for p in ROOT.iterdir()}
    at = app(**HOSTILE_PARAMS)
    assert not at.exception
    assert at.radio(key="w_lang").value == "zh"
    assert at.multiselect(key="w_cat").value == ["port"]  # the one valid value, once
    assert at.multiselect(key="w_status").value == []
    assert at.multiselect(key="w_town").value == []
    assert at.multiselect(key="w_prec").value == [2]
    assert at.selectbox(key="w_view").value == ""
    assert at.selectbox(key="w_base").value == "none"
    q = at.text_input(key="w_q").value
    assert len(q) == viewstate.MAX_TEXT and q.startswith("<img src=x onerror")  # kept as text only
    assert len(at.get("download_button")) >= 2  # "mode" garbage did not lock or unlock anything
    for text in page_texts(at):
        assert "<img" not in text and "<script" not in text and "etc/passwd" not in text
        assert XSS_MARKER not in text and "49" not in text.replace("1.49", "")
    assert dict(at.query_params) == {"cat": "port", "prec": "2", "q": q}
    # nothing was written: data files unchanged, no new file next to the app
    assert digest(FIXTURES) == before
    assert {p.name for p in ROOT.iterdir()} - repo_files <= {".pytest_cache", ".hypothesis"}


@pytest.mark.parametrize("value", ["", "zh,en", "ZH", "en\n", " en", "e" * 10_000])
def test_language_accepts_only_exact_codes(value):
    state = viewstate.parse_query_params({"lang": value}, viewstate.Valid())
    assert state.lang == "zh"


def test_parse_query_params_bounds_every_field():
    valid = viewstate.Valid(categories=["port"], statuses=["identification"], towns=[T1],
                     precisions=[1, 2], basemaps=["none", "osm"])
    state = viewstate.parse_query_params({
        "cat": ",".join(["port"] * 10_000), "q": "\x00\x1b[31m" + "x" * 500,
        "prec": ["1", "1", "2", "3"], "view": [T1, "nope"], "base": ["osm", "none"],
    }, valid)
    assert state.categories == ("port",)
    assert state.precisions == (1, 2)
    assert state.town == ""  # the last value wins, and "nope" is no town
    assert state.basemap == "none"
    assert len(state.text) <= viewstate.MAX_TEXT
    assert "\x00" not in state.text and "\x1b" not in state.text


# --------------------------------------------------------------------------- renderers
class TagCollector(HTMLParser):
    """Tags and attributes of an HTML document, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(doc: str) -> TagCollector:
    p = TagCollector()
    p.feed(doc)
    p.close()
    return p


def norm(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture(scope="module")
def hostile_frame(tmp_path_factory) -> gpd.GeoDataFrame:
    """One built-like project per accepted payload (payload in every free-text field)."""
    from geo.build import typed_properties

    rows, geoms = [], []
    for i, p in enumerate(ACCEPTED):
        rec = hostile_record(p, f"xss-{i:02d}")
        props = typed_properties(rec)
        # precision 2 (not 3): town-level projects are summarised per town, not drawn
        props.update(precision=1 if i % 2 else 2, towns_all="金利镇", town_codes="441204100",
                     geocode_matched=p.text)
        rows.append(props)
        geoms.append(shapely.Point(112.45 + i * 0.001, 23.05))
    path = tmp_path_factory.mktemp("hostile") / "projects.geojson"
    gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326").to_file(path, driver="GeoJSON")
    return loading.load_projects(path)  # the columns exactly as the app has them


@pytest.fixture(scope="module")
def codelists() -> gc.Codelists:
    return gc.load_codelists(ROOT / "data" / "codelists")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tooltips_and_popups_escape_every_payload(hostile_frame, codelists, lang):
    """The tooltips and popups as the browser builds them (layers/js/project_bind.js)."""
    tr = I18n(load_table(ROOT / "data" / "i18n.csv"), lang)
    groups = project_layers(hostile_frame, codelists, tr, get_basemap("none"))
    shown = {f["properties"]["pid"]: f["properties"] for f in drawn_features(groups)}
    assert len(shown) == len(ACCEPTED)
    for (_, row), p in zip(hostile_frame.iterrows(), ACCEPTED, strict=True):
        props = shown[row["id"]]
        for out in (props["tip"], props["pop"]):
            doc = parse(out)
            assert set(doc.tags) <= {"b", "br", "i", "div", "table", "tr", "th", "td", "small"}
            assert [a for a, _ in doc.attrs] in ([], ["class"]), (p.name, doc.attrs)
            assert norm(p.text) in norm("".join(doc.text)), p.name
            if HTML_SPECIAL & set(p.text):
                assert p.text not in out, p.name


def test_rendered_map_page_carries_no_payload_raw(hostile_frame, codelists):
    """The whole folium page (base map + project layers + town labels with payload names):
    data only travel as JSON with <, >, &, ' escaped, so no payload closes a script."""
    tr = I18n(load_table(ROOT / "data" / "i18n.csv"), "zh")
    towns = gpd.read_file(FIXTURES / "boundaries" / "towns.geojson")
    towns["name_zh"] = [p.text for p in DANGEROUS[: len(towns)]]
    basemap = get_basemap("none")
    m = build_map(None, towns, None, codelists, tr, basemap, legend_categories=["port"])
    page = render_html(m, project_layers(hostile_frame, codelists, tr, basemap))
    scripts_before = page.count("<script")
    for p in DANGEROUS:
        assert p.text not in page, p.name
        assert html.escape(p.text) not in page or "<" not in p.text  # escaped, then \u-escaped
    assert page.count("</script>") == scripts_before
    # the data really are there, as escaped HTML inside JSON strings (tojson)
    for p in DANGEROUS[:5]:
        assert htmlsafe_json(html.escape(p.text)) in page, p.name


def htmlsafe_json(text: str) -> str:
    """`text` as it appears inside a JSON string written by Jinja's ``tojson``."""
    return (json.dumps(text)[1:-1].replace("&", "\\u0026").replace("<", "\\u003c")
            .replace(">", "\\u003e").replace("'", "\\u0027"))


def test_town_brief_escapes_every_payload(hostile_frame, codelists):
    town = {"code": "441204100", "name_zh": DANGEROUS[1].text, "name_en": DANGEROUS[2].text,
            "boundary_source": "modelled"}
    doc_html = town_brief_html(town, hostile_frame, codelists, generated_on="2026-01-01",
                               source_note=DANGEROUS[3].text, budget=None)  # no one-page cut
    doc = parse(doc_html)
    assert "script" not in doc.tags and "img" not in doc.tags and "svg" not in doc.tags
    assert "iframe" not in doc.tags and "a" not in doc.tags
    assert not [a for a, _ in doc.attrs if a.startswith("on") or a in ("href", "src")]
    text = norm("".join(doc.text))
    for p in ACCEPTED:
        assert norm(p.text) in text, p.name
    for p in DANGEROUS:
        assert p.text not in doc_html, p.name
    assert "default-src 'none'" in doc_html  # CSP: even a miss could not run a script


def test_exports_keep_text_and_neutralise_formulas(hostile_frame):
    gj = json.loads(export.to_geojson(hostile_frame))
    titles = [f["properties"]["title_en"] for f in gj["features"]]
    assert titles == [p.text for p in ACCEPTED]  # JSON is data, kept exactly
    frame = hostile_frame.copy()
    frame.loc[0, "notes"] = '=HYPERLINK("http://x","x")'  # a hand-edited built file
    frame.loc[1, "notes"] = "  @SUM(1+1)"
    frame.loc[2, "notes"] = "+cmd|' /C calc'!A0"
    frame.loc[3, "notes"] = "\t=1+1"
    frame.loc[4, "notes"] = "-5 km"  # ordinary text starting with '-' is quoted too
    frame.loc[5, "notes"] = "a=b"  # not at the start: unchanged
    rows = list(csv.DictReader(io.StringIO(export.to_csv(frame))))
    assert len(rows) == len(ACCEPTED)
    notes = [r["notes"] for r in rows[:6]]
    assert notes == ["'=HYPERLINK(\"http://x\",\"x\")", "'  @SUM(1+1)", "'+cmd|' /C calc'!A0",
                     "'\t=1+1", "'-5 km", "a=b"]
    for r in rows:
        for k, v in r.items():
            assert not v.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (k, v)
    dash = next(i for i, p in enumerate(ACCEPTED) if p.name == "csv_formula_dash")
    assert rows[dash]["title_en"] == "'" + ACCEPTED[dash].text
    assert rows[dash]["berths"] == "4.0"  # numbers are not touched


# --------------------------------------------------------------------------- the whole page
@pytest.fixture
def hostile_app(monkeypatch, tmp_path, hostile_frame):
    """AppTest on a data dir whose projects carry every payload and whose towns have hostile
    English names."""
    import shutil

    (tmp_path / "boundaries").mkdir()
    for name in ("district.geojson", "xijiang.geojson"):
        shutil.copy(FIXTURES / "boundaries" / name, tmp_path / "boundaries" / name)
    towns = json.loads((FIXTURES / "boundaries" / "towns.geojson").read_text(encoding="utf-8"))
    for feat, p in zip(towns["features"], DANGEROUS, strict=False):
        feat["properties"]["name_en"] = p.text
    (tmp_path / "boundaries" / "towns.geojson").write_text(json.dumps(towns), encoding="utf-8")
    hostile_frame.to_file(tmp_path / "projects.geojson", driver="GeoJSON")
    monkeypatch.setenv("GAOYAO_DATA_DIR", str(tmp_path))
    for name in ("GAOYAO_KIOSK", "TIANDITU_KEY", "GAOYAO_OFFICIAL_TOWNS"):
        monkeypatch.delenv(name, raising=False)
    return [f["properties"]["code"] for f in towns["features"]]


def test_page_shows_payloads_only_as_data(hostile_app):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(lang="en")
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if d.value.columns[-1] == "ID"
                 and len(d.value) == len(ACCEPTED))
    assert sorted(table["Project"]) == sorted(p.text for p in ACCEPTED)  # literal, as data
    # the town view shows the town's table instead of the district's
    at.selectbox(key="w_view").set_value(hostile_app[0]).run()
    assert not at.exception
    # the town list offers the hostile names as plain options
    options = at.selectbox(key="w_view").options
    for p in DANGEROUS[:3]:
        assert p.text in options
    # markdown elements (the town heading) never carry markup from the data
    heading = next(s.value for s in at.subheader)
    assert "<" not in heading and "[" not in heading and "](" not in heading
    assert html.unescape(heading).replace("\u2060", "").startswith(DANGEROUS[0].text)
    for text in page_texts(at):
        for p in DANGEROUS:
            assert p.text not in text, p.name


def test_idle_script_is_configured_with_json():
    """The kiosk idle timer is ui/js/kiosk_idle.js with its settings as HTML-safe JSON."""
    from tests.layers_support import run_js
    from ui.kiosk import idle_script

    page = idle_script("?mode=kiosk", 5)
    assert page.startswith("<script>") and page.endswith("</script>")
    assert '({"home": "?mode=kiosk", "ms": 5000});' in page and "/*CONFIG*/" not in page
    assert "\\u003c/script\\u003e" in idle_script("</script>", 5)  # cannot close the script
    body = page.removeprefix("<script>").removesuffix("</script>")
    assert run_js("(src) => typeof new Function(src)", body) == "function"  # parses


# --------------------------------------------------------------------------- the kiosk page
GROUPS = ["transport", "water", "energy", "industry", "agriculture", "public_services",
          "ecology_culture", "urban"]
JINLI = "441204100"


def card_text(at: AppTest) -> str:
    return "\n".join(html.unescape(m.value).replace("\u2060", "") for m in at.markdown
                     if "<style>" not in m.value)


def test_kiosk_page_shows_groups_chips_town_grid_and_home(app):
    at = app(mode="kiosk")
    assert_kiosk(at)
    for code in GROUPS:
        assert at.button(key=f"k_grp_{code}")
    assert [b.label for b in (at.button(key=f"k_grp_{c}") for c in GROUPS)][:2] == [
        "交通", "水务水利"]
    assert len(at.get("button_group")) == 1  # the progress chips (st.pills)
    towns = [b for b in at.button if b.key and b.key.startswith("k_town_")]
    assert [b.label for b in towns] == ["全区", "南岸街道", "金利镇", "禄步镇"]
    assert at.button(key="k_home").label == "⌂ 返回首页"
    assert not [b for b in at.button if b.key and b.key.startswith("k_p_")]  # no list yet


def test_kiosk_town_list_card_and_home(app):
    at = app(mode="kiosk")
    at.button(key=f"k_town_{JINLI}").click().run()
    assert not at.exception
    assert at.session_state["w_view"] == JINLI and at.query_params["view"] == JINLI
    listed = [b.label for b in at.button if b.key and b.key.startswith("k_p_")]
    assert len(listed) >= 3 and all(not lbl.startswith(("port-", "park-")) for lbl in listed)
    # open every project of the town in turn: plain language, no slug, no None, no codes
    keys = [b.key for b in at.button if b.key and b.key.startswith("k_p_")]
    for key in keys:
        at.button(key=key).click().run()
        assert not at.exception
        text = card_text(at)
        assert "位置:" in text
        assert "None" not in text and "nan" not in text and "441204" not in text
        assert "park-jinli-hitech" not in text and "port-jinli-new" not in text
    at.button(key=keys[0]).click().run()
    assert at.button(key="k_close")
    # home: everything back to the start
    at.button(key="k_grp_transport").click().run()
    assert at.session_state["k_group"] == "transport"
    at.button(key="k_home").click().run()
    assert not at.exception
    assert at.session_state["w_view"] == "" and at.session_state["k_group"] == ""
    assert at.session_state["k_pid"] == ""
    assert at.button(key="k_town_all") and "view" not in at.query_params
    assert at.query_params["mode"] == "kiosk"


def test_kiosk_whole_district_list_and_groups_filter(app):
    at = app(mode="kiosk")
    at.button(key="k_town_all").click().run()
    everything = [b for b in at.button if b.key and b.key.startswith("k_p_")]
    assert len(everything) == 14
    at.button(key="k_grp_transport").click().run()
    transport = [b for b in at.button if b.key and b.key.startswith("k_p_")]
    assert 0 < len(transport) < 14
    at.button(key="k_grp_transport").click().run()  # a second tap clears the group
    assert len([b for b in at.button if b.key and b.key.startswith("k_p_")]) == 14


def test_card_location_is_the_one_plain_phrase(codelists):
    """The kiosk card's location line is `geo.plain.location_phrase` (tests/test_plain.py),
    with the towns in the card's language; the kiosk has no phrasing of its own."""
    import pandas as pd

    import ui.kiosk_page as kp
    from geo.plain import location_phrase, town_names_for
    from ui.text import Labels

    assert not hasattr(kp, "plain_location")
    towns = gpd.read_file(FIXTURES / "boundaries" / "towns.geojson")
    towns = towns.assign(code=towns["code"].astype(str))
    for lang in ("zh", "en"):
        tr = I18n(load_table(ROOT / "data" / "i18n.csv"), lang)
        labels = Labels.of(towns, codelists, lang)
        names = town_names_for(towns, lang)
        row = pd.Series({"precision": 3, "town_codes": JINLI, "towns_all": "金利镇",
                         "category": "port", "status": "implementation",
                         "status_as_of": "2021-12", "description_zh": None,
                         "description": None, "plan_ref": "None"})
        lines = kp.card_lines(row, codelists, labels, tr, names)
        assert lines[-1] == location_phrase(row, lang, names)
        if lang == "zh":
            assert lines == ["类别:交通·港口码头", "进展:建设(截至2021年12月)",
                             "位置:金利镇(镇级,规划未给具体地点)"]
        else:
            assert "金利" not in lines[-1] and "None" not in " ".join(lines)


def test_kiosk_css_group_colours_follow_the_codelist():
    css = (ROOT / "ui" / "css" / "kiosk.css").read_text(encoding="utf-8")
    for row in gc.read_csv_rows(ROOT / "data" / "codelists" / "groups.csv"):
        assert f".st-key-k_grp_{row['code']} button {{ border-color: {row['color']}" in css
    map_css = (ROOT / "ui" / "css" / "kiosk_map.css").read_text(encoding="utf-8")
    assert "72px" in map_css and "18px" in map_css and "http" not in css + map_css


def test_kiosk_shows_hostile_text_literally(hostile_app):
    at = AppTest.from_file(APP, default_timeout=60)
    # every hostile project is in 金利镇; in English the towns carry hostile names
    at.query_params.update(mode="kiosk", view=JINLI, lang="en")
    at.run()
    assert not at.exception
    labels = [html.unescape(b.label).replace("\u2060", "") for b in at.button
              if b.key and b.key.startswith("k_p_")]
    assert sorted(labels) == sorted(" ".join(p.text.split()) for p in ACCEPTED)  # literal
    raw = [b.label for b in at.button]
    for p in DANGEROUS:
        assert p.text not in raw, p.name
    key = next(b.key for b in at.button if b.key and b.key.startswith("k_p_"))
    at.button(key=key).click().run()
    assert not at.exception
    for text in page_texts(at):
        if "<style>" in text:
            continue
        for p in DANGEROUS:
            assert p.text not in text, p.name
    # the town names of the grid are literal too
    at.button(key="k_back").click().run()
    grid = [html.unescape(b.label).replace("\u2060", "") for b in at.button
            if b.key and b.key.startswith("k_town_4")]
    assert grid == [" ".join(p.text.split()) for p in DANGEROUS[: len(hostile_app)]]


def test_kiosk_map_labels_avoid_markers_and_clusters_at_its_default_zoom():
    """The kiosk map places its town labels with the desktop's plan (`layers.town_map.
    label_plan`, the same marker/cluster obstacles and leader lines) at its own default zoom
    and label size; both orientations open at that zoom (the fit is for the smaller of the
    two maps, `KIOSK_MAP_PX`). Every town is named there and no label box touches another
    label, a leader line or a marker/cluster box."""
    from layers.basemaps import get_basemap
    from layers.town_map import KIOSK_LABELS
    from layers.viewport import bounds_of, zoom_for_bounds
    from tests.test_labels import assert_reads_cleanly, real_map
    from ui.kiosk_page import KIOSK_MAP_PX, kiosk_view

    projects, towns, codelists, district, names = real_map()
    _centre, zoom = kiosk_view(district, get_basemap("none"))
    assert zoom is not None
    bounds = bounds_of(district)
    for size in ((1230, 1050), (1080, 1050)):  # landscape, portrait maps (px)
        assert zoom_for_bounds(bounds, *size, padding_px=30) >= zoom
    assert KIOSK_MAP_PX[0] <= 1080
    assert_reads_cleanly(projects, towns, codelists, names, zoom, KIOSK_LABELS)
    # the kiosk's own group filters: other clusters, other totals
    for group in ("transport", "industry"):
        mine = projects[projects["category"].astype(str).map(codelists.group_of) == group]
        assert_reads_cleanly(mine, towns, codelists, names, zoom, KIOSK_LABELS)


def test_kiosk_legend_lists_the_groups_not_the_categories(codelists):
    """The kiosk legend has the desktop legend's rows: the ~8 groups with their Okabe-Ito
    colour and symbol (and counts), the shading, status and precision keys; escaped."""
    from geo import loading as gl
    from layers.legend import kiosk_legend_html, legend_facts, side_legend_context

    projects = gl.load_projects(FIXTURES / "projects.geojson")
    towns = gpd.read_file(FIXTURES / "boundaries" / "towns.geojson")
    towns = towns.assign(code=towns["code"].astype(str))
    tr = I18n(load_table(ROOT / "data" / "i18n.csv"), "zh")
    facts = legend_facts(projects, towns, codelists)
    page = kiosk_legend_html(codelists, tr, *facts)
    assert '<details class="gy-legend gy-kiosk-legend" id="gy-legend" open>' in page
    folded = kiosk_legend_html(codelists, tr, *facts, open_at_start=False)
    assert 'id="gy-legend">' in folded and " open>" not in folded
    rows = page.count('class="r gy-lg-group"')
    assert rows == len(facts[0]) and 1 <= rows <= len(codelists.groups)
    for code, n in facts[0].items():
        assert f"<span class=\"n\">{n}</span>" in page
        assert f'data-group="{code}"' in page
        assert str(codelists.groups.at[code, "color"]).lower() in page.lower()
    for cat in codelists.categories.index:  # no row for a category that is not a group
        label = str(codelists.categories.at[cat, "label_zh"])
        if label not in set(codelists.groups["label_zh"]):
            assert f"<span>{label}</span>" not in page, label
    desktop = side_legend_context(codelists, tr, *facts)
    assert re.findall(r'data-group="(\w+)"', page) == [g["code"] for g in desktop["groups"]]
    for g in desktop["groups"]:
        assert f"<span>{html.escape(str(g['label']))}</span>" in page


def test_kiosk_town_view_fits_beside_the_legend():
    """In the kiosk's town view every town fits the smallest kiosk map (portrait) left of or
    under the legend's corner (its bounding box in screen pixels, from the centre and zoom
    the map gets), never under the legend."""
    import math

    from layers.basemaps import get_basemap
    from tests.test_labels import real_map
    from ui.kiosk_page import KIOSK_LEGEND_PX, KIOSK_TOWN_MAP_PX, kiosk_view

    _p, towns, _c, _d, names = real_map()
    width, height = KIOSK_TOWN_MAP_PX
    legend = (width - KIOSK_LEGEND_PX[0], 0, width, KIOSK_LEGEND_PX[1])

    def px(lat, lon, zoom):
        y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)
        return (lon + 180) / 360 * 256 * 2 ** zoom, -y * 256 * 2 ** zoom

    for code in towns["code"]:
        town = towns[towns["code"] == code]
        (lat, lon), zoom = kiosk_view(town, get_basemap("none"), beside_legend=True)
        cx, cy = px(lat, lon, zoom)
        minx, miny, maxx, maxy = town.total_bounds
        x0, y1 = px(miny, minx, zoom)
        x1, y0 = px(maxy, maxx, zoom)
        box_ = (x0 - cx + width / 2, y0 - cy + height / 2, x1 - cx + width / 2,
                y1 - cy + height / 2)
        assert box_[0] >= 0 and box_[1] >= 0 and box_[2] <= width and box_[3] <= height, \
            names[code]
        assert box_[2] <= legend[0] + 1 or box_[1] >= legend[3] - 1, names[code]
        assert zoom >= 11.0, names[code]  # still a close-up of the town
