"""Screenshots of the running app as its users see it (headless Debian Chromium).

    python3 -m tools.screenshots [--out DIR] [--data DIR] [--only NAME ...] [--brief CODE ...]

Starts ``streamlit run streamlit_app.py`` on a free loopback port (the committed data, or
``--data``), opens each view of `VIEWS` at its viewport size, waits for the map to draw, and
writes ``DIR/<name>.png`` (default ``tests/artifacts/screens``). Every request leaving the
machine is blocked and reported, and so is every page error: a view with either is listed at
the end and the exit status is 1. Look at every picture before calling a change done.

``--brief CODE`` also prints that town's brief (as the app builds it from the committed data)
to an A4 PDF with the same Chromium and renders its page(s) to ``DIR/brief-CODE.png`` with
poppler's ``pdftoppm`` (Debian ``poppler-utils``); several pages would give ``-1``, ``-2`` ….
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@dataclass(frozen=True)
class View:
    name: str
    query: str
    width: int
    height: int
    full_page: bool = True


VIEWS = (
    View("desktop-home-zh", "", 1400, 1000),
    View("desktop-town-jinli-zh", "?town=441204115", 1400, 1000),
    View("desktop-townview-jinli-zh", "?view=441204115", 1400, 1000),
    View("desktop-home-en", "?lang=en", 1400, 1000),
    View("desktop-search-port-en", "?lang=en&q=wharf", 1400, 1000),
    View("kiosk-landscape", "?mode=kiosk", 1920, 1080, full_page=False),
    View("kiosk-portrait", "?mode=kiosk", 1080, 1920, full_page=False),
    View("desktop-card-jinli-port-zh", "?project=port-jinli-container-berths", 1400, 2300),
    View("kiosk-landscape-jinli", "?mode=kiosk&view=441204115", 1920, 1080, full_page=False),
    View("kiosk-portrait-en", "?mode=kiosk&lang=en", 1080, 1920, full_page=False),
    View("kiosk-portrait-hetai", "?mode=kiosk&view=441204100", 1080, 1920, full_page=False),
)


def brief_html(code: str) -> str:
    """The town brief of town `code` as the app builds it, from the committed data."""
    import datetime as dt

    import pandas as pd

    from geo import codelists as gc
    from geo import filtering
    from geo.boundaries import load_river, load_towns
    from geo.brief import town_brief_html
    from geo.i18n import translator
    from geo.loading import load_projects
    from geo.paths import PROJECTS_GEOJSON

    projects, towns = load_projects(PROJECTS_GEOJSON), load_towns()
    town = towns[towns["code"] == code]
    if town.empty:
        raise SystemExit(f"--brief {code}: no such town code")
    district_wide = projects[pd.to_numeric(projects["precision"]) == 4]
    in_town = filtering.projects_in_town(projects, code, towns)
    return town_brief_html(town.iloc[0].to_dict(), in_town, gc.load_codelists(),
                           generated_on=dt.date.today().isoformat(),
                           source_note=translator("zh")("brief.source"), towns=towns,
                           river=load_river(), district_wide=district_wide)


def brief_png(browser, code: str, out: Path) -> Path:
    """Print town `code`'s brief to ``out/brief-CODE.pdf`` (A4) and render it to PNG."""
    page = browser.new_page()
    page.set_content(brief_html(code), wait_until="load")
    pdf = out / f"brief-{code}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    page.close()
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(pdf),
                    str(out / f"brief-{code}")], check=True)
    return out / f"brief-{code}.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(port: int, data: Path | None) -> subprocess.Popen:
    env = dict(os.environ)
    if data is not None:
        env["GAOYAO_DATA_DIR"] = str(data)
    for var in ("GAOYAO_KIOSK", "TIANDITU_KEY"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless",
         "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start within 60 s")


def take(browser, base: str, view: View, out: Path) -> list[str]:
    """Screenshot one view; returns its problems (external requests, page errors)."""
    problems: list[str] = []
    ctx = browser.new_context(viewport={"width": view.width, "height": view.height},
                              locale="zh-CN", has_touch=view.name.startswith("kiosk"))

    def route(r) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(base + "/" + view.query)
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
    try:
        frame.locator(".leaflet-container").wait_for(timeout=40_000)
    except Exception as exc:  # reported; the screenshot still shows why
        problems.append(f"no map: {type(exc).__name__}")
    page.wait_for_timeout(2500)
    try:  # a rerun still running (the "Stop" widget, the page faded): wait for it to end
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=30_000)
        page.wait_for_timeout(1000)
    except Exception as exc:  # reported; the screenshot still shows why
        problems.append(f"still running: {type(exc).__name__}")
    page.screenshot(path=str(out / f"{view.name}.png"), full_page=view.full_page)
    ctx.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "artifacts" / "screens")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--only", nargs="*", default=None, help="view names to take")
    ap.add_argument("--brief", nargs="*", default=[], help="town codes whose brief to print")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_app(port, args.data)
    failed: dict[str, list[str]] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"])
            for view in VIEWS:
                if args.only and view.name not in args.only:
                    continue
                problems = take(browser, f"http://127.0.0.1:{port}", view, args.out)
                print(f"{view.name}: {args.out / (view.name + '.png')}"
                      + (f"  ({len(problems)} problems)" if problems else ""))
                if problems:
                    failed[view.name] = problems
            for code in args.brief:
                print(f"brief {code}: {brief_png(browser, code, args.out)}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    for name, problems in failed.items():
        print(f"\n{name}:", *problems, sep="\n  ")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
