"""The progress pages under Streamlit's AppTest, on the committed registry and a temporary
SQLite tracking database: sign-in, who sees which page, the update form, stale writes,
crafted session state, kiosk mode, the map's current state and the review page."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.app_test import calc_hash

from geo.paths import REPO_ROOT
from tests.tracking.helpers import PASSWORD
from tracking import auth, events, migrate
from tracking.baseline import load_baseline
from tracking.db import make_engine

APP = str(REPO_ROOT / "streamlit_app.py")
JINLI = "commercial-jinli-new-era-plaza"            # 金利镇 only
XIAOXIANG = "hw-zhaoqing-gaoming-expressway"        # 小湘镇 and others, not 金利镇


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    monkeypatch.setenv("GAOYAO_DATABASE_URL", url)
    for name in ("GAOYAO_KIOSK", "TIANDITU_KEY", "GAOYAO_OFFICIAL_TOWNS", "GAOYAO_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    eng = make_engine(url)
    migrate.upgrade(eng)
    auth.create_account(eng, "jinli.official", PASSWORD, "town_official", ["金利镇"])
    auth.create_account(eng, "wang.planner", PASSWORD, "planner")
    yield eng
    eng.dispose()


def new_app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def paths(at: AppTest) -> set[str]:
    """The url paths of the pages registered in the last run (the default page is "map")."""
    return {str(i.get("url_pathname") or "map") for i in at._registered_pages.values()}


def go(at: AppTest, url_path: str) -> AppTest:
    """Open the page registered (or not) under `url_path`, as a browser asking for it."""
    at._page_hash = calc_hash(url_path)
    return at.run()


def signed_in(db, username: str = "jinli.official", **params: str) -> AppTest:
    at = new_app(**params)
    at.session_state["gy_token"] = auth.login(db, username, PASSWORD).token
    return at.run()


def fill_required(at: AppTest, pid: str, note: str = "月报：已竣工") -> None:
    k = f"w_pr_{pid}_0_"
    at.text_area(key=k + "note").input(note)
    at.text_input(key=k + "src_title").input("高要区发改局 项目进度月报")
    at.date_input(key=k + "src_date").set_value(date(2025, 1, 10))
    at.text_input(key=k + "src_ref").input("档案 2025-01 第3号")


def save_button(at: AppTest):
    return next(b for b in at.button if b.label == "保存")


def test_anonymous_sees_map_and_sign_in_only(db):
    at = new_app().run()
    assert not at.exception
    assert paths(at) == {"map", "signin"}
    for hidden in ("progress", "review"):
        at = go(at, hidden)
        assert not at.exception
        assert at.title[0].value == "高要区“十四五”规划项目地图"   # the map, not the page
        assert not [b for b in at.button if b.label == "保存"]
        assert "w_pr_pid" not in at.session_state


def test_sign_in_form_wrong_password_throttle_and_sign_out(db):
    at = go(new_app().run(), "signin")
    assert at.title[0].value.startswith("登录")
    at.text_input(key="w_auth_user").input("jinli.official")
    at.text_input(key="w_auth_pw").input("wrong password 1")
    at.button[0].click().run()
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert "gy_token" not in at.session_state
    for _ in range(10):
        at.text_input(key="w_auth_pw").input("wrong password 1")
        at.button[0].click().run()
    assert any("秒后再试" in e.value for e in at.error)          # throttled, wait shown
    auth.login.__globals__  # noqa: B018 - the library decides; the page only shows it
    at2 = go(new_app().run(), "signin")
    at2.text_input(key="w_auth_user").input("wang.planner")
    at2.text_input(key="w_auth_pw").input(PASSWORD)
    at2.button[0].click().run()
    token = at2.session_state["gy_token"]
    assert auth.authenticate(db, token).username == "wang.planner"
    assert {"progress", "review", "signin"} <= paths(at2)
    assert token not in str(dict(at2.query_params))                # never in the URL
    at2 = go(at2, "signin")
    assert at2.title[0].value == "账户"                         # signed in: not 登录
    next(b for b in at2.button if b.label == "退出登录").click().run()
    assert "gy_token" not in at2.session_state
    assert auth.authenticate(db, token) is None                     # ended on the server
    assert paths(at2) == {"map", "signin"}


def test_official_sees_own_towns_sorted_and_cannot_reach_other_town(db):
    at = signed_in(db)
    # crafted before the page runs: a 小湘镇 project selected, a version and a point for it
    at.session_state["w_pr_pid"] = XIAOXIANG
    at.session_state["gy_pr_based_on"] = {XIAOXIANG: 0}
    at.session_state["gy_pr_point"] = {XIAOXIANG: (112.4, 23.0)}
    at = go(at, "progress")
    assert not at.exception
    assert at.title[0].value == "我的镇街项目"
    table = at.dataframe[0].value
    base = load_baseline()
    assert len(table) and all("金利镇" in base.towns_of(p) for p in table["编号"])
    assert XIAOXIANG not in set(table["编号"])
    assert at.selectbox(key="w_pr_pid").value == table["编号"].iloc[0] != XIAOXIANG
    assert not any(f"w_pr_{XIAOXIANG}_" in str(k) for k in at.session_state)
    save_button(at).click().run()          # the form shown is for the selected 金利镇 project
    assert events.project_version(db, XIAOXIANG) == 0
    # most urgent first: the table is sorted overdue, then no update since the date
    flags = table["需要关注"].tolist()
    assert flags == sorted(flags, key=lambda f: ("计划完成日期已过" not in f,
                                                 "此日期后无更新" not in f))


def test_disabled_account_loses_the_page_and_cannot_write(db):
    at = go(signed_in(db), "progress")
    at.selectbox(key="w_pr_pid").set_value(JINLI).run()
    fill_required(at, JINLI)
    auth.set_disabled(db, "jinli.official")          # an administrator disables the account
    save_button(at).click().run()
    assert not at.exception
    assert paths(at) == {"map", "signin"} and "gy_token" not in at.session_state
    assert events.project_version(db, JINLI) == 0


def test_library_refuses_even_if_the_page_offered_the_form(db, monkeypatch):
    """The page only mirrors permissions: with its mirror broken (a bug offering every
    project to a 金利镇 official), the write of a 小湘镇 project is still refused."""
    import ui.progress_page as pp

    monkeypatch.setattr(pp, "may_edit", lambda *a: True)
    monkeypatch.setattr(pp, "my_projects", lambda projects, account: projects)
    at = go(signed_in(db), "progress")
    at.selectbox(key="w_pr_pid").set_value(XIAOXIANG).run()
    k = f"w_pr_{XIAOXIANG}_0_"
    at.selectbox(key=k + "status").set_value("cancelled")
    at.date_input(key=k + "status_date").set_value(date(2025, 1, 5))
    fill_required(at, XIAOXIANG)
    save_button(at).click().run()
    assert any("没有权限" in e.value for e in at.error)
    assert events.project_version(db, XIAOXIANG) == 0


def test_record_update_through_the_form_and_history(db):
    at = go(signed_in(db), "progress")
    at.selectbox(key="w_pr_pid").set_value(JINLI).run()
    k = f"w_pr_{JINLI}_0_"
    at.session_state["gy_pr_point"] = {JINLI: (112.52, 23.02)}   # as a map click leaves it
    at.run()
    at.selectbox(key=k + "status").set_value("completion")
    at.date_input(key=k + "status_date").set_value(date(2025, 1, 5))
    at.text_area(key=k + "note").input("")                        # the note is required
    save_button(at).click().run()
    assert any("请更正" in e.value for e in at.error)
    assert events.project_version(db, JINLI) == 0
    fill_required(at, JINLI)
    save_button(at).click().run()
    assert not at.exception
    assert any("已保存" in s.value for s in at.success)
    (ev,) = events.history(db, JINLI)
    assert (ev.status, ev.username, ev.location_method) == (
        "completion", "jinli.official", "official_placement")
    assert ev.location_wkt == "POINT (112.52 23.02)" and ev.location_precision == 1
    hist = at.table[-1].value
    assert list(hist.index) == [0, 1]
    assert "完成" in hist["内容"].iloc[1] and "档案 2025-01 第3号" in hist["依据"].iloc[1]
    assert at.text_area(key=f"w_pr_{JINLI}_1_note").value == ""       # a fresh form
    # the map (and its table) now show the current state
    at = go(at, "map")
    at.multiselect(key="w_status").set_value(["completion"]).run()
    ids = {i for d in at.dataframe if "编号" in d.value.columns for i in d.value["编号"]}
    assert JINLI in ids


def test_stale_write_shows_other_change_and_keeps_input(db):
    at = go(signed_in(db), "progress")
    at.selectbox(key="w_pr_pid").set_value(JINLI).run()
    k = f"w_pr_{JINLI}_0_"
    at.text_input(key=k + "ptext").input("主体结构完成")
    fill_required(at, JINLI, note="我的填报")
    planner = auth.authenticate(db, auth.login(db, "wang.planner", PASSWORD).token)
    events.record_update(db, planner, JINLI, {
        "note": "规划局更新", "source_title": "文件", "source_date": "2025-01-02",
        "source_ref": "档案 1", "progress_pct": 40}, based_on=0, baseline=load_baseline())
    save_button(at).click().run()
    assert any("其他人更新" in w.value for w in at.warning)
    assert any("wang.planner" in str(d.value.to_dict()) for d in at.dataframe)
    assert at.text_area(key=k + "note").value == "我的填报"          # input kept
    assert events.project_version(db, JINLI) == 1
    save_button(at).click().run()                                    # re-applied
    assert events.project_version(db, JINLI) == 2
    assert events.history(db, JINLI)[-1].note == "我的填报"


def test_crafted_session_state_cannot_write(db):
    planner = auth.authenticate(db, auth.login(db, "wang.planner", PASSWORD).token)
    at = new_app()
    at.session_state["gy_account"] = planner         # an account object: ignored
    at.session_state["account"] = planner
    at.session_state["gy_token"] = "forged-token"     # not a session: dropped
    at = go(at.run(), "progress")
    assert paths(at) == {"map", "signin"}
    assert "gy_token" not in at.session_state
    assert not [b for b in at.button if b.label == "保存"]
    forged = auth.Account(id=999, username="wang.planner", role="planner",
                          towns=frozenset())
    for who in (None, forged):                          # and the library refuses anyway
        with pytest.raises(events.PermissionDeniedError):
            events.record_update(db, who, JINLI, {
                "note": "x", "source_title": "x", "source_date": "2025-01-01",
                "source_ref": "x", "progress_pct": 10}, based_on=0, baseline=load_baseline())


@pytest.mark.parametrize("how", ["url", "env"])
def test_kiosk_has_no_sign_in_and_no_editing(db, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("GAOYAO_KIOSK", "1")
    params = {"mode": "kiosk"} if how == "url" else {}
    at = signed_in(db, "wang.planner", **params)      # even with a valid token
    assert not at.exception
    assert paths(at) == {"map"}
    for hidden in ("signin", "progress", "review"):
        at = go(at, hidden)
        assert not at.exception
        assert [b for b in at.button if b.key == "k_home"]  # the kiosk's own map page
        assert not at.text_input(key="w_auth_pw") if "w_auth_pw" in at.session_state else True
        assert not [b for b in at.button if b.label in ("保存", "登录", "退出登录")]
    assert "w_asof" not in at.session_state


def test_review_page_counts_and_downloads(db):
    planner = auth.authenticate(db, auth.login(db, "wang.planner", PASSWORD).token)
    events.record_update(db, planner, JINLI, {
        "note": "竣工验收", "source_title": "验收报告", "source_date": "2025-01-02",
        "source_ref": "<b>档案</b> 9", "status": "cancelled", "status_date": "2025-01-02"},
        based_on=0, baseline=load_baseline())
    at = go(signed_in(db, "wang.planner"), "review")
    assert not at.exception
    assert at.title[0].value == "规划实施评估"
    counts = {m.label: int(m.value) for m in at.metric}
    assert sum(counts.values()) == len(load_baseline().ids)
    assert counts["已取消"] >= 1
    rows = at.dataframe[-1].value
    row = rows[rows["编号"] == JINLI].iloc[0]
    assert row["实施结果"] == "已取消" and "<b>档案</b> 9" in row["最近更新依据"]


def test_as_of_date_shows_the_past_state(db):
    planner = auth.authenticate(db, auth.login(db, "wang.planner", PASSWORD).token)
    events.record_update(db, planner, JINLI, {
        "note": "取消", "source_title": "文件", "source_date": "2025-01-02",
        "source_ref": "档案 9", "status": "cancelled", "status_date": "2025-01-02"},
        based_on=0, baseline=load_baseline())
    at = new_app().run()
    at.multiselect(key="w_status").set_value(["cancelled"]).run()
    now = {i for d in at.dataframe if "编号" in d.value.columns for i in d.value["编号"]}
    assert JINLI in now
    at.date_input(key="w_asof").set_value(date(2024, 1, 1)).run()
    before = {i for d in at.dataframe if "编号" in d.value.columns for i in d.value["编号"]}
    assert JINLI not in before


def test_review_downloads_escape_neutralise_and_carry_the_extension(db):
    """The review's HTML escapes every value (no markup from an update's source), its CSV
    neutralises formula cells, and the OC4IDS package carries x_gaoyaoProgress."""
    import geopandas as gpd

    from geo.codelists import load_codelists
    from geo.paths import PROJECTS_GEOJSON
    from tracking import state
    from ui import review_page as rp

    planner = auth.authenticate(db, auth.login(db, "wang.planner", PASSWORD).token)
    base = load_baseline()
    events.record_update(db, planner, JINLI, {
        "note": "<script>alert(1)</script>", "source_title": "-2+3 报告",
        "source_date": "2025-01-02", "source_ref": "<img src=x onerror=alert(1)>",
        "status": "completion", "status_date": "2025-01-02"}, based_on=0, baseline=base)
    cl = load_codelists(REPO_ROOT / "data" / "codelists")
    projects = state.apply_state(gpd.read_file(PROJECTS_GEOJSON), state.current_state(db, base))
    frame = rp.review_frame(projects, cl.status["stage"], cl.status["label_zh"],
                            cl.categories["label_zh"], rp.latest_events(db))
    html = rp.to_html(frame, date(2025, 2, 1))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "default-src 'none'" in html
    assert "'-2+3 报告" in rp.to_csv(frame)
    package = rp.oc4ids_package(projects, db)
    rec = next(p for p in package["projects"] if p["x_gaoyaoPlanMap"]["recordId"] == JINLI)
    assert rec["status"] == "completion"
    ext = rec["x_gaoyaoProgress"]
    assert ext["currentStatus"] == "completion" and ext["version"] == 1
    assert ext["updates"][0]["source_ref"] == "<img src=x onerror=alert(1)>"
    assert "account_id" not in ext["updates"][0]
    assert rp.summary(frame, "group")["合计"].sum() == len(frame)


def test_changed_since_filter_on_the_map(db):
    planner = auth.authenticate(db, auth.login(db, "wang.planner", PASSWORD).token)
    events.record_update(db, planner, JINLI, {
        "note": "进度", "source_title": "月报", "source_date": "2025-01-02",
        "source_ref": "档案 9", "progress_pct": 30}, based_on=0, baseline=load_baseline())
    at = new_app().run()
    at.checkbox(key="w_since_on").check().run()
    shown = {i for d in at.dataframe if "编号" in d.value.columns for i in d.value["编号"]}
    assert shown == {JINLI}
    assert next(m.value for m in at.metric if m.label == "显示项目") == "1"


def test_without_leaflet_draw_the_map_says_points_only(db, monkeypatch, tmp_path):
    """Leaflet.draw is fetched by `make assets` (git-ignored): when its files are missing the
    official is told why there is no line/polygon tool; when present, no such note."""
    from ui import draw

    monkeypatch.setattr(draw, "DRAW_DIR", tmp_path / "missing")
    at = go(signed_in(db), "progress")
    at.selectbox(key="w_pr_pid").set_value(JINLI).run()
    assert not at.exception
    assert any("make assets" in c.value for c in at.caption)
    present = tmp_path / "leaflet-draw"
    present.mkdir()
    for name in ("leaflet.draw.js", "leaflet.draw.css"):
        (present / name).write_text("/* stand-in */", encoding="utf-8")
    monkeypatch.setattr(draw, "DRAW_DIR", present)
    at.run()
    assert not at.exception
    assert not any("make assets" in c.value for c in at.caption)


def test_history_names_what_changed_in_chinese() -> None:
    """The history's 组 column: the groups an update set, in Chinese (no English keys)."""
    from types import SimpleNamespace

    from tracking.models import GROUPS
    from ui.history import GROUP_ZH, event_row

    assert set(GROUP_ZH) == set(GROUPS)
    ev = SimpleNamespace(seq=2, recorded_at=None, username="u", role="town_official",
                         account_towns="金利镇", groups=("status", "location"),
                         note="n", source_title="t", source_date="2025-01-10",
                         source_ref="r", status="completion", status_date="2025-01-05",
                         progress_text=None, progress_pct=None, start_date=None,
                         planned_completion=None, actual_completion=None,
                         investment_amount=None, investment_currency=None,
                         investment_source=None, location_wkt=None,
                         location_precision=None, corrects_id=None)
    row = event_row(ev)  # type: ignore[arg-type]
    assert row["changed"] == "状态、位置"
