"""我的镇街项目 / Record an update: a signed-in account's projects sorted by what needs
attention, one project's current state, the update form with a map to place the location,
and the project's history.

The page only mirrors permissions (the form is shown when `tracking.auth.can_edit` says so);
the library decides on every write (`tracking.events.record_update` re-reads the account from
the database). The account comes from the session token only (`ui.account`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit_folium import st_folium

from geo.i18n import I18n
from layers.basemaps import get_basemap
from layers.map import build_map
from tracking import auth, events
from tracking.baseline import Baseline
from ui import data
from ui.account import current_account
from ui.auth_page import sign_out_button, translator, who
from ui.draw import MISSING_NOTE, draw_available, line_and_polygon_tool
from ui.history import event_row, history_rows
from ui.text import md_text

DONE_STAGES = ("done", "cancelled")
BASED_ON = "gy_pr_based_on"   # {project id: the version the user's edit is based on}
POINT = "gy_pr_point"         # {project id: (lon, lat) clicked or a GeoJSON geometry drawn}
NOTICE = "gy_pr_notice"       # a message to show after a rerun
GEN = "gy_pr_gen"             # {project id: number of the form's widget keys}


def my_projects(projects: gpd.GeoDataFrame, account: auth.Account) -> gpd.GeoDataFrame:
    """Planners and viewers: every project; town officials: those in one of their towns."""
    if account.role != "town_official":
        return projects
    towns = projects["towns_all"].fillna("").astype(str).str.split(";")
    return projects[towns.map(lambda ts: bool(account.towns & {t.strip() for t in ts if t}))]


def may_edit(account: auth.Account, base: Baseline, pid: str) -> bool:
    """Whether to show the update form (a mirror of the library's rule, for the page only:
    `tracking.events.record_update` decides)."""
    return pid in base and auth.can_edit(account, base.towns_of(pid))


def attention_table(projects: pd.DataFrame, since: date, today: date,
                    stages: pd.Series) -> pd.DataFrame:
    """The projects with ``overdue`` (planned completion passed and not done or dropped) and
    ``stale`` (no update since `since`), most urgent first (overdue, then stale, then the
    oldest update)."""
    out = pd.DataFrame(index=projects["id"].astype(str).to_numpy())
    out["title"] = projects["title_zh"].to_numpy()
    out["towns"] = projects["towns_all"].fillna("").astype(str).str.replace(";", "、").to_numpy()
    out["status"] = projects["status"].to_numpy()
    out["status_as_of"] = projects["status_as_of"].to_numpy()
    planned = (projects["planned_completion"] if "planned_completion" in projects
               else pd.Series(None, index=projects.index))
    out["planned_completion"] = planned.to_numpy()
    updated = (pd.to_datetime(projects["updated_at"]) if "updated_at" in projects
               else pd.Series(pd.NaT, index=projects.index))
    out["updated_at"] = updated.to_numpy()
    stage = out["status"].map(stages).fillna("")
    planned_d = pd.to_datetime(out["planned_completion"], errors="coerce")
    out["overdue"] = (planned_d < pd.Timestamp(today)).to_numpy() & ~stage.isin(
        DONE_STAGES).to_numpy()
    upd = pd.to_datetime(out["updated_at"])
    # updated_at is UTC; the chosen day starts at 00:00 in 高要 (UTC+8)
    out["stale"] = (upd.isna() | (upd < pd.Timestamp(since) - pd.Timedelta(hours=8))
                    ).to_numpy()
    out = out.sort_values(["overdue", "stale", "updated_at"], ascending=[False, False, True],
                          kind="stable", na_position="first")
    return out


def shown_table(table: pd.DataFrame, labels: pd.Series, tr: I18n) -> pd.DataFrame:
    reasons = [
        "；".join(r for r, on in ((tr("progress.overdue"), o), (tr("progress.stale"), s)) if on)
        for o, s in zip(table["overdue"], table["stale"], strict=True)]
    return pd.DataFrame({
        "编号": table.index, "项目": table["title"], "镇街": table["towns"],
        "状态": table["status"].map(labels).fillna(table["status"]),
        "状态日期": table["status_as_of"].fillna(""),
        "计划完成": table["planned_completion"].fillna(""),
        "最后更新": table["updated_at"].map(
            lambda t: "" if pd.isna(t) else (t + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")),
        tr("progress.attention"): reasons,
    })


def progress_page() -> None:
    tr = translator()
    account = current_account()
    if account is None:  # not registered for anonymous/kiosk; a stale token lands here
        st.warning(tr("auth.need"))
        st.stop()
    engine, base = data.tracking_engine(), data.baseline()
    assert engine is not None
    codelists = data.codelists_cached()
    loaded = data.load_all()
    projects = loaded.projects
    head, out = st.columns([5, 1])
    head.title(tr("progress.page"))
    head.caption(tr("auth.signed_in", who=md_text(who(account))))
    with out:
        sign_out_button(tr, key="w_pr_signout")
    if NOTICE in st.session_state:
        st.success(st.session_state.pop(NOTICE))
    mine = my_projects(projects, account)
    today = date.today()
    since = st.date_input(tr("progress.since"), value=today - timedelta(days=90),
                          key="w_pr_since")
    table = attention_table(mine, since or today, today, codelists.status["stage"])
    labels = codelists.status["label_zh"]
    st.dataframe(shown_table(table, labels, tr), hide_index=True, width="stretch", height=280)
    if not len(table):
        st.info(tr("progress.none"))
        return
    ids = list(table.index)
    if st.session_state.get("w_pr_pid") not in ids:
        st.session_state["w_pr_pid"] = ids[0]
    pid = st.selectbox(tr("progress.project"), ids, key="w_pr_pid",
                       format_func=lambda i: f"{table.at[i, 'title']!s} · {i!s}")
    row = projects[projects["id"].astype(str) == pid].iloc[0]
    project_panel(engine, base, account, loaded, row, tr)


def current_summary(row: pd.Series, labels: pd.Series) -> pd.DataFrame:
    def val(c: str) -> Any:
        v = row.get(c)
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else v

    items = [("状态", f"{labels.get(row['status'], row['status'])} ({row['status']})"),
             ("状态日期", val("status_as_of")), ("进度", f"{val('progress_pct')}% "
                                                 f"{val('progress_text')}".strip(" %")),
             ("开工", val("start_date")), ("计划完成", val("planned_completion")),
             ("实际完成", val("actual_completion")),
             ("投资", f"{val('investment_amount')} {val('investment_currency')} "
                      f"{val('investment_source')}".strip()),
             ("位置精度", val("precision")), ("版本", val("version"))]
    return pd.DataFrame(items, columns=["项", "值"]).astype(str)


def project_panel(engine: Engine, base: Baseline, account: auth.Account,
                  loaded: data.MapData, row: pd.Series, tr: I18n) -> None:
    pid = str(row["id"])
    labels = data.codelists_cached().status["label_zh"]
    st.subheader(md_text(f"{row['title_zh']} · {pid}"))
    st.caption(md_text(f"{row.get('plan_ref', '')}：{row.get('evidence', '')}"))
    st.markdown(f"**{tr('progress.current')}**")
    st.dataframe(current_summary(row, labels), hide_index=True)
    editable = may_edit(account, base, pid)
    if not editable:
        st.info(tr("progress.readonly"))
    else:
        st.session_state.setdefault(BASED_ON, {})
        st.session_state[BASED_ON].setdefault(pid, events.project_version(engine, pid))
        st.markdown(f"### {tr('progress.record')}")
        location_picker(loaded, row, pid, tr)
        update_form(engine, base, pid, tr)
    st.markdown(f"### {tr('progress.history')}")
    hist = history_rows(engine, pid, {str(k): v for k, v in row.items()},
                        {str(k): str(v) for k, v in labels.items()})
    st.table(pd.DataFrame(hist).rename(columns={
        "version": "版本", "when": "时间", "who": "填报人", "what": "内容", "changed": "组",
        "note": "说明", "source": "依据"}).set_index("版本"))


def location_picker(loaded: data.MapData, row: pd.Series, pid: str, tr: I18n) -> None:
    """A map of the district with the project; a click places a preview point (saved with
    the form, WGS84, precision 1 or 2, method official_placement)."""
    st.caption(tr("progress.place"))
    basemap = get_basemap("none")
    fmap = build_map(loaded.district, loaded.towns, loaded.river, data.codelists_cached(), tr,
                     basemap)
    fg = folium.FeatureGroup(name="project")
    geom = row.geometry
    if geom is not None and not geom.is_empty:
        folium.GeoJson(geom.__geo_interface__, name="current",
                       style_function=lambda _f: {"color": "#1f4e79", "weight": 4,
                                                  "fillOpacity": 0.2},
                       marker=folium.CircleMarker(radius=7, color="#1f4e79", fill=True)
                       ).add_to(fg)
    points = st.session_state.setdefault(POINT, {})
    point = points.get(pid)
    if isinstance(point, tuple):
        folium.CircleMarker([point[1], point[0]], radius=10, color="#d62728", weight=3,
                            fill=True, fill_opacity=0.6, tooltip=tr("progress.point")
                            ).add_to(fg)
    elif isinstance(point, dict):
        folium.GeoJson(point, style_function=lambda _f: {"color": "#d62728", "weight": 5,
                                                          "fillOpacity": 0.3},
                       tooltip=tr("progress.point")).add_to(fg)
    if draw_available():
        line_and_polygon_tool().add_to(fmap)
    else:
        st.caption(MISSING_NOTE)
    center = None
    if geom is not None and not geom.is_empty:
        c = geom.centroid
        center = [c.y, c.x]
    out = st_folium(fmap, key=f"w_pr_map_{pid}", height=420, use_container_width=True,
                    returned_objects=["last_clicked", "last_active_drawing"],
                    feature_group_to_add=[fg], center=center, zoom=13 if center else None)
    out = out or {}
    clicked = out.get("last_clicked")
    if clicked and "lng" in clicked and "lat" in clicked:
        new = (round(float(clicked["lng"]), 6), round(float(clicked["lat"]), 6))
        if st.session_state.get(f"gy_pr_last_click_{pid}") != new:
            st.session_state[f"gy_pr_last_click_{pid}"] = new
            points[pid] = new
            st.rerun()
    drawn = (out.get("last_active_drawing") or {}).get("geometry")
    if (isinstance(drawn, dict) and drawn.get("type") in ("LineString", "Polygon")
            and st.session_state.get(f"gy_pr_last_drawing_{pid}") != drawn):
        st.session_state[f"gy_pr_last_drawing_{pid}"] = drawn
        points[pid] = drawn
        st.rerun()
    if point is not None:
        c1, c2, c3 = st.columns([2, 2, 1])
        c1.markdown(f"{tr('progress.point')}：`{location_wkt(point)[:120]}`")  # numbers only
        c2.radio(tr("progress.precision"), [1, 2], key=f"w_pr_prec_{pid}", horizontal=True,
                 format_func=lambda p: "1 精确（街道级）" if p == 1 else "2 近似")
        if c3.button(tr("progress.clear_point"), key=f"w_pr_clear_{pid}"):
            points.pop(pid, None)
            st.rerun()


def location_wkt(location: tuple | dict) -> str:
    """A clicked point (lon, lat) or a drawn GeoJSON geometry as WKT (WGS84, 6 decimals)."""
    if isinstance(location, tuple):
        return f"POINT ({location[0]} {location[1]})"
    import shapely
    from shapely.geometry import shape

    return shapely.to_wkt(shape(location), rounding_precision=6)


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def update_form(engine: Engine, base: Baseline, pid: str, tr: I18n) -> None:
    codes = list(data.codelists_cached().status.index)
    labels = data.codelists_cached().status["label_zh"]
    # a new set of widget keys after each save gives an empty form
    k = f"w_pr_{pid}_{st.session_state.get(GEN, {}).get(pid, 0)}_"
    lo, hi = date(2000, 1, 1), date(2100, 12, 31)
    with st.form(f"w_pr_form_{pid}", clear_on_submit=False):
        c1, c2 = st.columns(2)
        status = c1.selectbox(tr("progress.status"), ["", *codes], key=k + "status",
                              format_func=lambda c: tr("progress.unchanged") if not c
                              else f"{labels.get(c, c)} · {c}")
        status_date = c2.date_input(tr("progress.status_date"), value=None, min_value=lo,
                                    max_value=hi, key=k + "status_date")
        c1, c2 = st.columns([3, 1])
        progress_text = c1.text_input(tr("progress.progress_text"), key=k + "ptext",
                                      max_chars=500)
        progress_pct = c2.number_input(tr("progress.progress_pct"), min_value=0.0,
                                       max_value=100.0, value=None, key=k + "ppct")
        c1, c2, c3 = st.columns(3)
        start = c1.date_input(tr("progress.start"), value=None, min_value=lo, max_value=hi,
                              key=k + "start")
        planned = c2.date_input(tr("progress.planned"), value=None, min_value=lo,
                                max_value=hi, key=k + "planned")
        actual = c3.date_input(tr("progress.actual"), value=None, min_value=lo, max_value=hi,
                               key=k + "actual")
        c1, c2, c3 = st.columns([2, 1, 2])
        amount = c1.number_input(tr("progress.inv_amount"), min_value=0.0, value=None,
                                 key=k + "amount")
        currency = c2.text_input(tr("progress.inv_currency"), value="CNY", key=k + "currency",
                                 max_chars=3)
        inv_source = c3.text_input(tr("progress.inv_source"), key=k + "inv_source",
                                   max_chars=200)
        note = st.text_area(tr("progress.note"), key=k + "note", max_chars=2000)
        c1, c2, c3 = st.columns([3, 1, 3])
        source_title = c1.text_input(tr("progress.source_title"), key=k + "src_title",
                                     max_chars=300)
        source_date = c2.date_input(tr("progress.source_date"), value=None, min_value=lo,
                                    max_value=hi, key=k + "src_date")
        source_ref = c3.text_input(tr("progress.source_ref"), key=k + "src_ref",
                                   max_chars=300)
        submitted = st.form_submit_button(tr("progress.save"), type="primary")
    if not submitted:
        return
    update: dict[str, Any] = {"note": note, "source_title": source_title,
                              "source_date": _d(source_date), "source_ref": source_ref}
    if status:
        update.update(status=status, status_date=_d(status_date))
    if progress_text or progress_pct is not None:
        update.update(progress_text=progress_text or None, progress_pct=progress_pct)
    for name, value in (("start_date", start), ("planned_completion", planned),
                        ("actual_completion", actual)):
        if value:
            update[name] = _d(value)
    if amount is not None:
        update.update(investment_amount=amount, investment_currency=currency,
                      investment_source=inv_source)
    point = st.session_state.get(POINT, {}).get(pid)
    if point is not None:
        update.update(location=location_wkt(point),
                      location_precision=int(st.session_state.get(f"w_pr_prec_{pid}", 1)),
                      location_method="official_placement")
    save(engine, base, pid, update, tr)


def save(engine: Engine, base: Baseline, pid: str, update: dict[str, Any], tr: I18n) -> None:
    """The only write: the account is re-derived from the session token now, and the library
    checks it again in the write transaction."""
    account = current_account()
    based_on = int(st.session_state.get(BASED_ON, {}).get(pid, 0))
    try:
        ev = events.record_update(engine, account, pid, update, based_on=based_on,
                                  baseline=base)
    except events.ValidationError as exc:
        st.error(tr("progress.invalid") + "\n" + "\n".join(
            f"- {md_text(f)}: {md_text(m)}" for f, m in exc.errors))
        return
    except events.PermissionDeniedError as exc:
        st.error(tr("progress.denied", msg=md_text(exc)))
        return
    except events.StaleWriteError as exc:
        st.warning(tr("progress.stale_write"))
        labels = data.codelists_cached().status["label_zh"].to_dict()
        names = {str(k): str(v) for k, v in labels.items()}
        st.dataframe(pd.DataFrame([event_row(e, names) for e in exc.newer]), hide_index=True)
        st.session_state[BASED_ON][pid] = exc.current_version
        return
    st.session_state[BASED_ON][pid] = ev.seq
    st.session_state.get(POINT, {}).pop(pid, None)
    st.session_state[NOTICE] = tr("progress.saved", v=ev.seq)
    gens = st.session_state.setdefault(GEN, {})
    for key in [k for k in st.session_state
                if str(k).startswith(f"w_pr_{pid}_{gens.get(pid, 0)}_")]:
        del st.session_state[key]
    gens[pid] = gens.get(pid, 0) + 1
    st.rerun()
