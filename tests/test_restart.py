"""Faults: the app killed mid-use and started again, and optional files that are broken.

* A real ``streamlit run`` is SIGKILLed while a Chromium page shows the map, started again on
  the same port with the same command, and the page (reloaded, no manual step) shows the map.
  That server is started with a broken ``secrets.toml``: the page says so and keeps working.
* A malformed TIANDITU_KEY is ignored with a notice (the Tianditu basemap is not offered).
* A corrupt official boundary file (GAOYAO_OFFICIAL_TOWNS) falls back to the modelled towns
  with a notice naming the file, never a crash.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.i18n import translator
from loadtest.server import AppServer, free_port
from tests.fixtures.app_support import FIXTURES, ROOT, in_own_thread

APP = str(ROOT / "streamlit_app.py")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
REAL = ROOT / "data" / "projects.geojson"
KEY_NOTICE = translator("zh")("note.key_unusable")  # the app starts in Chinese


@pytest.mark.e2e
def test_killed_server_restarts_and_page_recovers(tmp_path):
    pw_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (make browser)")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('TIANDITU_KEY = "unterminated\n[[[ not toml', encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = ("--secrets.files", str(secrets))
    env = {"GAOYAO_DATA_DIR": str(FIXTURES)}
    log = ARTIFACTS / "restart-streamlit.log"
    first = AppServer(port=port, env=env, args=args, log=log).start()
    second = None
    try:
        def browser_checks() -> None:
            nonlocal second
            with pw_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1300, "height": 1000})
                external = []
                page.route("**/*", lambda r: (r.continue_() if r.request.url.startswith(
                    ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:"))
                    else (external.append(r.request.url), r.abort())))
                frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
                page.goto(f"{first.base}/?lang=en&q=port")
                frame.locator("#gy-legend").wait_for(timeout=30_000)
                # the broken secrets.toml: a visible notice, the app keeps running
                page.get_by_text(translator("en")("note.key_unusable")).wait_for(timeout=10_000)
                first.kill()
                assert first.proc.poll() is not None
                second = AppServer(port=port, env=env, args=args, log=log).start()
                page.reload()
                frame.locator("#gy-legend").wait_for(timeout=30_000)
                assert frame.locator(".gy-town").count() == 3
                assert "q=port" in page.url  # the view survives in the URL
                metric = page.locator('[data-testid="stMetric"]').first
                assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "2"
                page.screenshot(path=str(ARTIFACTS / "restart-after.png"))
                assert external == []
                browser.close()
        in_own_thread(browser_checks)  # see tests/fixtures/app_support.py
    finally:
        first.stop()
        if second:
            second.stop()


@pytest.mark.parametrize("key", [
    '"><script>window.__xss=1</script>',
    "abc def",
    "https://evil.example/?k=1",
    "k" * 500,
    "{key}",
])
def test_malformed_tianditu_key_is_ignored_with_notice(app, monkeypatch, key):
    monkeypatch.setenv("TIANDITU_KEY", key)
    at = app(base="tianditu")
    assert not at.exception
    assert "tianditu" not in at.selectbox(key="w_base").options
    assert at.selectbox(key="w_base").value == "none"
    notices = [i.value for i in at.info if KEY_NOTICE in i.value]
    assert len(notices) == 1 and "malformed" in notices[0]
    assert key not in notices[0]  # the key itself is never echoed


def test_well_formed_key_gives_no_notice(app, monkeypatch):
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    at = app(base="tianditu")
    assert at.selectbox(key="w_base").value == "tianditu"
    assert not [i for i in at.info if KEY_NOTICE in i.value]


CORRUPT = {
    "truncated.geojson": b'{"type": "FeatureCollection", "features": [{"type": "Feat',
    "binary.geojson": bytes(range(256)) * 8,
    "empty.geojson": b"",
    "wrong.geojson": b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
                     b'"properties": {"code": "1", "name_zh": "<script>x</script>"}, '
                     b'"geometry": {"type": "Point", "coordinates": [112.4, 23.1]}}]}',
}


@pytest.mark.skipif(not REAL.exists(), reason="data/projects.geojson not built")
@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_official_towns_fall_back_with_notice(monkeypatch, tmp_path, name):
    bad = tmp_path / name
    bad.write_bytes(CORRUPT[name])
    monkeypatch.delenv("GAOYAO_DATA_DIR", raising=False)
    monkeypatch.delenv("GAOYAO_KIOSK", raising=False)
    monkeypatch.setenv("GAOYAO_OFFICIAL_TOWNS", str(bad))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert not at.error
    assert any(name in i.value for i in at.info)  # the notice names the broken file
    assert any("模拟边界" in w.value for w in at.warning)  # modelled outlines in use
    assert len(at.selectbox(key="w_view").options) == 18
