"""End-to-end security checks in headless Chromium (offline: every non-local request aborted).

* Cross-site scripting: every accepted payload of tests/hostile.py, in every free-text field
  of a record (built by ``geo.build.build_features``) and in town names, served from a tmp
  GAOYAO_DATA_DIR. No payload runs (no dialog, ``window.__xss`` undefined in the page and in
  the map iframe, no injected element) and the text is shown literally in tooltips, popups,
  town labels, the town list, the town brief download and the CSV download.
* Kiosk: GAOYAO_KIOSK=1 (with a Tianditu key configured) cannot be left by editing the URL,
  offers no export and fetches nothing from outside, even with ``base=osm``; ``?mode=kiosk``
  does the same on a normal server, where the same URL without kiosk does try to fetch tiles
  (the control that shows the recorder works). Hostile query strings change nothing.
* A very small load-test smoke run (2 sessions x 15 s; errors and memory, no timing asserts).
"""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
from pathlib import Path

import pytest

from loadtest.server import AppServer
from tests.e2e.conftest import ARTIFACTS, IDLE_S, ROOT, Session
from tests.hostile import ACCEPTED, hostile_record

pytestmark = pytest.mark.e2e

#: payloads given to the first three towns' names (zh and en)
TOWN_PAYLOADS = (
    # markup + markdown: the town view's heading is Streamlit markdown (an image would load
    # from outside, a link would be clickable, :red[] and $..$ would be interpreted)
    "</script><script>window.__xss=1</script> ![x](http://192.0.2.1/x.png) "
    "[a](javascript:window.__xss=1) :red[x] $x^2$ **b** <b>c</b>",
    '<img src=x onerror="window.__xss=1">',
    "{{7*7}} ${alert(1)} `x` '\";",
)
HTML_SPECIAL = set("<>\"'&")


