"""The map's JavaScript, kept in ``layers/js/*.js`` and loaded from disk.

Each file holds one JavaScript expression (usually a function) that folium writes into the
page as it is (`JsCode`). Leading ``//`` comment lines are dropped. A file that needs settings
has a ``/*CONFIG*/`` placeholder, replaced by the settings as JSON (HTML-safe: ``<``, ``>``,
``&``, ``'`` escaped), so no value is ever pasted into JavaScript source as code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from folium.utilities import JsCode
from jinja2.utils import htmlsafe_json_dumps

JS_DIR = Path(__file__).resolve().parent / "js"
CONFIG = "/*CONFIG*/"


@cache
def js_source(name: str) -> str:
    """The expression in ``layers/js/<name>.js`` (without its leading comment lines)."""
    path = JS_DIR / f"{name}.js"
    if path.parent != JS_DIR or not path.is_file():
        raise FileNotFoundError(f"no such script: {name}")
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("//")):
        lines.pop(0)
    return "\n".join(lines).strip()


def with_config(source: str, config: object) -> str:
    """`source` with its ``/*CONFIG*/`` placeholder replaced by `config` as HTML-safe JSON."""
    if CONFIG not in source:
        raise ValueError("script takes no configuration")
    return source.replace(CONFIG, str(htmlsafe_json_dumps(config, sort_keys=True)))


def js(name: str, config: object = None) -> JsCode:
    """`js_source(name)` as folium `JsCode`, configured with `config` (JSON) when given."""
    source = js_source(name)
    return JsCode(with_config(source, config) if config is not None else source)
