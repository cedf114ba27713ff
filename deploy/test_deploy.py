"""deploy/run_local.sh: two app processes behind nginx (sticky, websocket upgrade), loopback only.

Run: python -m pytest -q deploy/test_deploy.py   (skips when nginx or Chromium is missing;
it never installs anything). A page loads through nginx, the websocket works (the map renders
with its features), both app processes are up, and stopping the script stops all of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from geo.paths import REPO_ROOT
from tests.fixtures.app_support import in_own_thread

ROOT = REPO_ROOT
FIXTURES = ROOT / "tests" / "fixtures" / "app_data"
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.e2e


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(n: int) -> list[int]:
    """n consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n < 65000 and all(_port_free(base + i) for i in range(n)):
            return [base + i for i in range(n)]
    raise RuntimeError("no free ports")


def _get(url: str) -> tuple[int, str, dict]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)


def test_page_and_websocket_through_nginx(tmp_path):
    if shutil.which("nginx") is None:
        pytest.skip("nginx not installed (Debian: apt-get install -y nginx-light)")
    pw_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    proxy, app1, app2 = _ports(3)
    env = dict(os.environ, APPS="2", PROXY_PORT=str(proxy), APP_PORT=str(app1),
               RUN_DIR=str(tmp_path), GAOYAO_DATA_DIR=str(FIXTURES), PY="python3")
    for name in ("GAOYAO_KIOSK", "TIANDITU_KEY"):
        env.pop(name, None)
    out = open(tmp_path / "run_local.out", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "run_local.sh")], cwd=ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{proxy}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(base + "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / "run_local.out").read_text()
            assert time.monotonic() < deadline, "nginx/apps did not come up"
            time.sleep(0.3)
        for port in (app1, app2):  # both app processes serve on loopback
            assert _get(f"http://127.0.0.1:{port}/_stcore/health")[0] == 200
        status, body, headers = _get(base + "/")
        assert status == 200 and "<div id=\"root\">" in body.replace("'", '"')
        assert headers.get("X-Content-Type-Options") == "nosniff"
        assert "nginx/" not in headers.get("Server", "")  # server_tokens off
        conf = (tmp_path / "nginx.conf").read_text()
        assert "ip_hash;" in conf and f"127.0.0.1:{app2}" in conf
        external: list[str] = []

        def browser_checks() -> None:
            with pw_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1300, "height": 1000})
                page.route("**/*", lambda r: (r.continue_() if r.request.url.startswith(
                    ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:"))
                    else (external.append(r.request.url), r.abort())))
                page.goto(base + "/?q=port")
                frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
                frame.locator("#gy-legend").wait_for(timeout=40_000)
                assert frame.locator(".gy-town").count() == 3
                metric = page.locator('[data-testid="stMetric"]').first
                assert metric.locator('[data-testid="stMetricValue"]').inner_text() == "2"
                browser.close()

        in_own_thread(browser_checks)  # see tests/fixtures/app_support.py
        assert external == []
        log = (tmp_path / "access.log").read_text()
        assert "GET /_stcore/stream" in log and '" 101 ' in log  # websocket upgraded
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the script's own process group
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        out.close()
    deadline = time.monotonic() + 15
    while any(_listening(p) for p in (proxy, app1, app2)) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not any(_listening(p) for p in (proxy, app1, app2))  # everything stopped


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
