"""Probe: the app's filter change clicked on an IDLE page (not the harness's method).

``python -m bench.e2e.idle_click DATA_DIR [WAIT_S] [AFTER_S]``: starts the app on `DATA_DIR`
(``GAOYAO_DATA_DIR``), opens it in Chromium (Playwright), waits `WAIT_S` seconds (default
150: long after the map's own report reruns), picks the largest category's option ``道路``
(road) in the sidebar and prints the websocket frames sent and received (time since the
click, bytes) and when the largest message (the map's) arrived. Used to tell the page's
pending rerun from the filter's own cost at 100 000 projects (bench/RESULTS-e2e.md).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.e2e.harness import CHROMIUM, Server


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    data = argv[0]
    wait_s = float(argv[1]) if len(argv) > 1 else 150.0
    after_s = float(argv[2]) if len(argv) > 2 else 25.0
    work = Path(tempfile.mkdtemp(prefix="gy-idle-click-"))
    server = Server("app", Path(data), work)  # the harness's launch, limits and flags
    server.wait(timeout=600)
    log: list[tuple[float, str, int]] = []
    t0 = [time.monotonic()]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")

            def on_ws(ws: object) -> None:
                def add(kind: str, payload: object) -> None:
                    log.append((time.monotonic() - t0[0], kind, len(payload)))  # type: ignore[arg-type]
                ws.on("framesent", lambda p: add("sent", p))  # type: ignore[attr-defined]
                ws.on("framereceived", lambda p: add("recv", p))  # type: ignore[attr-defined]

            page.on("websocket", on_ws)
            page.goto(server.url + "/", timeout=300_000)
            page.wait_for_selector("iframe", timeout=300_000)
            page.wait_for_timeout(wait_s * 1000)  # (Playwright's events flow only in its calls)
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.locator('[data-testid="stMultiSelect"]').first.click()
            page.keyboard.type("道路")
            option = page.get_by_role("option").filter(has_text="道路").first
            option.wait_for()
            log.clear()
            t0[0] = time.monotonic()
            option.click()
            page.wait_for_timeout(after_s * 1000)
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    for t, kind, n in log:
        if kind == "sent" or n > 5000:
            print(f"{t:7.2f} s  {kind:4}  {n:>9} B")
    got = [(n, t) for t, kind, n in log if kind == "recv"]
    if got:
        n, t = max(got)
        print(f"click -> largest message (the map's, {n} B) received after {t:.2f} s")
    else:
        print("nothing received after the click")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
