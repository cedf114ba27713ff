"""Time from a filter change to the map's redraw and to the numbers updating, in Debian's
headless Chromium on the committed data (offline, 1400 x 1000).

    python3 -m bench.redraw [--rounds N]

Starts ``streamlit run`` on a free loopback port (`tools.screenshots.start_app`), opens the
home view, and then, `--rounds` times, clicks a group toggle (st.pills: 交通 off, then on
again) and polls every 10 ms until (a) the accounting line above the map shows new numbers
and (b) the map frame shows the new drawing (the set of marker/cluster icons, project paths
and town badge totals changed). Prints the median and maximum of both, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from tools.screenshots import CHROMIUM, LOCAL, free_port, start_app

_MAP_STATE = """() => {
    const q = (s) => document.querySelectorAll(s).length;
    const totals = Array.from(document.querySelectorAll('.gy-tb em'))
        .map((e) => e.textContent).join(',');
    return q('.gy-p') + '|' + q('.gy-cluster') + '|' + totals;
}"""
_NUMBERS = """() => {
    const el = Array.from(document.querySelectorAll('[data-testid="stMarkdownContainer"]'))
        .find((e) => e.textContent.includes('个未定位'));
    return el ? el.textContent : '';
}"""


def map_frame(page):
    for f in page.frames:
        if "st_folium" in f.url or "streamlit_folium" in f.url:
            return f
    raise RuntimeError("no map frame")


def one_change(page, label: str) -> tuple[float, float]:
    """Click the pill `label`; (seconds until the numbers changed, seconds until the map
    changed)."""
    before_n, before_m = page.evaluate(_NUMBERS), map_frame(page).evaluate(_MAP_STATE)
    t0 = time.perf_counter()
    page.get_by_role("button", name=label).first.click()
    t_num = t_map = None
    while time.perf_counter() - t0 < 20:
        now = time.perf_counter() - t0
        if t_num is None and page.evaluate(_NUMBERS) not in ("", before_n):
            t_num = now
        try:
            if t_map is None and map_frame(page).evaluate(_MAP_STATE) != before_m:
                t_map = now
        except Exception:  # the frame may be replaced while it redraws
            pass
        if t_num is not None and t_map is not None:
            break
        time.sleep(0.01)
    if t_num is None or t_map is None:
        raise RuntimeError(f"no change seen within 20 s (numbers {t_num}, map {t_map})")
    page.wait_for_timeout(800)  # let the rerun settle before the next change
    return t_num, t_map


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_app(port, None)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu"])
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      locale="zh-CN")
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL)
                      else r.abort())
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.frame_locator('iframe[title="streamlit_folium.st_folium"]').locator(
                ".gy-tb").first.wait_for(timeout=60_000)
            page.wait_for_timeout(3000)
            one_change(page, "交通")  # warm-up: first rerun fills the caches
            one_change(page, "交通")
            nums, maps = [], []
            for _ in range(args.rounds):
                n, m = one_change(page, "交通")
                nums.append(n)
                maps.append(m)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"numbers updated: median {statistics.median(nums):.3f} s, max {max(nums):.3f} s")
    print(f"map redrawn:     median {statistics.median(maps):.3f} s, max {max(maps):.3f} s")
    lag = [m - n for n, m in zip(nums, maps, strict=True)]
    print(f"map after numbers: median {statistics.median(lag):.3f} s, max {max(lag):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
