"""Who is using the app: the signed-in account, from the session token only.

The session token returned by `tracking.auth.login` is the only thing kept (in
``st.session_state``, never in the URL). Every run turns it back into an account with
`tracking.auth.authenticate` (expired, revoked, idle or disabled -> signed out). Nothing else
in the session state counts: a crafted ``st.session_state`` entry holding an `Account` is
ignored, and the library checks the account again, from the database, on every write. A
kiosk has no account at all."""

from __future__ import annotations

import streamlit as st

from tracking import auth
from ui import data
from ui.config import kiosk_forced
from ui.state import early_kiosk

TOKEN_KEY = "gy_token"
#: the st.Page objects of this run's navigation, by name (set by streamlit_app.py)
NAV: dict[str, st.Page] = {}


def kiosk_now() -> bool:
    """Kiosk mode, from the environment, the URL or the session's view state."""
    return kiosk_forced() or early_kiosk() or st.session_state.get("gy_mode") == "kiosk"


def current_account() -> auth.Account | None:
    """The account of this session's token (checked against the database now), or None:
    anonymous, kiosk, no tracking database, or a token that no longer works (then dropped)."""
    if kiosk_now():
        return None
    token = st.session_state.get(TOKEN_KEY)
    if not isinstance(token, str) or not token:
        return None
    engine = data.tracking_engine()
    if engine is None:
        return None
    account = auth.authenticate(engine, token)
    if account is None:
        st.session_state.pop(TOKEN_KEY, None)
    return account


def sign_out() -> None:
    """End the session on the server and forget the token."""
    token = st.session_state.pop(TOKEN_KEY, None)
    engine = data.tracking_engine()
    if engine is not None and isinstance(token, str):
        auth.logout(engine, token)
    for key in [k for k in st.session_state if str(k).startswith(("w_pr_", "gy_pr_"))]:
        del st.session_state[key]
