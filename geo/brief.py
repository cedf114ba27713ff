"""One-page printable "town brief" (镇街简报): self-contained HTML, Chinese with English.

No scripts, no external resources (inline CSS only); every value from the data is escaped.
Input projects are those in or crossing the town (``geo.filtering.projects_in_town``), EPSG:4326.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from geo.codelists import Codelists
from geo.schema import split_list
from geo.stats import counts_by, key_figures


def _e(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def _label(df: pd.DataFrame, code: object, lang: str) -> str:
    try:
        return str(df.at[code, f"label_{lang}"])
    except KeyError:
        return str(code)


def _both(df: pd.DataFrame, code: object) -> str:
    return f"{_e(_label(df, code, 'zh'))} <span class=en>{_e(_label(df, code, 'en'))}</span>"


CSS = """
@page { size: A4; margin: 14mm; }
body { font: 11pt/1.4 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 17pt; margin: 0 0 2px; } h2 { font-size: 12.5pt; margin: 12px 0 4px; }
.en { color: #555; font-size: 0.88em; }
.note { border: 1px solid #d9a400; background: #fff8e1; padding: 4px 8px; font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid #bbb; padding: 2px 4px; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
.figs td { border: 0; padding: 1px 10px 1px 0; }
.small { font-size: 8.5pt; color: #555; }
@media print { .noprint { display: none; } }
"""


def town_brief_html(
    town: Mapping,
    projects: pd.DataFrame,
    codelists: Codelists,
    generated_on: str,
    source_note: str = "",
) -> str:
    """The brief for `town` (``code``, ``name_zh``, ``name_en``, ``boundary_source``) listing
    `projects` (those in or crossing it). Returns a complete HTML document (UTF-8)."""
    name_zh, name_en = str(town.get("name_zh", "")), str(town.get("name_en", ""))
    modelled = str(town.get("boundary_source", "modelled")) != "official"
    figs = key_figures(projects) if len(projects) else key_figures(projects.iloc[0:0])
    by_cat = counts_by(projects, "category", list(codelists.categories.index))
    by_status = counts_by(projects, "status", list(codelists.status.index))

    def count_rows(counts: dict, df: pd.DataFrame) -> str:
        return "".join(f"<tr><td>{_both(df, k)}</td><td>{v}</td></tr>" for k, v in counts.items())

    rows = []
    ordered = projects.sort_values(["category", "id"]) if len(projects) else projects
    for _, p in ordered.iterrows():
        prec = int(p.get("precision", 9))
        towns_all = split_list(p.get("towns_all"))
        crossing = len(towns_all) > 1
        rows.append(
            "<tr>"
            f"<td>{_e(p.get('title_zh'))}<br><span class=en>{_e(p.get('title_en'))}</span></td>"
            f"<td>{_both(codelists.categories, p.get('category'))}</td>"
            f"<td>{_both(codelists.status, p.get('status'))}"
            f"<br><span class=small>{_e(p.get('status_as_of'))}</span></td>"
            f"<td>{prec} {_both(codelists.precision, prec)}</td>"
            f"<td>{_e('、'.join(towns_all))}{' (跨镇街 crosses)' if crossing else ''}</td>"
            f"<td>{_e(p.get('plan_ref'))}<br><span class=small>「{_e(p.get('evidence'))}」"
            "</span></td></tr>"
        )
    note = (
        "<p class=note>镇街边界为模拟边界(非官方),仅供示意。"
        "<span class=en>Town outline is MODELLED, not official; for orientation only.</span></p>"
        if modelled else ""
    )
    km = figs["km_roads"] + figs["km_railway"]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{_e(name_zh)} 镇街简报 / {_e(name_en)} town brief</title>
<style>{CSS}</style></head><body>
<h1>{_e(name_zh)} · “十四五”规划项目简报</h1>
<div class=en>{_e(name_en)} · projects of the 14th Five-Year Plan of Gaoyao District</div>
{note}
<h2>概况 <span class=en>Key figures</span></h2>
<table class=figs>
<tr><td>项目数 <span class=en>projects in or crossing the town</span></td>
<td><b>{figs['projects']}</b></td></tr>
<tr><td>道路/铁路图上长度 <span class=en>drawn road + rail length</span></td>
<td>{km:,.1f} km</td></tr>
<tr><td>泊位 <span class=en>berths</span></td><td>{figs['berths']}
({figs['berth_dwt_total']:,.0f} DWT)</td></tr>
</table>
<h2>按类别 <span class=en>By category</span></h2>
<table><tr><th>类别 Category</th><th>数量 N</th></tr>{count_rows(by_cat, codelists.categories)}
</table>
<h2>按状态 <span class=en>By status</span></h2>
<table><tr><th>状态 Status</th><th>数量 N</th></tr>{count_rows(by_status, codelists.status)}
</table>
<h2>项目清单 <span class=en>Projects</span></h2>
<table><tr><th>项目 Project</th><th>类别 Category</th><th>状态 Status</th>
<th>位置精度 Precision</th><th>镇街 Towns</th><th>出处 Plan reference</th></tr>
{''.join(rows) or '<tr><td colspan=6>无 None</td></tr>'}
</table>
<p class=small>生成日期 Generated {_e(generated_on)}. {_e(source_note)}
位置精度≥2的项目为大致位置。<span class=en>Projects with precision ≥ 2 are placed
approximately.</span></p>
</body></html>
"""
