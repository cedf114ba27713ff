"""End-to-end fixtures: a real `streamlit run` on the fixture data and Debian's Chromium.

Every request that does not go to the local server is aborted and recorded, so a test can
assert that the app attempted zero external requests. Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geo.paths import REPO_ROOT

ROOT = REPO_ROOT
FIXTURES = ROOT / "tests" / "fixtures" / "app_data"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
IDLE_S = 4  # shortened kiosk idle timeout for the test server
LOCAL = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost", "data:",
         "blob:", "about:")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path | None, log_name: str):
    """A `streamlit run` of the app on `data_dir` (None: the repository's own data/); yields
    its base URL and stops it afterwards."""
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (make browser)")
    subprocess.run([sys.executable, "-m", "layers.assets"], cwd=ROOT, check=True,
                   capture_output=True)
    port = _free_port()
    env = dict(os.environ, GAOYAO_KIOSK_IDLE_S=str(IDLE_S))
    if data_dir is None:
        env.pop("GAOYAO_DATA_DIR", None)
        env.pop("GAOYAO_OFFICIAL_TOWNS", None)
    else:
        env["GAOYAO_DATA_DIR"] = str(data_dir)
    env.pop("GAOYAO_KIOSK", None)
    env.pop("TIANDITU_KEY", None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / log_name, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start; see tests/artifacts/{log_name}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server():
    """The app on the fixture data set (tests/fixtures/app_data)."""
    yield from _serve(FIXTURES, "e2e-streamlit.log")


def multi_geometry_data(directory: Path) -> Path:
    """A copy of the fixture data set in `directory` where one area project is a MultiPolygon
    and one point project a MultiPoint (two parts each, 0.01 degree apart)."""
    import json
    import shutil

    shutil.copytree(FIXTURES, directory, dirs_exist_ok=True)
    path = directory / "projects.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    done = set()
    for f in data["features"]:
        g, prec = f["geometry"], int(f["properties"].get("precision") or 9)
        if not g or prec in (4, 9) or g["type"] in done:
            continue
        if g["type"] == "Polygon":
            moved = [[[x + 0.01, y + 0.01] for x, y in ring] for ring in g["coordinates"]]
            f["geometry"] = {"type": "MultiPolygon", "coordinates": [g["coordinates"], moved]}
            if prec == 3:  # town-level projects are summarised, not drawn: make it drawn
                f["properties"]["precision"] = 5
        elif g["type"] == "Point":
            x, y = g["coordinates"]
            f["geometry"] = {"type": "MultiPoint", "coordinates": [[x, y], [x + 0.01, y]]}
        else:
            continue
        done.add(g["type"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def multi_data(tmp_path_factory) -> Path:
    return multi_geometry_data(tmp_path_factory.mktemp("multi_data"))


@pytest.fixture(scope="session")
def multi_server(multi_data):
    """The app on the fixture data with a MultiPolygon and a MultiPoint project."""
    yield from _serve(multi_data, "e2e-streamlit-multi.log")


@pytest.fixture
def multi_session(browser, multi_server):
    s = Session(browser, multi_server)
    yield s
    s.close()


@pytest.fixture(scope="session")
def real_server():
    """The app on the repository's committed data (data/projects.geojson)."""
    if not (ROOT / "data" / "projects.geojson").is_file():
        pytest.skip("data/projects.geojson not built")
    yield from _serve(None, "e2e-streamlit-real.log")


@pytest.fixture(scope="session")
def browser():
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        rate = float(os.environ.get(THROTTLE_ENV, "1") or 1)
        yield b if rate <= 1 else Throttled(b, rate)
        b.close()


#: ``GAOYAO_E2E_CPU_THROTTLE=6 pytest tests/e2e``: every page's JavaScript runs 6x slower
#: (Chromium's CPU throttling), to find the tests that pass only on a fast machine (CI's is
#: slower and shared: a Leaflet.draw click dropped there, never here).
THROTTLE_ENV = "GAOYAO_E2E_CPU_THROTTLE"


class Throttled:
    """The browser, but every page it opens is CPU-throttled by `rate` (CDP
    ``Emulation.setCPUThrottlingRate``)."""

    def __init__(self, browser, rate: float) -> None:
        self._browser, self._rate = browser, rate

    def __getattr__(self, name: str):
        return getattr(self._browser, name)

    def _throttle(self, page) -> None:
        page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate",
                                                {"rate": self._rate})

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.on("page", self._throttle)
        return context

    def new_page(self, **kwargs):
        page = self._browser.new_page(**kwargs)
        self._throttle(page)
        return page


class Session:
    """A page plus what it tried to fetch from outside and any dialogs it opened."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1100},
                                           locale="zh-CN")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, query: str = "") -> None:
        self.page.goto(self.base + "/" + query)
        self.map_frame().locator(".leaflet-container").wait_for(timeout=30_000)
        self.wait_features()

    def map_frame(self):
        return self.page.frame_locator('iframe[title="streamlit_folium.st_folium"]')

    def frame(self):
        for f in self.page.frames:
            if "st_folium" in f.url or "streamlit_folium" in f.url:
                return f
        raise AssertionError("no st_folium frame")

    def wait_features(self, timeout_ms: int = 20_000) -> None:
        self.map_frame().locator("#gy-legend").wait_for(timeout=timeout_ms)
        self.page.wait_for_timeout(600)

    def drawn(self) -> int:
        """Project features drawn in the map: SVG paths/markers plus cluster icons."""
        fr = self.map_frame()
        return fr.locator(".gy-p").count() + fr.locator(".gy-cluster").count()

    def data_features(self) -> int:
        """Project features handed to Leaflet (counted inside the map's JS)."""
        return self.frame().evaluate(
            """() => {
                let n = 0;
                const seen = new Set();
                const walk = (l) => {
                    if (seen.has(l)) return; seen.add(l);
                    if (l.feature && l.feature.properties && l.feature.properties.pid) n++;
                    if (l.getLayers) l.getLayers().forEach(walk);
                };
                (window.feature_group || []).filter((fg) => window.map.hasLayer(fg))
                    .forEach(walk);
                return n;
            }"""
        )

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, server):
    s = Session(browser, server)
    yield s
    s.close()


@pytest.fixture
def real_session(browser, real_server):
    """A `Session` on the app serving the repository's committed data."""
    s = Session(browser, real_server)
    yield s
    s.close()
