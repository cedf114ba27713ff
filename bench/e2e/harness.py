"""The end-to-end harness: real servers, real Chromium, every byte, interleaved rounds.

``python -m bench.e2e --sizes real,2000,20000,100000 --pairs 3 --write`` (``make bench-e2e``)

Per size (``real`` = the committed ``data/``; ``N`` = N synthetic projects with the ``plan``
mix; ``N@real`` or ``N@point=..,line=..,area=..`` = another mix, see `bench.generate`):

1. the data is built (`geo.build.build`) into a work directory, the WKT copies blanked;
2. one ``streamlit run`` server per variant is started (the app: ``streamlit_app.py`` with
   ``GAOYAO_DATA_DIR``; the baselines: `bench/e2e/baseline_*.py` behind a two-line launcher
   next to a link to ``static/`` so that ``/app/static/vendor`` serves the same Leaflet), and
   visited once untimed (the server's own cold start: data load, caches; reported apart), then
   left until idle (`Server.wait_idle`: the app's first run goes on after its map is drawn);
   every server runs with ``--server.maxMessageSize`` `MAX_MESSAGE_MB` (a baseline's map
   message above Streamlit's default 200 MB is sent, not refused);
3. ``--pairs`` rounds, each visiting the variants in turn (app, explore, geojson, app, ...).
   A visit is: a new browser context (empty cache) -> navigate -> project features drawn
   (**cold**) -> pick the largest category in the sidebar multiselect -> the map redrawn with
   the changed set (**filter change**) -> navigate again in the same context (**warm**).

For each phase: bytes received over HTTP (``Network.loadingFinished.encodedDataLength`` of
requests not served from the cache) and over the websocket (``Network.webSocketFrameReceived``
payloads, base64 frames decoded), counted through CDP until the page is quiet; the time from
navigation start (or from the click on the category) to the first paint that shows project
features (`bench/e2e/probe.js`: Leaflet layers with a project id, and marker clusters, counted
as they are added to a map in any frame), and the number of features, clusters and SVG paths /
canvases / marker icons drawn. A phase in which nothing was drawn, or that timed out, is a
failure and is reported with the page's errors (uncaught errors of every frame, Streamlit
exception boxes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")
VARIANTS = {
    "app": None,
    "explore": HERE / "baseline_explore.py",
    "geojson": HERE / "baseline_geojson.py",
}
DEFAULT_OUT = ROOT / "bench" / "RESULTS-e2e.md"
QUIET_S = 1.5  # a phase ends when the map has not changed and no byte came for this long
#: after the untimed warm-up visit a server is idle when it used less than IDLE_CPU of a core
#: over IDLE_WINDOW_S (waited for at most IDLE_MAX_S): the rounds start on an idle server
IDLE_CPU, IDLE_WINDOW_S, IDLE_MAX_S = 0.05, 2.0, 600.0
#: every server (app and baselines alike) runs with this ``server.maxMessageSize`` (MB):
#: Streamlit's default, 200 MB, refuses ``explore()``'s 221.7 MB message at 100 000 projects,
#: and a baseline that is not allowed to send its map is not a fair baseline
MAX_MESSAGE_MB = 2000
#: after a cold visit not drawn in time, a filter change counts as drawn only when the map
#: shows at most this many times the category's located projects (parts + clustered parts;
#: a margin for multi-part projects): the whole map, arriving late, is ~10× (plan mix)
CHANGED_MAX = 3


# --------------------------------------------------------------------------- data
def prepare_size(spec: str, work: Path, seed: int) -> tuple[Path, dict[str, Any]]:
    """The data directory for a size spec, and facts about it."""
    from bench.generate import finish_built, make_registry
    from geo.build import build

    if spec == "real":
        return ROOT / "data", {"size": "real", "mix": "real data"}
    n_text, _, mix = spec.partition("@")
    n = int(n_text)
    d = work / f"size-{spec.replace('=', '').replace(',', '-').replace('@', '-')}"
    done = d / "info.json"
    if done.is_file() and json.loads(done.read_text()).get("seed") == seed:
        return d / "data", json.loads(done.read_text())  # built earlier in this --workdir
    if d.exists():
        shutil.rmtree(d)
    (d / "data").mkdir(parents=True)
    registry = make_registry(n, d / "projects.csv", seed=seed, mix=mix or None)
    t0 = time.perf_counter()
    build(registry, d / "data" / "projects.geojson", d / "data" / "layers")
    build_s = time.perf_counter() - t0
    finished = finish_built(d / "data" / "projects.geojson", registry)
    os.symlink(ROOT / "data" / "boundaries", d / "data" / "boundaries")
    info = {"size": n, "mix": mix or "plan", "build_s": round(build_s, 2), "seed": seed,
            **finished}
    done.write_text(json.dumps(info), encoding="utf-8")
    return d / "data", info


def data_facts(data: Path) -> dict[str, Any]:
    import geopandas as gpd
    import shapely

    gdf = gpd.read_file(data / "projects.geojson")
    located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    cat = located["category"].value_counts()
    return {"projects": len(gdf), "located": len(located),
            "geometry": {str(k): int(v) for k, v in located.geom_type.value_counts().items()},
            "vertices": int(shapely.get_num_coordinates(located.geometry.values).sum()),
            "category": str(cat.index[0]), "category_n": int(cat.iloc[0]),
            "geojson_bytes": (data / "projects.geojson").stat().st_size}


# --------------------------------------------------------------------------- servers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run`` of one variant on a free loopback port."""

    def __init__(self, variant: str, data: Path, work: Path) -> None:
        self.variant = variant
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        script = ROOT / "streamlit_app.py"
        if VARIANTS[variant] is not None:
            launch = work / f"launch-{variant}"
            launch.mkdir(parents=True, exist_ok=True)
            if not (launch / "static").exists():
                os.symlink(ROOT / "static", launch / "static")
            script = launch / "main.py"
            script.write_text("import runpy\n\nrunpy.run_path("
                              f"{str(VARIANTS[variant])!r}, run_name='__main__')\n",
                              encoding="utf-8")
        env = dict(os.environ, GAOYAO_DATA_DIR=str(data), PYTHONPATH=str(ROOT),
                   PYTHONWARNINGS="ignore")
        for key in ("GAOYAO_KIOSK", "TIANDITU_KEY"):
            env.pop(key, None)
        self.log_path = work / f"server-{variant}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script),
             "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.enableStaticServing", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
             "--server.maxMessageSize", str(MAX_MESSAGE_MB)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.variant} server did not start; see {self.log_path}")
            time.sleep(0.3)

    def rss_mb(self) -> float | None:
        """Resident memory of the server process (MB, /proc), or None when unknown."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024.0, 1)
        except OSError:
            return None
        return None

    def cpu_s(self) -> float | None:
        """CPU seconds (user + system) the server process used so far (/proc), or None."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, timeout: float = IDLE_MAX_S) -> float:
        """Wait until the server uses less than `IDLE_CPU` of a core over `IDLE_WINDOW_S`
        (a visit's run can go on after its map was drawn: the app warms the other
        language's features at the end of its first run); returns the seconds waited."""
        t0 = time.monotonic()
        last = self.cpu_s()
        while time.monotonic() - t0 < timeout:
            time.sleep(IDLE_WINDOW_S)
            now = self.cpu_s()
            if last is None or now is None or now - last < IDLE_CPU * IDLE_WINDOW_S:
                break
            last = now
        return round(time.monotonic() - t0, 1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.log.close()


# --------------------------------------------------------------------------- traffic
class Traffic:
    """Bytes received by one page, per phase, from CDP Network events."""

    def __init__(self, cdp: Any) -> None:
        self.phase = "cold"
        self.http: dict[str, int] = {}
        self.ws: dict[str, int] = {}
        self.frames: dict[str, int] = {}
        self.cached: dict[str, int] = {}
        self.requests: dict[str, int] = {}
        self._from_cache: set[str] = set()
        self._pending: set[str] = set()
        self._urls: dict[str, str] = {}
        self.by_url: dict[str, dict[str, int]] = {}
        self.external: list[str] = []
        self.last = time.monotonic()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self._from_cache.add(e["requestId"]))
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", lambda e: self._pending.discard(e["requestId"]))
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.send("Network.enable")

    def _add(self, table: dict[str, int], n: int) -> None:
        table[self.phase] = table.get(self.phase, 0) + n
        self.last = time.monotonic()

    def _sent(self, e: dict) -> None:
        url = (e.get("request") or {}).get("url", "")
        if not url.startswith(LOCAL):
            self.external.append(url)
        self._urls[e["requestId"]] = url.split("?", 1)[0].split("/", 3)[-1]
        self._pending.add(e["requestId"])
        self.last = time.monotonic()

    def _response(self, e: dict) -> None:
        r = e.get("response") or {}
        if r.get("fromDiskCache") or r.get("fromPrefetchCache") or r.get("fromServiceWorker"):
            self._from_cache.add(e["requestId"])

    def _finished(self, e: dict) -> None:
        rid = e["requestId"]
        self._pending.discard(rid)
        if rid in self._from_cache:
            self._add(self.cached, 1)
        else:
            n = int(e.get("encodedDataLength") or 0)
            self._add(self.http, n)
            self._add(self.requests, 1)
            table = self.by_url.setdefault(self.phase, {})
            url = self._urls.get(rid, "?")
            table[url] = table.get(url, 0) + n

    def _frame(self, e: dict) -> None:
        r = e.get("response") or {}
        data = r.get("payloadData") or ""
        if r.get("opcode") == 2:  # binary frames arrive base64-encoded
            n = len(data) * 3 // 4 - data[-2:].count("=")
        else:
            n = len(data.encode("utf-8"))
        self._add(self.ws, n)
        self._add(self.frames, 1)

    def quiet_for(self) -> float:
        return 0.0 if self._pending else time.monotonic() - self.last

    def of(self, phase: str) -> dict[str, Any]:
        top = sorted((self.by_url.get(phase) or {}).items(), key=lambda kv: -kv[1])[:8]
        return {"http_b": self.http.get(phase, 0), "ws_b": self.ws.get(phase, 0),
                "ws_frames": self.frames.get(phase, 0), "requests": self.requests.get(phase, 0),
                "cached": self.cached.get(phase, 0), "largest_http": dict(top)}


