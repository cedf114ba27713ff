"""The town boundaries the map shows for the repository's data: the official file when one is
configured (geo.boundaries), else the modelled towns -- a broken official file falls back to
the modelled towns with a notice instead of stopping the app."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd


def _mtime(path: Path) -> float:
    return path.stat().st_mtime if path.exists() else -1.0


def towns_with_fallback() -> tuple[gpd.GeoDataFrame | None, str]:
    """(towns, notice): `geo.boundaries.load_towns()`; when that fails, the modelled towns and
    the failure as the notice; (None, notices) when neither loads."""
    import geo.boundaries as gb

    try:
        return gb.load_towns(), ""
    except gb.BoundaryError as exc:
        notice = str(exc)
    try:
        return gb.load_modelled_towns(), notice
    except (gb.BoundaryError, OSError) as exc:
        return None, f"{notice}; {exc}"


def towns_stamp() -> tuple[tuple[str, object], ...]:
    """The town boundary files with their modification times (a cache key for
    `towns_with_fallback`); ``(("error", message),)`` when the configuration is broken."""
    import geo.boundaries as gb

    try:
        official = gb.official_towns_path()
    except gb.BoundaryError as exc:
        return (("error", str(exc)),)
    paths = [gb.TOWNS_PATH] + ([official] if official else [])
    return tuple((str(p), _mtime(Path(p))) for p in paths)
