"""规划实施评估 / Plan implementation review: the whole plan's outcome by group (category),
town and status -- completed / under way / not started / dropped -- with the evidence for
each project (the plan's words and the latest update's source), as a table and as CSV, HTML
and OC4IDS (extension ``x_gaoyaoProgress``, docs/tracking.md) downloads."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine, func, select

from geo.escape import esc
from geo.export import csv_safe
from geo.oc4ids import export_records
from tracking import events as tev
from tracking.models import events as events_table
from ui import data
from ui.auth_page import translator
from ui.history import local_time

#: codelist stage -> outcome of the review
OUTCOME = {"done": "completed", "active": "under_way", "proposed": "not_started",
           "cancelled": "dropped"}
OUTCOME_ZH = {"completed": "已完成", "under_way": "实施中", "not_started": "未开工",
              "dropped": "已取消"}
OUTCOMES = tuple(OUTCOME_ZH)


def latest_events(engine: Engine) -> dict[str, tev.EventRecord]:
    """Each project's newest event (one query)."""
    newest = select(func.max(events_table.c.id)).group_by(events_table.c.project_id)
    with engine.connect() as conn:
        rows = conn.execute(select(events_table).where(events_table.c.id.in_(newest))
                            ).mappings().all()
    return {r["project_id"]: tev.EventRecord.from_row(r) for r in rows}