# --------------------------------------------------------------------------- browser
_STATE = """() => {
    const g = window.__gy || {maps: [], errors: []};
    const m = g.maps.length ? g.maps[g.maps.length - 1] : null;
    return {nav: g.nav, input: g.input, maps: g.maps.length, errors: g.errors.slice(),
            now: performance.timeOrigin + performance.now(),
            map: m ? Object.assign({}, m) : null,
            exceptions: Array.from(document.querySelectorAll('[data-testid="stException"]'))
                .map((e) => e.innerText.slice(0, 300))};
}"""
_DOM = """() => {
    const out = {
        paths: document.querySelectorAll('.leaflet-overlay-pane path').length,
        canvases: document.querySelectorAll('.leaflet-overlay-pane canvas').length,
        markers: document.querySelectorAll('.leaflet-marker-pane .leaflet-marker-icon').length,
    };
    // distinct projects drawn: ids of the project layers on the live maps of this frame,
    // clustered ones included (a cluster stands for its child markers)
    const pid = (l) => {
        const p = l && l.feature && l.feature.properties;
        return p ? (p.pid !== undefined ? p.pid : p.id) : undefined;
    };
    const idOf = (l) => {
        let id = pid(l);
        for (const k in (l._eventParents || {})) {
            if (id === undefined) { id = pid(l._eventParents[k]); }
        }
        return id;
    };
    const ids = new Set();
    (window.__gyMaps || []).filter((m) => m._container && document.contains(m._container))
        .forEach((m) => m.eachLayer((l) => {
            if (typeof l.getAllChildMarkers === "function") {
                l.getAllChildMarkers().forEach((c) => {
                    const id = idOf(c); if (id !== undefined) { ids.add(id); } });
            } else if (typeof l.getLayers !== "function") {
                const id = idOf(l); if (id !== undefined) { ids.add(id); }
            }
        }));
    out.projects = ids.size;
    return out;
}"""


