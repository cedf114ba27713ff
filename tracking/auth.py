"""Accounts, passwords, roles, sessions and login throttling.

* Passwords: argon2id (``argon2-cffi``), never stored or logged in clear; a hash made with older
  parameters is re-hashed on the next successful login.
* Roles: ``planner`` (may update every project), ``town_official`` (projects in one of their
  towns), ``viewer`` (read only). Anonymous (no account, a kiosk) may not write.
  :func:`can_edit` is the rule; ``tracking.events.record_update`` checks it on every write,
  against the account as it is in the database at that moment.
* Login throttling per account + address: after ``MAX_FAILURES`` failed attempts within
  ``WINDOW`` further attempts are refused (:class:`ThrottledError`, with the wait) without
  checking the password; a looser limit per account over all addresses
  (``MAX_FAILURES_ACCOUNT``). Every attempt is logged in ``login_attempts`` (never the password).
* Sessions: a random token (``secrets.token_urlsafe(32)``) given to the client; only its
  SHA-256 is stored. Expires after ``SESSION_TTL`` (absolute) or ``IDLE_TTL`` without use;
  :func:`logout` revokes it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Connection, Engine, and_, func, insert, select, update

from tracking.db import write_tx
from tracking.models import ROLES, account_towns, accounts, login_attempts, sessions

log = logging.getLogger(__name__)

MAX_FAILURES = 5
MAX_FAILURES_ACCOUNT = 20
WINDOW = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=8)
IDLE_TTL = timedelta(minutes=30)
MIN_PASSWORD = 10
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")

_hasher = PasswordHasher()


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to verify against for unknown users, so both paths take the same time."""
    return hasher.hash("not a password of anyone")


def utcnow() -> datetime:
    """Server time, UTC, without a zone (as stored). Tests replace this function."""
    return datetime.now(UTC).replace(tzinfo=None)


class AuthError(Exception):
    """Login refused: wrong username or password, or the account is disabled (one message
    for all, so an attacker cannot tell which)."""


class ThrottledError(AuthError):
    """Too many failed logins; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(f"too many failed logins; try again in {self.retry_after} s")


class AccountError(ValueError):
    """A bad account definition (username, role, towns, password)."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    towns: frozenset[str]
    display_name: str = ""
    disabled: bool = False


@dataclass(frozen=True)
class Session:
    token: str          # give this to the client; only its hash is stored
    account: Account
    expires_at: datetime


def can_edit(account: Account | None, project_towns: Iterable[str]) -> bool:
    """May `account` update a project lying in `project_towns`? planners: every project;
    town officials: a project with at least one of their towns (not a district-wide project
    with no town); viewers and anonymous (None) or disabled accounts: never."""
    if account is None or account.disabled:
        return False
    if account.role == "planner":
        return True
    if account.role == "town_official":
        return bool(account.towns & {t for t in project_towns if t})
    return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_account_fields(username: str, role: str, towns: Iterable[str]) -> list[str]:
    from geo.registry import TOWN_NAMES

    towns = list(towns)
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise AccountError("username: 1-64 characters a-z 0-9 . _ -")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)} (got {role!r})")
    bad = [t for t in towns if t not in TOWN_NAMES]
    if bad:
        raise AccountError(f"towns: unknown {', '.join(bad)}; use the full names, e.g. 金利镇")
    if role == "town_official" and not towns:
        raise AccountError("towns: a town_official needs at least one town")
    if role != "town_official" and towns:
        raise AccountError(f"towns: only a town_official has towns (role {role})")
    return sorted(set(towns))


def check_password_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    if username and username.lower() in password.lower():
        raise AccountError("password: must not contain the username")


def create_account(engine: Engine, username: str, password: str, role: str,
                   towns: Iterable[str] = (), display_name: str = "") -> Account:
    """Add an account (AccountError if the username exists or a field is wrong)."""
    town_list = _check_account_fields(username, role, towns)
    check_password_strength(password, username)
    now = utcnow()
    with write_tx(engine) as conn:
        if conn.execute(select(accounts.c.id).where(accounts.c.username == username)).first():
            raise AccountError(f"username: {username!r} exists")
        acc_id: int = conn.execute(insert(accounts).values(
            username=username, display_name=display_name, role=role,
            password_hash=_hasher.hash(password), disabled=False, created_at=now,
            password_changed_at=now)).inserted_primary_key[0]  # type: ignore[index]
        for t in town_list:
            conn.execute(insert(account_towns).values(account_id=acc_id, town=t))
    return Account(acc_id, username, role, frozenset(town_list), display_name)


def _load(conn: Connection, where: ColumnElement[bool]) -> Account | None:
    row = conn.execute(select(accounts).where(where)).mappings().first()
    if row is None:
        return None
    towns = conn.execute(select(account_towns.c.town)
                         .where(account_towns.c.account_id == row["id"])).scalars().all()
    return Account(row["id"], row["username"], row["role"], frozenset(towns),
                   row["display_name"], bool(row["disabled"]))


def _require(account: Account | None, what: object) -> Account:
    """`account`, or AccountError naming `what` when it vanished (deleted meanwhile)."""
    if account is None:
        raise AccountError(f"account: {what!r} not found")
    return account


