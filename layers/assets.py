"""Local copies of the browser assets the map needs (Leaflet, Leaflet.markercluster).

`python -m layers.assets` copies the files from the installed XStatic packages into
``static/vendor/`` (git-ignored). Streamlit serves ``./static`` at ``/app/static/``
(``server.enableStaticServing = true``), so the map never asks a CDN for anything.

Folium's classes point at CDNs (``default_js`` / ``default_css``). `LocalMap` and
`LocalMarkerCluster` are subclasses that point at the local copies instead; nothing in folium
itself is patched.
"""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

import folium
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster

from geo.paths import REPO_ROOT, STATIC_DIR

VENDOR_DIR = STATIC_DIR / "vendor"
#: URL prefix under which Streamlit serves ``static/vendor``.
URL_PREFIX = "/app/static/vendor"

#: destination (relative to static/vendor) -> (xstatic module, file relative to its BASE_DIR)
FILES: dict[str, tuple[str, str]] = {
    "leaflet/leaflet.js": ("xstatic.pkg.leaflet", "leaflet.js"),
    "leaflet/leaflet.css": ("xstatic.pkg.leaflet", "leaflet.css"),
    "leaflet/images/layers.png": ("xstatic.pkg.leaflet", "images/layers.png"),
    "leaflet/images/layers-2x.png": ("xstatic.pkg.leaflet", "images/layers-2x.png"),
    "leaflet/images/marker-icon.png": ("xstatic.pkg.leaflet", "images/marker-icon.png"),
    "leaflet/images/marker-icon-2x.png": ("xstatic.pkg.leaflet", "images/marker-icon-2x.png"),
    "leaflet/images/marker-shadow.png": ("xstatic.pkg.leaflet", "images/marker-shadow.png"),
    "markercluster/leaflet.markercluster.js": (
        "xstatic.pkg.leaflet_markercluster",
        "leaflet.markercluster.js",
    ),
    "markercluster/MarkerCluster.css": ("xstatic.pkg.leaflet_markercluster", "MarkerCluster.css"),
    "markercluster/MarkerCluster.Default.css": (
        "xstatic.pkg.leaflet_markercluster",
        "MarkerCluster.Default.css",
    ),
}


def url(rel: str) -> str:
    """Local URL of a vendored file, e.g. ``url("leaflet/leaflet.js")``."""
    if rel not in FILES:
        raise KeyError(f"not a vendored asset: {rel}")
    return f"{URL_PREFIX}/{rel}"


LEAFLET_JS: list[tuple[str, str]] = [("leaflet", url("leaflet/leaflet.js"))]
LEAFLET_CSS: list[tuple[str, str]] = [("leaflet_css", url("leaflet/leaflet.css"))]
MARKERCLUSTER_JS: list[tuple[str, str]] = [
    ("markerclusterjs", url("markercluster/leaflet.markercluster.js"))
]
MARKERCLUSTER_CSS: list[tuple[str, str]] = [
    ("markerclustercss", url("markercluster/MarkerCluster.css")),
    ("markerclusterdefaultcss", url("markercluster/MarkerCluster.Default.css")),
]


class LocalMap(folium.Map):
    """A folium Map whose Leaflet comes from ``/app/static/vendor`` (no jQuery, Bootstrap,
    awesome-markers or Font Awesome: the app uses CircleMarkers and plain CSS)."""

    default_js = LEAFLET_JS
    default_css = LEAFLET_CSS


class LocalMarkerCluster(MarkerCluster):
    """MarkerCluster loading Leaflet.markercluster from ``/app/static/vendor``."""

    default_js = MARKERCLUSTER_JS
    default_css = MARKERCLUSTER_CSS

    def render(self, **kwargs: object) -> None:  # type: ignore[override]
        """As folium's, but when the page header already holds the links (one cluster per
        category), do not create them again: each new link element compiles a template
        (about 20 ms per cluster; see docs/performance.md)."""
        figure = self.get_root()
        header = getattr(figure, "header", None)
        names = [name for name, _ in (*self.default_js, *self.default_css)]
        if header is not None and all(n in header._children for n in names):
            super(JSCSSMixin, self).render(**kwargs)
        else:
            super().render(**kwargs)


def source_path(rel: str) -> Path:
    """Path of the installed XStatic file behind a vendored asset."""
    module_name, name = FILES[rel]
    module = importlib.import_module(module_name)
    return Path(module.BASE_DIR) / name


def copy_assets(dest: Path = VENDOR_DIR) -> list[Path]:
    """Copy every asset in `FILES` into `dest` (default ``static/vendor``); return the paths.

    Raises FileNotFoundError naming the file if an XStatic package lacks one."""
    written = []
    for rel in FILES:
        src = source_path(rel)
        if not src.is_file():
            raise FileNotFoundError(f"{src} (needed for {rel}) is missing; reinstall XStatic")
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != src.read_bytes():
            shutil.copyfile(src, target)
        written.append(target)
    return written


def missing_assets(dest: Path = VENDOR_DIR) -> list[str]:
    """Vendored files not yet present under `dest`."""
    return [rel for rel in FILES if not (dest / rel).is_file()]


_URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_EXTERNAL = re.compile(r"""https?://[^\s"'<>)\\]+""", re.IGNORECASE)


def external_urls(html: str) -> list[str]:
    """Every src/href in `html` that is not a local (``/app/static``-relative or relative) URL,
    plus any absolute http(s) URL written into a script, e.g. a tile template."""
    found = [u for u in _URL_ATTR.findall(html) if not u.startswith(("/", "#", "data:"))
             or u.startswith("//")]
    found += [u for u in _EXTERNAL.findall(html) if u.startswith(("http", "//"))]
    return sorted(set(found))


def main() -> int:
    """Entry point of ``python -m layers.assets``."""
    paths = copy_assets()
    print(f"copied {len(paths)} files into {VENDOR_DIR.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