class Visit:
    """One browser context on one server: cold visit, filter change, warm visit."""

    def __init__(self, browser: Any, server: Server, timeout_s: float) -> None:
        self.server = server
        self.timeout_s = timeout_s
        self.page_errors: list[str] = []
        # no request interception (Playwright's routing would disable the HTTP cache, and
        # "warm" would not be warm): requests leaving 127.0.0.1 are recorded through CDP
        # (the machine is offline; every variant should ask for none)
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                           locale="zh-CN")
        self.context.add_init_script(path=str(HERE / "probe.js"))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)[:300]))
        self.traffic = Traffic(self.context.new_cdp_session(self.page))

    def state(self) -> dict[str, Any]:
        try:
            return self.page.evaluate(_STATE)
        except Exception:  # navigating: the context was replaced; ask again
            return {"maps": 0, "map": None, "errors": [], "exceptions": [], "now": 0}

    def dom(self) -> dict[str, int]:
        out = {"paths": 0, "canvases": 0, "markers": 0, "projects": 0}
        for frame in self.page.frames:
            try:
                got = frame.evaluate(_DOM)
            except Exception:  # a frame that went away
                continue
            for k in out:
                out[k] += int(got.get(k) or 0)
        return out

    def _settle(self, done: Any, t_start: float) -> dict[str, Any]:
        """Poll until `done(state)` holds and the page was quiet for QUIET_S."""
        deadline = time.monotonic() + self.timeout_s
        st: dict[str, Any] = {}
        seen = False  # done() held once: drawn, even if the page never went quiet
        while time.monotonic() < deadline:
            st = self.state()
            if st.get("exceptions"):
                break
            m = st.get("map")
            drawn = bool(m) and bool(done(st))
            seen = seen or drawn
            if drawn and m is not None and self.traffic.quiet_for() >= QUIET_S and (
                    st["now"] - max(m["painted"], m["changed"])) >= QUIET_S * 1000:
                st["timeout"] = False
                return st
            time.sleep(0.1)
        st["timeout"] = True
        st["drawn_seen"] = seen
        return st

    def _result(self, st: dict[str, Any], t0: float, phase: str, key: str) -> dict[str, Any]:
        m = st.get("map") or {}
        out: dict[str, Any] = {**self.traffic.of(phase),
                               "features": m.get("features", 0), "clusters": m.get("clusters", 0),
                               "represented": m.get("features", 0) + m.get("represented", 0),
                               "maps": st.get("maps", 0), **self.dom()}
        errors = list(dict.fromkeys([*st.get("errors", []), *self.page_errors,
                                     *st.get("exceptions", [])]))
        drawn = out["features"] + out["clusters"] > 0 and (
            out["paths"] + out["canvases"] + out["markers"] > 0)
        if st.get("timeout") or not drawn or st.get("exceptions"):
            why = ("timeout" if st.get("timeout") else "nothing drawn" if not drawn
                   else "exception")
            if st.get("timeout") and not st.get("drawn_seen") and not st.get("exceptions"):
                # censored: not drawn within the timeout (a lower bound on its time)
                why = f"timeout: not drawn within {self.timeout_s:g} s"
                out["not_drawn_within_s"] = self.timeout_s
            elif st.get("timeout") and st.get("drawn_seen"):
                why = f"timeout: drawn, but the page not quiet within {self.timeout_s:g} s"
            out["error"] = "; ".join([why, *errors])[:600]
        else:
            t_drawn = m["first"] if key == "first_s" else m["painted"]
            out[key] = round((t_drawn - t0) / 1000.0, 3)
            out["settled_s"] = round((m["painted"] - t0) / 1000.0, 3)
        if errors:
            out["page_errors"] = errors[:5]
        return out

    def navigate(self) -> None:
        """Go to the server's page (returns once the navigation is committed)."""
        self.page.goto(self.server.url + "/", wait_until="commit",
                       timeout=self.timeout_s * 1000)

    def choose(self, option: str) -> None:
        """Type `option`'s name into the sidebar's first multiselect and click the option."""
        sidebar = self.page.locator('[data-testid="stSidebar"]')
        box = sidebar.locator('[data-testid="stMultiSelect"]').first
        wait_ms = self.timeout_s * 1000
        box.click(timeout=wait_ms)
        self.page.keyboard.type(option.split(" (")[0])
        self.page.get_by_role("option").filter(has_text=option).first.click(timeout=wait_ms)

    def open(self, phase: str) -> dict[str, Any]:
        self.traffic.phase = phase
        self.navigate()
        st = self._settle(lambda s: s["map"]["first"] > 0
                          and s["map"]["created"] >= s["nav"], 0.0)
        out = self._result(st, st.get("nav") or 0.0, phase, "first_s")
        out["server_rss_mb"] = self.server.rss_mb()  # with this session open
        return out

    def pick_category(self, option: str, before: dict[str, Any],
                      max_shown: int | None = None) -> dict[str, Any]:
        """Pick `option` in the sidebar's first multiselect; time until the map redrew
        (with `max_shown`: redrew showing at most that many parts, see `changed_set_drawn`)."""
        self.traffic.phase = "change"
        try:
            self.choose(option)
        except Exception as exc:  # the sidebar never became usable: not measured, say why
            raise RuntimeError(f"filter not changed: the sidebar's option `{option}` was not "
                               f"clickable within {self.timeout_s:g} s "
                               f"({type(exc).__name__})") from exc
        t_input = float(self.state().get("input") or 0)
        prev = (before.get("maps"), before.get("features"), before.get("clusters"))
        st = self._settle(lambda s: changed_set_drawn(s, t_input, prev, max_shown), t_input)
        return self._result(st, t_input, "change", "redraw_s")

    def close(self) -> None:
        self.context.close()


