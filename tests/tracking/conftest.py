"""Fixtures: every tracking test runs on BOTH backends, a SQLite file and a real PostgreSQL +
PostGIS server started here (initdb + pg_ctl in a temp folder, Unix socket only, as the
``postgres`` user). Missing PostgreSQL binaries FAIL the tests (``make test`` installs them)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from tests.tracking.helpers import PASSWORD, baseline
from tracking import auth, migrate
from tracking.baseline import Baseline
from tracking.db import make_engine
from tracking.pgtemp import PostgresMissingError, TempPostgres

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TempPostgres]:
    try:
        server = TempPostgres()
    except PostgresMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracking.sqlite'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"t{next(_counter)}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters in tests (the real ones are checked in test_auth)."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))


@pytest.fixture
def base() -> Baseline:
    return baseline()


@pytest.fixture
def accounts(engine: Engine) -> dict[str, auth.Account]:
    return {
        "planner": auth.create_account(engine, "planner", PASSWORD, "planner"),
        "jinli": auth.create_account(engine, "jinli", PASSWORD, "town_official", ["金利镇"]),
        "xiaoxiang": auth.create_account(engine, "xiaoxiang", PASSWORD, "town_official",
                                         ["小湘镇"]),
        "viewer": auth.create_account(engine, "viewer", PASSWORD, "viewer"),
    }


class Clock:
    """A settable server clock for events and auth."""

    def __init__(self, start) -> None:
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **kw: float) -> None:
        from datetime import timedelta

        self.now = self.now + timedelta(**kw)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from datetime import datetime

    from tracking import events

    c = Clock(datetime(2025, 3, 1, 2, 0, 0))
    monkeypatch.setattr(events, "utcnow", c)
    monkeypatch.setattr(auth, "utcnow", c)
    return c
