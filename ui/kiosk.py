"""Kiosk mode: the page's CSS (kiosk or normal) and the idle timer that returns a kiosk to its
home view (``ui/js/kiosk_idle.js``, configured with JSON)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from layers.scripts import with_config
from ui.config import idle_seconds, kiosk_forced

HERE = Path(__file__).resolve().parent


@cache
def _read(rel: str) -> str:
    return (HERE / rel).read_text(encoding="utf-8")


def page_css(kiosk: bool) -> str:
    """The page's constant stylesheet: the kiosk one hides Streamlit's menus and enlarges
    the controls for touch."""
    return _read("css/kiosk.css" if kiosk else "css/base.css")


def apply_css(kiosk: bool) -> None:
    """The app's only raw HTML: a constant <style> block from ``ui/css``."""
    st.markdown(f"<style>\n{page_css(kiosk)}</style>", unsafe_allow_html=True)


def idle_script(home_query: str, seconds: int) -> str:
    """The idle timer's <script> (configuration as HTML-safe JSON)."""
    config = {"home": home_query, "ms": seconds * 1000}
    return f"<script>\n{with_config(_read('js/kiosk_idle.js'), config)}\n</script>"


def kiosk_idle_timer() -> None:
    """After the idle time without any touch/mouse/key input (in the page or the map) and
    with no run of the app going on (a visitor waiting for a slow answer is not idle), go back
    to the kiosk home URL. The script is injected into the parent page once (same origin)."""
    home = "" if kiosk_forced() else "?mode=kiosk"
    components.html(idle_script(home, idle_seconds()), height=0)