def changed_set_drawn(s: dict[str, Any], t_input: float, prev: tuple[Any, ...],
                      max_shown: int | None = None) -> bool:
    """The map changed after the click (`t_input`), was painted since, and differs from the
    cold visit's (`prev`: maps, features, clusters). `max_shown` (used after a cold visit that
    did not draw in time): the map shows at most that many parts (features + the parts in
    clusters), so that the cold map arriving late, whole, is not taken for the filter's."""
    m = s.get("map")
    if not m:
        return False
    if max_shown is not None and m["features"] + m.get("represented", 0) > max_shown:
        return False
    return bool(m["changed"] > t_input and m["painted"] >= m["changed"]
                and (s["maps"], m["features"], m["clusters"]) != prev)


def option_label(variant: str, category: str, n: int) -> str:
    """The multiselect option for `category`: the app shows ``label (count)`` in Chinese,
    the baselines the code."""
    if variant != "app":
        return category
    from geo.codelists import load_codelists

    codelists = load_codelists(ROOT / "data" / "codelists")
    return f"{codelists.categories['label_zh'].get(category, category)} ("


def _failed(exc: Exception) -> dict[str, Any]:
    return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}


def visit_class(variant: str, light: list[str]) -> type[Visit]:
    """`Visit`, or for the variants in `light` the Playwright-free `light.LightVisit`."""
    if variant in light:
        from bench.e2e.light import LightVisit

        return LightVisit
    return Visit


def one_visit(browser: Any, server: Server, option: str, timeout_s: float,
              category_n: int | None = None, visit: type[Visit] | None = None,
              ) -> dict[str, Any]:
    """Cold visit, filter change, warm visit; a phase that raises is recorded as failed.
    After a cold visit not drawn in time the change counts only a map showing at most
    `CHANGED_MAX` × `category_n` parts (the located projects of the category picked)."""
    v = (visit or Visit)(browser, server, timeout_s)
    out: dict[str, Any] = {}
    try:
        loaded = True
        try:
            out["cold"] = v.open("cold")
        except Exception as exc:  # the page did not even load: a failure, not a crash
            out["cold"] = _failed(exc)
            loaded = False
        # the filter change is tried even when the cold map was not drawn in time (the
        # sidebar is usable before the map): a baseline slow to draw still gets its chance
        if loaded:
            try:
                late = "error" in out["cold"] and category_n is not None
                out["change"] = v.pick_category(
                    option, out["cold"], CHANGED_MAX * category_n if late and category_n
                    else None)
            except Exception as exc:  # e.g. the page too busy to take the click
                out["change"] = _failed(exc)
            if "error" in out["cold"]:
                out["change"]["after_cold_failure"] = True
        else:
            out["change"] = {"error": "filter change not tried: the page did not load "
                                      f"({out['cold']['error'][:200]})"}
        try:
            out["warm"] = v.open("warm")
        except Exception as exc:
            out["warm"] = _failed(exc)
        out["external_requests"] = len(v.traffic.external)
    finally:
        v.close()
    return out