def review_frame(projects: gpd.GeoDataFrame, stages: pd.Series, labels: pd.Series,
                 category_labels: pd.Series, latest: dict[str, tev.EventRecord]
                 ) -> pd.DataFrame:
    """One row per project: id, title, group, towns, status, outcome, plan evidence and the
    latest update's source."""
    rows = []
    for p in projects.itertuples(index=False):
        ev = latest.get(str(p.id))
        status = str(p.status)
        outcome = OUTCOME.get(str(stages.get(status, "")), "not_started")
        rows.append({
            "id": p.id, "title": p.title_zh, "group": category_labels.get(p.category, p.category),
            "towns": str(p.towns_all or "").replace(";", "、") or "全区",
            "status": f"{labels.get(status, status)} ({status})",
            "status_as_of": p.status_as_of, "outcome": OUTCOME_ZH[outcome],
            "plan_evidence": f"{p.plan_ref}：{p.evidence}",
            "latest_update": "" if ev is None else local_time(ev.recorded_at),
            "latest_source": "" if ev is None else
            f"{ev.source_title}（{ev.source_date}）{ev.source_ref}",
            "latest_note": "" if ev is None else ev.note,
        })
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts of each outcome by `by` (group, towns exploded, or status) with a total."""
    f = frame.assign(**{by: frame[by].str.split("、")}).explode(by) if by == "towns" else frame
    table = pd.crosstab(f[by], f["outcome"]).reindex(columns=list(OUTCOME_ZH.values()),
                                                      fill_value=0)
    table["合计"] = table.sum(axis=1)
    table.index.name = {"group": "类别", "towns": "镇街", "status": "状态"}.get(by, by)
    table.columns.name = None
    return table


COLUMNS_ZH = {"id": "编号", "title": "项目", "group": "类别", "towns": "镇街",
              "status": "当前状态", "status_as_of": "状态日期", "outcome": "实施结果",
              "plan_evidence": "规划依据（原文）", "latest_update": "最近更新",
              "latest_source": "最近更新依据", "latest_note": "最近更新说明"}


def to_csv(frame: pd.DataFrame) -> str:
    out = frame.rename(columns=COLUMNS_ZH)
    return out.map(csv_safe).to_csv(index=False)


def _html_table(df: pd.DataFrame, index: bool) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in ([df.index.name or ""] if index else [])
                   + list(df.columns))
    body = "".join(
        "<tr>" + (f"<th>{esc(i)}</th>" if index else "")
        + "".join(f"<td>{esc(v)}</td>" for v in r) + "</tr>"
        for i, r in zip(df.index, df.itertuples(index=False), strict=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(frame: pd.DataFrame, today: date) -> str:
    """A static page (no scripts, CSP default-src 'none'), every value escaped."""
    parts = [f"<h2>{esc(t)}</h2>{_html_table(summary(frame, by), True)}"
             for t, by in (("按类别", "group"), ("按镇街", "towns"), ("按状态", "status"))]
    return (
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\"><title>高要区“十四五”规划实施评估</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #999;padding:3px 6px;font-size:13px;vertical-align:top}"
        "</style></head><body><h1>高要区“十四五”规划实施评估</h1>"
        f"<p>截至 {esc(today.isoformat())}：规划基线 + 已记录的进度更新。</p>"
        + "".join(parts)
        + f"<h2>逐项证据</h2>{_html_table(frame.rename(columns=COLUMNS_ZH), False)}"
        "</body></html>")


def oc4ids_package(projects: gpd.GeoDataFrame, engine: Engine) -> dict[str, Any]:
    """OC4IDS records of the projects in their current state, each with the extension
    ``x_gaoyaoProgress``: ``currentStatus``, ``statusDate``, ``version`` and ``updates``
    (every event, oldest first, as in `tracking.events.EventRecord.to_dict` without the
    account id)."""
    cols = [c for c in projects.columns if c not in (
        "progress_text", "progress_pct", "start_date", "planned_completion",
        "actual_completion", "investment_amount", "investment_currency", "investment_source",
        "location_wkt", "location_precision", "location_method", "updated_at",
        "status_changed", "n_events", "version")]
    package = export_records(projects[cols])
    with engine.connect() as conn:
        rows = conn.execute(select(events_table).order_by(events_table.c.project_id,
                                                          events_table.c.seq)).mappings().all()
    by_pid: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        d = tev.EventRecord.from_row(r).to_dict()
        d.pop("account_id", None)
        by_pid.setdefault(r["project_id"], []).append(d)
    state = projects.set_index("id")
    for rec in package["projects"]:
        pid = rec["x_gaoyaoPlanMap"]["recordId"]
        s = state.loc[pid]
        rec["x_gaoyaoProgress"] = {
            "currentStatus": s["status"],
            "statusDate": None if pd.isna(s["status_as_of"]) else str(s["status_as_of"]),
            "version": int(s["version"]) if "version" in s and pd.notna(s["version"]) else 0,
            "updates": by_pid.get(pid, []),
        }
    return package


def review_page() -> None:
    tr = translator()
    st.title(tr("review.title"))
    engine = data.tracking_engine()
    codelists = data.codelists_cached()
    projects = data.current_projects()
    latest = latest_events(engine) if engine is not None else {}
    frame = review_frame(projects, codelists.status["stage"], codelists.status["label_zh"],
                         codelists.categories["label_zh"], latest)
    c = st.columns(4)
    for col, name in zip(c, OUTCOME_ZH.values(), strict=True):
        col.metric(name, int((frame["outcome"] == name).sum()))
    tabs = st.tabs([tr("review.by_group"), tr("review.by_town"), tr("review.by_status"),
                    tr("review.projects")])
    for tab, by in zip(tabs[:3], ("group", "towns", "status"), strict=True):
        tab.dataframe(summary(frame, by), width="stretch")
    tabs[3].dataframe(frame.rename(columns=COLUMNS_ZH), hide_index=True, width="stretch")
    today = date.today()
    d1, d2, d3 = st.columns(3)
    d1.download_button(tr("review.csv"), to_csv(frame).encode("utf-8-sig"),
                       file_name=f"gaoyao-plan-review-{today}.csv", mime="text/csv",
                       key="w_rv_csv")
    d2.download_button(tr("review.html"), to_html(frame, today).encode("utf-8"),
                       file_name=f"gaoyao-plan-review-{today}.html", mime="text/html",
                       key="w_rv_html")
    if engine is not None:
        d3.download_button(tr("review.oc4ids"), json.dumps(
            oc4ids_package(projects, engine), ensure_ascii=False, default=str).encode("utf-8"),
            file_name=f"gaoyao-plan-review-{today}.oc4ids.json", mime="application/json",
            key="w_rv_oc4ids")
