"""Settings from the environment (and st.secrets for API keys).

  GAOYAO_DATA_DIR       directory holding projects.geojson and boundaries/ (default: data)
  GAOYAO_KIOSK=1        force kiosk mode (full-screen map, no export, idle reset)
  GAOYAO_KIOSK_IDLE_S   idle seconds before a kiosk returns home (default 180)
  TIANDITU_KEY          enables the Tianditu basemap (or st.secrets["TIANDITU_KEY"])
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent

#: what a tile-provider key may look like (Tianditu keys are 32 hex digits); anything else
#: (quotes, spaces, markup, a pasted URL) is ignored with a notice instead of reaching a URL
KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,128}")


def data_dir() -> Path:
    d = Path(os.environ.get("GAOYAO_DATA_DIR", "data"))
    return d if d.is_absolute() else ROOT / d


def kiosk_forced() -> bool:
    return os.environ.get("GAOYAO_KIOSK", "") == "1"


def idle_seconds() -> int:
    try:
        return max(2, int(os.environ.get("GAOYAO_KIOSK_IDLE_S", "180")))
    except ValueError:
        return 180


def api_keys_checked() -> tuple[dict[str, str], str]:
    """Tile-provider keys from the environment or st.secrets, and a notice ('' when fine).
    A broken secrets.toml or a malformed key disables that basemap; it never stops the app."""
    keys: dict[str, str] = {}
    notice = ""
    value = os.environ.get("TIANDITU_KEY", "")
    if not value:
        try:
            value = str(st.secrets.get("TIANDITU_KEY", ""))
        except Exception as exc:  # no secrets.toml (fine), or one that does not parse
            # Streamlit raises StreamlitSecretNotFoundError for both; only a parse failure
            # carries an "error" (streamlit 1.67: exec_kwargs {"path", "error"}).
            kwargs = getattr(exc, "exec_kwargs", None)
            value = ""
            if not (isinstance(exc, FileNotFoundError) and not
                    (isinstance(kwargs, dict) and "error" in kwargs)):
                notice = "secrets.toml unreadable, ignored"
    value = value.strip()
    if value and not KEY_FORMAT.fullmatch(value):
        value, notice = "", "TIANDITU_KEY: malformed, ignored"
    if value:
        keys["TIANDITU_KEY"] = value
    return keys, notice


def api_keys() -> dict[str, str]:
    return api_keys_checked()[0]