# --------------------------------------------------------------------------- statistics
def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and range of each number of each phase over the rounds; failures listed."""
    out: dict[str, Any] = {}
    for phase in ("cold", "change", "warm"):
        rows = [s[phase] for s in samples if phase in s]
        ok = [r for r in rows if "error" not in r]
        res: dict[str, Any] = {"n": len(rows), "ok": len(ok),
                               "errors": [r["error"] for r in rows if "error" in r]}
        for key in ("first_s", "redraw_s", "settled_s", "http_b", "ws_b", "ws_frames",
                    "requests", "cached", "features", "clusters", "represented", "projects",
                    "paths", "canvases", "markers"):
            vals = [r[key] for r in (ok or rows) if isinstance(r.get(key), (int, float))]
            if vals:
                res[key] = {"median": statistics.median(vals), "min": min(vals),
                            "max": max(vals)}
        censored = [r["not_drawn_within_s"] for r in rows if "not_drawn_within_s" in r]
        if censored:
            key = "redraw_s" if phase == "change" else "first_s"
            res["not_drawn"] = len(censored)
            res["not_drawn_within_s"] = min(censored)
            res[key + "_censored"] = censored_median(
                [r[key] for r in ok if isinstance(r.get(key), (int, float))], censored)
        out[phase] = res
    return out


def censored_median(drawn: list[float], not_drawn_within: list[float]) -> dict[str, Any]:
    """Median time over all rounds, the rounds not drawn within their timeout T counted as
    taking T: exact when the median does not rest on such a round (every drawn time is
    below T), else a lower bound (``lower_bound``: the true median is at least ``median``)."""
    low = statistics.median([*drawn, *not_drawn_within])
    high = statistics.median([*drawn, *(t * 1e6 for t in not_drawn_within)])
    return {"median": low, "lower_bound": high != low, "n": len(drawn) + len(not_drawn_within),
            "not_drawn": len(not_drawn_within)}


# --------------------------------------------------------------------------- report
def _mb(b: Any) -> str:
    return "—" if b is None else f"{b / 1e6:.2f}" if b >= 1e5 else f"{b / 1e6:.3f}"


def _med(res: dict[str, Any], key: str, scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    v = res.get(key)
    if not v:
        return "—"
    med, lo, hi = (fmt.format(v[k] * scale) for k in ("median", "min", "max"))
    return med if lo == hi else f"{med} ({lo}–{hi})"


def _val(res: dict[str, Any], key: str) -> float | None:
    v = res.get(key)
    return v["median"] if v else None


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b:
        return "—"
    return f"{a / b:.2f}"


def _time(res: dict[str, Any], key: str) -> tuple[float | None, bool]:
    """(median time, is a lower bound) of a phase: the censored median when rounds were not
    drawn within the timeout, else the median of the drawn rounds."""
    c = res.get(key + "_censored")
    if c:
        return c["median"], bool(c["lower_bound"])
    return _val(res, key), False


def _time_ratio(app: dict[str, Any], base: dict[str, Any], key: str) -> str:
    """app / baseline of a time, "≤ r (≥ x× sooner)" when the baseline's is a lower bound
    (not drawn within the timeout), "≥ r" when the app's is, "—" when both are."""
    a, a_low = _time(app, key)
    b, b_low = _time(base, key)
    if a is None or b is None or not b or not a or (a_low and b_low):
        return "—"
    if b_low:
        return f"≤ {a / b:.2f} (≥ {b / a:.1f}× sooner)"
    return f"≥ {a / b:.2f}" if a_low else f"{a / b:.2f}"


def _drawn_cell(res: dict[str, Any], key: str) -> str:
    """The "drawn (s)" cell: median (min–max) of the drawn rounds; with rounds not drawn
    within the timeout, the median over all rounds (`censored_median`), the range of the
    drawn ones and how many were not drawn; a median resting on those is a lower bound."""
    c = res.get(key + "_censored")
    if not c:
        return _med(res, key)
    t = res["not_drawn_within_s"]
    miss = f"{c['not_drawn']}/{c['n']} not drawn within {t:g} s"
    if c["lower_bound"]:
        if res.get(key):  # some drew, but the median rests on the ones that did not
            return f"≥ {c['median']:.2f}: {miss}"
        return f"not drawn within {t:g} s" + (f" ({c['not_drawn']}/{c['n']})"
                                              if c["n"] > 1 else "")
    lo, hi = res[key]["min"], res[key]["max"]
    return f"{c['median']:.2f} (drawn {lo:.2f}–{hi:.2f}); {miss}"


