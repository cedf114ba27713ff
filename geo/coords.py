"""Coordinate precision: the one place where coordinates are rounded or snapped.

Coordinates are WGS84 degrees (EPSG:4326, lon/lat). 6 decimal places are about 0.1 m on the
ground, the precision of every stored file (built projects, boundaries, gazetteer).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: decimal places of stored coordinates (degrees; 1e-6 degree is about 0.1 m)
COORD_DECIMALS = 6

#: a GeoJSON coordinate array: a number or (nested) lists/tuples of numbers
Coords: TypeAlias = "float | int | list[Coords] | tuple[Coords, ...]"
RoundedCoords: TypeAlias = "float | list[RoundedCoords]"


def round_coords(value: Coords, ndigits: int = COORD_DECIMALS) -> RoundedCoords:
    """`value` (a number or a nested GeoJSON coordinate array, degrees) with every number
    rounded to `ndigits` decimal places (Python's ``round``); tuples become lists, ints
    floats."""
    if isinstance(value, list | tuple):
        return [round_coords(v, ndigits) for v in value]
    return round(float(value), ndigits)


def round_geometry(geom: BaseGeometry | None, ndigits: int = COORD_DECIMALS
                   ) -> BaseGeometry | None:
    """`geom` (degrees) with every coordinate rounded to `ndigits` decimal places (numpy
    rounding; None stays None). For display: validity is not restored (see `snap_to_grid`)."""
    if geom is None:
        return None
    return shapely.transform(geom, lambda xy: np.round(xy, ndigits))


def snap_to_grid(geom: BaseGeometry, ndigits: int = COORD_DECIMALS) -> BaseGeometry:
    """`geom` (degrees) snapped to the 10^-`ndigits` degree grid, kept valid (rounding
    alone can pinch a ring; shared edges snap identically, so neighbours stay edge-matched)."""
    return shapely.set_precision(geom, 10.0 ** -ndigits)
