"""A visit without Playwright, for a variant whose websocket messages are too large for it.

Playwright turns on CDP's Network domain for every page, so each websocket frame's payload
travels from Chromium to Playwright's node driver as one JSON message; at 100 000 projects
`explore()`'s one 221.7 MB message (once Streamlit's ``server.maxMessageSize`` lets it
through) made the driver abort ("Zone Allocation failed - process out of memory") and ended
the run. A light visit drives its own headless Chromium over the DevTools websocket with
only the Page, Runtime and Input domains (no Network: no payload leaves the browser), and
counts the bytes the browser receives in a TCP relay between the browser and the server:
every byte of every connection, the websocket (``/_stcore/stream``) apart from HTTP. The
relay counts what crosses the wire (HTTP headers and bodies as sent, websocket frames with
their few header bytes), CDP counts encoded bodies with headers and websocket payloads: the
two agree to well under 1 % on the sizes here. The page, the probe (`probe.js`), the
timing and the filter change are the same as in `harness.Visit`.

``python -m bench.e2e ... --light explore`` uses it for the named variants.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

# harness imports this module lazily (a cycle otherwise)
from bench.e2e.harness import _DOM, _STATE, CHROMIUM, HERE, LAUNCH_ARGS, Server, Visit

WS_PATH = b"/_stcore/stream"
VIEWPORT = (1400, 1000)


class Relay:
    """A TCP relay on a free loopback port to `target_port`, counting the bytes sent to the
    client per phase: ``http`` and ``ws`` (a connection whose first request is the
    websocket's)."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.phase = "cold"
        self.http: dict[str, int] = {}
        self.ws: dict[str, int] = {}
        self.requests: dict[str, int] = {}
        self.last = time.monotonic()
        self.external: list[str] = []  # a relay to one loopback server sees no other host
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.port: int = self._port

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self._port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        first = await reader.read(65536)
        kind = self.ws if WS_PATH in first.split(b"\r\n", 1)[0] else self.http
        self.requests[self.phase] = self.requests.get(self.phase, 0) + 1
        up_w.write(first)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                       count: bool) -> None:
            try:
                while data := await src.read(1 << 20):
                    if count:
                        kind[self.phase] = kind.get(self.phase, 0) + len(data)
                        self.last = time.monotonic()
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        await asyncio.gather(pump(reader, up_w, False), pump(up_r, writer, True))

    # the harness's Traffic interface
    def quiet_for(self) -> float:
        return time.monotonic() - self.last

    def of(self, phase: str) -> dict[str, Any]:
        return {"http_b": self.http.get(phase, 0), "ws_b": self.ws.get(phase, 0),
                "ws_frames": 0, "requests": self.requests.get(phase, 0), "cached": 0,
                "largest_http": {}, "counted_by": "relay"}

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class Cdp:
    """A minimal DevTools protocol client: commands, answers; events are dropped."""

    def __init__(self, ws_url: str) -> None:
        self.ws = connect(ws_url, max_size=None, open_timeout=30)
        self.next_id = 0

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"CDP {method}: no answer within {timeout:g} s")
            msg = json.loads(self.ws.recv(timeout=left))
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"CDP {method}: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        got = self.send("Runtime.evaluate", timeout=timeout, expression=expression,
                        returnByValue=True, awaitPromise=False)
        if "exceptionDetails" in got:
            raise RuntimeError(str(got["exceptionDetails"])[:300])
        return got.get("result", {}).get("value")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


# the DOM counts of the top page and of every same-origin frame below it
_DOM_ALL = """(() => {
  const f = __DOM__;
  const src = "(" + f.toString() + ")()";
  const out = {paths: 0, canvases: 0, markers: 0, projects: 0};
  const walk = (w) => {
    let got = {};
    try { got = w.eval(src); } catch (e) { return; }
    for (const k in out) { out[k] += Number(got[k] || 0); }
    for (const ifr of w.document.querySelectorAll("iframe")) {
      try { if (ifr.contentWindow) { walk(ifr.contentWindow); } } catch (e) { /**/ }
    }
  };
  walk(window);
  return out;
})()""".replace("__DOM__", _DOM)

_CENTRE = """(() => {
  const el = __EL__;
  if (!el) { return null; }
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
})()"""


class LightVisit(Visit):
    """`harness.Visit` on its own Chromium, driven over CDP without the Network domain;
    bytes from a `Relay`. One browser per visit: cold = empty cache, warm = the same
    browser navigating again."""

    def __init__(self, browser: Any, server: Server, timeout_s: float) -> None:
        del browser  # not Playwright's
        self.server = server
        self.timeout_s = timeout_s
        self.page_errors: list[str] = []
        self.traffic = Relay(server.port)  # type: ignore[assignment]
        self.url = f"http://127.0.0.1:{self.traffic.port}"
        self.profile = Path(tempfile.mkdtemp(prefix="gy-light-"))
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
             "--lang=zh-CN", *LAUNCH_ARGS, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.cdp = Cdp(self._page_ws())
        self.cdp.send("Page.enable")
        self.cdp.send("Emulation.setDeviceMetricsOverride", width=VIEWPORT[0],
                      height=VIEWPORT[1], deviceScaleFactor=1, mobile=False)
        self.cdp.send("Page.addScriptToEvaluateOnNewDocument",
                      source=(HERE / "probe.js").read_text(encoding="utf-8"))

    def _page_ws(self) -> str:
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium opened no page")
            time.sleep(0.05)

    def state(self) -> dict[str, Any]:
        try:
            got = self.cdp.evaluate(f"({_STATE})()", timeout=5)
            return got if isinstance(got, dict) else {}
        except (TimeoutError, RuntimeError):  # busy or navigating: ask again
            return {"maps": 0, "map": None, "errors": [], "exceptions": [], "now": 0}

    def dom(self) -> dict[str, int]:
        try:
            got = self.cdp.evaluate(_DOM_ALL, timeout=30)
        except (TimeoutError, RuntimeError):
            got = None
        return {k: int((got or {}).get(k) or 0)
                for k in ("paths", "canvases", "markers", "projects")}

    def navigate(self) -> None:
        self.cdp.send("Page.navigate", timeout=self.timeout_s, url=self.url + "/")

    def _click(self, selector_js: str, deadline: float) -> None:
        """Click the centre of the element `selector_js` finds, once it exists."""
        while True:
            try:
                xy = self.cdp.evaluate(_CENTRE.replace("__EL__", selector_js), timeout=5)
            except (TimeoutError, RuntimeError):
                xy = None
            if xy:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("element not found: " + selector_js[:120])
            time.sleep(0.2)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.cdp.send("Input.dispatchMouseEvent", type=kind, x=xy[0], y=xy[1],
                          button="left", clickCount=1)

    def choose(self, option: str) -> None:
        deadline = time.monotonic() + self.timeout_s
        self._click('document.querySelector(\'[data-testid="stSidebar"] '
                    '[data-testid="stMultiSelect"] input\')', deadline)
        self.cdp.send("Input.insertText", text=option.split(" (")[0])
        self._click("Array.from(document.querySelectorAll('[role=\"option\"]')).find("
                    f"(e) => e.innerText.includes({json.dumps(option)}))", deadline)

    def close(self) -> None:
        self.cdp.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.traffic.close()
        shutil.rmtree(self.profile, ignore_errors=True)