def render_markdown(meta: dict[str, Any], sizes: list[dict[str, Any]]) -> str:
    lines = [
        "# End-to-end benchmark: everything the browser receives",
        "",
        "> **Absolute times depend on the machine and on what else ran on it** (its load "
        "averages are given below; the machine may be shared): compare the app with the "
        "baselines of the same round (ratios), not with other runs.",
        "",
        f"* date: {meta['date']}; machine: {meta['cores']} cores, {meta['memory']} RAM, "
        f"Python {meta['python']}, {meta['platform']}; Chromium: {meta.get('chromium', '?')}",
        f"* command: `{meta['command']}` (wall time {meta['wall_s']:.0f} s); load average "
        f"(1/5/15 min) at the start {meta.get('loadavg_start', '?')}, at the end "
        f"{meta.get('loadavg_end', '?')}"
        + ("".join(f"; run {i + 1}: {a} → {b}" for i, (a, b) in
                   enumerate(meta.get("loadavg_runs", []))) if meta.get("loadavg_runs")
           else ""),
        "* variants: **app** = `streamlit_app.py` (map + table + statistics + exports page); "
        "**explore** = `st_folium(gdf.explore(popup=<the app's popup fields>))`; "
        "**geojson** = `st_folium` of one `folium.GeoJson` with a `GeoJsonPopup` of the same "
        "fields (points as default image markers). The baselines show only a map and a "
        "category filter, keep only the popup columns and split multi-part geometries "
        "(bench/e2e/baseline.py); all three use the same local Leaflet, no tiles, offline. "
        f"Every server (the app's too) runs with `--server.maxMessageSize {MAX_MESSAGE_MB}` "
        "(MB; Streamlit's default 200 MB refuses `explore()`'s map message at 100 000 "
        "projects, 221.7 MB, which would fail the baseline unfairly).",
        "* each variant runs in its own `streamlit run` server; rounds are interleaved "
        "(app, explore, geojson, app, …); each round is a new browser context (**cold**: "
        "empty cache), a filter change (pick the largest category in the sidebar "
        "multiselect) and a second navigation in the same context (**warm**). Each server "
        "was visited once untimed before the rounds (its data load and caches), and the "
        "rounds started once the server was idle again (under 5 % of a core over 2 s: a run "
        "can go on after its map was drawn).",
        "* bytes: everything received, over HTTP (not from cache) and the websocket "
        "(uncompressed: Streamlit's websocket compression is off by default), from navigation "
        "until the page was quiet for 1.5 s. Times: from navigation start (filter change: "
        "from the click on the option) to the first paint showing project features, counted "
        "in the map's frame as Leaflet layers with a project id plus marker clusters (the "
        "app's invisible hit band along each line, `gy-hit`, is not counted as a layer; it is "
        "in the SVG path count). Median (min–max) over the rounds.",
        "* ratio = app / baseline (< 1: the app receives fewer bytes or draws sooner).",
        "* a phase not drawn within the timeout is shown as **not drawn within T s**, never as "
        "a time: its median time over the rounds counts such rounds as T (exact when the "
        "median rests on a drawn round, else shown as a lower bound **≥**), and a ratio "
        "against it is an upper bound **≤** (the app at least that many times sooner). The "
        "filter change is tried even when the cold map did not draw in time (the sidebar "
        "works before the map); when it could not be made, the note says why. Bytes of a "
        "failed phase are partial and get no ratio.",
        "",
    ]
    for s in sizes:
        f = s["facts"]
        lines += [f"## {s['spec']}: {f['projects']} projects ({s['info'].get('mix')} mix)", "",
                  f"Located {f['located']}; drawn geometry {f['geometry']}; "
                  f"projects.geojson {f['geojson_bytes'] / 1e6:.2f} MB; filter change: "
                  f"category `{f['category']}` ({f['category_n']} located)."
                  + (f" Build {s['info']['build_s']} s." if "build_s" in s["info"] else "")
                  + f" Rounds: {s.get('rounds_done', '?')}.",
                  ""]
        if s.get("error"):
            lines += [f"**Failed:** {s['error']}", ""]
            continue
        lines += ["| variant | phase | ok | HTTP MB | websocket MB | total MB | drawn (s) "
                  "| projects drawn | layers + clusters drawn (= parts shown) "
                  "| SVG paths / canvases / icons |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for v, res in s["variants"].items():
            summ = res["summary"]
            for phase in ("cold", "change", "warm"):
                r = summ[phase]
                if not r["n"]:
                    continue
                key = "redraw_s" if phase == "change" else "first_s"
                http, ws = _val(r, "http_b"), _val(r, "ws_b")
                total = None if http is None or ws is None else http + ws
                lines.append(
                    f"| {v} | {phase} | {r['ok']}/{r['n']} | {_mb(http)} | {_mb(ws)} | "
                    f"{_mb(total)} | {_drawn_cell(r, key)} | "
                    f"{_med(r, 'projects', fmt='{:.0f}')} | "
                    f"{_med(r, 'features', fmt='{:.0f}')} + {_med(r, 'clusters', fmt='{:.0f}')}"
                    f" (= {_med(r, 'represented', fmt='{:.0f}')})"
                    f" | {_med(r, 'paths', fmt='{:.0f}')} / {_med(r, 'canvases', fmt='{:.0f}')}"
                    f" / {_med(r, 'markers', fmt='{:.0f}')} |")
        lines += ["", "| ratio app / baseline | cold bytes | cold drawn | filter change "
                  "bytes | filter redraw | warm bytes | warm drawn |",
                  "|---|---|---|---|---|---|---|"]
        app = s["variants"].get("app", {}).get("summary")
        for v, res in s["variants"].items():
            if v == "app" or app is None:
                continue
            b = res["summary"]

            def tot(r: dict[str, Any]) -> float | None:
                # no ratio against a phase that failed in every round (its bytes are partial)
                h, w = _val(r, "http_b"), _val(r, "ws_b")
                return None if h is None or w is None or not r.get("ok") else h + w

            lines.append(
                f"| app / {v} | {_ratio(tot(app['cold']), tot(b['cold']))} | "
                f"{_time_ratio(app['cold'], b['cold'], 'first_s')} | "
                f"{_ratio(tot(app['change']), tot(b['change']))} | "
                f"{_time_ratio(app['change'], b['change'], 'redraw_s')} | "
                f"{_ratio(tot(app['warm']), tot(b['warm']))} | "
                f"{_time_ratio(app['warm'], b['warm'], 'first_s')} |")
        notes = []
        for v, res in s["variants"].items():
            if res.get("server_first_visit"):
                fv = res["server_first_visit"]
                notes.append(f"{v}: the server's first (untimed-round) visit drew after "
                             f"{fv.get('first_s', '—')} s (cold server caches)"
                             + (f"; the server went on computing for ~{idle} s after it "
                                "(the rounds waited until it was idle)"
                                if (idle := (res.get("server_rss") or {}).get(
                                    "idle_after_warmup_s", 0)) > IDLE_WINDOW_S else "")
                             + (f"; error: {fv['error']}" if fv.get("error") else ""))
            if res.get("server_rss"):
                m = res["server_rss"]
                during = [x["cold"].get("server_rss_mb") for x in res["samples"]
                          if x.get("cold", {}).get("server_rss_mb")]
                per = (f"; with one visiting session open {statistics.median(during):.0f} MB"
                       f" (median), i.e. {statistics.median(during) - m['after_warmup_mb']:+.0f}"
                       " MB over the idle server" if during and m.get("after_warmup_mb")
                       else "")
                notes.append(f"{v} server: health check answered {m.get('started_s')} s after "
                             f"launch ({m.get('started_mb')} MB); resident after the first "
                             f"visit {m.get('after_warmup_mb')} MB{per}; at the end "
                             f"{m.get('end_mb')} MB")
            late = sum(1 for x in res["samples"]
                       if (x.get("change") or {}).get("after_cold_failure"))
            if late:
                notes.append(f"{v}: in {late} round(s) the filter change was made although "
                             "the cold map had not drawn in time (counted only once the map "
                             f"showed at most {CHANGED_MAX}× the category's located projects)")
            for phase in ("cold", "change", "warm"):
                for e in dict.fromkeys(res["summary"][phase]["errors"]):
                    notes.append(f"{v} {phase} FAILED: {e}")
            big = (res["samples"][0].get("cold") or {}).get("largest_http") if res["samples"] \
                else None
            if big:
                notes.append(f"{v} cold, largest HTTP responses (kB): " + ", ".join(
                    f"`{u.rsplit('/', 1)[-1] or '/'}` {b / 1e3:.0f}" for u, b in
                    list(big.items())[:5]))
            ext = sum(x.get("external_requests", 0) for x in res["samples"])
            if ext:
                notes.append(f"{v}: {ext} requests to other hosts than 127.0.0.1 attempted")
        lines += [""] + [f"* {' '.join(n.split())}" for n in notes] + [""]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main
def machine() -> dict[str, Any]:
    """`bench.run.machine` (cores, memory, Python, platform, date) plus the load average at
    the start."""
    from bench.run import machine as base_machine

    load = ""
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return {**base_machine(), "loadavg_start": load}


def run_size(spec: str, work: Path, ns: argparse.Namespace, browser: Any,
             checkpoint: Any = None) -> dict[str, Any]:
    data, info = prepare_size(spec, work, ns.seed)
    facts = data_facts(data)
    out: dict[str, Any] = {"spec": spec, "info": info, "facts": facts, "variants": {}}
    servers: dict[str, Server] = {}
    try:
        for v in ns.variants:
            servers[v] = Server(v, data, work)
        rss: dict[str, dict[str, Any]] = {v: {} for v in ns.variants}
        for v in ns.variants:
            t0 = time.perf_counter()
            servers[v].wait()
            rss[v]["started_s"] = round(time.perf_counter() - t0, 2)
            rss[v]["started_mb"] = servers[v].rss_mb()
        options = {v: option_label(v, facts["category"], facts["category_n"])
                   for v in ns.variants}
        samples: dict[str, list[dict[str, Any]]] = {v: [] for v in ns.variants}
        first: dict[str, Any] = {}
        for v in ns.variants:  # untimed: the server's cold start (data load, caches)
            w = visit_class(v, ns.light)(browser, servers[v], ns.timeout)
            try:
                first[v] = w.open("first")
            finally:
                w.close()
            time.sleep(QUIET_S * 4)  # the warm-up session closed: its memory freed or not
            # its run may go on after the map was drawn (the app then warms the other
            # language's features, ~40 s of CPU at 100 000): round 1 would share the cores
            rss[v]["idle_after_warmup_s"] = servers[v].wait_idle()
            rss[v]["after_warmup_mb"] = servers[v].rss_mb()
            print(f"[e2e] {spec} {v} server warm-up: {first[v].get('first_s')} s "
                  f"rss {rss[v]} "
                  f"{first[v].get('error', '')}", file=sys.stderr, flush=True)
        for i in range(ns.pairs):
            for v in ns.variants:
                res = one_visit(browser, servers[v], options[v], ns.timeout,
                                facts["category_n"], visit_class(v, ns.light))
                res["round"] = i
                samples[v].append(res)
                print(f"[e2e] {spec} round {i} {v}: cold {res['cold'].get('first_s')} s "
                      f"{(res['cold'].get('http_b', 0) + res['cold'].get('ws_b', 0)) / 1e6:.2f}"
                      f" MB, change {res.get('change', {}).get('redraw_s')} s, warm "
                      f"{res['warm'].get('first_s')} s "
                      + " ".join(res[p]["error"][:120] for p in ("cold", "change", "warm")
                                 if "error" in res.get(p, {})),
                      file=sys.stderr, flush=True)
            for v in ns.variants:
                rss[v]["end_mb"] = servers[v].rss_mb()
                out["variants"][v] = {"server_first_visit": first[v], "server_rss": rss[v],
                                      "samples": samples[v],
                                      "summary": summarize(samples[v])}
            if checkpoint is not None:  # a run cut short still leaves its finished rounds
                out["rounds_done"] = i + 1
                checkpoint(out)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {str(exc)[:400]}"
    finally:
        for s in servers.values():
            s.stop()
    return out


def write(out: Path | None, meta: dict[str, Any], results: list[dict[str, Any]]) -> None:
    text = render_markdown(meta, results)
    if out is None:
        print(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=1, ensure_ascii=False,
                   default=str), encoding="utf-8")
    print(f"[e2e] wrote {out}", file=sys.stderr)


