"""The sign-in page (登录): username and password -> `tracking.auth.login` (throttled: the
wait is shown); the session token is kept in ``st.session_state`` only; sign-out ends the
session on the server. Not offered in a kiosk (see streamlit_app.py)."""

from __future__ import annotations

import math

import streamlit as st

from geo.i18n import I18n
from tracking import auth
from ui import data
from ui.account import NAV, TOKEN_KEY, current_account, sign_out
from ui.history import ROLE_ZH
from ui.state import W
from ui.text import md_text

AFTER_LOGIN = "gy_after_login"


def translator() -> I18n:
    return I18n(data.i18n_table(), st.session_state.get(W["lang"], "zh"))


def who(account: auth.Account) -> str:
    towns = "、".join(sorted(account.towns))
    return (f"{account.username}（{ROLE_ZH.get(account.role, account.role)}"
            + (f"，{towns}" if towns else "") + "）")


def sign_out_button(tr: I18n, key: str = "w_auth_signout") -> None:
    if st.button(tr("auth.sign_out"), key=key):
        sign_out()
        if NAV.get("map") is not None:  # back to the map, the anonymous home
            st.switch_page(NAV["map"])
        st.rerun()


def auth_page() -> None:
    tr = translator()
    engine = data.tracking_engine()
    account = current_account() if engine is not None else None
    st.title(tr("auth.title" if account is None else "auth.account"))
    if engine is None:
        st.info(tr("auth.no_db"))
        return
    if account is not None:
        if st.session_state.pop(AFTER_LOGIN, False) and NAV.get("progress") is not None:
            st.switch_page(NAV["progress"])
        st.success(tr("auth.signed_in", who=md_text(who(account))))
        sign_out_button(tr)
        return
    with st.form("w_auth_form"):
        username = st.text_input(tr("auth.username"), key="w_auth_user", max_chars=64)
        password = st.text_input(tr("auth.password"), type="password", key="w_auth_pw",
                                 max_chars=256)
        submitted = st.form_submit_button(tr("auth.submit"))
    if not submitted:
        return
    try:
        session = auth.login(engine, username, password, address=client_address())
    except auth.ThrottledError as exc:
        st.error(tr("auth.throttled", s=math.ceil(exc.retry_after)))
        return
    except auth.AuthError:
        st.error(tr("auth.failed"))
        return
    st.session_state[TOKEN_KEY] = session.token
    st.session_state.pop("w_auth_pw", None)
    st.session_state[AFTER_LOGIN] = True
    st.rerun()  # the next run registers the account's pages, then opens 我的镇街项目


def client_address() -> str:
    """The client's address as Streamlit reports it (for throttling), or ''."""
    try:
        return str(st.context.ip_address or "")[:64]
    except Exception:  # not available in AppTest / older servers
        return ""
