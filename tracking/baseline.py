"""The baseline: the plan registry as built (``data/projects.geojson``), read-only.

Tracking never writes it. It supplies which project ids exist, their towns (for permissions)
and the starting values (status, status_as_of, geometry, precision) that events override.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.paths import PROJECTS_GEOJSON

DEFAULT_GEOJSON = PROJECTS_GEOJSON
#: baseline columns carried into the state frames
COLUMNS = ("status", "status_as_of", "precision", "geocode_method")


def _towns(props: dict) -> tuple[str, ...]:
    names: list[str] = []
    for key in ("towns_all", "towns"):
        for t in str(props.get(key) or "").split(";"):
            t = t.strip()
            if t and t not in names:
                names.append(t)
    return tuple(names)


@dataclass(frozen=True)
class Baseline:
    """``frame``: one row per project, index ``id``, columns ``status``, ``status_as_of``,
    ``precision``, ``geocode_method``, ``towns`` (tuple of town names)."""

    frame: pd.DataFrame
    _towns: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_records(cls, records: list[dict]) -> Baseline:
        """From dicts with at least ``id``; ``towns``/``towns_all`` as ``;``-joined names."""
        rows = []
        for r in records:
            row = {c: r.get(c) for c in COLUMNS}
            row["id"] = str(r["id"])
            row["towns"] = _towns(r)
            rows.append(row)
        frame = pd.DataFrame(rows, columns=["id", *COLUMNS, "towns"]).set_index("id")
        return cls(frame, dict(zip(frame.index, frame["towns"], strict=True)))

    def __contains__(self, project_id: object) -> bool:
        return project_id in self._towns

    def towns_of(self, project_id: str) -> tuple[str, ...]:
        return self._towns[project_id]

    @property
    def ids(self) -> pd.Index:
        return self.frame.index


def load_baseline(path: Path | str = DEFAULT_GEOJSON) -> Baseline:
    """The built registry's projects (ids, towns, status) from `path`."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return Baseline.from_records([f["properties"] for f in data["features"]])
