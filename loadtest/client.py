"""A minimal Streamlit websocket client: one browser session without a browser.

It speaks the protocol the Streamlit frontend speaks on ``/_stcore/stream`` (protobuf
``BackMsg``/``ForwardMsg`` from ``streamlit.proto``): it asks for a script run, reads the
deltas (widgets, metrics, the map component, errors) until ``script_finished``, and changes
widgets by sending a new run with their widget states -- exactly what a click does.

Latency of one change = time from sending the ``rerun_script`` message to the end of that run
(the map component and the metrics are sent during the run; the run is over when both arrived
and ``script_finished`` came). Browser rendering is not included (see loadtest/RESULTS.md).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WIDGETS = ("multiselect", "selectbox", "text_input", "radio")
SEARCH_TERMS = ("港", "路", "金利", "南岸", "水", "园", "镇", "高速", "学校", "rail", "")


def require_loopback(url: str) -> None:
    """Refuse any target that is not this machine (the load test never leaves loopback)."""
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"load test target must be loopback, got {host!r}")


@dataclass
class RunResult:
    """What one script run sent back."""

    seconds: float = 0.0
    map_seen: bool = False
    metric_seen: bool = False
    errors: list[str] = field(default_factory=list)
    status: int = -1  # ForwardMsg.ScriptFinishedStatus


@dataclass
class Widget:
    kind: str
    wid: str
    options: list[str]


class StreamlitSession:
    """One session on ``ws://127.0.0.1:<port>/_stcore/stream``."""

    def __init__(self, base: str, query: str = "", timeout: float = 60.0) -> None:
        require_loopback(base)
        self.url = base.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.query = query.lstrip("?")
        self.timeout = timeout
        self.ws = None
        self.widgets: dict[str, Widget] = {}  # user key (suffix of the id) -> widget
        self.states: dict[str, WidgetState] = {}

    async def connect(self) -> RunResult:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=self.timeout, ping_interval=None)
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def rerun(self) -> RunResult:
        """Send the current widget states and wait for the run to finish."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = ""
        for state in self.states.values():
            cs.widget_states.widgets.append(state)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        res = RunResult()
        while True:
            raw = await self._recv(t0)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta":
                self._delta(fm, res)
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "script_finished":
                res.status = int(fm.script_finished)
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                res.seconds = time.perf_counter() - t0
                if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    res.errors.append("compile error")
                return res

    async def _recv(self, t0: float) -> bytes:
        import asyncio

        left = self.timeout - (time.perf_counter() - t0)
        if left <= 0:
            raise TimeoutError("script run did not finish in time")
        raw = await asyncio.wait_for(self.ws.recv(), timeout=left)
        if isinstance(raw, str):
            raise ValueError("unexpected text frame")
        return raw

    def _delta(self, fm: ForwardMsg, res: RunResult) -> None:
        delta = fm.delta
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            res.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
        elif kind == "alert" and el.alert.format == 1:  # ERROR
            res.errors.append(f"error: {el.alert.body[:200]}")
        elif kind == "component_instance":
            res.map_seen = True
        elif kind == "metric":
            res.metric_seen = True
        elif kind in WIDGETS:
            proto = getattr(el, kind)
            key = proto.id.rsplit("-", 1)[-1] if proto.id else ""
            options = list(proto.options) if hasattr(proto, "options") else []
            if key.startswith("w_"):
                self.widgets[key] = Widget(kind, proto.id, options)

    # ------------------------------------------------------------------ actions
    def set_multiselect(self, key: str, values: list[str]) -> None:
        w = self.widgets[key]
        st = WidgetState(id=w.wid)
        st.string_array_value.data.extend(values)
        self.states[key] = st

    def set_string(self, key: str, value: str) -> None:
        w = self.widgets[key]
        self.states[key] = WidgetState(id=w.wid, string_value=value)

    def random_change(self, rng: random.Random) -> str:
        """Change one filter or the town view the way a visitor would; returns what changed."""
        choice = rng.choice(("category", "category", "text", "town", "town", "status", "reset"))
        if choice == "category" and "w_cat" in self.widgets:
            opts = self.widgets["w_cat"].options
            self.set_multiselect("w_cat", rng.sample(opts, k=min(len(opts), rng.randint(0, 3))))
        elif choice == "status" and "w_status" in self.widgets:
            opts = self.widgets["w_status"].options
            self.set_multiselect("w_status", rng.sample(opts, k=min(len(opts), rng.randint(0, 2))))
        elif choice == "text" and "w_q" in self.widgets:
            self.set_string("w_q", rng.choice(SEARCH_TERMS))
        elif choice == "town" and "w_view" in self.widgets:
            self.set_string("w_view", rng.choice(self.widgets["w_view"].options))
        else:
            choice = "reset"
            for key in ("w_cat", "w_status"):
                if key in self.widgets:
                    self.set_multiselect(key, [])
            for key in ("w_q",):
                if key in self.widgets:
                    self.set_string(key, "")
            if "w_view" in self.widgets:
                self.set_string("w_view", self.widgets["w_view"].options[0])
        return choice
