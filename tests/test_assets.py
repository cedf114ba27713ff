"""layers.assets: vendored Leaflet files and local-only URLs in the rendered map."""

from __future__ import annotations

import re

import folium
import pytest

from layers import assets


def test_copy_assets(tmp_path):
    written = assets.copy_assets(tmp_path)
    assert len(written) == len(assets.FILES)
    js = (tmp_path / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    assert "1.9.3" in js[:400]
    assert (tmp_path / "markercluster" / "leaflet.markercluster.js").stat().st_size > 10_000
    assert (tmp_path / "leaflet" / "images" / "layers.png").read_bytes()[:4] == b"\x89PNG"
    assert assets.missing_assets(tmp_path) == []
    assert assets.missing_assets(tmp_path / "empty") == sorted(assets.FILES) or len(
        assets.missing_assets(tmp_path / "empty")) == len(assets.FILES)


def test_local_urls_only():
    for _, url in (assets.LEAFLET_JS + assets.LEAFLET_CSS + assets.MARKERCLUSTER_JS
                   + assets.MARKERCLUSTER_CSS):
        assert url.startswith("/app/static/vendor/")
        rel = url.removeprefix("/app/static/vendor/")
        assert rel in assets.FILES
    with pytest.raises(KeyError):
        assets.url("bootstrap/bootstrap.js")


def test_subclasses_do_not_patch_folium():
    assert folium.Map.default_js[0][1].startswith("https://")
    assert assets.LocalMap.default_js == assets.LEAFLET_JS
    assert [n for n, _ in assets.LocalMap.default_js] == ["leaflet"]
    html = assets.LocalMap(tiles=None).get_root().render()
    srcs = re.findall(r'<script[^>]+src="([^"]+)"', html)
    hrefs = re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert srcs == ["/app/static/vendor/leaflet/leaflet.js"]
    assert hrefs == ["/app/static/vendor/leaflet/leaflet.css"]
    assert assets.external_urls(html) == []


def test_external_urls_detects_cdns():
    html = folium.Map(tiles=None).get_root().render()
    found = assets.external_urls(html)
    assert any("cdn.jsdelivr.net" in u for u in found)
    assert assets.external_urls('<script src="//evil.example/x.js"></script>') == [
        "//evil.example/x.js"]