def merge(paths: list[Path], out: Path | None) -> int:
    """One report from several runs' JSON (e.g. the slow size measured separately)."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    meta = dict(runs[0]["meta"])
    meta["command"] = "` + `".join(r["meta"]["command"] for r in runs)
    meta["wall_s"] = sum(r["meta"]["wall_s"] for r in runs)
    meta["date"] = " / ".join(dict.fromkeys(r["meta"]["date"] for r in runs))
    meta["loadavg_runs"] = [(r["meta"].get("loadavg_start", "?"), r["meta"].get("loadavg_end", "?"))
                            for r in runs]
    meta["loadavg_end"] = runs[-1]["meta"].get("loadavg_end", "?")
    results = [res for r in runs for res in r["results"]]
    write(out, meta, results)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="real,2000",
                    help="comma-separated: real, N (synthetic, plan mix), N@real, "
                         "N@point=0.8;line=0.15;area=0.05")
    ap.add_argument("--pairs", type=int, default=3, help="interleaved rounds (>= 3 to report)")
    ap.add_argument("--variants", default="app,explore,geojson")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--timeout", type=float, default=240.0, help="per phase, seconds")
    ap.add_argument("--light", default="",
                    help="comma-separated variants visited without Playwright (bench/e2e/"
                         "light.py: own Chromium over CDP without the Network domain, bytes "
                         "counted by a TCP relay), for messages too large for Playwright")
    ap.add_argument("--write", action="store_true", help="write bench/RESULTS-e2e.md + .json")
    ap.add_argument("--out", type=Path, help="write the results here (.md and .json)")
    ap.add_argument("--workdir", type=Path, help="keep generated data and server logs here")
    ap.add_argument("--from-json", type=Path, nargs="+", metavar="JSON",
                    help="measure nothing: render the results of earlier runs (their sizes "
                         "in order, commands joined) into one report")
    ns = ap.parse_args(argv)
    if ns.from_json:
        return merge(ns.from_json, ns.out or (DEFAULT_OUT if ns.write else None))
    ns.variants = [v.strip() for v in ns.variants.split(",") if v.strip()]
    ns.light = [v.strip() for v in ns.light.split(",") if v.strip()]
    unknown = set(ns.variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants: {sorted(unknown)}")
    # `;` separates the kinds of a mix inside one size (the sizes are comma-separated)
    specs = [s.strip().replace(";", ",") for s in ns.sizes.split(",") if s.strip()]
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (make browser)", file=sys.stderr)
        return 2
    from layers.assets import copy_assets, missing_assets

    if missing_assets():
        copy_assets()
    started = time.perf_counter()
    tmp = None
    work = ns.workdir
    if work is None:
        tmp = tempfile.mkdtemp(prefix="gy-bench-e2e-")
        work = Path(tmp)
    work.mkdir(parents=True, exist_ok=True)
    meta = machine()
    try:
        meta["chromium"] = subprocess.run([CHROMIUM, "--version"], capture_output=True,
                                          text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        meta["chromium"] = "?"
    results: list[dict[str, Any]] = []
    out_path = ns.out or (DEFAULT_OUT if ns.write else None)

    def checkpoint(partial: dict[str, Any]) -> None:
        if out_path is not None:
            meta["command"] = "python -m bench.e2e " + " ".join(
                argv if argv is not None else sys.argv[1:])
            meta["wall_s"] = time.perf_counter() - started
            write(out_path, meta, [*results, partial])

    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                for spec in specs:
                    print(f"[e2e] size {spec} ...", file=sys.stderr, flush=True)
                    results.append(run_size(spec, work, ns, browser, checkpoint))
                    print(f"[e2e] size {spec} done ({time.perf_counter() - started:.0f} s)",
                          file=sys.stderr, flush=True)
            finally:
                browser.close()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    meta["command"] = "python -m bench.e2e " + " ".join(argv if argv is not None
                                                        else sys.argv[1:])
    meta["wall_s"] = time.perf_counter() - started
    with contextlib.suppress(OSError):
        meta["loadavg_end"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    write(out_path, meta, results)
    return 0 if all("error" not in r for r in results) else 1
