"""A project's timeline: the plan baseline, then every recorded update (who, when, what,
source). `history_rows` is plain data, for this app's progress page and the project card."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import Engine

from geo.oc4ids import PLAN_TITLE
from tracking import events
from tracking.models import GROUPS

DISTRICT_TZ = timedelta(hours=8)
ROLE_ZH = {"planner": "规划人员", "town_official": "镇街人员", "viewer": "只读"}
#: what an update changed (`tracking.models.GROUPS`), as the history table says it
GROUP_ZH = {"status": "状态", "progress": "进度", "start": "开工", "planned": "计划完成",
            "actual": "实际完成", "investment": "投资", "location": "位置"}
GROUP_ZH = {"status": "状态", "progress": "进度", "start": "开工", "planned": "计划完成",
            "actual": "实际完成", "investment": "投资", "location": "位置"}


def local_time(moment: Any) -> str:
    """A naive-UTC recording time as 'YYYY-MM-DD HH:MM' in 高要 (UTC+8)."""
    if moment is None:
        return ""
    if getattr(moment, "tzinfo", None) is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment + DISTRICT_TZ).strftime("%Y-%m-%d %H:%M")


def describe(ev: events.EventRecord, status_labels: Mapping[str, str] | None = None) -> str:
    """What an event changed, in words ('；'-separated)."""
    labels = status_labels or {}
    parts: list[str] = []
    if ev.status:
        parts.append(f"状态 {labels.get(ev.status, ev.status)} ({ev.status})，自 {ev.status_date}")
    if ev.progress_text or ev.progress_pct is not None:
        pct = "" if ev.progress_pct is None else f" {float(ev.progress_pct):g}%"
        parts.append(f"进度{pct} {ev.progress_text or ''}".strip())
    if ev.start_date:
        parts.append(f"开工 {ev.start_date}")
    if ev.planned_completion:
        parts.append(f"计划完成 {ev.planned_completion}")
    if ev.actual_completion:
        parts.append(f"实际完成 {ev.actual_completion}")
    if ev.investment_amount is not None:
        parts.append(f"投资 {ev.investment_amount} {ev.investment_currency or ''}"
                     f"（{ev.investment_source or ''}）")
    if ev.location_wkt:
        parts.append(f"位置 {ev.location_wkt[:60]} (精度 {ev.location_precision})")
    if ev.corrects_id:
        parts.append(f"更正第 {ev.corrects_id} 号记录")
    return "；".join(parts)


def event_row(ev: events.EventRecord, status_labels: Mapping[str, str] | None = None
              ) -> dict[str, Any]:
    who = f"{ev.username}（{ROLE_ZH.get(ev.role, ev.role)}" + (
        f"，{ev.account_towns.replace(';', '、')}" if ev.account_towns else "") + "）"
    return {
        "version": ev.seq,
        "when": local_time(ev.recorded_at),
        "who": who,
        "what": describe(ev, status_labels),
        "changed": "、".join(GROUP_ZH.get(g, g) for g in ev.groups if g in GROUPS),
        "note": ev.note,
        "source": f"{ev.source_title}（{ev.source_date}）{ev.source_ref}",
    }


def history_rows(engine: Engine, pid: str, project: Mapping[str, Any] | None = None,
                 status_labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The timeline of project `pid`, oldest first: one row for the plan baseline (from
    `project`, the registry's properties, when given), then one per recorded event. Each row:
    ``version`` (0 = plan), ``when``, ``who``, ``what``, ``changed`` (groups), ``note``,
    ``source``. Times are 高要 local time (UTC+8)."""
    p = dict(project or {})
    labels = status_labels or {}
    status = str(p.get("status") or "")
    plan = {
        "version": 0,
        "when": str(p.get("status_as_of") or ""),
        "who": "规划基线（十四五规划）",
        "what": (f"状态 {labels.get(status, status)} ({status})" if status else "规划项目"),
        "changed": "",
        "note": str(p.get("evidence") or ""),
        "source": f"{PLAN_TITLE} {p.get('plan_ref') or ''}".strip(),
    }
    return [plan, *(event_row(ev, labels) for ev in events.history(engine, pid))]
