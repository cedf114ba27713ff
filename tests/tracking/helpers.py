"""Shared by the tracking tests and their subprocess writers (no pytest import)."""

from __future__ import annotations

from tracking.baseline import Baseline

BASELINE_RECORDS = [
    {"id": "p-jinli", "status": "identification", "status_as_of": "2021-12",
     "towns_all": "金利镇", "precision": 3, "geocode_method": "town"},
    {"id": "p-xiaoxiang", "status": "preparation", "status_as_of": "2021-12",
     "towns_all": "小湘镇", "precision": 3, "geocode_method": "town"},
    {"id": "p-both", "status": "implementation", "status_as_of": "2021-12",
     "towns_all": "金利镇;小湘镇", "precision": 5, "geocode_method": "range"},
    {"id": "p-district", "status": "preparation", "status_as_of": "2021-12",
     "towns_all": "", "precision": 4, "geocode_method": "district"},
]
PASSWORD = "correct horse battery staple"


def baseline() -> Baseline:
    return Baseline.from_records(BASELINE_RECORDS)


def source(**kw: object) -> dict:
    """A valid update's required part, plus `kw`."""
    return {"note": "weekly report", "source_title": "高要区发改局 项目进度月报",
            "source_date": "2024-12-20", "source_ref": "档案 2025-03 第12号", **kw}
