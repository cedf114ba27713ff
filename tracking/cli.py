"""``python -m geo users ...`` and ``python -m geo db ...`` (progress tracking).

The database is the one named by ``GAOYAO_DATABASE_URL`` (default ``instance/tracking.sqlite``).
Passwords are read from a prompt (twice) or, when stdin is not a terminal, from its first
line; never from the command line (it would show in ``ps`` and the shell history).

  users add NAME --role planner|town_official|viewer [--town 金利镇 ...] [--name TEXT]
  users list [--json]          users disable NAME          users enable NAME
  db init | db upgrade [--revision R] | db current
  db backup PATH | db restore PATH [--force]
  db export-events PATH|- [--format csv|json] [--since YYYY-MM-DD]
  db rebuild-cache [--check]   recompute project_heads + project_head_history from the events
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from geo.cli_out import err as _err
from geo.cli_out import print_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: = tracking.models.ROLES (not imported: building the parser must not load SQLAlchemy)
ROLES = ("planner", "town_official", "viewer")


def _engine() -> Engine:
    from tracking import migrate
    from tracking.db import make_engine

    engine = make_engine()
    migrate.ensure_schema(engine)
    return engine


def _read_password() -> str | None:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            _err("the passwords differ")
            return None
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def cmd_users_add(args: argparse.Namespace) -> int:
    from tracking.auth import AccountError, check_password_strength, create_account

    password = _read_password()
    if password is None:
        return 1
    try:
        check_password_strength(password, args.username)
        acc = create_account(_engine(), args.username, password, args.role, args.town or (),
                             args.name or "")
    except AccountError as exc:
        _err(str(exc))
        return 1
    towns = ", " + "、".join(sorted(acc.towns)) if acc.towns else ""
    print(f"added {acc.username} ({acc.role}{towns})")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    from tracking.auth import list_accounts

    accs = list_accounts(_engine())
    rows: list[dict[str, Any]] = [{"username": a.username, "role": a.role,
                                   "towns": sorted(a.towns),
             "display_name": a.display_name, "disabled": a.disabled} for a in accs]
    print_rows(rows, args.json, lambda r: (
        f"{r['username']:<20} {r['role']:<14} {'、'.join(r['towns']) or '-':<16} "
        f"{'DISABLED' if r['disabled'] else 'active'}  {r['display_name']}"), "accounts")
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    from tracking.auth import AccountError, set_disabled

    try:
        acc = set_disabled(_engine(), args.username, args.func_disable)
    except AccountError as exc:
        _err(str(exc))
        return 1
    print(f"{acc.username}: {'disabled (sessions ended)' if acc.disabled else 'enabled'}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from tracking import backup, migrate
    from tracking.db import database_url, make_engine, redacted

    engine = make_engine()
    url = redacted(database_url())
    try:
        if args.db_command in ("init", "upgrade"):
            rev = migrate.upgrade(engine, getattr(args, "revision", None) or "head")
            print(f"{url}: at revision {rev} (newest {migrate.head()})")
        elif args.db_command == "current":
            print(f"{url}: revision {migrate.current(engine)} (newest {migrate.head()})")
        elif args.db_command == "backup":
            migrate.ensure_schema(engine)
            print(f"backup written: {backup.backup(engine, args.path)}")
        elif args.db_command == "restore":
            rev = backup.restore(engine, args.path, force=args.force)
            print(f"restored {args.path} into {url}; at revision {rev}")
        elif args.db_command == "export-events":
            from tracking.state import to_utc

            migrate.ensure_schema(engine)
            since = to_utc(args.since) if args.since else None
            out = backup.export_events(engine, args.format, since)
            if args.path == "-":
                sys.stdout.write(out)
            else:
                with open(args.path, "w", encoding="utf-8", newline="") as fh:
                    fh.write(out)
                print(f"events written: {args.path}", file=sys.stderr)
        elif args.db_command == "rebuild-cache":
            from tracking.db import write_tx
            from tracking.state import clear_cache, rebuild_cache, verify_cache

            migrate.ensure_schema(engine)
            if args.check:
                diff = verify_cache(engine)
                print(", ".join(f"{t}: {n} rows differ from a rebuild" for t, n in diff.items()))
                return 0 if not any(diff.values()) else 1
            with write_tx(engine) as conn:
                counts = rebuild_cache(conn)
            clear_cache()
            print("rebuilt from the events: "
                  + ", ".join(f"{t} {n} rows" for t, n in counts.items()))
    except backup.BackupError as exc:
        _err(str(exc))
        return 1
    except ValueError as exc:
        _err(str(exc))
        return 2
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``users`` and ``db`` on the ``python -m geo`` subparsers."""
    users = sub.add_parser("users", help="tracking accounts: add, list, disable, enable")
    us = users.add_subparsers(dest="users_command", metavar="users-command")
    us.required = True
    p = us.add_parser("add", help="add an account (password from a prompt or stdin)")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--town", action="append", help="a town of a town_official (repeat)")
    p.add_argument("--name", help="display name")
    p.set_defaults(func=cmd_users_add)
    p = us.add_parser("list", help="list accounts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users_list)
    for name, flag in (("disable", True), ("enable", False)):
        p = us.add_parser(name, help=f"{name} an account")
        p.add_argument("username")
        p.set_defaults(func=cmd_users_disable, func_disable=flag)

    db = sub.add_parser("db", help="tracking database: init, upgrade, backup, restore, export")
    ds = db.add_subparsers(dest="db_command", metavar="db-command")
    ds.required = True
    ds.add_parser("init", help="create the database (newest schema)").set_defaults(func=cmd_db)
    p = ds.add_parser("upgrade", help="migrate to the newest schema (or --revision)")
    p.add_argument("--revision", default="head")
    p.set_defaults(func=cmd_db)
    ds.add_parser("current", help="show the schema revision").set_defaults(func=cmd_db)
    p = ds.add_parser("backup", help="consistent backup (safe while the app runs)")
    p.add_argument("path")
    p.set_defaults(func=cmd_db)
    p = ds.add_parser("restore", help="restore a backup (stop the app first)")
    p.add_argument("path")
    p.add_argument("--force", action="store_true",
                   help="even if the database holds events the backup lacks")
    p.set_defaults(func=cmd_db)
    p = ds.add_parser("export-events", help="all events as CSV or JSON")
    p.add_argument("path", help="output file, or - for stdout")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--since", help="only events recorded after this date/time")
    p.set_defaults(func=cmd_db)
    p = ds.add_parser("rebuild-cache", help="recompute the derived state tables from the "
                      "events (they are kept by every write; this is for repair and checks)")
    p.add_argument("--check", action="store_true",
                   help="only compare with a rebuild (nothing written); exit 1 if they differ")
    p.set_defaults(func=cmd_db)