def get_account(conn_or_engine: Connection | Engine, account_id: int) -> Account | None:
    """The account as stored now (role, towns, disabled)."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return _load(conn, accounts.c.id == account_id)
    return _load(conn_or_engine, accounts.c.id == account_id)


def list_accounts(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        ids = conn.execute(select(accounts.c.id).order_by(accounts.c.username)).scalars().all()
        return [acc for i in ids if (acc := _load(conn, accounts.c.id == i)) is not None]


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> Account:
    """Disable (or enable) an account; a disabled account's sessions are revoked."""
    now = utcnow()
    with write_tx(engine) as conn:
        acc = _load(conn, accounts.c.username == username)
        if acc is None:
            raise AccountError(f"username: no account {username!r}")
        conn.execute(update(accounts).where(accounts.c.id == acc.id).values(disabled=disabled))
        if disabled:
            conn.execute(update(sessions).where(and_(sessions.c.account_id == acc.id,
                                                     sessions.c.revoked_at.is_(None)))
                         .values(revoked_at=now))
    return _require(get_account(engine, acc.id), username)


def _throttle_wait(conn: Connection, username: str, address: str, now: datetime) -> float:
    """Seconds until another attempt is allowed (0: allowed now)."""
    since = now - WINDOW
    a = login_attempts.c

    def failures(*where: ColumnElement[bool]) -> tuple[int, datetime | None]:
        last_ok = conn.execute(select(func.max(a.at)).where(a.success.is_(True), *where)
                               ).scalar()
        start = max(since, last_ok) if last_ok else since
        n, oldest = conn.execute(select(func.count(), func.min(a.at)).where(
            a.success.is_(False), a.at > start, *where)).one()
        return n, oldest

    wait = 0.0
    for limit, where in ((MAX_FAILURES, (a.username == username, a.address == address)),
                         (MAX_FAILURES_ACCOUNT, (a.username == username,))):
        n, oldest = failures(*where)
        if n >= limit and oldest is not None:
            wait = max(wait, (oldest + WINDOW - now).total_seconds())
    return wait


def login(engine: Engine, username: str, password: str, address: str = "",
          ttl: timedelta = SESSION_TTL) -> Session:
    """Check the password and open a session. Raises ThrottledError (too many failures for
    this account from this address, or for this account overall) or AuthError."""
    address = (address or "")[:64]
    username = (username or "")[:64]
    now = utcnow()
    with engine.connect() as conn:
        wait = _throttle_wait(conn, username, address, now)
        if wait > 0:  # not recorded as a failure: the lock-out ends when the window passes
            conn.rollback()
            log.warning("login throttled: user=%r address=%r wait=%.0fs", username, address, wait)
            raise ThrottledError(wait)
        row = conn.execute(select(accounts).where(accounts.c.username == username)
                           ).mappings().first()
        conn.rollback()
    ok = False
    try:
        ok = _hasher.verify(row["password_hash"] if row else _dummy_hash(_hasher), password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and row is not None and not row["disabled"]
    if not ok or row is None:
        with write_tx(engine) as conn:
            conn.execute(insert(login_attempts).values(username=username, address=address,
                                                       at=now, success=False))
        log.info("login failed: user=%r address=%r", username, address)
        raise AuthError("wrong username or password")
    token = secrets.token_urlsafe(32)
    with write_tx(engine) as conn:
        conn.execute(insert(login_attempts).values(username=username, address=address, at=now,
                                                   success=True))
        if _hasher.check_needs_rehash(row["password_hash"]):
            conn.execute(update(accounts).where(accounts.c.id == row["id"])
                         .values(password_hash=_hasher.hash(password)))
        conn.execute(insert(sessions).values(
            token_hash=_token_hash(token), account_id=row["id"], created_at=now,
            expires_at=now + ttl, last_seen_at=now, address=address))
    log.info("login: user=%r address=%r", username, address)
    account = _require(get_account(engine, row["id"]), username)
    return Session(token, account, now + ttl)


def authenticate(engine: Engine, token: str | None) -> Account | None:
    """The account behind a session token, or None (unknown, expired, idle too long, logged
    out, or the account disabled). Refreshes the idle timer (at most once a minute)."""
    if not token:
        return None
    now = utcnow()
    h = _token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.token_hash == h)).mappings().first()
        if (row is None or row["revoked_at"] is not None or row["expires_at"] <= now
                or row["last_seen_at"] + IDLE_TTL <= now):
            return None
        account = _load(conn, accounts.c.id == row["account_id"])
        conn.rollback()
    if account is None or account.disabled:
        return None
    if now - row["last_seen_at"] > timedelta(minutes=1):
        with write_tx(engine) as conn:
            conn.execute(update(sessions).where(sessions.c.token_hash == h)
                         .values(last_seen_at=now))
    return account


def logout(engine: Engine, token: str | None) -> None:
    """Revoke the session (no error if it is unknown or already ended)."""
    if not token:
        return
    with write_tx(engine) as conn:
        conn.execute(update(sessions).where(and_(sessions.c.token_hash == _token_hash(token),
                                                 sessions.c.revoked_at.is_(None)))
                     .values(revoked_at=utcnow()))