def norm(text: str) -> str:
    """What an HTML parser turns line breaks into."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def pid_of(i: int, name: str) -> str:
    return f"xss-{i:02d}-{name.replace('_', '-')}"


def build_hostile_data(dst: Path) -> list[str]:
    """projects.geojson with one record per accepted payload, placed inside a real town (built
    with geo.build.build_features on the real boundaries), the real boundaries with hostile
    town names. Returns the codes of the renamed towns."""
    import geopandas as gpd

    from geo.build import build_features, collection_text, load_context

    src = ROOT / "data" / "boundaries"
    (dst / "boundaries").mkdir(parents=True)
    for name in ("district.geojson", "xijiang.geojson"):
        shutil.copy(src / name, dst / "boundaries" / name)
    towns = json.loads((src / "towns.geojson").read_text(encoding="utf-8"))
    codes = []
    for feat, text in zip(towns["features"], TOWN_PAYLOADS, strict=False):
        feat["properties"]["name_zh"] = feat["properties"]["name_en"] = text
        codes.append(str(feat["properties"]["code"]))
    (dst / "boundaries" / "towns.geojson").write_text(json.dumps(towns, ensure_ascii=False),
                                                      encoding="utf-8")
    seats = [g.representative_point() for g in gpd.read_file(src / "towns.geojson").geometry]
    records = []
    for i, p in enumerate(ACCEPTED):
        rec = hostile_record(p, pid_of(i, p.name))
        pt = seats[i % len(seats)]
        rec.update(lon=f"{pt.x + (i // len(seats)) * 0.004:.6f}", lat=f"{pt.y:.6f}")
        records.append(rec)
    feats = build_features(records, load_context())
    assert len(feats) == len(ACCEPTED) and all(f["properties"]["precision"] == 1 for f in feats)
    (dst / "projects.geojson").write_text(collection_text(feats, "projects"), encoding="utf-8")
    return codes


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, server):
    data = tmp_path_factory.mktemp("hostile-data")
    codes = build_hostile_data(data)
    with AppServer(env={"GAOYAO_DATA_DIR": str(data)},
                   log=ARTIFACTS / "e2e-security-streamlit.log") as srv:
        yield srv.base, codes


@pytest.fixture(scope="module")
def kiosk_server(server):
    from tests.e2e.conftest import FIXTURES

    env = {"GAOYAO_DATA_DIR": str(FIXTURES), "GAOYAO_KIOSK": "1",
           "GAOYAO_KIOSK_IDLE_S": str(IDLE_S), "TIANDITU_KEY": "0123456789abcdef" * 2}
    with AppServer(env=env, log=ARTIFACTS / "e2e-kiosk-streamlit.log") as srv:
        yield srv.base


@pytest.fixture
def visit(browser):
    sessions = []

    def make(base: str) -> Session:
        s = Session(browser, base)
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


# JS in the map iframe: open every project's popup and tooltip exactly as a click would (the
# layer is put on the map directly when it sits in a marker cluster), and return what the
# visitor reads in them.
OPEN_ALL = """() => {
    const out = {};
    const seen = new Set();
    const map = window.map;
    const walk = (l) => {
        if (seen.has(l)) return; seen.add(l);
        const p = l.feature && l.feature.properties;
        if (p && p.pid && l.getPopup && l.getPopup()) {
            const added = !map.hasLayer(l);
            if (added) l.addTo(map);
            l.openPopup();
            const popEl = l.getPopup().getElement().querySelector('.leaflet-popup-content');
            l.openTooltip();
            const tipEl = l.getTooltip().getElement();
            out[p.pid] = {pop: popEl.textContent, tip: tipEl.textContent,
                          bad: popEl.querySelectorAll('img,script,svg,iframe,a,[onerror]').length
                             + tipEl.querySelectorAll('img,script,svg,iframe,a,[onerror]').length};
            l.closeTooltip(); l.closePopup();
            if (added) map.removeLayer(l);
        }
        if (l.getLayers) l.getLayers().forEach(walk);
    };
    (window.feature_group || []).filter((fg) => map.hasLayer(fg)).forEach(walk);
    return out;
}"""

INJECTED = """() => {
    const d = document;
    const scripts = [...d.querySelectorAll('script')].filter((s) => /^\\s*(window|parent)\\.__xss/
        .test(s.textContent)).length;
    return {xss: typeof window.__xss, scripts: scripts,
            handlers: d.querySelectorAll('[onerror],[onload],[onmouseover],[onclick]').length,
            imgs: d.querySelectorAll('img[src="x"]').length,
            srcdoc: [...d.querySelectorAll('iframe[srcdoc]')]
                .filter((f) => f.srcdoc.includes('__xss')).length};
}"""
CLEAN = {"xss": "undefined", "scripts": 0, "handlers": 0, "imgs": 0, "srcdoc": 0}


def test_hostile_payloads_render_as_text_everywhere(hostile_server, visit):
    base, _codes = hostile_server
    s = visit(base)
    s.open("?lang=en")
    assert s.data_features() == len(ACCEPTED)
    shown = s.frame().evaluate(OPEN_ALL)
    assert len(shown) == len(ACCEPTED)
    for i, p in enumerate(ACCEPTED):
        got = shown[pid_of(i, p.name)]
        assert norm(p.text) in got["pop"], p.name  # title, both-language title, evidence...
        assert norm(p.text) in got["tip"], p.name
        assert got["bad"] == 0, p.name
    labels = s.map_frame().locator(".gy-tb b").all_text_contents()  # town summary labels
    for text in TOWN_PAYLOADS:
        assert text in labels
    s.page.wait_for_timeout(500)
    assert s.frame().evaluate(INJECTED) == CLEAN
    assert s.page.evaluate(INJECTED) == CLEAN
    assert "49" not in s.page.locator("body").inner_text().replace("1.49", "")
    s.shot("e2e-security-hostile")
    assert s.dialogs == [] and s.external == []


def test_town_list_brief_and_csv_download_are_literal(hostile_server, visit, tmp_path):
    base, codes = hostile_server
    s = visit(base)
    s.open(f"?lang=en&view={codes[0]}")
    page = s.page
    # the town list: the hostile names are options, shown as text
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Town view")
    box.locator('[role="combobox"], input').first.click()
    options = page.locator('[role="option"]').all_inner_texts()
    for text in TOWN_PAYLOADS:
        assert norm(text) in [norm(o) for o in options], options
    page.keyboard.press("Escape")
    heading = page.get_by_text(": projects in or crossing the town")
    heading.wait_for(timeout=20_000)
    # literal text (the app puts invisible word joiners into URLs so that they are no links)
    shown = heading.inner_text().replace("\u2060", "")
    assert shown.startswith(f"{TOWN_PAYLOADS[0]}: projects in or crossing the town"), shown
    # shown as typed: no image, no bold, no maths; the only link is Streamlit's own anchor
    assert heading.locator("img, strong, b, .katex").count() == 0
    assert [h for h in heading.locator("a").evaluate_all("els => els.map(e => e.href)")
            if not h.split("#")[0].startswith(base)] == []
    # the town brief: escaped in the file, literal when opened, no script, no handler
    with page.expect_download(timeout=20_000) as dl:
        page.get_by_role("button", name="Download the town brief").click()
    brief = Path(dl.value.path()).read_text(encoding="utf-8")
    assert html.escape(TOWN_PAYLOADS[0]) in brief and TOWN_PAYLOADS[0] not in brief
    assert "<script" not in brief.lower() and "onerror=" not in brief.replace("onerror=&", "")
    in_town = [p for p in ACCEPTED if html.escape(p.text) in brief]
    assert len(in_town) >= 2  # the records placed in that town are listed, escaped
    for p in in_town:
        if HTML_SPECIAL & set(p.text):
            assert p.text not in brief, p.name
    viewer = s.context.new_page()
    viewer.set_content(brief)
    assert viewer.evaluate("() => typeof window.__xss") == "undefined"
    assert TOWN_PAYLOADS[0] in viewer.locator("h1").inner_text()
    assert viewer.evaluate(INJECTED) == CLEAN
    viewer.close()
    # the CSV export: literal text, formula-looking cells neutralised
    page.get_by_role("tab", name="Export").click()
    csv_button = page.get_by_role("button", name="Download CSV")
    csv_button.wait_for(state="visible", timeout=20_000)
    with page.expect_download(timeout=40_000) as dl:
        csv_button.click()
    with open(dl.value.path(), encoding="utf-8-sig", newline="") as fh:  # BOM; CR LF in cells
        rows = list(csv.DictReader(io.StringIO(fh.read(), newline="")))
    # the town view exports the town's set (issue 10), headed in the UI language
    by_id = {r["ID"]: r for r in rows}
    checked = 0
    for i, p in enumerate(ACCEPTED):
        row = by_id.get(pid_of(i, p.name))
        if row is None:
            continue
        cell = row["Title (English)"]
        assert cell in (p.text, "'" + p.text), p.name
        assert not cell.startswith(("=", "+", "-", "@")), p.name
        checked += 1
    assert checked == len(rows) >= 1  # every exported row checked
    assert s.page.evaluate(INJECTED) == CLEAN
    assert s.dialogs == [] and s.external == []


def test_forced_kiosk_cannot_be_left_and_stays_offline(kiosk_server, visit):
    s = visit(kiosk_server)
    s.open("?mode=normal&base=tianditu&lang=en&view=441204001")
    page = s.page
    assert page.get_by_role("tab", name="Export").count() == 0
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert not page.locator('[data-testid="stMainMenu"]').is_visible()
    assert "mode=" not in page.url and "base=" not in page.url
    assert s.map_frame().locator(".leaflet-tile").count() == 0
    s.page.wait_for_timeout(500)
    assert s.external == [], s.external
    # idle: back to the bare home URL (forced kiosk has no mode parameter)
    page.mouse.move(200, 200)
    page.wait_for_function("() => window.location.search === ''", timeout=(IDLE_S + 15) * 1000)
    page.get_by_text("高要区“十四五”规划项目地图").wait_for(timeout=20_000)
    assert s.external == [] and s.dialogs == []


def test_kiosk_url_forces_offline_basemap_while_normal_mode_would_fetch(server, visit):
    normal = visit(server)
    normal.open("?base=osm")
    normal.map_frame().locator(".leaflet-tile").first.wait_for(state="attached", timeout=20_000)
    normal.page.wait_for_timeout(800)
    assert any("openstreetmap.org" in u for u in normal.external)  # the recorder sees them
    kiosk = visit(server)
    kiosk.open("?mode=kiosk&base=osm")
    kiosk.page.wait_for_timeout(800)
    assert kiosk.map_frame().locator(".leaflet-tile").count() == 0
    assert kiosk.external == []
    assert "base=" not in kiosk.page.url


def test_hostile_query_string_changes_nothing(server, visit):
    s = visit(server)
    q = ("?lang=%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E&cat=..%2F..%2Fetc%2Fpasswd"
         "&cat=port&view=..%2F..%2F..%2Fetc%2Fpasswd&base=javascript:window.__xss=1"
         "&mode=kiosk&mode=%22%3E%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E"
         "&q=%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E" + "x" * 3000)
    s.open(q)
    page = s.page
    page.get_by_text("高要区“十四五”规划项目地图").wait_for(timeout=20_000)
    box = page.get_by_placeholder("例如")
    assert box.input_value().startswith("<img src=x onerror=window.__xss=1>")
    assert len(box.input_value()) <= 80
    assert page.get_by_role("tab", name="导出").count() == 1  # last "mode" is garbage: normal
    assert "etc" not in page.url and "javascript" not in page.url and "lang=" not in page.url
    assert s.page.evaluate(INJECTED) == CLEAN
    assert s.frame().evaluate(INJECTED) == CLEAN
    assert s.dialogs == [] and s.external == []


def test_loadtest_smoke(tmp_path):
    """2 sessions x 15 s through the real protocol: no errors, memory numbers present.
    (A subprocess: Playwright's sync API already runs an event loop in this process.)"""
    import subprocess
    import sys

    from tests.e2e.conftest import FIXTURES

    result = tmp_path / "loadtest.json"
    run = subprocess.run(
        [sys.executable, "-m", "loadtest.run", "--sessions", "2", "--seconds", "15",
         "--data-dir", str(FIXTURES), "--session-ttl", "1", "--json", str(result)],
        cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    out = json.loads(result.read_text(encoding="utf-8"))
    m = out["main"]
    assert out["errors_total"] == 0, m["error_samples"]
    assert m["changes"] >= 4 and m["incomplete"] == 0
    assert out["rss_baseline_mib"] > 20 and m["rss_peak_mib"] > 20 and m["rss_after_mib"] > 20
    assert out["server_alive"] is True
