"""Accounts, hashing, login throttling, session expiry and logout."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.tracking.helpers import PASSWORD
from tracking import auth
from tracking.models import accounts as accounts_table
from tracking.models import login_attempts, sessions


def test_passwords_are_argon2id_hashes_never_clear(engine, monkeypatch) -> None:
    monkeypatch.setattr(auth, "_hasher", PasswordHasher())  # the real parameters
    auth.create_account(engine, "ann", PASSWORD, "planner")
    with engine.connect() as conn:
        h = conn.execute(select(accounts_table.c.password_hash)).scalar()
    assert h.startswith("$argon2id$") and PASSWORD not in h
    s = auth.login(engine, "ann", PASSWORD, "10.0.0.1")
    with engine.connect() as conn:
        stored = conn.execute(select(sessions.c.token_hash)).scalar()
    assert stored != s.token and len(stored) == 64  # only a hash of the token


def test_account_rules(engine) -> None:
    with pytest.raises(auth.AccountError, match="towns"):
        auth.create_account(engine, "t1", PASSWORD, "town_official")
    with pytest.raises(auth.AccountError, match="towns"):
        auth.create_account(engine, "t2", PASSWORD, "town_official", ["金利"])
    with pytest.raises(auth.AccountError, match="role"):
        auth.create_account(engine, "t3", PASSWORD, "admin")
    with pytest.raises(auth.AccountError, match="password"):
        auth.create_account(engine, "t4", "short", "viewer")
    with pytest.raises(auth.AccountError, match="username"):
        auth.create_account(engine, "Bad Name", PASSWORD, "viewer")
    auth.create_account(engine, "t5", PASSWORD, "viewer")
    with pytest.raises(auth.AccountError, match="exists"):
        auth.create_account(engine, "t5", PASSWORD, "viewer")


def test_login_logout(engine, accounts, clock) -> None:
    s = auth.login(engine, "jinli", PASSWORD, "10.0.0.1")
    assert s.account.username == "jinli" and s.account.towns == {"金利镇"}
    assert auth.authenticate(engine, s.token) == s.account
    with pytest.raises(auth.AuthError, match="wrong username or password"):
        auth.login(engine, "jinli", "wrong password!", "10.0.0.1")
    with pytest.raises(auth.AuthError, match="wrong username or password"):
        auth.login(engine, "nobody", PASSWORD, "10.0.0.1")
    auth.logout(engine, s.token)
    assert auth.authenticate(engine, s.token) is None
    auth.logout(engine, s.token)  # twice is fine
    assert auth.authenticate(engine, None) is None
    assert auth.authenticate(engine, "forged-token") is None


def test_session_expiry(engine, accounts, clock) -> None:
    s = auth.login(engine, "planner", PASSWORD, "a")
    for _ in range(16):            # in use every 29 minutes: stays valid ...
        clock.advance(minutes=29)
        assert auth.authenticate(engine, s.token) is not None
    clock.advance(minutes=29)      # ... until the absolute limit (8 h)
    assert auth.authenticate(engine, s.token) is None
    s2 = auth.login(engine, "planner", PASSWORD, "a")
    clock.advance(minutes=31)      # idle too long
    assert auth.authenticate(engine, s2.token) is None


def test_disabling_ends_sessions_and_logins(engine, accounts, clock) -> None:
    s = auth.login(engine, "viewer", PASSWORD, "a")
    auth.set_disabled(engine, "viewer")
    assert auth.authenticate(engine, s.token) is None
    with pytest.raises(auth.AuthError):
        auth.login(engine, "viewer", PASSWORD, "a")
    auth.set_disabled(engine, "viewer", False)
    assert auth.login(engine, "viewer", PASSWORD, "a").account.username == "viewer"


def test_throttling_per_account_and_address(engine, accounts, clock) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.AuthError) as exc:
            auth.login(engine, "jinli", "guess guess guess", "10.0.0.9")
        assert not isinstance(exc.value, auth.ThrottledError)
    # even the right password is refused now, from that address, without checking it
    with pytest.raises(auth.ThrottledError) as exc:
        auth.login(engine, "jinli", PASSWORD, "10.0.0.9")
    assert 0 < exc.value.retry_after <= auth.WINDOW.total_seconds()
    # another address, and another account from the same address, are not locked
    assert auth.login(engine, "jinli", PASSWORD, "10.0.0.10")
    assert auth.login(engine, "planner", PASSWORD, "10.0.0.9")
    clock.advance(seconds=exc.value.retry_after + 1)
    assert auth.login(engine, "jinli", PASSWORD, "10.0.0.9")
    with engine.connect() as conn:
        rows = conn.execute(select(login_attempts.c.success)
                            .where(login_attempts.c.username == "jinli")).scalars().all()
    assert rows.count(False) == auth.MAX_FAILURES and rows.count(True) == 2


def test_throttling_per_account_over_all_addresses(engine, accounts, clock) -> None:
    for i in range(auth.MAX_FAILURES_ACCOUNT):
        with pytest.raises(auth.AuthError):
            auth.login(engine, "planner", "guess guess guess", f"10.1.0.{i}")
        clock.advance(seconds=1)
    with pytest.raises(auth.ThrottledError):
        auth.login(engine, "planner", PASSWORD, "10.2.0.1")
